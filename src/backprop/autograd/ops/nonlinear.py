"""Activation functions and the softmax family, written to be numerically stable.

Where the derivative is a function of the output, the output is saved (sigmoid, tanh,
softmax, relu), so backward costs one or two array operations.
"""

from __future__ import annotations

import numpy as np

from ..function import Function


class ReLU(Function):
    """f(z) = max(0, z);  f'(z) = 1 for z > 0, 0 for z <= 0 (0 at z = 0, PyTorch's choice)."""

    def forward(self, z):
        self.a = np.maximum(z, 0)
        return self.a

    def backward(self, g):
        return (g * (self.a > 0),)


class LeakyReLU(Function):
    """f(z) = z for z > 0, αz otherwise;  f'(z) = 1 for z > 0, α otherwise."""

    def forward(self, z, negative_slope):
        self.positive = z > 0
        self.slope = negative_slope
        return np.where(self.positive, z, z * negative_slope)

    def backward(self, g):
        return (np.where(self.positive, g, g * self.slope),)


def leaky_relu(z, negative_slope: float = 0.01):
    return LeakyReLU.apply(z, negative_slope=negative_slope)


def stable_sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1/(1+e^-z) without overflow: uses e^-|z|, which is always in (0, 1]."""
    e = np.exp(-np.abs(z))
    denominator = 1 + e
    return np.where(z >= 0, 1 / denominator, e / denominator)


class Sigmoid(Function):
    """f(z) = 1/(1+e^-z), range (0, 1);  f'(z) = f(z)(1 - f(z))."""

    def forward(self, z):
        self.a = stable_sigmoid(z)
        return self.a

    def backward(self, g):
        a = self.a
        return (g * a * (1 - a),)


class Tanh(Function):
    """f(z) = (e^z - e^-z)/(e^z + e^-z), range (-1, 1);  f'(z) = 1 - f(z)²."""

    def forward(self, z):
        self.a = np.tanh(z)
        return self.a

    def backward(self, g):
        a = self.a
        return (g * (1 - a * a),)


class Softmax(Function):
    """softmax(z)_i = e^(z_i - m) / Σ_j e^(z_j - m) with m = max z (shift-invariant, stable).

    Backward (Jacobian ∂s_i/∂z_j = s_i(δ_ij - s_j) applied to g):  s ⊙ (g - Σ_j g_j s_j).
    """

    def forward(self, z, axis=-1):
        self.axis = axis
        e = np.exp(z - z.max(axis=axis, keepdims=True))
        self.s = e / e.sum(axis=axis, keepdims=True)
        return self.s

    def backward(self, g):
        s = self.s
        return (s * (g - (g * s).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    """log_softmax(z) = z - m - log Σ e^(z - m);  backward: g - softmax(z) Σ g.

    Finite for logits of any magnitude (1e4 included), unlike log(softmax(z)).
    """

    def forward(self, z, axis=-1):
        self.axis = axis
        shifted = z - z.max(axis=axis, keepdims=True)
        self.out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        return self.out

    def backward(self, g):
        return (g - np.exp(self.out) * g.sum(axis=self.axis, keepdims=True),)


class ELU(Function):
    """f(z) = z for z > 0, α(e^z - 1) otherwise, range (-α, ∞);  f'(z) = 1 or f(z) + α."""

    def forward(self, z, alpha):
        self.positive = z > 0
        self.alpha = alpha
        self.a = np.where(self.positive, z, alpha * np.expm1(np.minimum(z, 0)))
        return self.a

    def backward(self, g):
        return (np.where(self.positive, g, g * (self.a + self.alpha)),)


def elu(z, alpha: float = 1.0):
    return ELU.apply(z, alpha=alpha)


_SQRT_2_OVER_PI = float(np.sqrt(2.0 / np.pi))


class GELU(Function):
    """GELU, tanh form: f(z) = ½ z (1 + tanh(u)), u = √(2/π)(z + 0.044715 z³), range ≈ (-0.17, ∞).

    f'(z) = ½(1 + tanh u) + ½ z (1 - tanh² u) √(2/π)(1 + 3·0.044715 z²).
    Matches ``torch.nn.functional.gelu(z, approximate='tanh')``.
    """

    def forward(self, z):
        self.z = z
        self.t = np.tanh(_SQRT_2_OVER_PI * (z + 0.044715 * z**3))
        return 0.5 * z * (1 + self.t)

    def backward(self, g):
        z, t = self.z, self.t
        du = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * z * z)
        return (g * (0.5 * (1 + t) + 0.5 * z * (1 - t * t) * du),)


class Softplus(Function):
    """f(z) = log(1 + e^z), range (0, ∞);  f'(z) = σ(z)."""

    def forward(self, z):
        self.z = z
        return np.logaddexp(0, z).astype(z.dtype, copy=False)

    def backward(self, g):
        return (g * stable_sigmoid(self.z),)


def relu(z):
    return ReLU.apply(z)


def sigmoid(z):
    return Sigmoid.apply(z)


def tanh(z):
    return Tanh.apply(z)


def softmax(z, axis: int = -1):
    return Softmax.apply(z, axis=axis)


def log_softmax(z, axis: int = -1):
    return LogSoftmax.apply(z, axis=axis)


def gelu(z):
    return GELU.apply(z)


def softplus(z):
    return Softplus.apply(z)
