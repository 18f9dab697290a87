"""The differentiable-op convention: a :class:`Function` computes forward and backward.

A primitive subclasses :class:`Function` and writes two methods *next to each other*:

``forward(self, *arrays, **attrs) -> ndarray``
    Plain NumPy on the input arrays.  Store on ``self`` only what backward needs,
    preferring the output when the derivative is a function of it (sigmoid: y(1-y)).
``backward(self, g) -> tuple``
    Given g = dL/d(output), return one gradient dL/d(input) per array input, in the
    *output's* shape (the engine reverses broadcasting) or ``None`` where
    ``self.needs_input_grad[i]`` is False (skip the work nobody needs).

The instance itself is the context (``ctx``) that links the output tensor to its parents in
the recorded graph.  Ops never modify their inputs, their saved arrays or ``g``.
"""

from __future__ import annotations

import numpy as np

from .grad_mode import _GradMode


class Function:
    """Base class of every differentiable primitive; also the graph node it leaves behind."""

    #: Tensors this node was computed from (set only when the graph is recorded).
    parents: tuple = ()
    #: For each parent: does any gradient need to flow into it?
    needs_input_grad: tuple = ()
    #: True once backward has run without ``retain_graph`` and saved arrays were dropped.
    released: bool = False

    def forward(self, *arrays, **attrs):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, g):  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def apply(cls, *tensors, **attrs):
        """Run the op on tensors; record a graph node if any input requires grad."""
        ctx = cls()
        out = ctx.forward(*[t.data for t in tensors], **attrs)
        if _GradMode.enabled:
            needs = tuple([t.requires_grad for t in tensors])
            if True in needs:
                ctx.parents = tensors
                ctx.needs_input_grad = needs
                return Tensor._from_op(out, ctx)
        return Tensor._from_op(out, None)

    def release(self) -> None:
        """Drop saved arrays and parent links so memory is freed after backward."""
        self.__dict__.clear()
        self.released = True

    @property
    def name(self) -> str:
        """The op's name as shown in graphs and error messages."""
        return type(self).__name__


def as_array_like(value, like: np.ndarray) -> np.ndarray:
    """Turn a Python/NumPy scalar or array constant into an array of ``like``'s dtype.

    Constants are *weak*: a float32 tensor times a NumPy float64 scalar stays float32,
    the dtype policy of this library (DESIGN.md section 2).
    """
    if isinstance(value, np.ndarray):
        if value.dtype == like.dtype:
            return value
        if value.dtype.kind in "biuf":
            return value.astype(like.dtype) if like.dtype.kind == "f" else value
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"cannot combine a tensor with a value of type {type(value).__name__} "
            f"(dtype {arr.dtype}); expected a number, a numeric array or a Tensor"
        )
    if like.dtype.kind == "f":
        return arr.astype(like.dtype, copy=False)
    return arr


from .tensor import Tensor  # noqa: E402  (circular: Tensor needs the ops, ops need Function)
