"""Initializers: empirical moments of 10^6 draws against the formulas; seeding; fans."""

import math

import numpy as np
import pytest

from backprop import nn
from backprop.nn import init

SHAPE = (1000, 1000)  # 10^6 draws, fan_in = fan_out = 1000
FAN_IN = FAN_OUT = 1000

# name -> (kwargs, expected mean, expected std)
CASES = {
    "uniform": ({"a": -2.0, "b": 4.0}, 1.0, 6 / math.sqrt(12)),
    "normal": ({"mean": 0.5, "std": 0.2}, 0.5, 0.2),
    "xavier_uniform": ({}, 0.0, math.sqrt(6 / (FAN_IN + FAN_OUT)) / math.sqrt(3)),
    "xavier_normal": ({}, 0.0, math.sqrt(2 / (FAN_IN + FAN_OUT))),
    "glorot_uniform": ({}, 0.0, math.sqrt(2 / (FAN_IN + FAN_OUT))),
    "glorot_normal": ({}, 0.0, math.sqrt(2 / (FAN_IN + FAN_OUT))),
    "he_uniform": ({}, 0.0, math.sqrt(6 / FAN_IN) / math.sqrt(3)),
    "he_normal": ({}, 0.0, math.sqrt(2 / FAN_IN)),
    "kaiming_uniform": ({}, 0.0, math.sqrt(2 / FAN_IN)),
    "kaiming_normal": ({}, 0.0, math.sqrt(2 / FAN_IN)),
    "lecun_normal": ({}, 0.0, math.sqrt(1 / FAN_IN)),
    "lecun_uniform": ({}, 0.0, math.sqrt(1 / FAN_IN)),
    "orthogonal": ({}, 0.0, math.sqrt(1 / 1000)),  # orthonormal rows of length 1000
    "pytorch_default": ({}, 0.0, 1 / math.sqrt(FAN_IN) / math.sqrt(3)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_moments_match_formula(name):
    kwargs, mean, std = CASES[name]
    w = init.get_initializer(name, **kwargs)(SHAPE, rng=0, dtype=np.float64)
    assert w.shape == SHAPE and w.dtype == np.float64
    assert abs(w.std() - std) <= 0.01 * std
    assert abs(w.mean() - mean) <= 0.01 * std


def test_uniform_limits():
    w = init.xavier_uniform((300, 100), rng=1)
    limit = math.sqrt(6 / 400)
    assert w.min() >= -limit and w.max() <= limit and w.max() > 0.99 * limit
    w = init.he_uniform((300, 100), rng=1)
    assert np.abs(w).max() <= math.sqrt(6 / 100)


def test_orthogonal_is_orthogonal():
    w = init.orthogonal((4, 7), rng=0, dtype=np.float64, gain=2.0)
    np.testing.assert_allclose(w @ w.T, 4 * np.eye(4), atol=1e-12)
    w = init.orthogonal((7, 4), rng=0, dtype=np.float64)
    np.testing.assert_allclose(w.T @ w, np.eye(4), atol=1e-12)


def test_constants():
    np.testing.assert_array_equal(init.zeros((2, 3)), 0)
    np.testing.assert_array_equal(init.ones(3), 1)
    np.testing.assert_array_equal(init.constant((2,), value=0.25), 0.25)
    assert init.zeros((2,), dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("name", sorted(init.INITIALIZERS))
def test_same_seed_same_values_and_global_state_untouched(name):
    before = np.random.get_state()[1].copy()
    a = init.get_initializer(name)((6, 5), rng=42)
    b = init.get_initializer(name)((6, 5), rng=np.random.default_rng(42))
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_fans_like_pytorch():
    assert init.compute_fans((32, 64)) == (64, 32)
    assert init.compute_fans((16, 3, 5, 5)) == (75, 400)  # conv kernel (out, in, kh, kw)
    assert init.compute_fans((10,)) == (10, 10)
    torch = pytest.importorskip("torch")
    fans = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(16, 3, 5, 5))
    assert init.compute_fans((16, 3, 5, 5)) == fans


def test_in_place_variant_and_errors():
    p = nn.Parameter(np.zeros((3, 4), dtype=np.float64))
    data = p.data
    init.init_(p, "he_normal", rng=0)
    assert p.data is data and p.dtype == np.float64
    np.testing.assert_array_equal(p.data, init.he_normal((3, 4), rng=0, dtype=np.float64))
    with pytest.raises(ValueError, match="unknown initializer"):
        init.get_initializer("nope")
    with pytest.raises(TypeError, match="rng must be"):
        init.normal((2,), rng="seed")
    with pytest.raises(ValueError, match="a < b"):
        init.uniform((2,), a=1, b=1)
