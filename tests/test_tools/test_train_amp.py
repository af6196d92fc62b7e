"""``tools/train.py --amp [float16|bfloat16]``: the resolved optimizer
wrapper of every pre-training config, and bf16 autocast training as fp32
does (on CPU, where mmengine's AutoCast supports bfloat16)."""
import pytest
import torch
from mmengine.config import Config
from tool_helpers import CONFIGS, load_tool

from sgmim.benchmarking.benchmark import (build_model, build_optim_wrapper,
                                          config_batch)

SGMIM = CONFIGS / ('synth/sgmim_swin-nano-w3_1xb16-coslr-20e_'
                   'synthscenes-96px.py')
PRETRAINING = sorted(
    path for folder in ('simmim', 'sgmim', 'mae', 'lut', 'mto')
    for path in (CONFIGS / folder).rglob('*.py'))
ITERS = 20


@pytest.fixture(scope='module')
def train():
    return load_tool('train.py')


def test_amp_flag(train):
    assert train.parse_args(['x.py']).amp is None
    assert train.parse_args(['x.py', '--amp']).amp == 'float16'
    assert train.parse_args(['x.py', '--amp', 'bfloat16']).amp == 'bfloat16'
    with pytest.raises(SystemExit):
        train.parse_args(['x.py', '--amp', 'fp8'])


def test_fp32_config_gets_dynamic_fp16_or_unscaled_bf16(train):
    cfg = Config.fromfile(str(SGMIM))
    assert cfg.optim_wrapper.get('type', 'OptimWrapper') == 'OptimWrapper'
    fp16 = cfg.copy()
    train.apply_amp(fp16)
    assert fp16.optim_wrapper.type == 'AmpOptimWrapper'
    assert fp16.optim_wrapper.dtype == 'float16'
    assert fp16.optim_wrapper.loss_scale == 'dynamic'
    train.apply_amp(cfg, 'bfloat16')
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert cfg.optim_wrapper.loss_scale == dict(enabled=False)
    # back to fp16: loss scaling again
    train.apply_amp(cfg, 'float16')
    assert cfg.optim_wrapper.loss_scale == 'dynamic'


@pytest.mark.parametrize('path', PRETRAINING,
                         ids=[p.name for p in PRETRAINING])
def test_every_pretraining_config_takes_bfloat16(train, path):
    """Each is AMP (fp16) as shipped; ``--amp bfloat16`` switches its
    autocast dtype and keeps the rest of the wrapper."""
    cfg = Config.fromfile(str(path))
    shipped = cfg.optim_wrapper.to_dict()
    assert shipped['type'] == 'AmpOptimWrapper'
    assert shipped.get('dtype', 'float16') == 'float16'
    train.apply_amp(cfg, 'bfloat16')
    resolved = cfg.optim_wrapper.to_dict()
    assert resolved.pop('dtype') == 'bfloat16'
    assert resolved.pop('loss_scale') == dict(enabled=False)
    shipped.pop('loss_scale', None)
    assert resolved == shipped


def test_amp_config_with_its_own_dtype_is_left_alone(train):
    cfg = Config.fromfile(str(PRETRAINING[0]))
    before = cfg.optim_wrapper.to_dict()
    train.apply_amp(cfg, 'float16')
    assert cfg.optim_wrapper.to_dict() == before


def test_other_wrapper_is_refused(train):
    cfg = Config.fromfile(str(SGMIM))
    cfg.optim_wrapper.type = 'OptimWrapperDict'
    with pytest.raises(ValueError, match="got 'OptimWrapperDict'"):
        train.apply_amp(cfg, 'bfloat16')


def test_bf16_autocast_trains_as_fp32(train, monkeypatch):
    """SG-MIM (synth Swin-nano) through mmengine's ``AmpOptimWrapper``
    with ``--amp bfloat16``'s settings, against fp32, from the same weights
    on the same 20 batches: the encoder's linear layers run in bfloat16,
    and the losses stay within bf16's precision (8 bits of mantissa) of
    fp32's. The wrapper checks for a GPU; mmengine's autocast itself runs
    on CPU in bfloat16."""
    from mmengine.optim.optimizer import amp_optimizer_wrapper
    monkeypatch.setattr(amp_optimizer_wrapper, 'is_cuda_available',
                        lambda: True)
    cfg = Config.fromfile(str(SGMIM))
    train.apply_amp(cfg, 'bfloat16')
    torch.manual_seed(0)
    fp32_model, _ = build_model(cfg)
    bf16_model, _ = build_model(cfg)
    bf16_model.load_state_dict(fp32_model.state_dict())
    fp32 = build_optim_wrapper(fp32_model, cfg)
    bf16 = build_optim_wrapper(bf16_model, cfg, amp=True)
    assert type(bf16).__name__ == 'AmpOptimWrapper'
    assert bf16.cast_dtype is torch.bfloat16
    assert not bf16.loss_scaler.is_enabled()
    dtypes = set()
    linear = next(m for m in bf16_model.backbone.modules()
                  if isinstance(m, torch.nn.Linear))
    linear.register_forward_hook(lambda m, i, out: dtypes.add(out.dtype))
    worst = 0.0
    for it in range(ITERS):
        batch = config_batch(cfg, 2, seed=it)
        losses = []
        for model, wrapper in ((fp32_model, fp32), (bf16_model, bf16)):
            torch.manual_seed(it)
            with wrapper.optim_context(model):
                loss, _ = model.parse_losses(model.loss(*batch))
            wrapper.update_params(loss)
            losses.append(loss.item())
        worst = max(worst, abs(losses[1] - losses[0]) / losses[0])
    assert dtypes == {torch.bfloat16}
    assert 0 < worst < 1e-2
