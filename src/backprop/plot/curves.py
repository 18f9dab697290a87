"""``learning_curves``: training vs validation loss and metrics, epoch by epoch."""

from __future__ import annotations

import math

from ._mpl import finish, import_matplotlib, new_figure

__all__ = ["learning_curves", "history_columns"]

#: keys of ``History.history`` that are not "a quantity with a validation twin"
_NOT_METRICS = ("loss", "lr", "grad_norm")


def history_columns(history):
    """``(epochs, columns)`` from a :class:`~backprop.train.History`, its ``.history`` dict,
    or its ``to_dict()`` form.

    ``epochs`` is 1-based (the first finished epoch is epoch 1, as the progress display
    prints it); ``columns`` maps each key to its list of per-epoch floats.
    """
    epochs = None
    if hasattr(history, "history") and isinstance(history.history, dict):  # a History
        columns, epochs = history.history, list(getattr(history, "epoch", []) or [])
    elif isinstance(history, dict) and isinstance(history.get("history"), dict):  # History.to_dict()
        columns, epochs = history["history"], list(history.get("epoch") or [])
    elif isinstance(history, dict):
        columns = history
    else:
        raise TypeError("expected a backprop.train.History, its .history dict (key -> list of per-epoch values) "
                        f"or History.to_dict(); got {type(history).__name__}")
    columns = {str(k): [float(v) for v in values] for k, values in columns.items()}
    n = max((len(v) for v in columns.values()), default=0)
    if not epochs or len(epochs) != n:
        epochs = list(range(n))
    return [e + 1 for e in epochs], columns


def _panels(columns):
    """``[(title, [train key, val key]), ...]``: loss first, then every metric."""
    panels = []
    if "loss" in columns or "val_loss" in columns:
        panels.append(("loss", [k for k in ("loss", "val_loss") if k in columns]))
    for key in columns:
        base = key[4:] if key.startswith("val_") else key
        if base in _NOT_METRICS or "/" in base or any(title == base for title, _ in panels):
            continue
        panels.append((base, [k for k in (base, "val_" + base) if k in columns]))
    return panels


def learning_curves(history, path=None, *, dpi: float = 100):
    """Plot training and validation loss (and every metric) per epoch.

    One panel per quantity: ``loss`` vs ``val_loss``, then ``accuracy`` vs
    ``val_accuracy`` and so on for each metric the history holds.  ``lr``,
    ``grad_norm`` and per-layer keys (``grad_norm/<layer>``) are left to
    :func:`~backprop.plot.gradient_flow`.

    Parameters
    ----------
    history : History or dict
        What :func:`backprop.train.fit` returns, its ``.history`` dict (key -> list of
        per-epoch values) or ``History.to_dict()``.
    path : path, optional
        Save a PNG here (atomically).
    dpi : float
        Pixels per inch; each panel is 5 x 4 inches.

    Returns
    -------
    matplotlib.figure.Figure
        Training curves are solid lines labelled with their key (``"loss"``), validation
        curves dashed (``"val_loss"``); NaN entries (an epoch without the value) are gaps.
    """
    import_matplotlib()
    epochs, columns = history_columns(history)
    panels = _panels(columns)
    if not panels:
        raise ValueError(f"learning_curves: the history has no loss or metric to plot (keys: {sorted(columns)})")
    fig = new_figure(5.0 * len(panels), 4.0, dpi)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (title, keys) in zip(axes, panels):
        for key in keys:
            values = columns[key]
            style = "--" if key.startswith("val_") else "-"
            label = "validation" if key.startswith("val_") else "training"
            ax.plot(epochs[:len(values)], values, style, marker="o", markersize=3, label=f"{label} ({key})")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.set_ylabel(title)
        finite = [v for k in keys for v in columns[k] if math.isfinite(v)]
        if title == "loss" and finite and min(finite) > 0 and max(finite) / min(finite) > 100:
            ax.set_yscale("log")  # losses that fall by orders of magnitude read better on a log axis
        ax.grid(True, alpha=0.3)
        ax.legend()
    return finish(fig, path)
