"""Load a numeric table from a CSV file (named ``tabular`` so it never shadows stdlib ``csv``)."""

from __future__ import annotations

import csv
import math
import numbers
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = ["CSVData", "load_csv"]

# Cells read as "missing" (case-insensitive, after stripping spaces).
_MISSING = frozenset({"", "na", "nan", "n/a", "null", "none", "?"})


class CSVData(NamedTuple):
    """The result of :func:`load_csv`.

    Attributes
    ----------
    X : numpy.ndarray of float32, shape (n_samples, n_features)
    y : numpy.ndarray
        int64 class indices ``0..k-1`` of shape ``(n_samples,)`` for
        classification; float32 of shape ``(n_samples, 1)`` for regression.
    feature_names : list of str
        Header names of the feature columns, or ``column_<j>`` (1-based file
        column) when the file has no header.
    classes : numpy.ndarray or None
        ``classes[i]`` is the original label of class index ``i`` (int64 when
        every label is an integer, else str); ``None`` for regression.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: list
    classes: np.ndarray | None


def _is_missing(cell: str) -> bool:
    return cell.strip().lower() in _MISSING


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _read_rows(path: Path, delimiter: str) -> list[tuple[int, list[str]]]:
    """Return ``(1-based line number, cells)`` for every non-blank row."""
    rows = []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        line = 1
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append((line, [c.strip() for c in cells]))
            line = reader.line_num + 1
    return rows


def _resolve_target(target, names: list[str], has_header: bool, path: Path) -> int:
    n_columns = len(names)
    if target is None:
        return n_columns - 1
    if isinstance(target, str):
        if not has_header:
            raise ValueError(
                f"load_csv: {path}: target={target!r} is a column name but the file is read "
                "without a header; pass header=True or give the target as a column index"
            )
        matches = [j for j, name in enumerate(names) if name == target]
        if not matches:
            raise ValueError(
                f"load_csv: {path}: target column {target!r} not found; the columns are {names}"
            )
        if len(matches) > 1:
            raise ValueError(
                f"load_csv: {path}: target column name {target!r} appears {len(matches)} times "
                "in the header; give the target as a column index instead"
            )
        return matches[0]
    if isinstance(target, numbers.Integral) and not isinstance(target, bool):
        if not -n_columns <= target < n_columns:
            raise ValueError(
                f"load_csv: {path}: target index {target} is out of range for {n_columns} "
                f"columns (valid: {-n_columns}..{n_columns - 1})"
            )
        return int(target) % n_columns
    raise TypeError(
        f"load_csv: target must be None, a column name (str) or a column index (int), "
        f"got {type(target).__name__}"
    )


def _parse_float(cell: str, line: int, name: str, path: Path) -> float:
    if _is_missing(cell):
        raise ValueError(
            f"load_csv: {path}: missing value {cell!r} at row {line}, column {name!r}; "
            "remove or impute the row before loading"
        )
    try:
        value = float(cell)
    except ValueError:
        raise ValueError(
            f"load_csv: {path}: non-numeric value {cell!r} at row {line}, column {name!r}; "
            "feature columns must hold numbers"
        ) from None
    if not math.isfinite(value):
        raise ValueError(
            f"load_csv: {path}: non-finite value {cell!r} at row {line}, column {name!r}"
        )
    return value


def _encode_labels(cells: list[str], lines: list[int], name: str, path: Path):
    for cell, line in zip(cells, lines):
        if _is_missing(cell):
            raise ValueError(
                f"load_csv: {path}: missing label {cell!r} at row {line}, column {name!r}"
            )
    numeric = all(_is_number(c) for c in cells)
    if numeric:
        values = [float(c) for c in cells]
        for value, cell, line in zip(values, cells, lines):
            if not (math.isfinite(value) and value.is_integer()):
                raise ValueError(
                    f"load_csv: {path}: label {cell!r} at row {line}, column {name!r} is not "
                    "an integer class label; pass task='regression' for a numeric target"
                )
        labels = np.array([int(v) for v in values], dtype=np.int64)
    else:
        labels = np.array(cells, dtype=str)
    classes, y = np.unique(labels, return_inverse=True)
    if classes.size < 2:
        raise ValueError(
            f"load_csv: {path}: target column {name!r} holds a single class "
            f"({classes[0]!r}); classification needs at least 2 classes (pass "
            "task='regression' for a numeric target, or check the target column)"
        )
    return y.astype(np.int64).reshape(-1), classes


def load_csv(path, target=None, *, header="auto", delimiter: str = ",",
             task: str = "classification") -> CSVData:
    """Load a CSV file of numeric features and one target column.

    Parameters
    ----------
    path : str or os.PathLike
    target : None, str or int, default None
        The target column: a header name, a 0-based index (negative counts from
        the end), or ``None`` for the last column.
    header : {"auto", True, False}, default "auto"
        ``"auto"``: the first row is a header when any of its feature cells is
        non-numeric (a header of numbers cannot be detected; pass ``True``).
        A string ``target`` implies a header.
    delimiter : str, default ","
    task : {"classification", "regression"}, default "classification"
        ``"classification"`` maps the target's labels (strings or integers) to
        class indices ``0..k-1`` in sorted order (numeric order for integers);
        ``"regression"`` keeps a numeric target as float32 of shape ``(n, 1)``.

    Returns
    -------
    CSVData
        ``(X, y, feature_names, classes)``, see :class:`CSVData`.

    Raises
    ------
    ValueError
        Naming the file, the 1-based row (line) number and the column for a
        missing or non-numeric cell or a ragged row; also for an empty file, a
        header with no data, a table with no feature column, or a single class.

    Notes
    -----
    Blank lines are skipped. Cells ``""``, ``NA``, ``NaN``, ``N/A``, ``null``,
    ``None`` and ``?`` count as missing values (an error, never silently NaN).
    """
    path = Path(os.fspath(path))
    if task not in ("classification", "regression"):
        raise ValueError(f"load_csv: task must be 'classification' or 'regression', got {task!r}")
    if header not in ("auto", True, False):
        raise ValueError(f"load_csv: header must be 'auto', True or False, got {header!r}")
    rows = _read_rows(path, delimiter)
    if not rows:
        raise ValueError(f"load_csv: {path} is empty (no non-blank rows); nothing to load")

    first_line, first = rows[0]
    n_columns = len(first)
    if n_columns < 2:
        raise ValueError(
            f"load_csv: {path}: row {first_line} has {n_columns} column with delimiter "
            f"{delimiter!r}; need at least one feature and one target column "
            "(is the delimiter right?)"
        )
    generic = [f"column_{j + 1}" for j in range(n_columns)]
    if header == "auto":
        if isinstance(target, str):
            has_header = True
        else:
            target_index = _resolve_target(target, generic, False, path)
            has_header = any(
                not _is_missing(cell) and not _is_number(cell)
                for j, cell in enumerate(first) if j != target_index
            )
    else:
        has_header = bool(header)
    names = list(first) if has_header else generic
    target_index = _resolve_target(target, names, has_header, path)
    data = rows[1:] if has_header else rows
    if not data:
        raise ValueError(f"load_csv: {path} has a header row but no data rows")

    feature_columns = [j for j in range(n_columns) if j != target_index]
    X = np.empty((len(data), len(feature_columns)), dtype=np.float64)
    target_cells, lines = [], []
    for i, (line, cells) in enumerate(data):
        if len(cells) != n_columns:
            raise ValueError(
                f"load_csv: {path}: row {line} has {len(cells)} columns, expected "
                f"{n_columns} (as in row {first_line})"
            )
        for k, j in enumerate(feature_columns):
            X[i, k] = _parse_float(cells[j], line, names[j], path)
        target_cells.append(cells[target_index])
        lines.append(line)

    target_name = names[target_index]
    if task == "regression":
        values = [_parse_float(c, line, target_name, path) for c, line in zip(target_cells, lines)]
        y = np.asarray(values, dtype=np.float32).reshape(-1, 1)
        classes = None
    else:
        y, classes = _encode_labels(target_cells, lines, target_name, path)
    return CSVData(
        X=X.astype(np.float32),
        y=y,
        feature_names=[names[j] for j in feature_columns],
        classes=classes,
    )
