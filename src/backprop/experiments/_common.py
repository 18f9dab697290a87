"""What every experiment shares: the result type, the table printer, data and figure helpers."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np

__all__ = ["ExperimentResult", "format_table", "digits_split", "blobs", "figure", "save_figure", "fmt"]


@dataclass
class ExperimentResult:
    """What :func:`backprop.experiments.run_experiment` returns.

    Attributes
    ----------
    name : str
    rows : list of dict
        The table: one dict per configuration, the same keys in each (the columns).
    verdicts : dict of str to bool
        The claims the experiment checks (True: the measurement agrees with the claim).
    text : str
        The printed table, the verdicts and a one-paragraph conclusion.
    figure : str or None
        Path of the PNG written (None without ``out_dir`` or without matplotlib).
    details : dict
        Extra measurements (curves, per-layer profiles) for plots and tests.
    """

    name: str
    rows: list
    verdicts: dict
    text: str
    figure: str | None = None
    details: dict = field(default_factory=dict)

    def __post_init__(self):
        self.verdicts = {str(k): bool(v) for k, v in self.verdicts.items()}

    def __str__(self) -> str:
        return self.text


def fmt(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if not math.isfinite(v):
            return str(v)
        if v == 0:
            return "0"
        return f"{v:.3g}" if 1e-3 <= abs(v) < 1e5 else f"{v:.2e}"
    return str(value)


def format_table(rows: list) -> str:
    if not rows:
        return "(no rows)"
    columns = list(rows[0])
    cells = [[fmt(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    line = lambda values: "  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths)))  # noqa: E731
    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def report_text(title: str, rows: list, verdicts: dict, conclusion: str, hint: str | None = None) -> str:
    parts = [title, "=" * len(title), format_table(rows), "", "verdicts:"]
    parts += [f"  [{'ok' if ok else 'NO'}] {claim}" for claim, ok in verdicts.items()]
    parts += ["", conclusion]
    if hint:
        parts.append(hint)
    return "\n".join(parts)


def digits_split(n_train: int | None = None, n_val: int | None = None, seed: int = 0):
    """Standardized digits: ``(X_train, y_train), (X_val, y_val)`` (a seeded stratified split)."""
    from ..data import Standardizer, load_digits, train_test_split
    X, y = load_digits()
    (x_tr, y_tr), (x_va, y_va) = _split(train_test_split(X, y, test_size=0.25, rng=seed))
    if n_train is not None:
        x_tr, y_tr = x_tr[:n_train], y_tr[:n_train]
    if n_val is not None:
        x_va, y_va = x_va[:n_val], y_va[:n_val]
    scaler = Standardizer().fit(x_tr)
    return ((scaler.transform(x_tr).astype(np.float32), y_tr), (scaler.transform(x_va).astype(np.float32), y_va))


def _split(result):
    # train_test_split returns X_train, X_test, y_train, y_test (scikit-learn's order)
    if len(result) == 4:
        x_tr, x_va, y_tr, y_va = result
        return (x_tr, y_tr), (x_va, y_va)
    return result


def blobs(n_samples: int = 512, n_features: int = 10, n_classes: int = 3, seed: int = 0):
    from ..data import Standardizer, gaussian_blobs
    X, y = gaussian_blobs(n_samples, n_classes, n_features, rng=seed)
    return Standardizer().fit_transform(X).astype(np.float32), y


_NO_PLOT_HINT = "(no figure: install matplotlib — pip install 'backprop[plot]' — to get one)"


def figure(width: float = 8.0, height: float = 5.0):
    """A matplotlib Figure from backprop.plot's helpers, or None when matplotlib is missing."""
    try:
        from ..plot import available
        from ..plot._mpl import new_figure
    except ImportError:
        return None
    if not available():
        return None
    return new_figure(width, height)


def save_figure(fig, out_dir, name: str):
    """Write ``fig`` as ``<out_dir>/<name>.png``; returns the path, or None (with no figure/out_dir)."""
    if fig is None or out_dir is None:
        return None
    from ..plot._mpl import finish
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(os.fspath(out_dir), f"{name}.png")
    finish(fig, path)
    return path


def plot_hint(out_dir, path):
    if out_dir is None:
        return None
    return f"figure: {path}" if path else _NO_PLOT_HINT


def loss_curve_axes(fig, curves: dict, title: str, ylabel: str = "training loss", log: bool = True):
    ax = fig.subplots()
    for label, values in curves.items():
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(1, values.size + 1), np.where(np.isfinite(values), values, np.nan), label=label)
    if log:
        ax.set_yscale("log", nonpositive="mask")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return ax
