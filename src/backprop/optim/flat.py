"""Parameters laid end to end in one array, so an optimizer updates them with one call.

Optimizer updates are elementwise, so updating one long array gives bit-for-bit the same
numbers as updating each parameter on its own; what changes is the cost.  A small
network's step would otherwise pay Python and NumPy call overhead once per parameter per
operation (an Adam step is about ten array operations), which dominates its run time.

:func:`flatten_parameters` rebinds each parameter's ``data`` to a view into one contiguous
array and prepares matching gradient views; an :class:`~backprop.optim.Optimizer` given
the layout (:meth:`~backprop.optim.Optimizer.attach_flat`) takes the single-call path
whenever every parameter still holds its view and its gradient is the matching gradient
view, and the ordinary per-parameter path otherwise.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FlatLayout", "flatten_parameters"]


class FlatLayout:
    """Where each parameter lives inside the flat data and gradient arrays.

    Attributes
    ----------
    params : list
        The parameters, in order.
    data, grad : ndarray
        1-D arrays holding every parameter's values and gradient, end to end.
    data_views, grad_views : list of ndarray
        Per parameter, a view of ``data``/``grad`` with the parameter's shape.
    slices : list of slice
        Per parameter, its range in the flat arrays.
    """

    def __init__(self, params, data, grad, data_views, grad_views, slices):
        self.params = params
        self.data = data
        self.grad = grad
        self.data_views = data_views
        self.grad_views = grad_views
        self.slices = slices
        #: The optimizer group's params list last found to match ``params`` (a cache).
        self.group_params = None

    def owns_current_arrays(self) -> bool:
        """True when every parameter holds its data view and its gradient view."""
        for p, data_view, grad_view in zip(self.params, self.data_views, self.grad_views):
            if p.data is not data_view or p.grad is not grad_view:
                return False
        return True

    def flat_view(self, arrays) -> np.ndarray | None:
        """Concatenate per-parameter arrays (e.g. optimizer state) into one flat array."""
        return np.concatenate([np.asarray(a).reshape(-1) for a in arrays]).astype(self.data.dtype, copy=False)

    def views_of(self, flat: np.ndarray) -> list:
        """Per-parameter views (with the parameters' shapes) of a flat array."""
        return [flat[s].reshape(p.data.shape) for p, s in zip(self.params, self.slices)]


def flatten_parameters(params) -> FlatLayout | None:
    """Move the parameters' values into one contiguous array; return the layout.

    Each ``p.data`` is replaced by a view into the new array holding the same values, so
    code that reads ``p.data`` afterwards sees no difference.  Returns None (and changes
    nothing) when there are no parameters or they do not all share one floating dtype.
    """
    params = list(params)
    if not params:
        return None
    dtype = params[0].data.dtype
    if dtype.kind != "f" or any(p.data.dtype != dtype for p in params):
        return None
    sizes = [p.data.size for p in params]
    total = int(sum(sizes))
    data = np.empty(total, dtype=dtype)
    grad = np.zeros(total, dtype=dtype)
    slices, data_views, grad_views = [], [], []
    start = 0
    for p, size in zip(params, sizes):
        s = slice(start, start + size)
        start += size
        view = data[s].reshape(p.data.shape)
        view[...] = p.data
        slices.append(s)
        data_views.append(view)
        grad_views.append(grad[s].reshape(p.data.shape))
    for p, view in zip(params, data_views):
        p.data = view
    return FlatLayout(params, data, grad, data_views, grad_views, slices)
