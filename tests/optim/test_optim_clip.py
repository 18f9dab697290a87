"""Gradient clipping by hand (no PyTorch needed)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop import optim


def test_clip_grad_norm_scales_to_max_norm(param_cls):
    p = param_cls(np.zeros(2), np.array([3.0, 0.0]))
    q = param_cls(np.zeros(1), np.array([4.0]))
    total = optim.clip_grad_norm([p, q], max_norm=1.0)
    assert total == 5.0 and isinstance(total, float)
    coef = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(p.grad, [3.0 * coef, 0.0], rtol=1e-15)
    np.testing.assert_allclose(q.grad, [4.0 * coef], rtol=1e-15)


def test_clip_grad_norm_leaves_small_gradients_alone(param_cls):
    grad = np.array([0.3, -0.4])
    p = param_cls(np.zeros(2), grad.copy())
    assert optim.clip_grad_norm(p, max_norm=1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(p.grad, grad)


@pytest.mark.parametrize("norm_type, expected", [(1.0, 7.0), (math.inf, 4.0), ("inf", 4.0)])
def test_other_norms(norm_type, expected, param_cls):
    p = param_cls(np.zeros(2), np.array([3.0, -4.0]))
    assert optim.clip_grad_norm([p], 100.0, norm_type=norm_type) == expected


def test_float32_gradients_stay_float32(param_cls):
    p = param_cls(np.zeros(3, np.float32), np.full(3, 10.0, np.float32))
    optim.clip_grad_norm([p], 1.0)
    assert p.grad.dtype == np.float32
    assert float(np.linalg.norm(p.grad)) == pytest.approx(1.0, rel=1e-5)
    optim.clip_grad_value([p], 0.1)
    assert p.grad.dtype == np.float32


def test_no_gradients_gives_zero(param_cls):
    assert optim.clip_grad_norm([param_cls(np.zeros(2))], 1.0) == 0.0


def test_nonfinite_norm(param_cls):
    p = param_cls(np.zeros(2), np.array([np.nan, 1.0]))
    with pytest.raises(RuntimeError, match="nan"):
        optim.clip_grad_norm([p], 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(p.grad, [np.nan, 1.0])  # untouched when raising
    assert math.isnan(optim.clip_grad_norm([p], 1.0))


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        (dict(max_norm=-1.0), "max_norm"),
        (dict(max_norm=float("inf")), "max_norm"),
        (dict(max_norm=1.0, norm_type=0), "norm_type"),
        (dict(max_norm=1.0, norm_type=-2.0), "norm_type"),
        (dict(max_norm=1.0, norm_type="two"), "norm_type"),
        (dict(max_norm=1.0, error_if_nonfinite="yes"), "error_if_nonfinite"),
    ],
)
def test_invalid_clip_grad_norm_arguments(kwargs, argument, param_cls):
    with pytest.raises(ValueError, match=argument):
        optim.clip_grad_norm([param_cls(np.zeros(2), np.ones(2))], **kwargs)


def test_clip_grad_value(param_cls):
    p = param_cls(np.zeros(4), np.array([-3.0, -0.5, 0.5, 3.0]))
    q = param_cls(np.zeros(1), None)
    grad = p.grad
    optim.clip_grad_value([p, q], 1.0)
    assert p.grad is grad  # in place
    np.testing.assert_array_equal(p.grad, [-1.0, -0.5, 0.5, 1.0])
    with pytest.raises(ValueError, match="clip_value"):
        optim.clip_grad_value([p], -1.0)
