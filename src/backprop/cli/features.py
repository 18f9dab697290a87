"""Feature files for ``backprop predict``: ``.npy`` arrays or CSV tables of numbers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .errors import CLIError, one_line

__all__ = ["read_features"]


def read_features(path, n_features: int, feature_names: list | None, where: str = "--input") -> np.ndarray:
    """Read a feature table from ``.npy`` or CSV (optional header; extra named columns ignored)."""
    import csv

    path = Path(path)
    if not path.exists():
        raise CLIError(f"{where} {path}: no such file")
    if path.is_dir():
        raise CLIError(f"{where} {path}: is a directory, expected a .csv or .npy file")
    if path.suffix.lower() == ".npy":
        try:
            X = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise CLIError(f"{where} {path}: not a numeric .npy array ({one_line(str(exc))})") from None
        if not np.issubdtype(X.dtype, np.number):
            raise CLIError(f"{where} {path}: the array must be numeric, got dtype {X.dtype}")
        X = np.atleast_2d(X)
        X = X.reshape(X.shape[0], -1).astype(np.float32)
        rows = None
    else:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = [(i + 1, [c.strip() for c in r]) for i, r in enumerate(csv.reader(fh)) if any(c.strip() for c in r)]
        if not rows:
            raise CLIError(f"{where} {path} is empty (no non-blank rows)")
        first = rows[0][1]
        columns = list(range(len(first)))
        header = not all(_is_float(c) for c in first)
        names = first if header else [f"column_{j + 1}" for j in columns]
        if header:
            rows = rows[1:]
            if feature_names and all(n in first for n in feature_names):
                columns = [first.index(n) for n in feature_names]
        if len(columns) != n_features:
            raise CLIError(f"{where} {path}: {len(columns)} feature columns, but the model takes {n_features}"
                           + (f" ({', '.join(feature_names)})" if feature_names else ""))
        if not rows:
            raise CLIError(f"{where} {path} has a header but no data rows")
        X = np.empty((len(rows), len(columns)), dtype=np.float64)
        for i, (line, cells) in enumerate(rows):
            if len(cells) != len(first):
                raise CLIError(f"{where} {path}: row {line} has {len(cells)} columns, expected {len(first)}")
            for k, j in enumerate(columns):
                cell = cells[j]
                if not _is_float(cell) or not math.isfinite(float(cell)):
                    what = "missing value" if cell.strip().lower() in ("", "na", "nan", "null", "none", "?") \
                        else "non-numeric value"
                    raise CLIError(f"{where} {path}: {what} {cell!r} at row {line}, column {names[j]!r}")
                X[i, k] = float(cell)
        X = X.astype(np.float32)
    if X.shape[1] != n_features:
        raise CLIError(f"{where} {path}: {X.shape[1]} features per row, but the model takes {n_features}")
    if not np.isfinite(X).all():
        row = int(np.argwhere(~np.isfinite(X))[0][0])
        raise CLIError(f"{where} {path}: NaN or Inf in row {row + 1}")
    return X


def _is_float(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
