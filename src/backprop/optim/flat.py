"""Parameters laid end to end in one array, so an optimizer updates them with one call.

Optimizer updates are elementwise, so updating one long array gives bit-for-bit the same
numbers as updating each parameter on its own; what changes is the cost.  A small
network's step would otherwise pay Python and NumPy call overhead once per parameter per
operation (an Adam step is about ten array operations), which dominates its run time.

:func:`flatten_parameters` rebinds each parameter's ``data`` to a view into one contiguous
array and prepares matching gradient views; an :class:`~backprop.optim.Optimizer` given
the layout (:meth:`~backprop.optim.Optimizer.attach_flat`) takes the single-call path
whenever every parameter still holds its view and its gradient is the matching gradient
view, and the ordinary per-parameter path otherwise.  That single-call path lives here
too, in :class:`FlatStepMixin`, which :class:`~backprop.optim.Optimizer` inherits.
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


class FlatStepMixin:
    """The flat fast path of :class:`~backprop.optim.Optimizer` (its base class).

    Uses the optimizer's ``param_groups``, ``state``, ``_init_state`` and ``_update``, and
    the two attributes ``Optimizer.__init__`` sets to None: ``_flat`` (the attached
    :class:`FlatLayout`) and ``_flat_state`` (the optimizer state of the flat arrays, or
    None when it must be gathered afresh from the per-parameter states).
    """

    def attach_flat(self, layout) -> None:
        """Update the parameters of ``layout`` (see :mod:`backprop.optim.flat`) in one call.

        Used when this optimizer has a single parameter group holding exactly the layout's
        parameters; results are bit-identical to the per-parameter path, which is taken
        automatically whenever a parameter's data or gradient is not its flat view.
        """
        self._flat = layout
        self._flat_state = None

    def _step_flat(self) -> bool:
        """One update of the whole flat array; False (nothing done) if it does not apply."""
        layout = self._flat
        if len(self.param_groups) != 1:
            return False
        group = self.param_groups[0]
        params = group["params"]
        if params is not layout.group_params:
            if len(params) != len(layout.params) or any(p is not q for p, q in zip(params, layout.params)):
                return False
            layout.group_params = params  # checked once per list object
        if not layout.owns_current_arrays():
            return False
        state = self._flat_state
        if state is None:
            state = self._gather_flat_state(group)
            if state is None:
                return False
        before = {key: id(value) for key, value in state.items()}
        self._update(layout.data, layout.grad, state, group)
        self._flat_state = state
        # Keep self.state[p] meaningful (state_dict, a later per-parameter step): arrays
        # as views of the flat state, numbers (step counts) copied.
        changed_arrays = [k for k, v in state.items() if isinstance(v, np.ndarray) and before.get(k) != id(v)]
        numbers = [k for k, v in state.items() if not isinstance(v, np.ndarray)]
        if changed_arrays or numbers:
            for i, p in enumerate(layout.params):
                entry = self.state[p]
                for key in changed_arrays:
                    entry[key] = state[key][layout.slices[i]].reshape(p.data.shape)
                for key in numbers:
                    entry[key] = state[key]
        return True

    def _gather_flat_state(self, group):
        """The flat state from the per-parameter states (None if they cannot be joined)."""
        layout = self._flat
        entries = []
        for p in layout.params:
            if p not in self.state:
                self.state[p] = self._init_state(p.data, group)
            entries.append(self.state[p])
        keys = set(entries[0])
        if any(set(entry) != keys for entry in entries):
            return None
        state = {}
        for key in keys:
            values = [entry[key] for entry in entries]
            if isinstance(values[0], np.ndarray):
                state[key] = layout.flat_view(values)
            elif all(v == values[0] for v in values):
                state[key] = values[0]
            else:
                return None  # e.g. different step counts: keep the per-parameter path
        for i, (p, entry) in enumerate(zip(layout.params, entries)):
            for key, value in state.items():
                if isinstance(value, np.ndarray):
                    entry[key] = value[layout.slices[i]].reshape(p.data.shape)
        return state
