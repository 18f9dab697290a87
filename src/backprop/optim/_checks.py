"""Argument checks shared by the optimizers and the learning-rate schedules.

Every check returns the value converted to a plain Python ``float``/``int``/``bool``.
That conversion matters twice over: a NumPy ``float64`` scalar multiplied into a
float32 array would upcast it (NumPy 2 treats NumPy scalars as "strong" types, Python
floats as "weak" ones), and plain Python values keep ``state_dict()`` JSON-friendly.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["check_real", "check_int", "check_bool", "check_choice", "check_non_negative", "check_group"]


def _describe(low, high, low_open, high_open) -> str:
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high}")
    return " and ".join(parts)


def check_real(
    owner: str,
    name: str,
    value,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a finite Python float inside the given bounds.

    Raises
    ------
    ValueError
        If ``value`` is not a real number, is not finite, or lies outside the bounds.
        The message names ``owner``, ``name``, the expected range and the value received.
    """
    bounds = _describe(low, high, low_open, high_open)
    expected = "a finite real number" + (f" {bounds}" if bounds else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{owner}: {name} must be {expected}, got {value!r}.")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{owner}: {name} must be {expected}, got {value!r}.")
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        raise ValueError(f"{owner}: {name} must be {expected}, got {value!r}.")
    return number


def check_non_negative(owner: str, name: str, value) -> float:
    """Return ``value`` as a finite Python float ``>= 0`` (the usual optimizer rule)."""
    return check_real(owner, name, value, low=0.0)


def check_group(owner: str, group: dict, checks: dict) -> None:
    """Validate and normalise ``group`` in place: ``group[name] = check(owner, name, value)``.

    ``checks`` maps each hyperparameter name to a check with the signature of
    :func:`check_real`/:func:`check_bool`; they run in the mapping's order, so the first
    invalid hyperparameter (in that order) is the one reported.
    """
    for name, check in checks.items():
        group[name] = check(owner, name, group[name])


def check_int(owner: str, name: str, value, *, low: int | None = None) -> int:
    """Return ``value`` as a Python int that is ``>= low``; raise ``ValueError`` otherwise."""
    expected = "an integer" + (f" >= {low}" if low is not None else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{owner}: {name} must be {expected}, got {value!r}.")
    number = int(value)
    if low is not None and number < low:
        raise ValueError(f"{owner}: {name} must be {expected}, got {value!r}.")
    return number


def check_bool(owner: str, name: str, value) -> bool:
    """Return ``value`` as a Python bool; raise ``ValueError`` for anything but a bool.

    Integers are refused on purpose: ``SGD(params, 0.1, 0.9, 0, 1)`` passing ``1`` as
    ``nesterov`` is more often a positional slip than a wish.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{owner}: {name} must be True or False, got {value!r}.")
    return bool(value)


def check_choice(owner: str, name: str, value, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``; raise ``ValueError`` otherwise."""
    if value not in choices:
        raise ValueError(f"{owner}: {name} must be one of {list(choices)}, got {value!r}.")
    return value
