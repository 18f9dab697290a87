"""Shape primitives: reshape, transpose, broadcast_to, getitem, concatenate, stack, pad.

They move numbers around without changing them, so each backward moves g back.
"""

from __future__ import annotations

import numpy as np

from ..function import Function
from ..tensor import Tensor


class Reshape(Function):
    """z = a viewed with a new shape;  g is reshaped back."""

    def forward(self, a, shape):
        self.in_shape = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise ValueError(
                f"cannot reshape a tensor of shape {a.shape} ({a.size} elements) into shape {shape}"
            ) from None

    def backward(self, g):
        return (g.reshape(self.in_shape),)


def reshape(a, *shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return Reshape.apply(a, shape=shape)


def flatten(a, start_axis: int = 0):
    """Merge axes ``start_axis..`` into one (``Flatten`` uses start_axis=1 to keep the batch)."""
    start_axis %= max(a.ndim, 1)
    return Reshape.apply(a, shape=a.shape[:start_axis] + (-1,))


def squeeze(a, axis=None):
    """Remove axes of size 1 (all of them, or the given ones)."""
    if axis is None:
        shape = tuple(n for n in a.shape if n != 1)
    else:
        axes = {ax % a.ndim for ax in ((axis,) if isinstance(axis, int) else axis)}
        for ax in axes:
            if a.shape[ax] != 1:
                raise ValueError(f"cannot squeeze axis {ax} of size {a.shape[ax]} (shape {a.shape})")
        shape = tuple(n for i, n in enumerate(a.shape) if i not in axes)
    return Reshape.apply(a, shape=shape)


def unsqueeze(a, axis: int):
    """Insert an axis of size 1 at ``axis``."""
    axis = axis % (a.ndim + 1)
    return Reshape.apply(a, shape=a.shape[:axis] + (1,) + a.shape[axis:])


class Transpose(Function):
    """z = a with axes permuted;  g is permuted by the inverse permutation."""

    def forward(self, a, axes):
        self.axes = axes
        return np.transpose(a, axes)

    def backward(self, g):
        if self.axes is None:
            return (np.transpose(g),)
        return (np.transpose(g, np.argsort(self.axes)),)


def transpose(a, *axes):
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    if axes and sorted(ax % a.ndim for ax in axes) != list(range(a.ndim)):
        raise ValueError(f"transpose axes {axes} are not a permutation of the {a.ndim} axes of shape {a.shape}")
    return Transpose.apply(a, axes=tuple(ax % a.ndim for ax in axes) if axes else None)


def swapaxes(a, axis1: int, axis2: int):
    axes = list(range(a.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return Transpose.apply(a, axes=tuple(axes))


class BroadcastTo(Function):
    """z = a broadcast to ``shape``;  g is summed back by the engine's ``unbroadcast``."""

    def forward(self, a, shape):
        try:
            return np.broadcast_to(a, shape)
        except ValueError:
            raise ValueError(f"cannot broadcast a tensor of shape {a.shape} to shape {shape}") from None

    def backward(self, g):
        return (g,)


def broadcast_to(a, shape):
    return BroadcastTo.apply(a, shape=tuple(shape))


def _is_basic_index(index) -> bool:
    """True for slices/ints/None/Ellipsis only: then the selected elements are distinct."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice, type(None), type(Ellipsis))) for i in items)


class GetItem(Function):
    """z = a[index];  the gradient is scattered back, repeated indices accumulating."""

    def forward(self, a, index):
        self.in_shape, self.index = a.shape, index
        self.basic = _is_basic_index(index)
        return a[index]

    def backward(self, g):
        grad = np.zeros(self.in_shape, dtype=g.dtype)
        if self.basic:
            grad[self.index] = g
        else:
            np.add.at(grad, self.index, g)  # a[[0, 0]] uses a[0] twice: both gradients count
        return (grad,)


def getitem(a, index):
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    elif isinstance(index, list):
        index = np.asarray(index)
    return GetItem.apply(a, index=index)


class Concatenate(Function):
    """z = [a1, a2, ...] joined along ``axis``;  g is split back at the same boundaries."""

    def forward(self, *arrays, axis=0):
        self.axis = axis
        self.splits = np.cumsum([arr.shape[axis] for arr in arrays])[:-1]
        try:
            return np.concatenate(arrays, axis=axis)
        except ValueError:
            shapes = ", ".join(str(arr.shape) for arr in arrays)
            raise ValueError(f"cannot concatenate shapes {shapes} along axis {axis}") from None

    def backward(self, g):
        return tuple(np.split(g, self.splits, axis=self.axis))


def concatenate(tensors, axis: int = 0):
    return Concatenate.apply(*_as_tensors(tensors), axis=axis)


class Stack(Function):
    """z = a1, a2, ... stacked along a new ``axis``;  g is taken apart along that axis."""

    def forward(self, *arrays, axis=0):
        self.axis = axis
        try:
            return np.stack(arrays, axis=axis)
        except ValueError:
            shapes = ", ".join(str(arr.shape) for arr in arrays)
            raise ValueError(f"cannot stack tensors of shapes {shapes}: all must have the same shape") from None

    def backward(self, g):
        return tuple(np.moveaxis(g, self.axis, 0))


def stack(tensors, axis: int = 0):
    return Stack.apply(*_as_tensors(tensors), axis=axis)


def _as_tensors(tensors):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("need at least one tensor")
    like = next((t for t in tensors if isinstance(t, Tensor)), None)
    if like is None:
        return [Tensor(t) for t in tensors]
    return [t if isinstance(t, Tensor) else like._wrap(t) for t in tensors]


class Pad(Function):
    """z = a surrounded by a constant;  g is cropped back to the input's region."""

    def forward(self, a, pad_width, value):
        self.crop = tuple(slice(before, before + n) for (before, _), n in zip(pad_width, a.shape))
        return np.pad(a, pad_width, mode="constant", constant_values=value)

    def backward(self, g):
        return (g[self.crop],)


def pad(a, pad_width, value: float = 0.0):
    """Pad with a constant; ``pad_width`` as in ``np.pad`` (int, pair, or one pair per axis)."""
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (a.ndim, 2))
    if (widths < 0).any():
        raise ValueError(f"pad widths must be non-negative, got {pad_width}")
    return Pad.apply(a, pad_width=tuple(map(tuple, widths.tolist())), value=value)
