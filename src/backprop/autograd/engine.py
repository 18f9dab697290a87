"""Reverse-mode differentiation: walk the recorded graph backward, applying the chain rule.

The walk is iterative (no recursion, so a 10,000-op chain works), visits each node once in
reverse topological order, sums the gradients of reused nodes, reverses broadcasting in one
place (:func:`~backprop.autograd.broadcast.unbroadcast`), and frees the graph afterwards
unless ``retain_graph=True``.
"""

from __future__ import annotations

import numpy as np

from .broadcast import unbroadcast
from .grad_mode import _SetGradMode


def topological_order(roots, *, all_parents: bool = False, released_error=None) -> list:
    """Return every tensor that requires grad and leads to ``roots``, inputs before outputs.

    Iterative depth-first search with an explicit stack of (tensor, children_done) pairs.

    Parameters
    ----------
    roots : sequence of Tensor
    all_parents : bool
        False (the backward pass): follow only the parents whose gradient is needed.
        True (graph drawing): follow *every* parent, constants and inputs that do not
        require grad included, the first root and the first argument of each op first.
    released_error : callable, optional
        ``released_error(ctx) -> Exception`` raised when the walk reaches an op whose
        graph was freed by an earlier backward; defaults to the second-backward error.
    """
    order: list = []
    visited: set[int] = set()
    # Drawing pushes in reverse so that the first root/argument is popped (and numbered) first.
    stack = [(root, False) for root in (reversed(roots) if all_parents else roots)]
    while stack:
        tensor, children_done = stack.pop()
        if children_done:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        ctx = tensor._ctx
        if ctx is not None:
            if ctx.released:
                raise (released_error or _second_backward_error)(ctx)
            if all_parents:
                for parent in reversed(ctx.parents):
                    if id(parent) not in visited:
                        stack.append((parent, False))
            else:
                for parent, needs in zip(ctx.parents, ctx.needs_input_grad):
                    if needs and id(parent) not in visited:
                        stack.append((parent, False))
    return order


def _second_backward_error(ctx) -> RuntimeError:
    return RuntimeError(
        f"trying to backward through the graph a second time (op {ctx.name}): its "
        "saved arrays were freed after the first backward; pass retain_graph=True "
        "to the first backward() call if you need to differentiate twice"
    )


def run_backward(roots, root_grads, *, inputs=None, retain_graph=False):
    """Propagate ``root_grads`` from ``roots`` to every leaf (or to ``inputs``).

    Parameters
    ----------
    roots : sequence of Tensor
    root_grads : sequence of ndarray
        dL/d(root), each of its root's shape and dtype.
    inputs : sequence of Tensor, optional
        If given, return their gradients (list, None where unreachable) and leave every
        ``.grad`` untouched (this is :func:`backprop.grad`). Otherwise accumulate into the
        ``.grad`` of leaf tensors (PyTorch semantics: sums across calls until zeroed).
    retain_graph : bool
        Keep saved arrays so the graph can be differentiated again.
    """
    order = topological_order(roots)
    grads: dict[int, np.ndarray] = {}
    # How many tensors each gradient array was handed to.  Pass-through ops (add returns
    # (g, g), reshape returns a view) make one array reach several tensors; optimizers and
    # clipping update .grad in place, so a leaf keeps an array only if it is the sole owner.
    handed: dict[int, int] = {}
    for root, g in zip(roots, root_grads):
        key = id(root)
        grads[key] = grads[key] + g if key in grads else g
    wanted = None if inputs is None else {id(t) for t in inputs}
    captured: dict[int, np.ndarray] = {}
    with _SetGradMode(False):
        for tensor in reversed(order):
            g = grads.pop(id(tensor), None)
            if g is None:
                continue
            if tensor._hooks:
                for hook in tensor._hooks:
                    replaced = hook(g)
                    if replaced is not None:
                        g = np.asarray(replaced, dtype=tensor.data.dtype)
            if wanted is not None:
                if id(tensor) in wanted:
                    captured[id(tensor)] = g
            elif tensor._ctx is None or tensor._retains_grad:
                _accumulate_into_grad(tensor, g, handed.get(id(g), 1) > 1)
            ctx = tensor._ctx
            if ctx is None:
                continue
            parent_grads = ctx.backward(g)
            for parent, needs, pg in zip(ctx.parents, ctx.needs_input_grad, parent_grads):
                if not needs or pg is None:
                    continue
                pdata = parent.data
                if pg.shape != pdata.shape:
                    pg = unbroadcast(pg, pdata.shape)
                if pg.dtype != pdata.dtype:
                    pg = pg.astype(pdata.dtype)
                key = id(parent)
                if key in grads:
                    grads[key] = grads[key] + pg
                else:
                    grads[key] = pg
                    handed[id(pg)] = handed.get(id(pg), 0) + 1
            if not retain_graph:
                ctx.release()
    if inputs is not None:
        return [captured.get(id(t)) for t in inputs]
    return None


def _accumulate_into_grad(tensor, g: np.ndarray, shared: bool) -> None:
    """Add ``g`` into ``tensor.grad`` (PyTorch semantics: sums until zeroed)."""
    if tensor.grad is None:
        if shared or tensor._ctx is not None or g.base is not None or not g.flags.writeable:
            g = g.copy()
        tensor.grad = g
    else:
        tensor.grad = tensor.grad + g
