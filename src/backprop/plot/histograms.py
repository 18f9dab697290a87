"""``histograms``: weight, gradient and activation distributions, one panel per array."""

from __future__ import annotations

import numpy as np

from ._mpl import as_array, finish, import_matplotlib, new_figure

__all__ = ["histograms"]


def _hist(ax, values, title, color, bins):
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    finite = values[np.isfinite(values)]
    ax.set_title(title, fontsize="small")
    if finite.size == 0:
        ax.text(0.5, 0.5, "no finite values" if values.size else "empty", ha="center", va="center",
                transform=ax.transAxes)
        return
    ax.hist(finite, bins=min(bins, max(5, finite.size)), color=color, alpha=0.8)  # few values: few bins
    ax.tick_params(labelsize="x-small")
    stats = f"mean {finite.mean():.3g}\nstd {finite.std():.3g}"
    if finite.size < values.size:
        stats += f"\n{values.size - finite.size} non-finite"
    ax.text(0.98, 0.95, stats, ha="right", va="top", fontsize="x-small", transform=ax.transAxes)


def _missing(ax, title, text):
    ax.set_title(title, fontsize="small")
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize="small")
    ax.set_xticks([])
    ax.set_yticks([])


def histograms(model, path=None, *, activations=None, gradients: bool = True, bins: int = 50, dpi: float = 100):
    """Histograms of every parameter (and its gradient) and, optionally, of activations.

    Layout: one row per parameter of ``model.named_parameters()`` — its values on the
    left and, with ``gradients=True``, its current ``.grad`` on the right (a panel saying
    "no gradient" where ``.grad`` is None: run a backward pass first) — then the
    activation panels, two per row.

    Parameters
    ----------
    model : Module
    path : path, optional
        Save a PNG here (atomically).
    activations : dict, optional
        ``{name: array or Tensor}``, e.g. collected with forward hooks::

            acts = {}
            for name, m in model.named_modules():
                if name:
                    m.register_forward_hook(lambda mod, inp, out, name=name: acts.__setitem__(name, out.data))
    gradients : bool
        Add the gradient column.
    bins : int
    dpi : float
        Pixels per inch; each panel is 4 x 2.5 inches.

    Returns
    -------
    matplotlib.figure.Figure
        Panel titles are ``"weight: <name>"``, ``"gradient: <name>"`` and
        ``"activation: <name>"``; non-finite values are counted, not binned.
    """
    import_matplotlib()
    if not hasattr(model, "named_parameters"):
        raise TypeError(f"histograms: model must be a backprop.nn.Module, got {type(model).__name__}")
    params = list(model.named_parameters())
    activations = dict(activations or {})
    if not params and not activations:
        raise ValueError("histograms: the model has no parameters and no activations were given; nothing to plot")
    ncols = 2 if (gradients or activations) else 1
    rows = len(params) + (len(activations) + ncols - 1) // ncols
    fig = new_figure(4.0 * ncols, 2.5 * rows, dpi)
    axes = fig.subplots(rows, ncols, squeeze=False)
    for row, (name, param) in enumerate(params):
        _hist(axes[row, 0], param.data, f"weight: {name}", "tab:blue", bins)
        if gradients:
            if param.grad is None:
                _missing(axes[row, 1], f"gradient: {name}", "no gradient\n(run backward first)")
            else:
                _hist(axes[row, 1], param.grad, f"gradient: {name}", "tab:orange", bins)
        elif ncols == 2:
            axes[row, 1].set_axis_off()
    cells = [axes[len(params) + k // ncols, k % ncols] for k in range(rows * ncols - len(params) * ncols)]
    for ax, (name, value) in zip(cells, activations.items()):
        _hist(ax, as_array(value), f"activation: {name}", "tab:green", bins)
    for ax in cells[len(activations):]:
        ax.set_axis_off()
    return finish(fig, path)
