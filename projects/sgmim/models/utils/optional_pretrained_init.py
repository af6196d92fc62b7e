"""``init_cfg=dict(type='Pretrained', checkpoint=None)`` means "no checkpoint".

Transfer configs expose the pre-trained encoder through one key,
``model.backbone.init_cfg.checkpoint``. mmengine's ``PretrainedInit`` fails
on ``None`` (``re.match`` on ``None``), so the same config could not run from
random initialisation. This subclass, registered under the same name, keeps the
module's own initialisation when no checkpoint is given and otherwise behaves
exactly as mmengine's. The type name must stay ``'Pretrained'``: backbones
such as mmpretrain's ViT/Swin test for it to skip their own re-initialisation
of position embeddings after loading.
"""
from mmengine.logging import print_log
from mmengine.model.weight_init import PretrainedInit
from mmengine.registry import WEIGHT_INITIALIZERS


@WEIGHT_INITIALIZERS.register_module(name='Pretrained', force=True)
class OptionalPretrainedInit(PretrainedInit):
    """Load a checkpoint into a module, or keep its initialisation if
    ``checkpoint`` is ``None``."""

    def __call__(self, module):
        if self.checkpoint is None:
            print_log(
                f'{type(module).__name__}: init_cfg.checkpoint is None, '
                'keeping the random initialisation', logger='current')
            return
        super().__call__(module)
