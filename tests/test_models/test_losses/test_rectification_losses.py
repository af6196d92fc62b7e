"""SC-DepthV2's rotation-rectification losses against their formulas."""
import pytest
import torch

from mmpretrain.registry import MODELS
from sgmim.models.losses import (rotation_consistency_loss,
                                 rotation_triplet_loss)


def test_consistency_is_l1_to_a_detached_target():
    pred = torch.tensor([[0.01, -0.02, 0.03]], requires_grad=True)
    target = torch.tensor([[0.02, 0.02, -0.01]], requires_grad=True)
    loss = rotation_consistency_loss(pred, target)
    torch.testing.assert_close(loss, torch.tensor((0.01 + 0.04 + 0.04) / 3))
    loss.backward()
    assert target.grad is None
    torch.testing.assert_close(pred.grad,
                               torch.tensor([[-1., -1., 1.]]) / 3)


def test_triplet_hinge():
    before = torch.tensor([[0.10, -0.01, 0.2], [0.0, 0.06, -0.3]])
    after = torch.tensor([[0.01, 0.02, -0.1], [0.0, -0.0, 0.3]])
    # (|r2| - |r1| + 0.05)+ elementwise
    terms = [0.0, 0.06, 0.0, 0.05, 0.0, 0.05]
    torch.testing.assert_close(rotation_triplet_loss(before, after),
                               torch.tensor(sum(terms) / 6))
    torch.testing.assert_close(rotation_triplet_loss(before, after, 0.0),
                               torch.tensor(0.01 / 6))


def test_module_weights_both_terms():
    r1, r2, r3, target = torch.rand(4, 2, 3).unbind(0)
    loss = MODELS.build(dict(type='RotationRectificationLoss',
                             triplet_weight=2.0))
    out = loss(r1, r2, r3, target)
    torch.testing.assert_close(out['loss_rot_consistency'],
                               rotation_consistency_loss(r3, target))
    torch.testing.assert_close(out['loss_rot_triplet'],
                               2 * rotation_triplet_loss(r1, r2))


def test_bad_input_is_named():
    with pytest.raises(ValueError, match='rotation_triplet_loss'):
        rotation_triplet_loss(torch.zeros(2, 3), torch.zeros(3, 3))
    with pytest.raises(TypeError, match='rotation_consistency_loss'):
        rotation_consistency_loss([0.1], torch.zeros(1))
    with pytest.raises(ValueError, match='margin'):
        MODELS.build(dict(type='RotationRectificationLoss', margin=-1))
