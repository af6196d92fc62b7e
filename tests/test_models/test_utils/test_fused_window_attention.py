"""The fused (SDPA) window attention is the same layer as mmpretrain's:
same outputs and gradients in float64 on tiny Swin and SwinV2 encoders
with shifted and zero-padded windows, same state dict, the same attention
maps for the analysis toolkit, the same training losses, and the hook that
switches a run."""
import copy
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.models.utils import WindowMSA, WindowMSAV2
from mmpretrain.registry import MODELS
from tool_helpers import CONFIGS

import sgmim  # noqa: F401
from sgmim.analysis.attention_capture import (AttentionCapture,
                                              default_attention_layers)
from sgmim.benchmarking import benchmark
from sgmim.engine.hooks import FusedWindowAttentionHook
from sgmim.models.utils import (FusedWindowMSA, FusedWindowMSAV2,
                                fuse_window_attention)

# 40 px: stage maps 10 x 10 and 5 x 5 (windows of 4: zero padding), the
# second block of each stage shifted
SWIN = dict(type='SwinTransformer', arch=dict(
    embed_dims=16, depths=[2, 2], num_heads=[2, 4]), img_size=40,
    window_size=4, out_indices=(0, 1), drop_path_rate=0.)
SWINV2 = dict(type='SwinTransformerV2', arch=dict(
    embed_dims=16, depths=[2, 2], num_heads=[2, 4],
    extra_norm_every_n_blocks=0), img_size=40, window_size=[4, 4],
    out_indices=(0, 1), drop_path_rate=0.)


def perturbed(cfg):
    """The encoder in float64 with every parameter moved off its
    initialisation (the zero-initialised biases too)."""
    torch.manual_seed(0)
    model = MODELS.build(cfg).double()
    model.eval()  # (mmpretrain's Swin ``train`` returns None)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return model


@pytest.mark.parametrize('cfg, fused_cls', [(SWIN, FusedWindowMSA),
                                            (SWINV2, FusedWindowMSAV2)])
def test_fused_is_the_same_layer(cfg, fused_cls):
    plain = perturbed(cfg)
    fused = copy.deepcopy(plain)
    assert fuse_window_attention(fused) == 4
    assert all(type(m) is fused_cls for m in fused.modules()
               if isinstance(m, (WindowMSA, WindowMSAV2)))
    assert {k: v.shape for k, v in fused.state_dict().items()} == \
        {k: v.shape for k, v in plain.state_dict().items()}
    shifted = [m.attn.shift_size for m in plain.modules()
               if hasattr(m, 'attn') and hasattr(m.attn, 'shift_size')]
    assert shifted == [0, 2, 0, 2]  # shift masks in play
    x = torch.randn(2, 3, 40, 40, dtype=torch.float64, requires_grad=True)
    outs = [model(x) for model in (plain, fused)]
    for a, b in zip(*outs):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    grads = []
    for model, out in zip((plain, fused), outs):
        loss = sum((o ** 2).sum() for o in out)
        grads.append(torch.autograd.grad(loss, [x, *model.parameters()]))
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)
    # a fused state dict loads strictly into a plain model (SwinV2: ours,
    # mmpretrain's deletes incoming window buffers) and gives its outputs
    transfer = {'SwinTransformerV2': 'TransferSwinTransformerV2'}
    again = MODELS.build(dict(
        cfg, type=transfer.get(cfg['type'], cfg['type']))).double()
    again.eval()
    again.load_state_dict(fused.state_dict(), strict=True)
    torch.testing.assert_close(again(x)[-1], outs[0][-1])


@pytest.mark.parametrize('cfg', [SWIN, SWINV2])
def test_analysis_reads_fused_models_as_plain_ones(cfg):
    plain = perturbed(cfg)
    fused = copy.deepcopy(plain)
    fuse_window_attention(fused)
    x = torch.randn(1, 3, 40, 40, dtype=torch.float64)
    records = []
    for model in (plain, fused):
        layers = default_attention_layers(model)
        assert len(layers) == 4
        with AttentionCapture(model, layers) as capture, torch.no_grad():
            model(x)
        records.append(capture.records)
    for name, record in records[0].items():
        torch.testing.assert_close(records[1][name].attn, record.attn)


def test_only_mmpretrains_own_classes_are_switched():
    class Custom(WindowMSA):
        def forward(self, x, mask=None):
            return x

    model = torch.nn.Sequential(
        WindowMSA(8, (2, 2), 2), Custom(8, (2, 2), 2), torch.nn.Linear(2, 2))
    assert fuse_window_attention(model) == 1
    assert type(model[0]) is FusedWindowMSA and type(model[1]) is Custom


def test_synth_sgmim_trains_alike_on_both_paths():
    """Three training iterations of the synth SG-MIM Swin-nano from the
    same weights: the same losses within float32 tolerance."""
    cfg = Config.fromfile(str(
        CONFIGS / 'synth/sgmim_swin-nano-w3_1xb16-coslr-20e_synthscenes-'
        '96px.py'))
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    plain, _ = benchmark.build_model(cfg)
    fused = copy.deepcopy(plain)
    assert fuse_window_attention(fused) > 0
    batch = benchmark.synthetic_batch(2, **benchmark.mask_settings(cfg))
    losses = []
    for model in (plain, fused):
        torch.manual_seed(1)  # the same dropout / drop-path draws
        wrapper = benchmark.build_optim_wrapper(model, cfg)
        run = []
        for _ in range(3):
            loss, _ = model.parse_losses(model.loss(*batch))
            wrapper.update_params(loss)
            run.append(float(loss))
        losses.append(run)
    assert losses[1] == pytest.approx(losses[0], rel=1e-5)


def test_hook_switches_the_run_and_refuses_a_model_without_windows():
    model = perturbed(SWIN)
    FusedWindowAttentionHook().before_run(SimpleNamespace(model=model))
    assert sum(type(m) is FusedWindowMSA for m in model.modules()) == 4
    with pytest.raises(ValueError, match='has no mmpretrain WindowMSA'):
        FusedWindowAttentionHook().before_run(
            SimpleNamespace(model=torch.nn.Linear(2, 2)))
