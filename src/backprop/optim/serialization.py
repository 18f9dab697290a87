"""Split an optimizer ``state_dict`` into JSON and arrays, and join it back (no pickle).

Typical use::

    meta, arrays = split_state_dict(opt.state_dict())
    Path("opt.json").write_text(json.dumps(meta))
    np.savez("opt.npz", **arrays)
    ...
    with np.load("opt.npz", allow_pickle=False) as npz:
        opt.load_state_dict(merge_state_dict(json.loads(Path("opt.json").read_text()), npz))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["split_state_dict", "merge_state_dict"]

_ARRAY_TAG = "$array"


def split_state_dict(state_dict: dict[str, Any]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Separate the arrays of an optimizer state from everything else.

    Parameters
    ----------
    state_dict : dict
        As returned by :meth:`Optimizer.state_dict`.

    Returns
    -------
    meta : dict
        The same structure with every array replaced by ``{"$array": key}``; plain
        JSON (state indices become strings, tuples become lists).
    arrays : dict of str to ndarray
        ``key -> array``, with keys ``"state.<index>.<name>"``; ready for ``np.savez``.

    Raises
    ------
    TypeError
        If a state value is neither an array nor a JSON number/string/bool/None.
    """
    arrays: dict[str, np.ndarray] = {}
    state_meta: dict[str, dict[str, Any]] = {}
    for index, entries in state_dict["state"].items():
        fields = {}
        for name, value in entries.items():
            if isinstance(value, np.ndarray):
                key = f"state.{index}.{name}"
                arrays[key] = value
                fields[name] = {_ARRAY_TAG: key}
            elif value is None or isinstance(value, (bool, int, float, str)):
                fields[name] = value
            else:
                raise TypeError(
                    f"split_state_dict: state '{name}' of parameter {index} is a "
                    f"{type(value).__name__}; only arrays and plain numbers can be saved."
                )
        state_meta[str(index)] = fields
    groups = [
        {k: (list(v) if isinstance(v, tuple) else v) for k, v in group.items()}
        for group in state_dict["param_groups"]
    ]
    return {"param_groups": groups, "state": state_meta}, arrays


def merge_state_dict(meta: dict[str, Any], arrays: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Inverse of :func:`split_state_dict`; ``arrays`` may be an open ``np.load`` archive.

    Raises
    ------
    ValueError
        If ``meta`` references an array that ``arrays`` lacks.
    """
    state: dict[int, dict[str, Any]] = {}
    for index, entries in meta["state"].items():
        fields = {}
        for name, value in entries.items():
            if isinstance(value, dict) and _ARRAY_TAG in value:
                key = value[_ARRAY_TAG]
                if key not in arrays:
                    raise ValueError(
                        f"merge_state_dict: array '{key}' (state '{name}' of parameter "
                        f"{index}) is missing from the arrays given."
                    )
                value = np.asarray(arrays[key])
            fields[name] = value
        state[int(index)] = fields
    return {"param_groups": [dict(g) for g in meta["param_groups"]], "state": state}
