"""``gradient_flow``: per-layer gradient norms over epochs, on a log axis.

Accepted inputs (the gradient-flow monitor may record into any of them)
-----------------------------------------------------------------------
1. ``{layer_name: [value per epoch, ...]}`` — the canonical form.
2. A :class:`~backprop.train.History` (or its ``.history`` dict, or ``to_dict()``) whose
   keys include ``"grad_norm/<layer name>"`` — what ``fit(..., monitor=True)`` records
   (the prefix is ``"<stat>/"``, or the ``key_prefix`` argument).
   Without any per-layer key, the global ``"grad_norm"`` is plotted as one line.
3. An object with a ``layers`` attribute (``History.layers``) holding form 1, or
   ``{layer_name: {stat: [values]}}`` from which the ``stat`` argument (default
   ``"grad_norm"``) is taken.
4. A list of per-epoch records ``[{layer_name: value, ...}, ...]`` (one dict per epoch).
"""

from __future__ import annotations

import math

import numpy as np

from ._mpl import finish, import_matplotlib, new_figure

__all__ = ["gradient_flow", "layer_series"]


def _from_layers(layers, stat):
    series = {}
    for name, value in layers.items():
        if isinstance(value, dict):
            if stat not in value:
                raise ValueError(f"gradient_flow: layer {name!r} has no {stat!r} series "
                                 f"(it has {sorted(value)}); pass stat=...")
            value = value[stat]
        series[str(name)] = value
    return series


def layer_series(history_or_records, key_prefix: str | None = None, stat: str = "grad_norm"):
    """``{layer_name: ndarray of per-epoch values}`` from any accepted input (see the module notes)."""
    key_prefix = f"{stat}/" if key_prefix is None else key_prefix
    data = history_or_records
    if hasattr(data, "layers") and isinstance(data.layers, dict) and data.layers:
        series = _from_layers(data.layers, stat)
    elif isinstance(data, (list, tuple)):
        if not all(isinstance(record, dict) for record in data):
            raise TypeError("gradient_flow: a list input must hold one dict {layer_name: value} per epoch")
        names = list(dict.fromkeys(name for record in data for name in record))
        series = {name: [record.get(name, math.nan) for record in data] for name in names}
    else:
        columns = getattr(data, "history", None)
        if isinstance(data, dict) and isinstance(data.get("history"), dict):
            columns = data["history"]
        elif columns is None and isinstance(data, dict):
            columns = data
        if not isinstance(columns, dict):
            raise TypeError("gradient_flow: expected {layer_name: [values per epoch]}, a History with "
                            f"'{key_prefix}<layer>' keys, an object with .layers, or a list of per-epoch dicts; "
                            f"got {type(data).__name__}")
        is_history = columns is not data or _looks_like_history(columns)
        prefixed = {k[len(key_prefix):]: v for k, v in columns.items() if k.startswith(key_prefix)}
        if prefixed:
            series = prefixed
        elif is_history and "grad_norm" in columns:
            series = {"all parameters (global norm)": columns["grad_norm"]}
        elif is_history:
            raise ValueError(f"gradient_flow: the history has no per-layer gradient statistics (no "
                             f"'{key_prefix}<layer>' keys and no 'grad_norm'); train with the gradient-flow "
                             "monitor or pass {layer_name: [values per epoch]}")
        else:
            series = _from_layers(columns, stat)
    out = {}
    for name, values in series.items():
        array = np.asarray(values, dtype=np.float64).reshape(-1)
        out[name] = array
    if not out:
        raise ValueError("gradient_flow: there are no layers to plot")
    return out


def _looks_like_history(columns) -> bool:
    """A ``History.history`` dict (has ``loss``/``lr``) rather than a ``{layer: values}`` dict."""
    return "loss" in columns or "lr" in columns


def gradient_flow(history_or_records, path=None, *, key_prefix: str | None = None, stat: str = "grad_norm",
                  dpi: float = 100):
    """Plot each layer's gradient norm per epoch on a log scale.

    Healthy training shows lines of similar height; lines that fall by orders of
    magnitude towards the input are vanishing gradients, lines that grow are exploding
    ones.

    Parameters
    ----------
    history_or_records : dict, History, object with ``.layers``, or list of dicts
        See the module notes for the accepted forms; the simplest is
        ``{layer_name: [value per epoch, ...]}``.
    path : path, optional
        Save a PNG here (atomically).
    key_prefix : str, optional
        Prefix of per-layer keys in a History; default ``"<stat>/"`` (``"grad_norm/<layer>"``,
        the flat keys that ``fit(..., monitor=True)`` records).
    stat : str
        Statistic taken from ``{layer: {stat: [...]}}`` inputs.
    dpi : float
        Pixels per inch of the 8 x 5 inch figure.

    Returns
    -------
    matplotlib.figure.Figure
        One line per layer, labelled with the layer's name, x = epoch (1-based).
        Values <= 0 or NaN are left out (they have no logarithm).
    """
    import_matplotlib()
    series = layer_series(history_or_records, key_prefix, stat)
    fig = new_figure(8.0, 5.0, dpi)
    ax = fig.subplots()
    cmap = _colormap(len(series))
    for i, (name, values) in enumerate(series.items()):
        epochs = np.arange(1, values.size + 1)
        shown = np.where(np.isfinite(values) & (values > 0), values, np.nan)
        ax.plot(epochs, shown, marker="o", markersize=3, label=name, color=cmap(i))
    ax.set_yscale("log", nonpositive="mask")
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"{stat} (log scale)")
    ax.set_title("gradient flow: per-layer gradient norm")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small", loc="best")
    return finish(fig, path)


def _colormap(n):
    from matplotlib import colormaps
    cmap = colormaps["viridis"]
    return lambda i: cmap(0.0 if n <= 1 else 0.9 * i / (n - 1))
