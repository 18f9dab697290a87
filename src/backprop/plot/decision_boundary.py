"""``decision_boundary``: predicted class regions of a 2-D classifier with the data on top.

TensorFlow Playground's picture: the plane is coloured by the class the model predicts
at each point of a ``resolution`` x ``resolution`` grid, and the training points are
drawn over it in their true class's colour.
"""

from __future__ import annotations

import numpy as np

from ._mpl import as_array, finish, import_matplotlib, new_figure

__all__ = ["decision_boundary", "predict_classes"]

_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"]


def _last_leaf(model):
    leaves = [m for _, m in model.named_modules() if not any(True for _ in m.children())]
    return leaves[-1] if leaves else model


def _model_dtype(model):
    for param in model.parameters():
        if param.data.dtype.kind == "f":
            return param.data.dtype
    return np.dtype(np.float32)


def predict_classes(model, points, threshold=None, batch_size: int = 8192):
    """Predicted class index for each row of ``points`` (eval mode, ``no_grad``, modes restored).

    A multi-column output gives ``argmax``; a single column gives ``output > threshold``,
    where ``threshold=None`` means 0.5 after a final Sigmoid (probabilities) and 0
    otherwise (logits, as with ``BCEWithLogitsLoss``).
    """
    from ..autograd.grad_mode import no_grad
    from ..autograd.tensor import Tensor
    if threshold is None:
        threshold = 0.5 if type(_last_leaf(model)).__name__ == "Sigmoid" else 0.0
    points = np.asarray(points, dtype=_model_dtype(model))
    modes = {id(m): (m, m.training) for m in model.modules()}
    outputs = []
    try:
        model.eval()
        with no_grad():
            for start in range(0, points.shape[0], batch_size):
                outputs.append(as_array(model(Tensor(points[start:start + batch_size]))))
    finally:
        for module, training in modes.values():
            object.__setattr__(module, "training", training)
    out = np.concatenate(outputs)
    if out.ndim == 1 or (out.ndim == 2 and out.shape[1] == 1):
        return (out.reshape(-1) > threshold).astype(np.int64)
    if out.ndim != 2:
        raise ValueError(f"decision_boundary: the model's output has shape {out.shape}; expected (n, n_classes) "
                         "or (n, 1)")
    return np.argmax(out, axis=1)


def _labels(y, n_samples):
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:  # one-hot
        y = np.argmax(y, axis=1)
    y = y.reshape(-1)
    if y.shape[0] != n_samples:
        raise ValueError(f"decision_boundary: y has {y.shape[0]} labels but X has {n_samples} samples")
    if y.size and not np.all(np.isfinite(y.astype(np.float64))):
        raise ValueError("decision_boundary: y contains NaN or Inf")
    if y.size and not np.all(y.astype(np.float64) == np.round(y.astype(np.float64))):
        raise ValueError("decision_boundary: y must hold class labels (integers, or 0/1 floats, or one-hot rows); "
                         "got non-integer values — this plot is for classifiers")
    return y.astype(np.int64)


def decision_boundary(model, X, y, path=None, resolution: int = 200, *, threshold=None, padding: float = 0.1,
                      dpi: float = 100):
    """Plot the predicted class regions of ``model`` over 2-D data, with the points on top.

    Parameters
    ----------
    model : Module
        Maps ``(n, 2)`` inputs to class scores ``(n, n_classes)`` (argmax) or to one
        column (binary: logit > 0, or probability > 0.5 after a final Sigmoid).
    X : array_like, shape (n_samples, 2)
        Exactly two features; anything else is a ``ValueError``.
    y : array_like, shape (n_samples,)
        Integer class labels (or one-hot rows).
    path : path, optional
        Save a PNG here (atomically).
    resolution : int
        Grid points per axis (>= 2).
    threshold : float, optional
        Cut-off for single-column outputs (see above).
    padding : float
        Margin around the data, as a fraction of its range.
    dpi : float
        Pixels per inch of the 6 x 5 inch figure.

    Returns
    -------
    matplotlib.figure.Figure
        The axes hold the class map (an image whose ``get_array()`` is the
        ``resolution`` x ``resolution`` predicted class grid, rows = x₂) and one scatter
        collection per class.  The model's train/eval modes are restored.
    """
    import_matplotlib()  # fail fast, before the grid is predicted
    X = as_array(X)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"decision_boundary: X must have shape (n_samples, 2) — two input features to draw on "
                         f"a plane — got shape {X.shape}; project the data to 2-D first (e.g. PCA) or plot a "
                         "model trained on two features")
    if X.shape[0] == 0:
        raise ValueError("decision_boundary: X is empty")
    X = X.astype(np.float64)
    if not np.all(np.isfinite(X)):
        raise ValueError("decision_boundary: X contains NaN or Inf")
    if isinstance(resolution, bool) or int(resolution) != resolution or resolution < 2:
        raise ValueError(f"decision_boundary: resolution must be an integer >= 2, got {resolution!r}")
    resolution = int(resolution)
    labels = _labels(y, X.shape[0])

    low, high = X.min(axis=0), X.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    low, high = low - padding * span, high + padding * span
    g1, g2 = np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution)
    grid1, grid2 = np.meshgrid(g1, g2)
    grid = np.column_stack([grid1.ravel(), grid2.ravel()])
    classes = predict_classes(model, grid, threshold).reshape(resolution, resolution)

    from matplotlib.colors import BoundaryNorm, ListedColormap
    n_classes = int(max(classes.max(), labels.max() if labels.size else 0)) + 1
    colors = [_COLORS[k % len(_COLORS)] for k in range(n_classes)]
    cmap = ListedColormap(colors)
    norm = BoundaryNorm(np.arange(-0.5, n_classes + 0.5), n_classes)

    fig = new_figure(6.0, 5.0, dpi)
    ax = fig.subplots()
    ax.imshow(classes, origin="lower", extent=(low[0], high[0], low[1], high[1]), cmap=cmap, norm=norm,
              alpha=0.35, aspect="auto", interpolation="nearest")
    if n_classes > 1 and len(np.unique(classes)) > 1:
        ax.contour(grid1, grid2, classes, levels=np.arange(0.5, n_classes - 0.5), colors="k", linewidths=0.8)
    for k in range(n_classes):
        mask = labels == k
        if mask.any():
            ax.scatter(X[mask, 0], X[mask, 1], s=18, color=colors[k], edgecolors="k", linewidths=0.5,
                       label=f"class {k}")
    accuracy = float(np.mean(predict_classes(model, X, threshold) == labels))
    ax.set_title(f"decision boundary (training accuracy {accuracy:.1%})")
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    ax.legend(fontsize="small", loc="best")
    return finish(fig, path)
