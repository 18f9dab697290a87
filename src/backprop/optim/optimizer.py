"""The ``Optimizer`` base class: parameter groups, per-parameter state, serialization.

A *parameter* is any object with two attributes:

``data``
    a floating-point ``np.ndarray`` (float32 or float64). Optimizers update it **in
    place**; ``p.data`` is never rebound, so views and references held elsewhere (a
    model's ``state_dict``, a compiled step) stay valid.
``grad``
    an ``np.ndarray`` of the same shape and dtype, or ``None`` meaning "no gradient
    this step": the parameter is skipped and its state (step counts included) is left
    untouched, as in ``torch.optim``.

Subclasses supply three hooks and keep their arithmetic in a pure function of arrays:

``_hyperparameter_checks``
    a class attribute mapping each hyperparameter (besides ``lr``) to its check from
    :mod:`backprop.optim._checks`; the base ``_check_group(group)`` applies them in
    order (override ``_check_group`` too for rules that tie hyperparameters together);
``_init_state(w, group)``
    the fresh state dict of one parameter, arrays in ``w``'s dtype;
``_update(w, g, state, group)``
    one in-place update of ``w`` given gradient ``g``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import numpy as np

from ._checks import check_group, check_real
from .flat import FlatStepMixin

__all__ = ["Optimizer", "ParamState"]


class ParamState(MutableMapping):
    """Per-parameter state, keyed by parameter *identity*.

    A plain ``dict`` would hash the parameter, and array-like parameter classes are
    often unhashable (elementwise ``__eq__``). Lookup is by ``id(param)``; the mapping
    holds a reference to each key so ids cannot be recycled while in use.

    Examples
    --------
    >>> opt.state[p]["momentum_buffer"]     # doctest: +SKIP
    """

    def __init__(self) -> None:
        self._items: dict[int, tuple[Any, dict]] = {}

    def __getitem__(self, param) -> dict:
        try:
            return self._items[id(param)][1]
        except KeyError:
            raise KeyError(f"no optimizer state for parameter {param!r}") from None

    def __setitem__(self, param, value: dict) -> None:
        self._items[id(param)] = (param, value)

    def __delitem__(self, param) -> None:
        del self._items[id(param)]

    def __contains__(self, param) -> bool:
        return id(param) in self._items

    def __iter__(self) -> Iterator:
        return (param for param, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"ParamState({len(self)} parameters)"


def _is_parameter(obj) -> bool:
    return hasattr(obj, "data") and hasattr(obj, "grad")


class Optimizer(FlatStepMixin):
    """Base class of all optimizers.

    Parameters
    ----------
    params : iterable of parameters, or iterable of dicts
        Either the parameters to optimize (e.g. ``model.parameters()``), or parameter
        groups: dicts with a ``"params"`` entry plus any hyperparameters that override
        ``defaults`` for that group, e.g.
        ``[{"params": body, "lr": 1e-3}, {"params": head}]``.
    defaults : dict
        Hyperparameters used by groups that do not set their own.

    Attributes
    ----------
    param_groups : list of dict
        One dict per group: ``"params"`` (a list) and every hyperparameter.
        Schedulers change ``group["lr"]`` here.
    state : ParamState
        ``state[p]`` is the dict of running quantities of parameter ``p``
        (empty until ``p`` first gets a gradient).
    defaults : dict
        The hyperparameters given at construction.

    Raises
    ------
    ValueError
        If no parameters are given, a parameter appears twice, or a hyperparameter is
        invalid (the message names it).
    TypeError
        If ``params`` is a single parameter instead of an iterable, a set (unordered,
        so state could not be matched on reload), or an element lacks ``.data``/``.grad``.
    """

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self._check_group(self.defaults)
        self.state = ParamState()
        self.param_groups: list[dict[str, Any]] = []
        self._flat = None          # a FlatLayout, see attach_flat (FlatStepMixin)
        self._flat_state = None    # the optimizer state of the flat arrays

        name = type(self).__name__
        if _is_parameter(params) or isinstance(params, np.ndarray):
            raise TypeError(
                f"{name}: params must be an iterable of parameters or of parameter-group "
                f"dicts, got a single {type(params).__name__}; wrap it in a list: [param]."
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(
                f"{name}: params must be an ordered iterable (list, tuple, generator), got "
                "a set; set order changes between runs, so saved state could be matched "
                "to the wrong parameters."
            )
        groups = list(params)
        if len(groups) == 0:
            raise ValueError(
                f"{name}: got an empty parameter list; pass model.parameters() (or a "
                "list of parameter groups) containing at least one parameter."
            )
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ hooks
    #: name -> check(owner, name, value) for every hyperparameter but ``lr``, in the
    #: order they are validated (see :func:`backprop.optim._checks.check_group`).
    _hyperparameter_checks: dict[str, Callable[[str, str, Any], Any]] = {}

    def _check_group(self, group: dict[str, Any]) -> None:
        """Validate and normalise hyperparameters of ``group`` in place."""
        name = type(self).__name__
        if "lr" in group:
            group["lr"] = check_real(name, "lr", group["lr"], low=0.0)
        check_group(name, group, self._hyperparameter_checks)

    def _init_state(self, w: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        """Return the initial state dict of a parameter whose data is ``w``."""
        return {}

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict, group: dict) -> None:
        """Update ``w`` in place from gradient ``g``."""
        raise NotImplementedError

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a parameter group, filling unspecified hyperparameters from ``defaults``.

        Useful for unfreezing layers during fine-tuning. The group is validated fully
        before it is added, so a failing call leaves the optimizer unchanged.

        Raises
        ------
        TypeError
            If ``param_group`` is not a dict or holds something that is not a parameter.
        ValueError
            If it is empty, shares a parameter with an existing group, or sets an
            invalid hyperparameter.
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(
                f"{name}: a parameter group must be a dict with a 'params' entry, got "
                f"{type(param_group).__name__}."
            )
        if "params" not in param_group:
            raise ValueError(f"{name}: parameter group {param_group!r} has no 'params' entry.")
        group = dict(param_group)
        params = group["params"]
        if _is_parameter(params):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}: a group's 'params' must be ordered (a list), got a set.")
        params = list(params)
        index = len(self.param_groups)
        if len(params) == 0:
            raise ValueError(f"{name}: parameter group {index} has no parameters.")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for position, p in enumerate(params):
            where = f"{name}: parameter {position} of group {index}"
            if not _is_parameter(p):
                raise TypeError(
                    f"{where} must have .data and .grad attributes, got {type(p).__name__}."
                )
            if not isinstance(p.data, np.ndarray) or not np.issubdtype(p.data.dtype, np.floating):
                got = p.data.dtype if isinstance(p.data, np.ndarray) else type(p.data).__name__
                raise TypeError(
                    f"{where}: .data must be a floating-point numpy array (float32 or "
                    f"float64), got {got}."
                )
            if id(p) in seen:
                raise ValueError(
                    f"{where} appears more than once in this optimizer; each parameter "
                    "may belong to exactly one group."
                )
            seen.add(id(p))
        group["params"] = params
        for key, default in self.defaults.items():
            group.setdefault(key, copy.deepcopy(default))
        self._check_group(group)
        self.param_groups.append(group)

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters.

        Parameters
        ----------
        set_to_none : bool, default True
            ``True``: set ``p.grad = None`` (frees memory; the next backward allocates).
            ``False``: fill existing gradient arrays with zeros in place.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.fill(0)

    def step(self, closure: Callable[[], Any] | None = None):
        """Update every parameter that has a gradient; skip those whose grad is None.

        Parameters
        ----------
        closure : callable, optional
            Re-evaluates the model and returns the loss; called before the update.

        Returns
        -------
        The closure's return value, or None.

        Raises
        ------
        ValueError
            If a gradient's shape or dtype differs from its parameter's.
        """
        loss = closure() if closure is not None else None
        if self._flat is not None:
            if self._step_flat():
                return loss
            # The per-parameter path may rebind state arrays: gather afresh next time.
            self._flat_state = None
        name = type(self).__name__
        index = 0
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                w = p.data
                if g is not None:
                    if not isinstance(g, np.ndarray) or g.shape != w.shape or g.dtype != w.dtype:
                        got = (
                            f"shape {g.shape} dtype {g.dtype}"
                            if isinstance(g, np.ndarray)
                            else type(g).__name__
                        )
                        raise ValueError(
                            f"{name}: parameter {index} has data of shape {w.shape} dtype "
                            f"{w.dtype} but its grad is {got}; the gradient must match the "
                            "parameter's shape and dtype."
                        )
                    if p not in self.state:
                        self.state[p] = self._init_state(w, group)
                    self._update(w, g, self.state[p], group)
                index += 1
        return loss

    # ------------------------------------------------------------------ serialization
    def state_dict(self) -> dict[str, Any]:
        """Return the optimizer's state as plain Python values and NumPy arrays.

        Returns
        -------
        dict
            ``{"param_groups": [...], "state": {index: {name: value}}}``. Each group is
            a copy of its hyperparameters with ``"params"`` replaced by the integer
            indices of its parameters (numbered consecutively across groups, in order).
            ``state`` maps those indices to copies of each parameter's state: arrays
            (``np.ndarray``) and numbers (``int``/``float``). No other types occur, so
            the dict can be written as JSON plus an ``.npz`` archive without pickle
            (see :func:`backprop.optim.split_state_dict`).
        """
        groups, states = [], {}
        index = 0
        for group in self.param_groups:
            saved = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            indices = []
            for p in group["params"]:
                if p in self.state:
                    states[index] = {
                        k: (v.copy() if isinstance(v, np.ndarray) else v)
                        for k, v in self.state[p].items()
                    }
                indices.append(index)
                index += 1
            saved["params"] = indices
            groups.append(saved)
        return {"param_groups": groups, "state": states}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state produced by :meth:`state_dict` (possibly via JSON + npz).

        Group hyperparameters replace the current ones; the parameters themselves are
        kept. State arrays are copied and cast to each parameter's dtype. State keys
        may be ints or their string form (JSON turns dict keys into strings).
        Everything is checked before anything is changed.

        Raises
        ------
        ValueError
            If the number of groups, the group sizes, a state index, or a state
            array's shape does not match this optimizer.
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict) or set(state_dict) != {"param_groups", "state"}:
            raise ValueError(
                f"{name}.load_state_dict: expected a dict with keys 'param_groups' and "
                f"'state', got {type(state_dict).__name__}"
                + (f" with keys {sorted(state_dict)}" if isinstance(state_dict, dict) else "")
                + "."
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the saved state has {len(saved_groups)} parameter "
                f"groups, this optimizer has {len(self.param_groups)}."
            )
        params = []
        new_groups = []
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: saved group {i} has {len(saved['params'])} "
                    f"parameters, this optimizer's group {i} has {len(group['params'])}."
                )
            new_group = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            new_group["params"] = group["params"]
            for k, default in self.defaults.items():
                new_group.setdefault(k, copy.deepcopy(default))
            self._check_group(new_group)
            new_groups.append(new_group)
            params.extend(group["params"])

        new_state = ParamState()
        for key, entries in state_dict["state"].items():
            try:
                index = int(key)
            except (TypeError, ValueError):
                index = -1
            if not 0 <= index < len(params):
                raise ValueError(
                    f"{name}.load_state_dict: state key {key!r} is not a parameter index "
                    f"in [0, {len(params)})."
                )
            w = params[index].data
            loaded = {}
            for field, value in entries.items():
                if isinstance(value, np.ndarray):
                    if value.shape != w.shape:
                        raise ValueError(
                            f"{name}.load_state_dict: state '{field}' of parameter {index} "
                            f"has shape {value.shape}, the parameter has shape {w.shape}."
                        )
                    value = np.array(value, dtype=w.dtype, copy=True)
                loaded[field] = value
            new_state[params[index]] = loaded

        for group, new_group in zip(self.param_groups, new_groups):
            group.clear()
            group.update(new_group)
        self.state = new_state
        self._flat_state = None  # rebuilt from the loaded per-parameter state on the next step

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i} ({len(group['params'])} parameters)")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)
