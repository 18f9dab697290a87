"""Load arrays from a NumPy ``.npz`` archive, safely (never unpickling)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["load_npz"]

_SPLIT_KEYS = ("x_train", "y_train", "x_test", "y_test")


def _get(archive, key: str, path: Path) -> np.ndarray:
    try:
        return archive[key]
    except ValueError as err:
        # np.load raises ValueError for object arrays when allow_pickle=False.
        raise ValueError(
            f"load_npz: {path}: array {key!r} is an object array, which can only be "
            "read by unpickling (unsafe, so refused); save it again with a numeric "
            "dtype, e.g. np.savez(path, X=X.astype(np.float32), y=y.astype(np.int64))"
        ) from err


def _as_x(x: np.ndarray, key: str, path: Path) -> np.ndarray:
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == np.bool_):
        raise ValueError(f"load_npz: {path}: {key!r} must be numeric, got dtype {x.dtype}")
    if x.ndim == 0:
        raise ValueError(f"load_npz: {path}: {key!r} must have a sample axis, got a scalar")
    return x.astype(np.float32)


def _as_y(y: np.ndarray, key: str, path: Path) -> np.ndarray:
    if np.issubdtype(y.dtype, np.integer) or y.dtype == np.bool_:
        return y.astype(np.int64)
    if np.issubdtype(y.dtype, np.floating):
        return y.astype(np.float32)
    raise ValueError(
        f"load_npz: {path}: {key!r} must hold integer class labels or float targets, "
        f"got dtype {y.dtype}; encode string labels as integers before saving"
    )


def _pair(x, y, x_key, y_key, path):
    if y is not None and x.shape[0] != y.shape[0]:
        raise ValueError(
            f"load_npz: {path}: {x_key!r} has {x.shape[0]} samples but {y_key!r} has "
            f"{y.shape[0]}; they must match"
        )
    return x, y


def load_npz(path, x_key: str = "X", y_key: str = "y"):
    """Load features and targets from a ``.npz`` file.

    Two layouts are understood:

    1. One dataset: arrays named ``x_key`` and (optionally) ``y_key``;
       returns ``(X, y)``, with ``y`` ``None`` when the file has no ``y_key``.
    2. A Keras-style split, used when ``x_key`` is absent: arrays ``x_train``,
       ``y_train``, ``x_test``, ``y_test`` (the key names are matched
       case-insensitively, so ``X_train`` works); returns
       ``((X_train, y_train), (X_test, y_test))`` like :func:`load_mnist_dir`.

    Parameters
    ----------
    path : str or os.PathLike
    x_key, y_key : str, default "X", "y"

    Returns
    -------
    (X, y) or ((X_train, y_train), (X_test, y_test))
        ``X`` float32 (values unchanged, any shape with samples on axis 0);
        ``y`` int64 for integer/bool labels, float32 for float targets.

    Raises
    ------
    ValueError
        For object arrays (never unpickled: ``allow_pickle=False``), non-numeric
        arrays, sample-count mismatches, a ``.npy`` file or a file that is
        neither layout (the message lists the keys it holds).
    """
    path = Path(os.fspath(path))
    try:
        loaded = np.load(path, allow_pickle=False)
    except (ValueError, zipfile.BadZipFile, OSError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise ValueError(f"load_npz: {path} is not a readable .npz archive ({err})") from err
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise ValueError(
            f"load_npz: {path} is a single .npy array, not a .npz archive; save X and y "
            "together with np.savez(path, X=X, y=y)"
        )
    with loaded as archive:
        keys = list(archive.files)
        if x_key in keys:
            x = _as_x(_get(archive, x_key, path), x_key, path)
            y = _as_y(_get(archive, y_key, path), y_key, path) if y_key in keys else None
            return _pair(x, y, x_key, y_key, path)
        lower = {k.lower(): k for k in keys}
        if all(k in lower for k in _SPLIT_KEYS):
            out = []
            for split in ("train", "test"):
                xk, yk = lower[f"x_{split}"], lower[f"y_{split}"]
                x = _as_x(_get(archive, xk, path), xk, path)
                y = _as_y(_get(archive, yk, path), yk, path)
                out.append(_pair(x, y, xk, yk, path))
            return tuple(out)
    raise ValueError(
        f"load_npz: {path} holds arrays {keys}; expected {x_key!r} (and optionally "
        f"{y_key!r}) or all of {list(_SPLIT_KEYS)}; pass x_key=/y_key= to name the arrays"
    )
