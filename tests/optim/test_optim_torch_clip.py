"""Gradient clipping against ``torch.nn.utils``."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from backprop import optim  # noqa: E402

pytestmark = pytest.mark.torch


def _pair(param_cls, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    shapes = [(4, 3), (3,), (2, 2, 2), (5,)]
    grads = [rng.normal(scale=scale, size=s) for s in shapes]
    ours = [param_cls(np.zeros(s), g.copy()) for s, g in zip(shapes, grads)]
    ours.append(param_cls(np.zeros(3), None))  # no gradient: ignored
    theirs = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in shapes]
    for t, g in zip(theirs, grads):
        t.grad = torch.from_numpy(g.copy())
    theirs.append(torch.zeros(3, dtype=torch.float64, requires_grad=True))
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, 3.0, 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 2.0, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, param_cls):
    ours, theirs = _pair(param_cls)
    total = optim.clip_grad_norm(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, float)
    assert total == pytest.approx(expected.item(), rel=1e-12)
    for p, t in zip(ours, theirs):
        if p.grad is None:
            assert t.grad is None
        else:
            np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12, atol=0)


def test_clip_grad_norm_scales_just_below_the_threshold_like_torch(param_cls):
    # total is within 1e-6 of max_norm: torch still scales by max_norm / (total + 1e-6).
    ours, theirs = _pair(param_cls)
    total = optim.clip_grad_norm(ours, 1e9)
    ours, _ = _pair(param_cls)
    optim.clip_grad_norm(ours, total)
    torch.nn.utils.clip_grad_norm_(theirs, total)
    for p, t in zip(ours, theirs):
        if p.grad is not None:
            np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12, atol=0)


def test_nonfinite_norm_behaves_like_torch(param_cls):
    ours, theirs = _pair(param_cls)
    ours[0].grad[0, 0] = np.inf
    theirs[0].grad[0, 0] = math.inf
    with pytest.raises(RuntimeError):
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="total norm"):
        optim.clip_grad_norm(ours, 1.0, error_if_nonfinite=True)
    total = optim.clip_grad_norm(ours, 1.0)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert total == expected.item() == math.inf
    for p, t in zip(ours, theirs):
        if p.grad is not None:
            np.testing.assert_array_equal(p.grad, t.grad.numpy())  # NaN/0 pattern alike


@pytest.mark.parametrize("clip_value", [0.0, 0.3, 10.0])
def test_clip_grad_value_matches_torch(clip_value, param_cls):
    ours, theirs = _pair(param_cls)
    assert optim.clip_grad_value(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for p, t in zip(ours, theirs):
        if p.grad is not None:
            np.testing.assert_array_equal(p.grad, t.grad.numpy())
