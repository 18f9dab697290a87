"""Reductions: sum, mean, max, min, logsumexp (axis None, int or tuple; keepdims), and var.

Backward of a reduction spreads g back over the reduced axes: first re-insert those axes
(so g broadcasts against the input), then multiply by the local derivative.
"""

from __future__ import annotations

import builtins

import numpy as np

from ..function import Function


def normalize_axes(axis, ndim: int) -> tuple[int, ...]:
    """Turn ``axis`` (None, int or tuple, negatives allowed) into sorted non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    result = []
    for ax in axes:
        if not -ndim <= ax < builtins.max(ndim, 1):
            raise ValueError(f"axis {ax} is out of range for a tensor with {ndim} dimensions")
        result.append(int(ax) % builtins.max(ndim, 1))
    if len(set(result)) != len(result):
        raise ValueError(f"repeated axis in {axis}")
    return tuple(sorted(result))


def keepdims_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape a reduction over ``axes`` has with ``keepdims=True``."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class _Reduction(Function):
    """Shared bookkeeping: remember the input shape and the reduced axes."""

    def _setup(self, a, axis, keepdims):
        self.in_shape = a.shape
        self.axes = normalize_axes(axis, a.ndim)
        self.keepdims = keepdims
        return None if axis is None else self.axes

    def _expand(self, g):
        """Reshape g so it broadcasts against the input (re-insert reduced axes)."""
        if self.keepdims:
            return g
        return g.reshape(keepdims_shape(self.in_shape, self.axes))


class Sum(_Reduction):
    """z = Σ a over axes;  dz/da = 1 (g copied to every summed element)."""

    def forward(self, a, axis=None, keepdims=False):
        axis = self._setup(a, axis, keepdims)
        return np.sum(a, axis=axis, keepdims=keepdims)

    def backward(self, g):
        return (np.broadcast_to(self._expand(g), self.in_shape),)


class Mean(_Reduction):
    """z = (1/n) Σ a over axes;  dz/da = 1/n."""

    def forward(self, a, axis=None, keepdims=False):
        axis = self._setup(a, axis, keepdims)
        self.count = int(np.prod([a.shape[i] for i in self.axes])) if self.axes else 1
        return np.mean(a, axis=axis, keepdims=keepdims)

    def backward(self, g):
        scaled = self._expand(g) / np.asarray(self.count, dtype=g.dtype)
        return (np.broadcast_to(scaled, self.in_shape),)


class _Extremum(_Reduction):
    """max/min: the gradient flows to the selected elements, split evenly among ties."""

    reducer = None

    def forward(self, a, axis=None, keepdims=False):
        axis = self._setup(a, axis, keepdims)
        if a.size == 0:
            raise ValueError(f"{type(self).__name__.lower()}() of an empty tensor of shape {a.shape}")
        self.a = a
        self.z_kept = type(self).reducer(a, axis=axis, keepdims=True)
        return self.z_kept if keepdims else self.z_kept.reshape(
            tuple(n for i, n in enumerate(a.shape) if i not in self.axes))

    def backward(self, g):
        selected = self.a == self.z_kept
        count = selected.sum(axis=self.axes, keepdims=True)
        return (self._expand(g) * selected / count.astype(g.dtype),)


class Max(_Extremum):
    """z = max of a over axes."""

    reducer = staticmethod(np.max)


class Min(_Extremum):
    """z = min of a over axes."""

    reducer = staticmethod(np.min)


class LogSumExp(_Reduction):
    """z = log Σ exp(a) over axes, computed as m + log Σ exp(a - m) with m = max a (stable).

    dz/da = exp(a - z) = softmax(a) along the reduced axes.
    """

    def forward(self, a, axis=None, keepdims=False):
        axis = self._setup(a, axis, keepdims)
        self.a = a
        m = np.max(a, axis=axis, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        self.z_kept = m + np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True))
        return self.z_kept if keepdims else self.z_kept.reshape(
            tuple(n for i, n in enumerate(a.shape) if i not in self.axes))

    def backward(self, g):
        return (self._expand(g) * np.exp(self.a - self.z_kept),)


def sum(a, axis=None, keepdims=False):  # noqa: A001
    return Sum.apply(a, axis=axis, keepdims=keepdims)


def mean(a, axis=None, keepdims=False):
    return Mean.apply(a, axis=axis, keepdims=keepdims)


def max(a, axis=None, keepdims=False):  # noqa: A001
    return Max.apply(a, axis=axis, keepdims=keepdims)


def min(a, axis=None, keepdims=False):  # noqa: A001
    return Min.apply(a, axis=axis, keepdims=keepdims)


def logsumexp(a, axis=None, keepdims=False):
    return LogSumExp.apply(a, axis=axis, keepdims=keepdims)


def var(a, axis=None, keepdims=False, ddof=0):
    """Variance (1/(n - ddof)) Σ (a - mean)², built from primitives.

    ``ddof=0`` (NumPy's default) is the population variance; ``ddof=1`` is PyTorch's default
    unbiased estimate.
    """
    axes = normalize_axes(axis, a.ndim)
    count = int(np.prod([a.shape[i] for i in axes])) if axes else 1
    if count - ddof <= 0:
        raise ValueError(f"var needs more than ddof={ddof} elements along the axes, got {count}")
    centered = a - Mean.apply(a, axis=axis, keepdims=True)
    return Sum.apply(centered * centered, axis=axis, keepdims=keepdims) * (1.0 / (count - ddof))
