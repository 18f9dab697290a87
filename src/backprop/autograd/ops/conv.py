"""Convolution over any number of spatial axes (1-D and 2-D share one code path) via im2col.

Layout is channels-first like PyTorch: x (N, C, *spatial), weight (O, C/groups, *kernel),
bias (O,).  The shared helpers here (argument normalization, padding, strided window
views and the per-kernel-offset slices that col2im and the pools use) are imported by
:mod:`backprop.autograd.ops.pool`.

Speed notes
-----------
* Forward builds the column matrix once from a strided *view* of the padded input
  (``as_strided``: no Python loop over pixels or samples) and does one (batched over
  groups) matrix product with the batch folded into the product's columns.
* The input gradient (col2im) loops only over the kernel offsets (9 iterations for a 3×3
  kernel), each a strided slice addition.
* No float64 upcasts: every temporary takes the input's dtype.
* Large arrays (padded input, columns, outputs, gradient buffers) come from a small pool of
  recycled buffers (:func:`buffer`): first-touch page faults on fresh multi-megabyte
  allocations otherwise cost as much as the arithmetic.  A pooled array is only handed out
  again once nothing else references it (checked with its reference count), so outputs and
  saved arrays are never overwritten while alive.
"""

from __future__ import annotations

import itertools
import math
import sys
import threading

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..function import Function

# --------------------------------------------------------------------------- buffer pool

_POOL: dict = {}
_POOL_LOCK = threading.Lock()
_POOL_PER_KEY = 4          # at most this many live buffers per (tag, shape, dtype)
_POOL_MAX_KEYS = 64
_POOL_MIN_BYTES = 1 << 16  # smaller arrays are cheap to allocate
# Refcount checks are only meaningful with the GIL (the free-threaded build defers counts).
_POOL_ENABLED = getattr(sys, "_is_gil_enabled", lambda: True)()


def _acquire(shape, dtype, tag, zero):
    """(array, reused): a recycled array when one is free, else a new one (pooled if room)."""
    dtype = np.dtype(dtype)
    shape = tuple(int(n) for n in shape)
    if not _POOL_ENABLED or math.prod(shape) * dtype.itemsize < _POOL_MIN_BYTES:
        return (np.zeros(shape, dtype) if zero else np.empty(shape, dtype)), False
    key = (tag, shape, dtype.str)
    with _POOL_LOCK:
        arrays = _POOL.get(key)
        if arrays is None:
            if len(_POOL) >= _POOL_MAX_KEYS:
                _POOL.pop(next(iter(_POOL)))
            arrays = _POOL[key] = []
        for a in arrays:
            # References: the pool's list, the loop variable and getrefcount's argument.
            if sys.getrefcount(a) == 3:
                if zero:
                    a.fill(0)
                return a, True
        a = np.zeros(shape, dtype) if zero else np.empty(shape, dtype)
        if len(arrays) < _POOL_PER_KEY:
            arrays.append(a)
        return a, False


def buffer(shape, dtype, tag="", zero=False) -> np.ndarray:
    """A C-contiguous array of ``shape``/``dtype``, recycled from earlier calls when possible.

    Its contents are arbitrary unless ``zero`` (then it is all zeros).  An array is reused only
    when the pool holds the sole reference to it (nothing, not even a view, still uses it).
    ``tag`` keeps buffers whose untouched parts carry meaning apart from the others.
    """
    return _acquire(shape, dtype, tag, zero)[0]


def pad_into_buffer(x: np.ndarray, pads) -> np.ndarray:
    """:func:`pad_spatial` with zero padding, into a recycled buffer.  Buffers are keyed by the
    padding and only their interior is ever written, so a reused one's border is still zero."""
    if not any(lo or hi for lo, hi in pads):
        return x
    shape = x.shape[:2] + tuple(length + lo + hi for length, (lo, hi) in zip(x.shape[2:], pads))
    xp, reused = _acquire(shape, x.dtype, ("pad", tuple(pads)), zero=False)
    if not reused:
        xp.fill(0)
    xp[(slice(None), slice(None)) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(x.shape[2:], pads))] = x
    return xp


