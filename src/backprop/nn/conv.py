"""Convolution layers ``Conv1d`` and ``Conv2d`` (channels-first, PyTorch-compatible state dicts).

Both are thin shells over one N-d op, :class:`backprop.autograd.ops.conv.ConvNd`; they differ
only in the number of spatial axes.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.ops.conv import ConvNd, as_tuple, check_spatial_fits, conv_padding
from . import init as _init
from .layers import as_input_tensor
from .module import Module, Parameter
from .registry import register_layer


def _positive_int(value, name: str, layer: str) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{layer}: {name} must be a positive integer, got {value!r}")
    return int(value)


class _ConvNd(Module):
    """Shared implementation; subclasses fix the number of spatial axes."""

    _n_spatial = 0
    _shape_text = ""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, init="auto", rng=None, dtype=np.float32):
        super().__init__()
        cls = type(self).__name__
        n = self._n_spatial
        in_channels = _positive_int(in_channels, "in_channels", cls)
        out_channels = _positive_int(out_channels, "out_channels", cls)
        kernel = as_tuple(kernel_size, n, "kernel_size", cls)
        layer = f"{cls}({in_channels}, {out_channels}, kernel_size={kernel})"
        groups = _positive_int(groups, "groups", layer)
        if in_channels % groups:
            raise ValueError(f"{layer}: in_channels ({in_channels}) must be divisible by groups ({groups})")
        if out_channels % groups:
            raise ValueError(f"{layer}: out_channels ({out_channels}) must be divisible by groups ({groups})")
        stride = as_tuple(stride, n, "stride", layer)
        dilation = as_tuple(dilation, n, "dilation", layer)
        pads = conv_padding(padding, kernel, dilation, stride, layer)
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{layer}: dtype must be a floating-point type, got {dtype}")
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel
        self.stride, self.dilation, self.groups, self.dtype, self.init = stride, dilation, groups, dtype, init
        self.padding = padding.lower() if isinstance(padding, str) else as_tuple(padding, n, "padding", layer, 0)
        self._pads = pads
        shape = (out_channels, in_channels // groups) + kernel
        rng = _init.as_generator(rng)
        if isinstance(init, str) and init == "auto":
            # PyTorch's default: kaiming_uniform(a=sqrt(5)) is U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
            # and the bias uses the same bound.
            bound = 1.0 / math.sqrt((in_channels // groups) * math.prod(kernel))
            self.weight = Parameter(_init.uniform(shape, -bound, bound, rng=rng, dtype=dtype))
            self.bias = Parameter(_init.uniform((out_channels,), -bound, bound, rng=rng, dtype=dtype)) \
                if bias else None
        else:
            values = np.asarray(_init.get_initializer(init)(shape, rng=rng, dtype=dtype), dtype=dtype)
            if values.shape != shape:
                raise ValueError(f"{layer}: initializer returned shape {values.shape}, expected {shape}")
            self.weight = Parameter(values)
            self.bias = Parameter(np.zeros(out_channels, dtype=dtype)) if bias else None
        if not bias:
            self.register_parameter("bias", None)

    def _name(self) -> str:
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size})"

    def forward(self, x):
        x = as_input_tensor(x, self.weight.dtype, self._name())
        if x.ndim != self._n_spatial + 2:
            raise ValueError(f"{self._name()} expects input of shape {self._shape_text}, got {x.shape}"
                             + ("; for one sample add a batch axis (x[None]), for one channel add a channel axis "
                                "(x[:, None]); channels come before the spatial axes" if x.ndim == self._n_spatial + 1
                                else ""))
        if x.shape[1] != self.in_channels:
            raise ValueError(f"{self._name()} expected {self.in_channels} input channels (axis 1 of "
                             f"{self._shape_text}), got {x.shape[1]} in input of shape {x.shape}")
        check_spatial_fits(x.shape, self._pads, self.kernel_size, self.dilation, self._name())
        attrs = dict(stride=self.stride, pads=self._pads, dilation=self.dilation, groups=self.groups)
        if self.bias is None:
            return ConvNd.apply(x, self.weight, **attrs)
        return ConvNd.apply(x, self.weight, self.bias, **attrs)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self._n_spatial:
            text += f", padding={self.padding!r}"
        if self.dilation != (1,) * self._n_spatial:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text

    def get_config(self) -> dict:
        init = self.init if isinstance(self.init, str) else "auto"
        padding = self.padding if isinstance(self.padding, str) else list(self.padding)
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": list(self.kernel_size), "stride": list(self.stride), "padding": padding,
                "dilation": list(self.dilation), "groups": self.groups, "bias": self.bias is not None,
                "init": init, "dtype": self.dtype.name}


@register_layer
class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L) → (N, C_out, L_out), PyTorch's ``Conv1d``.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, dilation : int or (int,)
    padding : int, (int,), 'same' or 'valid'
        'same' (stride 1 only) keeps L; an odd total padding puts the extra element on the right.
    groups : int
        Split channels into ``groups`` independent convolutions (both channel counts must divide).
    bias : bool
    init : str or callable
        ``"auto"`` (default): PyTorch's default, weight and bias ~ U(-1/√fan_in, 1/√fan_in),
        fan_in = (in_channels / groups) · kernel_size.  Any other initializer name or callable
        ``(shape, rng, dtype) -> array`` for the weight; the bias then starts at 0.
    rng : numpy.random.Generator or int, optional
    dtype : float32 (default) or float64

    Attributes
    ----------
    weight : Parameter, shape (out_channels, in_channels / groups, k)
    bias : Parameter, shape (out_channels,), or None

    Notes
    -----
    y[n, o, t] = b[o] + Σ_{c, j} W[o, c, j] · x̃[n, c, s·t + d·j] (cross-correlation, x̃ the
    padded input), L_out = ⌊(L + p_lo + p_hi − d(k − 1) − 1)/s⌋ + 1.  As a matrix product per
    group over im2col columns, Y = W X_col + b, the seeds' z = W a + b with one column per
    (sample, position); backward: dL/dW = δ X_colᵀ, dL/db = Σ δ, dL/dX_col = Wᵀ δ then col2im.
    """

    _n_spatial = 1
    _shape_text = "(N, C, L)"


@register_layer
class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W) → (N, C_out, H_out, W_out), PyTorch's ``Conv2d``.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, dilation : int or (int, int)
    padding : int, (int, int), 'same' or 'valid'
        'same' (stride 1 only) keeps H and W; an odd total padding puts the extra row/column
        at the bottom/right, as PyTorch does.
    groups : int
    bias : bool
    init : str or callable
        ``"auto"`` (default): weight and bias ~ U(-1/√fan_in, 1/√fan_in), fan_in =
        (in_channels / groups) · kh · kw (PyTorch's default); otherwise as in :class:`Conv1d`.
    rng : numpy.random.Generator or int, optional
    dtype : float32 (default) or float64

    Attributes
    ----------
    weight : Parameter, shape (out_channels, in_channels / groups, kh, kw)
    bias : Parameter, shape (out_channels,), or None

    Notes
    -----
    y[n, o, i, j] = b[o] + Σ_{c, u, v} W[o, c, u, v] · x̃[n, c, s_h·i + d_h·u, s_w·j + d_w·v];
    see :class:`Conv1d` for the matrix form and the backward equations.
    """

    _n_spatial = 2
    _shape_text = "(N, C, H, W)"


__all__ = ["Conv1d", "Conv2d"]
