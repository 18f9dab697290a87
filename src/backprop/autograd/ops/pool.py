"""Max and average pooling over any number of spatial axes (channels-first, like PyTorch).

Both pools loop only over the kernel offsets (4 iterations for a 2×2 window), each a
strided slice of the padded input covering every output position at once — the same
windowing as the convolution's col2im (:func:`backprop.autograd.ops.conv.kernel_slices`).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..function import Function
from .conv import as_tuple, buffer, check_spatial_fits, kernel_slices, output_shape, pad_spatial, unpad_spatial


class MaxPoolNd(Function):
    """y[n, c, p] = max_k x̃[n, c, s·p + k], x̃ padded with −inf (padding never wins).

    Notes
    -----
    The derivative routes each output's gradient to the input element that was the
    maximum: dL/dx̃[n, c, s·p + k*] += g[n, c, p], k* = the argmax.  On ties the *first*
    maximum in row-major window order wins, like PyTorch's CPU kernel; a NaN in the window
    is propagated (and receives the gradient), also like PyTorch.  Only the argmax (one small
    integer per output) is saved.
    """

    def forward(self, x, *, kernel_size, stride, pads):
        check_spatial_fits(x.shape, pads, kernel_size, (1,) * len(kernel_size), "max_pool")
        out = output_shape(x.shape[2:], kernel_size, stride, pads, (1,) * len(kernel_size))
        self.kernel_size, self.stride, self.pads = kernel_size, stride, pads
        self.x_shape, self.out = x.shape, out
        self.halving = None
        if all(k == 2 and s == 2 for k, s in zip(kernel_size, stride)) and not any(lo or hi for lo, hi in pads):
            y = self._forward_halving(x, out)
            if y is not None:
                return y
        return self._forward_general(x, kernel_size, stride, pads, out)

    @staticmethod
    def _pairs_view(a, out):
        """(N, C, o1, 2, o2, 2, ...) strided view of ``a``'s 2×…×2 windows (stride 2)."""
        shape, strides = list(a.shape[:2]), list(a.strides[:2])
        for n, st in zip(out, a.strides[2:]):
            shape += [n, 2]
            strides += [2 * st, st]
        return as_strided(a, shape=tuple(shape), strides=tuple(strides), writeable=a.flags.writeable)

    def _forward_halving(self, x, out):
        """The common 2×…×2, stride-2, unpadded pool: one pairwise max per spatial axis (last axis
        first), each keeping a boolean "second element strictly greater" mask.  Reducing axis by
        axis with strict ``>`` reproduces the row-major first-max rule exactly.  Returns None
        (use the general path) when the result holds a NaN, whose routing differs."""
        v = self._pairs_view(x, out)
        masks = []
        for axis in range(v.ndim - 1, 2, -2):
            first = v[(slice(None),) * axis + (0,)]
            second = v[(slice(None),) * axis + (1,)]
            mask = buffer(first.shape, np.bool_, "pool-mask")
            masks.append(np.greater(second, first, out=mask))
            v = np.maximum(first, second, out=buffer(first.shape, x.dtype, "pool-out"))
        y = v
        if not np.isfinite(y.sum()) and np.isnan(y).any():
            return None
        self.halving = masks
        return y

    def _forward_general(self, x, kernel_size, stride, pads, out):
        xp = pad_spatial(x, pads, value=-np.inf)
        n_kernel = math.prod(kernel_size)
        arg = np.zeros(x.shape[:2] + out, dtype=np.uint8 if n_kernel < 256 else np.int32)
        best = None
        lead = (slice(None), slice(None))
        # PyTorch's update rule is `v > best or isnan(v)`: first max on ties, NaN propagates.
        # The isnan pass is only paid for inputs that contain a NaN.
        has_nan = bool(np.isnan(x).any())
        for flat, (_, index) in enumerate(kernel_slices(kernel_size, stride, (1,) * len(kernel_size), out)):
            v = xp[lead + index]
            if best is None:
                best = v.copy()
                continue
            better = np.greater(v, best)
            if has_nan:
                better |= np.isnan(v)
            np.copyto(best, v, where=better)
            np.copyto(arg, flat, where=better, casting="unsafe")
        self.arg, self.xp_shape = arg, xp.shape
        return best

    def backward(self, g):
        if not self.needs_input_grad[0]:
            return (None,)
        if self.halving is not None:
            return (self._backward_halving(g),)
        dxp = np.zeros(self.xp_shape, dtype=g.dtype)
        lead = (slice(None), slice(None))
        # Non-overlapping windows (stride >= kernel, the default) touch each input once, so the
        # masked gradient can be written straight into the slice with no temporary.
        overlapping = any(s < k for s, k in zip(self.stride, self.kernel_size))
        zero = np.zeros((), dtype=g.dtype)
        slices = kernel_slices(self.kernel_size, self.stride, (1,) * len(self.kernel_size), self.out)
        for flat, (_, index) in enumerate(slices):
            if overlapping:
                dxp[lead + index] += np.where(self.arg == flat, g, zero)
            else:
                np.multiply(g, self.arg == flat, out=dxp[lead + index])
        return (unpad_spatial(dxp, self.pads, self.x_shape[2:]),)

    def _backward_halving(self, g):
        # Undo the pairwise maxima in reverse (first spatial axis first): each stage sends the
        # gradient to the second element where its mask is set, else to the first.
        covered = all(2 * n == length for n, length in zip(self.out, self.x_shape[2:]))
        dx = buffer(self.x_shape, g.dtype, "pool-dx", zero=not covered)
        dv = self._pairs_view(dx, self.out)
        cur = g
        n_stages = len(self.halving)
        for i, mask in enumerate(reversed(self.halving)):
            axis = 3 + 2 * i
            if i == n_stages - 1:
                target = dv
            else:
                target = buffer(dv.shape[:axis + 1] + tuple(self.out[i + 1:]), g.dtype, "pool-dmid")
            np.multiply(cur, mask, out=target[(slice(None),) * axis + (1,)])
            np.multiply(cur, np.logical_not(mask, out=buffer(mask.shape, np.bool_, "pool-not")),
                        out=target[(slice(None),) * axis + (0,)])
            cur = target
        return dx