# --------------------------------------------------------------------------- argument helpers


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def as_tuple(value, n: int, name: str, layer: str, minimum: int = 1) -> tuple[int, ...]:
    """An int or a length-``n`` sequence of ints as a tuple of ``n`` ints >= ``minimum``."""
    if _is_int(value):
        values = (int(value),) * n
    elif isinstance(value, (tuple, list)) and len(value) == n and all(_is_int(v) for v in value):
        values = tuple(int(v) for v in value)
    else:
        raise ValueError(f"{layer}: {name} must be an int or a tuple of {n} ints (one per spatial axis), "
                         f"got {value!r}")
    if any(v < minimum for v in values):
        raise ValueError(f"{layer}: {name} must be >= {minimum} on every axis, got {value!r}")
    return values


def conv_padding(padding, kernel_size, dilation, stride, layer: str) -> tuple[tuple[int, int], ...]:
    """Normalize a conv ``padding`` (int, tuple, 'same', 'valid') to ``((lo, hi), ...)`` per axis.

    'same' follows PyTorch: stride 1 only; total padding d·(k−1) per axis, and when it is
    odd the extra element goes to the right (hi) side.
    """
    n = len(kernel_size)
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return ((0, 0),) * n
        if mode == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{layer}: padding='same' needs stride 1 (as in PyTorch), got stride={stride}; "
                                 "use an explicit integer padding with strided convolutions")
            pads = []
            for k, d in zip(kernel_size, dilation):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))
            return tuple(pads)
        raise ValueError(f"{layer}: padding must be an int, a tuple of ints, 'same' or 'valid', got {padding!r}")
    values = as_tuple(padding, n, "padding", layer, minimum=0)
    return tuple((p, p) for p in values)


def output_shape(spatial, kernel_size, stride, pads, dilation) -> tuple[int, ...]:
    """Output length per axis: floor((L + lo + hi − d·(k−1) − 1) / s) + 1 (may be <= 0 if too small)."""
    return tuple((length + lo + hi - d * (k - 1) - 1) // s + 1
                 for length, k, s, (lo, hi), d in zip(spatial, kernel_size, stride, pads, dilation))


def pad_spatial(x: np.ndarray, pads, value=0.0) -> np.ndarray:
    """``x`` with its spatial axes (2 onwards) padded by ``pads``; ``x`` itself when no padding."""
    if not any(lo or hi for lo, hi in pads):
        return x
    shape = x.shape[:2] + tuple(length + lo + hi for length, (lo, hi) in zip(x.shape[2:], pads))
    xp = np.full(shape, value, dtype=x.dtype) if value != 0 else np.zeros(shape, dtype=x.dtype)
    xp[(slice(None), slice(None)) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(x.shape[2:], pads))] = x
    return xp


def unpad_spatial(xp: np.ndarray, pads, spatial) -> np.ndarray:
    """The inverse of :func:`pad_spatial`: the central region of ``xp``."""
    if not any(lo or hi for lo, hi in pads):
        return xp
    return xp[(slice(None), slice(None)) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(spatial, pads))]


def kernel_slices(kernel_size, stride, dilation, out_shape):
    """Yield ``(offset, index)``: for each kernel offset (a tuple, row-major order), the strided
    slice of the padded input's spatial axes that it touches for every output position."""
    for offset in itertools.product(*(range(k) for k in kernel_size)):
        yield offset, tuple(slice(o * d, o * d + s * (n - 1) + 1, s)
                          for o, d, s, n in zip(offset, dilation, stride, out_shape))


def check_spatial_fits(x_shape, pads, kernel_size, dilation, layer: str) -> None:
    """ValueError when the (dilated) kernel is larger than the padded input on some axis."""
    for axis, (length, (lo, hi), k, d) in enumerate(zip(x_shape[2:], pads, kernel_size, dilation)):
        extent = d * (k - 1) + 1
        if length + lo + hi < extent:
            raise ValueError(
                f"{layer}: the kernel (size {k}, dilation {d}: extent {extent}) is larger than the padded input "
                f"on spatial axis {axis} (length {length} + padding {lo + hi} = {length + lo + hi}); input shape "
                f"{tuple(x_shape)}. Use a larger input, more padding or a smaller kernel")


# --------------------------------------------------------------------------- convolution


