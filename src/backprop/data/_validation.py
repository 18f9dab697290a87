"""Shared argument checks for ``backprop.data`` (private).

Every check raises a ``ValueError``/``TypeError`` whose message names the
function, the parameter, what was expected, what was received and what to do.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..rng import as_generator

__all__ = [
    "as_rng",
    "check_int",
    "check_noise",
    "check_array",
    "check_same_length",
    "check_no_nan",
    "is_integer_labels",
]


def as_rng(rng, where: str) -> np.random.Generator:
    """``rng`` as a ``np.random.Generator`` (see :func:`backprop.rng.as_generator`)."""
    return as_generator(rng, where)


def check_int(value, name: str, where: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise if it is not an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{where}: {name} must be an integer >= {minimum}, "
            f"got {value!r} ({type(value).__name__})"
        )
    if value < minimum:
        raise ValueError(f"{where}: {name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_noise(noise, where: str, name: str = "noise") -> float:
    """Return ``noise`` as a float, or raise if it is not finite and ``>= 0``."""
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real):
        raise TypeError(f"{where}: {name} must be a real number >= 0, got {noise!r}")
    noise = float(noise)
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(
            f"{where}: {name} is the standard deviation of Gaussian noise and must be "
            f"finite and >= 0, got {noise}"
        )
    return noise


def check_array(x, name: str, where: str, *, min_ndim: int = 1) -> np.ndarray:
    """Convert ``x`` to an ndarray and check it is numeric, non-empty and ``ndim >= min_ndim``."""
    arr = np.asarray(x)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_
    ):
        raise TypeError(
            f"{where}: {name} must hold numbers, got dtype {arr.dtype}; "
            "convert it with np.asarray(..., dtype=np.float32)"
        )
    if arr.ndim < min_ndim:
        raise ValueError(
            f"{where}: {name} must have at least {min_ndim} dimension(s) "
            f"(samples along axis 0), got shape {arr.shape}"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{where}: {name} is empty (shape {arr.shape}); it needs at least one sample")
    return arr


def check_same_length(x: np.ndarray, y: np.ndarray, where: str, x_name="X", y_name="y") -> None:
    """Raise if ``x`` and ``y`` have different numbers of samples (axis 0)."""
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"{where}: {x_name} and {y_name} must have the same number of samples "
            f"(axis 0), got {x_name}.shape={x.shape} and {y_name}.shape={y.shape}"
        )


def check_no_nan(x: np.ndarray, name: str, where: str, *, allow_inf: bool = True) -> None:
    """Raise if ``x`` holds NaN (and Inf unless ``allow_inf``), naming the first bad sample."""
    if not np.issubdtype(x.dtype, np.inexact):
        return
    bad = np.isnan(x) if allow_inf else ~np.isfinite(x)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        what = "NaN" if allow_inf else "NaN or Inf"
        raise ValueError(
            f"{where}: {name} contains {int(bad.sum())} {what} value(s), the first at index "
            f"{first}; remove or impute them before calling {where}"
        )


def is_integer_labels(y: np.ndarray) -> bool:
    """True when ``y`` is a 1-D array of integer (or bool) class labels."""
    return y.ndim == 1 and (np.issubdtype(y.dtype, np.integer) or y.dtype == np.bool_)
