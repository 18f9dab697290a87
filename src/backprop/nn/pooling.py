"""Pooling layers: MaxPool1d/2d, AvgPool1d/2d (PyTorch semantics) and GlobalAvgPool."""

from __future__ import annotations

import numpy as np

from ..autograd.ops.conv import as_tuple, check_spatial_fits
from ..autograd.ops.pool import AvgPoolNd, MaxPoolNd
from ..autograd.tensor import Tensor
from .layers import as_input_tensor
from .module import Module
from .registry import register_layer


def _float_input(x, layer: str) -> Tensor:
    x = as_input_tensor(x, layer=layer)
    if x.dtype.kind != "f":
        x = Tensor(x.data.astype(np.float32))
    return x


class _PoolNd(Module):
    """Shared argument handling; subclasses fix the spatial rank and the op."""

    _n_spatial = 0
    _shape_text = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # A 1-d/2-d variant without a docstring of its own takes its family's, e.g.
        # MaxPool2d: "2-D max pooling: ..." from _MaxPoolNd, plus its input shape.
        family = cls.__bases__[0].__doc__
        if cls.__doc__ is None and cls._n_spatial and family:  # family is None under python -OO
            cls.__doc__ = f"{cls._n_spatial}-D {family[0].lower()}{family[1:]}\n    Input {cls._shape_text}.\n"

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        cls, n = type(self).__name__, self._n_spatial
        self.kernel_size = as_tuple(kernel_size, n, "kernel_size", cls)
        layer = f"{cls}(kernel_size={self.kernel_size})"
        self.stride = self.kernel_size if stride is None else as_tuple(stride, n, "stride", layer)
        self.padding = as_tuple(padding, n, "padding", layer, minimum=0)
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(f"{layer}: padding must be at most half the kernel size (as in PyTorch), "
                             f"got padding={self.padding}")
        self._pads = tuple((p, p) for p in self.padding)

    def _name(self) -> str:
        return f"{type(self).__name__}(kernel_size={self.kernel_size})"

    def _check(self, x) -> Tensor:
        x = _float_input(x, self._name())
        if x.ndim != self._n_spatial + 2:
            raise ValueError(f"{self._name()} expects input of shape {self._shape_text}, got {x.shape}")
        check_spatial_fits(x.shape, self._pads, self.kernel_size, (1,) * self._n_spatial, self._name())
        return x

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def get_config(self) -> dict:
        return {"kernel_size": list(self.kernel_size), "stride": list(self.stride), "padding": list(self.padding)}


class _MaxPoolNd(_PoolNd):
    """Max pooling: y = max over each window (padding is −∞, so it never wins).

    Parameters
    ----------
    kernel_size : int or tuple
    stride : int or tuple, optional
        Defaults to ``kernel_size`` (non-overlapping windows).
    padding : int or tuple
        At most half the kernel size, as in PyTorch.

    Notes
    -----
    Backward routes each output's gradient to its window's argmax (the first maximum on
    ties, like PyTorch); every other input element gets zero.
    """

    def forward(self, x):
        x = self._check(x)
        return MaxPoolNd.apply(x, kernel_size=self.kernel_size, stride=self.stride, pads=self._pads)


class _AvgPoolNd(_PoolNd):
    """Average pooling: y = the mean of each (zero-padded) window.

    Parameters
    ----------
    kernel_size : int or tuple
    stride : int or tuple, optional
        Defaults to ``kernel_size``.
    padding : int or tuple
        At most half the kernel size.
    count_include_pad : bool
        Divide by the full window size, padding included (True, PyTorch's default), or by
        the number of real input elements in the window.

    Notes
    -----
    y_p = (1/D_p) Σ_{k in window p} x_k; backward spreads evenly: dL/dx_k += g_p / D_p.
    """

    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad: bool = True):
        super().__init__(kernel_size, stride, padding)
        self.count_include_pad = bool(count_include_pad)

    def forward(self, x):
        x = self._check(x)
        return AvgPoolNd.apply(x, kernel_size=self.kernel_size, stride=self.stride, pads=self._pads,
                               count_include_pad=self.count_include_pad)

    def extra_repr(self) -> str:
        return super().extra_repr() + ("" if self.count_include_pad else ", count_include_pad=False")

    def get_config(self) -> dict:
        return {**super().get_config(), "count_include_pad": self.count_include_pad}


@register_layer
class MaxPool1d(_MaxPoolNd):
    _n_spatial = 1
    _shape_text = "(N, C, L)"


@register_layer
class MaxPool2d(_MaxPoolNd):
    _n_spatial = 2
    _shape_text = "(N, C, H, W)"


@register_layer
class AvgPool1d(_AvgPoolNd):
    _n_spatial = 1
    _shape_text = "(N, C, L)"


@register_layer
class AvgPool2d(_AvgPoolNd):
    _n_spatial = 2
    _shape_text = "(N, C, H, W)"


@register_layer
class GlobalAvgPool(Module):
    """Mean over every spatial axis: (N, C, *spatial) → (N, C).

    Equals PyTorch's ``AdaptiveAvgPool{1,2}d(1)`` followed by flattening.  Backward:
    dL/dx[n, c, ...] = g[n, c] / prod(spatial).
    """

    def forward(self, x):
        x = _float_input(x, "GlobalAvgPool")
        if x.ndim < 3:
            raise ValueError(f"GlobalAvgPool expects input of shape (N, C, *spatial) with at least one spatial "
                             f"axis, got {x.shape}")
        return x.mean(axis=tuple(range(2, x.ndim)))

    def get_config(self) -> dict:
        return {}


__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "GlobalAvgPool"]