class ConvNd(Function):
    """y = conv(x, W) + b over ``n = x.ndim − 2`` spatial axes, cross-correlation like PyTorch.

    Notes
    -----
    With the padded input x̃ and groups g (input channels split into g blocks of C/g,
    output channels into g blocks of O/g), output channel o in group γ is

        y[n, o, p] = b[o] + Σ_{c ∈ γ, k} W[o, c, k] · x̃[n, c, s·p + d·k].

    im2col gathers the patches into X_col (g, (C/g)·K, N·P) (K = prod(kernel), P =
    prod(output spatial)), so per group Y = W_γ X_col — the seeds' z = W a + b with one
    column per (sample, output position).  Backward, with δ = dL/dY in that form:

    * dL/dW_γ = δ X_colᵀ (BP4 summed over samples and positions);
    * dL/db = Σ_{n, p} δ (BP3);
    * dL/dX_col = W_γᵀ δ, then col2im adds each kernel offset's slice back into x̃ (BP2),
      and the padding is cropped away.  The two are fused per kernel offset k:
      x̃-slice_k += W_{γ,k}ᵀ δ, so the full dL/dX_col is never held in memory.
    """

    def forward(self, x, weight, bias=None, *, stride, pads, dilation, groups):
        n_batch, channels = x.shape[:2]
        spatial = x.shape[2:]
        n_out, channels_per_group = weight.shape[:2]
        kernel = weight.shape[2:]
        if channels != channels_per_group * groups:
            raise ValueError(f"conv: input has {channels} channels (shape {x.shape}) but the weight {weight.shape} "
                             f"with groups={groups} expects {channels_per_group * groups}")
        check_spatial_fits(x.shape, pads, kernel, dilation, "conv")
        out = output_shape(spatial, kernel, stride, pads, dilation)
        xp = pad_into_buffer(x, pads)
        xp_shape = xp.shape
        n_kernel, n_pos = math.prod(kernel), math.prod(out)
        # View (g, C/g, *kernel, N, *out) of the padded input, then one copy into columns.
        sn, sc = xp.strides[:2]
        s_sp = xp.strides[2:]
        view = as_strided(
            xp,
            shape=(groups, channels_per_group) + tuple(kernel) + (n_batch,) + out,
            strides=(channels_per_group * sc, sc) + tuple(st * d for st, d in zip(s_sp, dilation))
            + (sn,) + tuple(st * s for st, s in zip(s_sp, stride)),
            writeable=False)
        cols = buffer((groups, channels_per_group * n_kernel, n_batch * n_pos), x.dtype, "cols")
        np.copyto(cols.reshape(view.shape), view)
        del view, xp
        w = weight.reshape(groups, n_out // groups, channels_per_group * n_kernel)
        dtype = np.result_type(weight.dtype, cols.dtype)
        y = buffer((groups, n_out // groups, n_batch * n_pos), dtype, "y")
        np.matmul(w, cols, out=y)                                 # (g, O/g, N·P)
        y = y.reshape(n_out, n_batch, n_pos).transpose(1, 0, 2)   # (N, O, P)
        z = buffer((n_batch, n_out, n_pos), np.result_type(dtype, *(() if bias is None else (bias.dtype,))), "out")
        if bias is not None:
            np.add(y, bias[:, None], out=z)
        else:
            np.copyto(z, y)
        del y
        self.cols, self.weight, self.has_bias = cols, weight, bias is not None
        self.x_shape, self.xp_shape, self.pads = x.shape, xp_shape, pads
        self.stride, self.dilation, self.groups, self.out = stride, dilation, groups, out
        return z.reshape((n_batch, n_out) + out)

    def backward(self, g):
        needs = self.needs_input_grad
        weight, groups, out = self.weight, self.groups, self.out
        n_out, channels_per_group = weight.shape[:2]
        kernel = weight.shape[2:]
        n_batch = g.shape[0]
        n_pos = math.prod(out)
        gx = gw = gb = None
        if needs[0]:
            # col2im fused with the product, one kernel offset at a time: W_kᵀ δ for offset k is
            # added straight into its strided slice of x̃ (never materializing all of dL/dX_col).
            n_sp = len(kernel)
            w_by_offset = np.ascontiguousarray(
                weight.reshape((groups, n_out // groups, channels_per_group) + tuple(kernel))
                .transpose(tuple(range(3, 3 + n_sp)) + (0, 2, 1)))      # (*kernel, g, C/g, O/g)
            g_grouped = g.reshape(n_batch, groups, n_out // groups, n_pos)
            dxp = buffer(self.xp_shape, g.dtype, "dxp", zero=True)
            dxp_grouped = dxp.reshape((n_batch, groups, channels_per_group) + self.xp_shape[2:])
            dtype = np.result_type(w_by_offset.dtype, g.dtype)
            part = buffer((n_batch, groups, channels_per_group, n_pos), dtype, "dcol")
            for offset, index in kernel_slices(kernel, self.stride, self.dilation, out):
                np.matmul(w_by_offset[offset], g_grouped, out=part)
                dxp_grouped[(slice(None),) * 3 + index] += part.reshape((n_batch, groups, channels_per_group) + out)
            del part
            gx = unpad_spatial(dxp, self.pads, self.x_shape[2:])
        if needs[1]:
            # δ as (g, O/g, N·P), matching the forward's column layout: one product per group.
            delta = buffer((n_out, n_batch, n_pos), g.dtype, "delta")
            np.copyto(delta, g.reshape(n_batch, n_out, n_pos).transpose(1, 0, 2))
            delta = delta.reshape(groups, n_out // groups, n_batch * n_pos)
            gw = np.matmul(delta, self.cols.transpose(0, 2, 1)).reshape(weight.shape)
        if self.has_bias and needs[2]:
            gb = g.reshape(n_batch, n_out, n_pos).sum(axis=(0, 2))
        return (gx, gw, gb) if self.has_bias else (gx, gw)


def conv(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Convolution (cross-correlation, PyTorch's convention) over ``x.ndim − 2`` spatial axes.

    Parameters
    ----------
    x : Tensor, shape (N, C, *spatial)
    weight : Tensor, shape (O, C/groups, *kernel)
    bias : Tensor, shape (O,), optional
    stride, dilation : int or tuple of ints (one per spatial axis)
    padding : int, tuple of ints, 'same' or 'valid'
    groups : int

    Returns
    -------
    Tensor, shape (N, O, *out) with out = floor((L + 2p − d(k − 1) − 1) / s) + 1.
    """
    n_sp = weight.ndim - 2
    layer = f"conv{n_sp}d" if n_sp > 0 else "conv"
    if n_sp < 1:
        raise ValueError(f"{layer}: weight must have shape (O, C/groups, *kernel), got {weight.shape}")
    if x.ndim != n_sp + 2:
        raise ValueError(f"{layer}: input must have {n_sp + 2} dimensions (N, C, *spatial) to match the weight "
                         f"{weight.shape}, got shape {x.shape}")
    if not _is_int(groups) or groups < 1:
        raise ValueError(f"{layer}: groups must be a positive integer, got {groups!r}")
    if weight.shape[0] % groups:
        raise ValueError(f"{layer}: out channels ({weight.shape[0]}) must be divisible by groups ({groups})")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"{layer}: bias must have shape ({weight.shape[0]},), got {bias.shape}")
    stride = as_tuple(stride, n_sp, "stride", layer)
    dilation = as_tuple(dilation, n_sp, "dilation", layer)
    pads = conv_padding(padding, weight.shape[2:], dilation, stride, layer)
    attrs = dict(stride=stride, pads=pads, dilation=dilation, groups=int(groups))
    if bias is None:
        return ConvNd.apply(x, weight, **attrs)
    return ConvNd.apply(x, weight, bias, **attrs)


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution: x (N, C, L), weight (O, C/groups, k).  See :func:`conv`."""
    if weight.ndim != 3:
        raise ValueError(f"conv1d: weight must have shape (O, C/groups, k), got {weight.shape}")
    return conv(x, weight, bias, stride, padding, dilation, groups)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution: x (N, C, H, W), weight (O, C/groups, kh, kw).  See :func:`conv`."""
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must have shape (O, C/groups, kh, kw), got {weight.shape}")
    return conv(x, weight, bias, stride, padding, dilation, groups)


__all__ = ["ConvNd", "conv", "conv1d", "conv2d", "as_tuple", "conv_padding", "output_shape",
           "pad_spatial", "unpad_spatial", "kernel_slices", "check_spatial_fits"]
