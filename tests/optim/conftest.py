"""Shared pieces of the optimizer tests: a stand-in parameter and a small tanh network.

The stand-in has exactly the attributes the optimizer contract requires (``.data`` and
``.grad``), so these tests do not depend on ``backprop.nn``.
"""

from __future__ import annotations

import numpy as np
import pytest


class FakeParam:
    """The minimal parameter: a ``data`` array and a ``grad`` array (or None)."""

    def __init__(self, data, grad=None):
        self.data = data
        self.grad = grad

    def __eq__(self, other):  # like an array: elementwise, hence unhashable
        return self.data == other

    __hash__ = None


class TanhNet:
    r"""Least squares on a 3-5-2 tanh network, gradients in closed form (float64).

    .. math:: L = \frac{1}{2n} \sum_i \| W_2 \tanh(W_1 x_i + b_1) + b_2 - y_i \|^2
    """

    shapes = [(5, 3), (5,), (2, 5), (2,)]

    def __init__(self, seed: int = 0, n_samples: int = 16):
        rng = np.random.default_rng(seed)
        self.x = rng.normal(size=(n_samples, 3))
        self.y = rng.normal(size=(n_samples, 2))
        self.init = [rng.normal(scale=0.7, size=s) for s in self.shapes]

    def grads(self, w1, b1, w2, b2, sign: float = 1.0):
        """Gradients of ``sign * L`` with respect to (w1, b1, w2, b2)."""
        n = self.x.shape[0]
        a1 = np.tanh(self.x @ w1.T + b1)
        delta2 = (a1 @ w2.T + b2 - self.y) * (sign / n)
        delta1 = (delta2 @ w2) * (1.0 - a1 * a1)
        return [delta1.T @ self.x, delta1.sum(0), delta2.T @ a1, delta2.sum(0)]

    def loss(self, w1, b1, w2, b2) -> float:
        out = np.tanh(self.x @ w1.T + b1) @ w2.T + b2
        return 0.5 * float(np.mean(np.sum((out - self.y) ** 2, axis=1)))

    def params(self, dtype=np.float64):
        return [FakeParam(w.astype(dtype)) for w in self.init]


def set_grads(params, net: TanhNet, step: int, sign: float = 1.0) -> None:
    """Give every parameter its gradient; b2 gets none on every third step (skipped)."""
    grads = net.grads(*[p.data.astype(np.float64) for p in params], sign=sign)
    for i, (p, g) in enumerate(zip(params, grads)):
        p.grad = None if (i == 3 and step % 3 == 2) else g.astype(p.data.dtype)


@pytest.fixture
def net():
    return TanhNet()


@pytest.fixture
def param_cls():
    return FakeParam


@pytest.fixture
def feed():
    return set_grads
