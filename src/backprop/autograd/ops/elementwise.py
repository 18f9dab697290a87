"""Elementwise primitives: arithmetic, exp/log/sqrt/abs, maximum/minimum, where, clip.

Each backward returns gradients in the *output's* shape; the engine sums them back over
broadcast axes (``unbroadcast``), so binary ops here never think about broadcasting.
"""

from __future__ import annotations

import numpy as np

from ..broadcast import broadcast_shapes
from ..function import Function, as_array_like
from ..tensor import Tensor


def _checked_binary(ufunc, a: np.ndarray, b: np.ndarray, op_name: str) -> np.ndarray:
    """Apply a broadcasting ufunc, turning NumPy's shape error into one that names the op."""
    try:
        return ufunc(a, b)
    except ValueError:
        broadcast_shapes(a.shape, b.shape)  # raises the descriptive error
        raise ValueError(f"{op_name}: shapes {a.shape} and {b.shape} are incompatible") from None


class Add(Function):
    """z = a + b;  dz/da = 1, dz/db = 1."""

    def forward(self, a, b):
        return _checked_binary(np.add, a, b, "add")

    def backward(self, g):
        return g, g


class Sub(Function):
    """z = a - b;  dz/da = 1, dz/db = -1."""

    def forward(self, a, b):
        return _checked_binary(np.subtract, a, b, "sub")

    def backward(self, g):
        return g, (-g if self.needs_input_grad[1] else None)


class Mul(Function):
    """z = a * b;  dz/da = b, dz/db = a."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return _checked_binary(np.multiply, a, b, "mul")

    def backward(self, g):
        needs_a, needs_b = self.needs_input_grad
        return (g * self.b if needs_a else None), (g * self.a if needs_b else None)


class Div(Function):
    """z = a / b;  dz/da = 1/b, dz/db = -a/b² = -z/b."""

    def forward(self, a, b):
        self.b = b
        self.z = _checked_binary(np.divide, a, b, "div")
        return self.z

    def backward(self, g):
        needs_a, needs_b = self.needs_input_grad
        ga = g / self.b if needs_a else None
        gb = -g * self.z / self.b if needs_b else None
        return ga, gb


class Neg(Function):
    """z = -a;  dz/da = -1."""

    def forward(self, a):
        return -a

    def backward(self, g):
        return (-g,)


class Cast(Function):
    """z = a converted to ``dtype``; the gradient is converted back by the engine."""

    def forward(self, a, dtype):
        return a.astype(dtype)

    def backward(self, g):
        return (g,)


class PowScalar(Function):
    """z = a^p for a constant p;  dz/da = p a^(p-1)."""

    def forward(self, a, exponent):
        self.a, self.exponent = a, exponent
        return a**exponent

    def backward(self, g):
        p = self.exponent
        if p == 2:
            return (g * (2 * self.a),)
        return (g * (p * self.a ** (p - 1)),)


class Pow(Function):
    """z = a^b for tensors;  dz/da = b a^(b-1),  dz/db = z ln a (defined for a > 0)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.z = _checked_binary(np.power, a, b, "pow")
        return self.z

    def backward(self, g):
        needs_a, needs_b = self.needs_input_grad
        ga = g * self.b * self.a ** (self.b - 1) if needs_a else None
        gb = None
        if needs_b:
            # ln a is undefined for a <= 0; there z is 0 or complex, and we report 0 like PyTorch.
            positive = self.a > 0
            log_a = np.log(np.where(positive, self.a, 1))
            gb = g * self.z * log_a
        return ga, gb


def pow(base, exponent):  # noqa: A001 - mirrors the Python operator
    """``base ** exponent`` where either may be a tensor or a constant."""
    if isinstance(exponent, Tensor):
        if not isinstance(base, Tensor):
            base = exponent._wrap(base)
        return Pow.apply(base, exponent)
    if isinstance(exponent, (int, float, np.integer, np.floating)):
        return PowScalar.apply(base, exponent=float(exponent) if not float(exponent).is_integer() else int(exponent))
    return Pow.apply(base, base._wrap(exponent))


class Exp(Function):
    """z = e^a;  dz/da = e^a = z (the output is saved, not the input)."""

    def forward(self, a):
        self.z = np.exp(a)
        return self.z

    def backward(self, g):
        return (g * self.z,)


