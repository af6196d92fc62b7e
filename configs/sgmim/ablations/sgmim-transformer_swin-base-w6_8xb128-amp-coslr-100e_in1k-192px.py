# Ablation: independent Transformer as the structure feature extractor.
_base_ = '../sgmim_swin-base-w6_8xb128-amp-coslr-100e_in1k-192px.py'
model = dict(
    guidance_neck=dict(
        extractor=dict(
            _delete_=True,
            type='TransformerStructureExtractor',
            out_channels=1024,
            stride=32,
            input_size=192)))
