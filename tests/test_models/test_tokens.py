import pytest
import torch

from sgmim.models.utils import gather_tokens, patchify, uniform_index


def test_patchify_matches_loop():
    x = torch.randn(2, 3, 8, 12)
    out = patchify(x, 4)
    assert out.shape == (2, 6, 48)
    for b in range(2):
        for i in range(2):
            for j in range(3):
                patch = x[b, :, 4 * i:4 * i + 4, 4 * j:4 * j + 4]
                assert torch.equal(out[b, i * 3 + j], patch.flatten())


def test_patchify_equals_pixel_unshuffle_tokens():
    x = torch.randn(2, 3, 8, 12)
    expected = torch.nn.functional.pixel_unshuffle(x, 4).flatten(2)
    assert torch.equal(patchify(x, 4), expected.transpose(1, 2))


def test_patchify_order_is_conv_kernel_order():
    """A k = s = p conv equals a linear map of the patches with the kernel
    flattened."""
    conv = torch.nn.Conv2d(2, 5, 4, 4)
    x = torch.randn(3, 2, 8, 8)
    expected = conv(x).flatten(2).transpose(1, 2)
    got = torch.nn.functional.linear(patchify(x, 4), conv.weight.flatten(1),
                                     conv.bias)
    assert torch.allclose(got, expected, atol=1e-5)


def test_patchify_rejects_indivisible_size():
    with pytest.raises(ValueError, match=r'multiples of the patch size 4.*'
                       r'\(1, 1, 8, 10\)'):
        patchify(torch.zeros(1, 1, 8, 10), 4)


def test_gather_tokens():
    x = torch.randn(2, 5, 3, 4)
    index = torch.tensor([[4, 0], [1, 1]])
    out = gather_tokens(x, index)
    assert out.shape == (2, 2, 3, 4)
    for b in range(2):
        for k in range(2):
            assert torch.equal(out[b, k], x[b, index[b, k]])


def test_uniform_index():
    select = torch.tensor([[True, False, True, False],
                           [False, True, False, True]])
    assert torch.equal(uniform_index(select),
                       torch.tensor([[0, 2], [1, 3]]))
    select[0, 1] = True  # 3 vs 2 tokens
    assert uniform_index(select) is None
    assert uniform_index(torch.zeros(2, 4, dtype=torch.bool)) is None