class Log(Function):
    """z = ln a;  dz/da = 1/a."""

    def forward(self, a):
        self.a = a
        return np.log(a)

    def backward(self, g):
        return (g / self.a,)


class Sqrt(Function):
    """z = √a;  dz/da = 1/(2√a) = 1/(2z)."""

    def forward(self, a):
        self.z = np.sqrt(a)
        return self.z

    def backward(self, g):
        return (g / (2 * self.z),)


class Abs(Function):
    """z = |a|;  dz/da = sign(a) (0 at a = 0, as in PyTorch)."""

    def forward(self, a):
        self.a = a
        return np.abs(a)

    def backward(self, g):
        return (g * np.sign(self.a),)


class Maximum(Function):
    """z = max(a, b) elementwise;  the gradient goes to the larger input (split evenly on ties)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return _checked_binary(np.maximum, a, b, "maximum")

    def backward(self, g):
        return _split_by_winner(g, self.a, self.b, np.greater, self.needs_input_grad)


class Minimum(Function):
    """z = min(a, b) elementwise;  the gradient goes to the smaller input (split evenly on ties)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return _checked_binary(np.minimum, a, b, "minimum")

    def backward(self, g):
        return _split_by_winner(g, self.a, self.b, np.less, self.needs_input_grad)


def _split_by_winner(g, a, b, wins, needs):
    """Route g to whichever of a, b was selected; on ties each gets half (PyTorch's rule)."""
    share_a = wins(a, b) + 0.5 * (a == b)
    share_a = share_a.astype(g.dtype, copy=False)
    ga = g * share_a if needs[0] else None
    gb = g * (1 - share_a) if needs[1] else None
    return ga, gb


def maximum(a, b):
    """Elementwise maximum of two tensors (or a tensor and a constant)."""
    return Maximum.apply(*_pair(a, b))


def minimum(a, b):
    """Elementwise minimum of two tensors (or a tensor and a constant)."""
    return Minimum.apply(*_pair(a, b))


class Where(Function):
    """z = a where condition else b;  dz/da = condition, dz/db = not condition."""

    def forward(self, a, b, condition):
        self.condition = condition
        return np.where(condition, a, b)

    def backward(self, g):
        needs_a, needs_b = self.needs_input_grad
        zero = np.zeros((), dtype=g.dtype)
        ga = np.where(self.condition, g, zero) if needs_a else None
        gb = np.where(self.condition, zero, g) if needs_b else None
        return ga, gb


def where(condition, a, b):
    """Choose elementwise from ``a`` where ``condition`` holds, else from ``b`` (like ``np.where``)."""
    condition = np.asarray(condition.data if isinstance(condition, Tensor) else condition, dtype=bool)
    a, b = _pair(a, b)
    return Where.apply(a, b, condition=condition)


class Clip(Function):
    """z = min(max(a, low), high);  dz/da = 1 where low <= a <= high, else 0 (PyTorch's clamp)."""

    def forward(self, a, low, high):
        self.a, self.low, self.high = a, low, high
        return np.clip(a, low, high)

    def backward(self, g):
        a = self.a
        inside = np.ones(a.shape, dtype=bool)
        if self.low is not None:
            inside &= a >= self.low
        if self.high is not None:
            inside &= a <= self.high
        return (g * inside,)


def clip(a, low=None, high=None):
    """Limit values to ``[low, high]`` (either bound may be None)."""
    if low is None and high is None:
        raise ValueError("clip needs at least one of min/max; both were None")
    return Clip.apply(a, low=low, high=high)


def _pair(a, b):
    """Make both operands tensors, constants taking the tensor operand's dtype."""
    if not isinstance(a, Tensor):
        a = b._wrap(a)
    if not isinstance(b, Tensor):
        b = a._wrap(b)
    return a, b


def add(a, b):
    return Add.apply(*_pair(a, b))


def sub(a, b):
    return Sub.apply(*_pair(a, b))


def mul(a, b):
    return Mul.apply(*_pair(a, b))


def div(a, b):
    return Div.apply(*_pair(a, b))


def neg(a):
    return Neg.apply(a)


def exp(a):
    return Exp.apply(a)


def log(a):
    return Log.apply(a)


def sqrt(a):
    return Sqrt.apply(a)


def abs(a):  # noqa: A001
    return Abs.apply(a)


__all__ = ["add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "abs",
           "maximum", "minimum", "where", "clip", "as_array_like"]
