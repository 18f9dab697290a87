"""``activation_functions``: every activation of :mod:`backprop.nn` and its derivative.

Both curves come from backprop itself — f(z) from the module's forward pass and f'(z)
from ``backward`` — so the picture doubles as a visual check of the library's
derivative table (the seeds' table of f and f').
"""

from __future__ import annotations

import numpy as np

from ._mpl import finish, import_matplotlib, new_figure

__all__ = ["activation_functions", "activation_curves"]


def _activation_classes():
    """Each activation class of ``backprop.nn.ACTIVATIONS`` once, in table order."""
    from ..nn.activations import ACTIVATIONS
    seen = []
    for cls in ACTIVATIONS.values():
        if cls not in seen:
            seen.append(cls)
    return seen


_VECTOR_VALUED = ("Softmax", "LogSoftmax")


def activation_curves(z):
    """``{name: (f(z), f'(z))}`` for every activation, computed with backprop's autograd.

    Elementwise activations give f and df/dz directly.  Softmax and LogSoftmax map a
    vector to a vector; they are shown on the two-class input ``[z, 0]``: f is component
    0 and f' is the diagonal entry ∂f₀/∂z₀ (for softmax that slice is the sigmoid).
    """
    from ..autograd.tensor import Tensor
    z = np.asarray(z, dtype=np.float64).reshape(-1)
    # Column 1 is the fixed 0 logit of the vector-valued activations; elementwise ones ignore it.
    inputs = np.stack([z, np.zeros_like(z)], axis=1)
    select = np.array([1.0, 0.0])
    curves = {}
    for cls in _activation_classes():
        module = cls()
        x = Tensor(inputs.copy(), requires_grad=True)
        a = module(x)
        # sum_i a[i, 0]: its gradient w.r.t. x[i, 0] is ∂a_i0/∂x_i0, the derivative we plot
        (a * Tensor(select)).sum().backward()
        name = cls.__name__ + ("([z, 0])₀" if cls.__name__ in _VECTOR_VALUED else "")
        curves[name] = (np.array(a.data[:, 0]), np.array(x.grad[:, 0]))
    return curves


def activation_functions(path=None, *, z_range=(-4.0, 4.0), n_points: int = 401, dpi: float = 100):
    """Plot every activation of :mod:`backprop.nn` with its derivative.

    Parameters
    ----------
    path : path, optional
        Save a PNG here (atomically).
    z_range : (float, float)
        Input interval; the default grid includes z = 0 exactly.
    n_points : int
        Grid size (>= 2).
    dpi : float
        Pixels per inch; each panel is 3.5 x 3 inches, four panels per row.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per activation titled with its class name (``"ReLU"``, ``"Softmax([z, 0])₀"``),
        holding two lines labelled ``"f(z)"`` and ``"f'(z)"`` in that order; their
        ``get_xdata()`` is the z grid (float64).
    """
    import_matplotlib()
    low, high = (float(v) for v in z_range)
    if not high > low or isinstance(n_points, bool) or int(n_points) < 2:
        raise ValueError(f"activation_functions: need z_range=(low, high) with low < high and n_points >= 2, "
                         f"got z_range={z_range!r}, n_points={n_points!r}")
    z = np.linspace(low, high, int(n_points))
    curves = activation_curves(z)
    ncols = 4
    nrows = (len(curves) + ncols - 1) // ncols
    fig = new_figure(3.5 * ncols, 3.0 * nrows, dpi)
    axes = fig.subplots(nrows, ncols, squeeze=False).reshape(-1)
    for ax, (name, (f, df)) in zip(axes, curves.items()):
        ax.plot(z, f, color="tab:blue", label="f(z)")
        ax.plot(z, df, color="tab:orange", linestyle="--", label="f'(z)")
        ax.axhline(0.0, color="0.7", linewidth=0.6)
        ax.axvline(0.0, color="0.7", linewidth=0.6)
        ax.set_title(name)
        ax.set_xlabel("z")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    for ax in axes[len(curves):]:
        ax.set_axis_off()
    return finish(fig, path)
