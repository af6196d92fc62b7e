"""Which parameters of every pre-training config get weight decay, listed
against an explicit expectation per encoder (SimMIM's set_weight_decay:
no decay for 1-D parameters, position parameters, tokens and
relative-position terms)."""
import re
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

import sgmim  # noqa: F401
from mmpretrain.registry import MODELS

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
PRETRAIN_CONFIGS = sorted(
    [*CONFIGS.glob('sgmim/**/*.py'), *CONFIGS.glob('simmim/*.py'),
     *CONFIGS.glob('synth/s*mim_*.py'), *CONFIGS.glob('synth/mto-s*.py')])

#: The non-1-D parameters without weight decay, per encoder (every block
#: index written as N). Every 1-D parameter (biases; Swin's norm*, ViT's
#: ln1/ln2/pre_norm weights) has none either; everything else has 0.05.
NO_DECAY_BEYOND_1D = {
    'swin': {'backbone.mask_token',
             'backbone.stages.N.blocks.N.attn.w_msa.'
             'relative_position_bias_table'},
    'swinv2': {'backbone.mask_token',
               'backbone.stages.N.blocks.N.attn.w_msa.cpb_mlp.N.weight',
               'backbone.stages.N.blocks.N.attn.w_msa.logit_scale'},
    'vit': {'backbone.mask_token', 'backbone.pos_embed',
            'backbone.cls_token'},
}
#: SG-MIM's guidance neck: its learnable position embedding (and the
#: Transformer extractor's).
SGMIM_NO_DECAY = {'guidance_neck.pos_embed'}
TRANSFORMER_EXTRACTOR_NO_DECAY = {'guidance_neck.extractor.pos_embed'}


def encoder_of(path):
    name = path.name
    return ('swinv2' if '_swinv2-' in name else
            'vit' if '_vit-' in name else 'swin')


def decay_split(cfg):
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model)
    optim_cfg = cfg.optim_wrapper.copy()
    optim_cfg.type = 'OptimWrapper'  # AmpOptimWrapper needs a GPU
    wrapper = build_optim_wrapper(model, optim_cfg)
    names = {id(p): n for n, p in model.named_parameters()}
    decays = {}
    for group in wrapper.optimizer.param_groups:
        for param in group['params']:
            decays[names[id(param)]] = group['weight_decay']
    return dict(model.named_parameters()), decays


@pytest.mark.parametrize('path', PRETRAIN_CONFIGS,
                         ids=[p.name for p in PRETRAIN_CONFIGS])
def test_no_decay_list_is_the_encoders_real_names(path):
    cfg = Config.fromfile(str(path))
    params, decays = decay_split(cfg)
    assert set(decays) == set(params)
    expected = set(NO_DECAY_BEYOND_1D[encoder_of(path)])
    if cfg.model.type == 'SGMIM':
        expected |= SGMIM_NO_DECAY
        if cfg.model.guidance_neck.extractor.type == \
                'TransformerStructureExtractor':
            expected |= TRANSFORMER_EXTRACTOR_NO_DECAY
    no_decay_beyond_1d = {
        re.sub(r'\.\d+(?=\.)', '.N', name)
        for name, wd in decays.items()
        if wd == 0 and params[name].ndim > 1
    }
    assert no_decay_beyond_1d == expected
    for name, param in params.items():
        if param.ndim <= 1:
            assert decays[name] == 0, name
    decayed = [n for n, wd in decays.items() if wd != 0]
    assert decayed and all(decays[n] == 0.05 for n in decayed)
    # the encoders' norms by their real names
    norms = [n for n in params if re.search(
        r'(^|\.)(ln1|ln2|pre_norm|norm\d?)\.weight$', n)]
    assert norms and all(decays[n] == 0 for n in norms)
