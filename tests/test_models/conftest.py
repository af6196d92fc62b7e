"""Tiny encoders and SG-MIM masks shared by the model tests (as fixtures:
test modules do not import this file)."""
import pytest
import torch
from torch import nn

import sgmim  # noqa: F401  (registers the components)
from mmpretrain.registry import MODELS

# image size -> Swin window size dividing every stage grid (patch 4, stride 32)
SWIN_WINDOWS = {64: 2, 96: 3, 192: 3}


def swin_cfg(img_size):
    """Config of a tiny SimMIM Swin (C = 256 at stride 32)."""
    return dict(
        type='SimMIMSwinTransformer',
        arch=dict(embed_dims=32, depths=[1, 1, 2, 1], num_heads=[1, 2, 4, 8]),
        img_size=img_size,
        drop_path_rate=0.,
        stage_cfgs=dict(block_cfgs=dict(window_size=SWIN_WINDOWS[img_size])))


class TinyMaskedViT(nn.Module):
    """Stand-in SimMIM ViT: patch 16, mask token, one block, one output
    (B, C, H / 16, W / 16) after the final norm."""

    def __init__(self, embed_dims=32, patch_size=16):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, embed_dims, patch_size, patch_size)
        self.mask_token = nn.Parameter(torch.randn(1, embed_dims, 1, 1))
        self.block = nn.TransformerEncoderLayer(
            embed_dims, 2, 2 * embed_dims, dropout=0., batch_first=True)
        self.norm = nn.LayerNorm(embed_dims)

    def forward(self, x, mask):
        x = self.patch_embed(x)
        if mask is not None:
            w = mask[:, None].type_as(x)
            x = x * (1 - w) + self.mask_token * w
        B, C, h, w = x.shape
        x = self.norm(self.block(x.flatten(2).transpose(1, 2)))
        return (x.transpose(1, 2).reshape(B, C, h, w), )


def sgmim_masks(batch, img_size, model_patch, complementary=True,
                mask_patch=32, ratio=0.6, seed=0):
    """(image mask, structure mask), each (B, h0, w0) float, 1 = masked.

    Masks are drawn at ``mask_patch`` granularity (exactly round(ratio * n)
    masked patches per image) and expanded to model patches, as SimMIM.
    Structure mask: complement of the image mask, or independent.
    """
    g = torch.Generator().manual_seed(seed)
    side = img_size // mask_patch
    n = side * side

    def draw():
        coarse = torch.zeros(batch, n)
        for b in range(batch):
            coarse[b, torch.randperm(n, generator=g)[:round(ratio * n)]] = 1
        scale = mask_patch // model_patch
        return coarse.view(batch, side, side).repeat_interleave(
            scale, 1).repeat_interleave(scale, 2)

    mask = draw()
    return mask, (1 - mask) if complementary else draw()


@pytest.fixture
def swin_config():
    """Factory: config of a tiny SimMIM Swin for an image size."""
    return swin_cfg


@pytest.fixture
def tiny_swin():
    """Factory: tiny SimMIM Swin for an image size in ``SWIN_WINDOWS``."""
    return lambda img_size: MODELS.build(swin_cfg(img_size))


@pytest.fixture
def tiny_vit():
    """Factory: stand-in SimMIM ViT (stride 16)."""
    return TinyMaskedViT


@pytest.fixture
def make_masks():
    """``sgmim_masks`` (see there)."""
    return sgmim_masks