class AvgPoolNd(Function):
    """y[n, c, p] = (1/D_p) Σ_k x̃[n, c, s·p + k], x̃ zero-padded.

    Notes
    -----
    D_p is the window size prod(kernel) when ``count_include_pad`` (PyTorch's default),
    else the number of window elements inside the unpadded input.  The derivative spreads
    each output's gradient evenly over its window: dL/dx̃[n, c, s·p + k] += g[n, c, p] / D_p.
    """

    def forward(self, x, *, kernel_size, stride, pads, count_include_pad):
        n_sp = len(kernel_size)
        check_spatial_fits(x.shape, pads, kernel_size, (1,) * n_sp, "avg_pool")
        out = output_shape(x.shape[2:], kernel_size, stride, pads, (1,) * n_sp)
        xp = pad_spatial(x, pads)
        total = None
        lead = (slice(None), slice(None))
        for _, index in kernel_slices(kernel_size, stride, (1,) * n_sp, out):
            if total is None:
                total = xp[lead + index].copy()
            else:
                total += xp[lead + index]
        if count_include_pad or not any(lo or hi for lo, hi in pads):
            divisor = np.asarray(math.prod(kernel_size), dtype=x.dtype)
        else:
            # The count of real (unpadded) elements is separable: a product of per-axis counts.
            divisor = np.ones(out, dtype=x.dtype)
            for axis, (length, k, s, (lo, _), n) in enumerate(zip(x.shape[2:], kernel_size, stride, pads, out)):
                start = np.arange(n) * s - lo
                count = np.minimum(start + k, length) - np.maximum(start, 0)
                shape = [1] * n_sp
                shape[axis] = n
                divisor = divisor * count.reshape(shape).astype(x.dtype)
        total /= divisor
        self.divisor, self.kernel_size, self.stride, self.pads = divisor, kernel_size, stride, pads
        self.x_shape, self.xp_shape, self.out = x.shape, xp.shape, out
        return total

    def backward(self, g):
        if not self.needs_input_grad[0]:
            return (None,)
        spread = g / self.divisor
        dxp = np.zeros(self.xp_shape, dtype=g.dtype)
        lead = (slice(None), slice(None))
        for _, index in kernel_slices(self.kernel_size, self.stride, (1,) * len(self.kernel_size), self.out):
            dxp[lead + index] += spread
        return (unpad_spatial(dxp, self.pads, self.x_shape[2:]),)


def _pool_args(x, kernel_size, stride, padding, name):
    n_sp = x.ndim - 2
    if n_sp < 1:
        raise ValueError(f"{name}: input must have shape (N, C, *spatial) with at least one spatial axis, "
                         f"got shape {x.shape}")
    kernel_size = as_tuple(kernel_size, n_sp, "kernel_size", name)
    stride = kernel_size if stride is None else as_tuple(stride, n_sp, "stride", name)
    padding = as_tuple(padding, n_sp, "padding", name, minimum=0)
    if any(2 * p > k for p, k in zip(padding, kernel_size)):
        raise ValueError(f"{name}: padding must be at most half the kernel size (as in PyTorch), got "
                         f"padding={padding} with kernel_size={kernel_size}")
    return kernel_size, stride, tuple((p, p) for p in padding)


def max_pool(x, kernel_size, stride=None, padding=0):
    """Max pooling over the spatial axes of x (N, C, *spatial); stride defaults to kernel_size."""
    kernel_size, stride, pads = _pool_args(x, kernel_size, stride, padding, f"max_pool{x.ndim - 2}d")
    return MaxPoolNd.apply(x, kernel_size=kernel_size, stride=stride, pads=pads)


def avg_pool(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """Average pooling over the spatial axes of x (N, C, *spatial); stride defaults to kernel_size."""
    kernel_size, stride, pads = _pool_args(x, kernel_size, stride, padding, f"avg_pool{x.ndim - 2}d")
    return AvgPoolNd.apply(x, kernel_size=kernel_size, stride=stride, pads=pads,
                           count_include_pad=bool(count_include_pad))


def global_avg_pool(x):
    """Mean over every spatial axis: (N, C, *spatial) -> (N, C)."""
    if x.ndim < 3:
        raise ValueError(f"global_avg_pool: input must have shape (N, C, *spatial), got shape {x.shape}")
    return x.mean(axis=tuple(range(2, x.ndim)))


__all__ = ["MaxPoolNd", "AvgPoolNd", "max_pool", "avg_pool", "global_avg_pool"]
