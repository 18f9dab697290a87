"""L1/L2 penalties: values, which parameters they cover, and gradients."""

import numpy as np
import pytest

from backprop import nn


def model(rng):
    return nn.Sequential(nn.Linear(3, 4, rng=rng, dtype=np.float64), nn.BatchNorm1d(4, dtype=np.float64),
                         nn.Tanh(), nn.Linear(4, 2, rng=rng, dtype=np.float64))


def test_l2_value_and_gradient(rng):
    m = model(rng)
    w1, w2 = m[0].weight.data, m[3].weight.data
    penalty = nn.l2_penalty(m)
    np.testing.assert_allclose(penalty.item(), (w1 ** 2).sum() + (w2 ** 2).sum())
    penalty.backward()
    np.testing.assert_allclose(m[0].weight.grad, 2 * w1)
    assert m[0].bias.grad is None and m[1].weight.grad is None  # biases, BN γ excluded


def test_l2_include_bias(rng):
    m = model(rng)
    expected = sum((p.data ** 2).sum() for p in m.parameters())
    np.testing.assert_allclose(nn.l2_penalty(m, include_bias=True).item(), expected)


def test_l1_value_and_gradient(rng):
    m = model(rng)
    penalty = nn.l1_penalty(m)
    np.testing.assert_allclose(penalty.item(), np.abs(m[0].weight.data).sum() + np.abs(m[3].weight.data).sum())
    penalty.backward()
    np.testing.assert_array_equal(m[3].weight.grad, np.sign(m[3].weight.data))


def test_penalty_in_a_loss_matches_weight_decay_convention(rng):
    """loss + ½λΣw² adds λw to the weight gradient."""
    m = model(rng)
    x, lam = rng.normal(size=(5, 3)), 0.3
    data_loss = (m(x) ** 2).mean()
    data_loss.backward()
    g_plain = m[0].weight.grad.copy()
    m.zero_grad()
    (((m(x) ** 2).mean()) + 0.5 * lam * nn.l2_penalty(m)).backward()
    np.testing.assert_allclose(m[0].weight.grad, g_plain + lam * m[0].weight.data, rtol=1e-12)


def test_no_weights_is_an_error():
    with pytest.raises(ValueError, match="no parameters to penalize"):
        nn.l2_penalty(nn.BatchNorm1d(3))
