"""Single optimizer steps computed by hand (no PyTorch needed)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop import optim


def _one(param_cls, w, g, dtype=np.float64):
    return param_cls(np.array(w, dtype=dtype), np.array(g, dtype=dtype))


def test_sgd_plain_step(param_cls):
    p = _one(param_cls, [1.0, -2.0], [0.5, 0.25])
    optim.SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [0.95, -2.025], rtol=1e-15)


def test_sgd_weight_decay_and_maximize(param_cls):
    p = _one(param_cls, [1.0], [0.5])
    optim.SGD([p], lr=0.1, weight_decay=0.2, maximize=True).step()
    # d = -0.5 + 0.2 * 1.0 = -0.3 ; w = 1 - 0.1 * (-0.3)
    np.testing.assert_allclose(p.data, [1.03], rtol=1e-15)


def test_sgd_momentum_two_steps_and_dampening(param_cls):
    p = _one(param_cls, [1.0], [1.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    opt.step()  # buffer = g = 1 (no dampening on the first step)
    np.testing.assert_allclose(p.data, [0.9], rtol=1e-15)
    opt.step()  # buffer = 0.9 * 1 + 0.5 * 1 = 1.4
    np.testing.assert_allclose(p.data, [0.9 - 0.14], rtol=1e-15)
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"], [1.4], rtol=1e-15)


def test_sgd_nesterov_step(param_cls):
    p = _one(param_cls, [0.0], [2.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.5, nesterov=True)
    opt.step()  # buffer = 2; d = 2 + 0.5 * 2 = 3
    np.testing.assert_allclose(p.data, [-0.3], rtol=1e-15)
    opt.step()  # buffer = 0.5 * 2 + 2 = 3; d = 2 + 1.5 = 3.5
    np.testing.assert_allclose(p.data, [-0.65], rtol=1e-15)


def test_rmsprop_first_step(param_cls):
    p = _one(param_cls, [1.0, 1.0], [0.1, -4.0])
    optim.RMSprop([p], lr=0.01, alpha=0.9, eps=0.0).step()
    # v = 0.1 g^2 -> step = lr * g / (sqrt(0.1) |g|) = lr * sign(g) / sqrt(0.1)
    expected = 1.0 - 0.01 * np.sign([0.1, -4.0]) / math.sqrt(0.1)
    np.testing.assert_allclose(p.data, expected, rtol=1e-14)


def test_rmsprop_centered_first_step(param_cls):
    p = _one(param_cls, [0.0], [2.0])
    optim.RMSprop([p], lr=1.0, alpha=0.5, eps=0.0, centered=True).step()
    # v = 0.5 * 4 = 2, gbar = 1, v - gbar^2 = 1 -> step = 2 / 1
    np.testing.assert_allclose(p.data, [-2.0], rtol=1e-15)


def test_adagrad_steps_with_lr_decay(param_cls):
    p = _one(param_cls, [0.0], [3.0])
    opt = optim.Adagrad([p], lr=1.0, lr_decay=0.5, eps=0.0, initial_accumulator_value=16.0)
    opt.step()  # sum = 16 + 9 = 25 -> step = 1 * 3 / 5
    np.testing.assert_allclose(p.data, [-0.6], rtol=1e-15)
    opt.step()  # clr = 1 / (1 + 0.5), sum = 34
    np.testing.assert_allclose(p.data, [-0.6 - 3.0 / 1.5 / math.sqrt(34.0)], rtol=1e-14)
    assert opt.state[p]["step"] == 2


def test_adam_first_step_is_lr_times_sign(param_cls):
    # After one step, m_hat = g and v_hat = g^2, so the step is lr * g / (|g| + eps).
    p = _one(param_cls, [1.0, 1.0, 1.0], [1e-3, -5.0, 0.0])
    optim.Adam([p], lr=0.1, eps=1e-8).step()
    g = np.array([1e-3, -5.0, 0.0])
    np.testing.assert_allclose(p.data, 1.0 - 0.1 * g / (np.abs(g) + 1e-8), rtol=1e-12)


def test_adam_second_step_bias_correction(param_cls):
    p = _one(param_cls, [0.0], [1.0])
    opt = optim.Adam([p], lr=1.0, betas=(0.5, 0.75), eps=0.0)
    opt.step()
    p.grad = np.array([3.0])
    opt.step()
    m = 0.5 * 0.5 * 1.0 + 0.5 * 3.0        # 1.75
    v = 0.75 * 0.25 * 1.0 + 0.25 * 9.0     # 2.4375
    step = (m / (1 - 0.25)) / math.sqrt(v / (1 - 0.5625))
    np.testing.assert_allclose(p.data, [-1.0 - step], rtol=1e-14)


def test_adamw_decays_weights_without_touching_moments(param_cls):
    p = _one(param_cls, [2.0], [0.0])
    opt = optim.AdamW([p], lr=0.1, weight_decay=0.5)
    opt.step()
    np.testing.assert_allclose(p.data, [2.0 * (1 - 0.05)], rtol=1e-15)
    assert opt.state[p]["exp_avg"][0] == 0.0 and opt.state[p]["exp_avg_sq"][0] == 0.0


def test_adam_coupled_weight_decay_goes_through_moments(param_cls):
    p = _one(param_cls, [2.0], [0.0])
    opt = optim.Adam([p], lr=0.1, weight_decay=0.5)
    opt.step()  # d = 0 + 0.5 * 2 = 1 -> sign step
    np.testing.assert_allclose(opt.state[p]["exp_avg"], [0.1], rtol=1e-15)
    np.testing.assert_allclose(p.data, [1.9], rtol=1e-7)


def test_amsgrad_keeps_the_running_max(param_cls):
    p = _one(param_cls, [0.0], [10.0])
    opt = optim.Adam([p], lr=0.01, amsgrad=True)
    opt.step()
    p.grad = np.array([0.0])
    opt.step()
    state = opt.state[p]
    assert state["max_exp_avg_sq"][0] == pytest.approx(0.001 * 100)
    assert state["exp_avg_sq"][0] < state["max_exp_avg_sq"][0]


@pytest.mark.parametrize(
    "fn, state, kwargs",
    [
        (optim.sgd_update, lambda w: [None], dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
        (optim.rmsprop_update, lambda w: [np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)],
         dict(lr=0.1, momentum=0.9, centered=True, weight_decay=0.1)),
        (optim.adagrad_update, lambda w: [np.zeros_like(w), 1], dict(lr=0.1, weight_decay=0.1)),
        (optim.adam_update, lambda w: [np.zeros_like(w), np.zeros_like(w), np.zeros_like(w), 1],
         dict(lr=0.1, amsgrad=True, weight_decay=0.1)),
    ],  # fmt: skip
)
@pytest.mark.parametrize("maximize", [False, True])
def test_pure_update_functions_never_modify_the_gradient(fn, state, kwargs, maximize):
    w = np.array([1.0, -2.0, 3.0])
    g = np.array([0.5, 0.25, -1.0])
    g_before = g.copy()
    fn(w, g, *state(w), maximize=maximize, **kwargs)
    np.testing.assert_array_equal(g, g_before)
    assert not np.array_equal(w, [1.0, -2.0, 3.0])
