"""Evaluation metrics computed in NumPy on a model's outputs (never part of the graph).

A metric is a callable ``metric(y_pred, y_true) -> float`` with a ``name`` attribute
(the key it gets in :class:`~backprop.train.History`, ``val_``-prefixed for the
validation data).  ``y_pred`` is the raw model output as an ndarray, ``y_true`` the
targets as given to :func:`~backprop.train.fit`.

Built-in names (:func:`get_metric`)
    ``"accuracy"`` (alias ``"acc"``), ``"top_5_accuracy"`` (any k: ``"top_3_accuracy"``,
    ``"top3_accuracy"``), ``"mse"``, ``"mae"``, ``"r2"``.

Accuracy rules
    * Several output columns: the predicted class is the arg-max (logits and
      probabilities give the same arg-max, so either works).
    * One output column (or a 1-D output): binary; the prediction is
      ``y_pred > threshold``.  The threshold is 0.5 for probabilities and 0 for logits
      (``Accuracy(from_logits=True)``; :func:`fit` picks that one by itself when the loss
      is ``BCEWithLogitsLoss``).
    * Targets are integer class labels, shape ``(n,)`` or ``(n, 1)``; one-hot targets of
      the output's shape are accepted too (their arg-max is the label).
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["Metric", "Accuracy", "TopKAccuracy", "MeanSquaredError", "MeanAbsoluteError", "R2Score",
           "METRICS", "get_metric", "resolve_metrics"]


def _as_array(x) -> np.ndarray:
    data = getattr(x, "data", x)  # a Tensor gives its ndarray
    return np.asarray(data)


def _labels(y_true: np.ndarray, y_pred: np.ndarray, where: str) -> np.ndarray:
    """Integer labels of shape (n,) from int labels, an (n, 1) column or one-hot rows."""
    if y_true.ndim == 2 and y_true.shape[1] > 1 and y_true.shape == y_pred.shape:
        return y_true.argmax(axis=1)
    labels = y_true.reshape(y_true.shape[0], -1)
    if labels.shape[1] != 1:
        raise ValueError(f"{where}: y_true must be class labels of shape (n,) or (n, 1) or one-hot rows of "
                         f"the output's shape {y_pred.shape}, got shape {y_true.shape}")
    return labels[:, 0]


class Metric:
    """Base class: subclasses set ``name`` and implement ``__call__(y_pred, y_true)``.

    ``greater_is_better`` tells :class:`~backprop.train.EarlyStopping` (``mode='auto'``)
    and :class:`~backprop.train.ModelCheckpoint` which way is an improvement.
    """

    name = "metric"
    greater_is_better = True

    def __call__(self, y_pred, y_true) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class Accuracy(Metric):
    """Fraction of samples whose predicted class equals the label (see the module notes).

    Parameters
    ----------
    threshold : float, optional
        Decision threshold for a single output column; default 0 with
        ``from_logits=True``, else 0.5.
    from_logits : bool
        The single-column output is a logit (threshold 0) rather than a probability.
    """

    name = "accuracy"

    def __init__(self, threshold: float | None = None, from_logits: bool = False):
        self.from_logits = bool(from_logits)
        self.threshold = float(threshold) if threshold is not None else (0.0 if from_logits else 0.5)

    def __call__(self, y_pred, y_true) -> float:
        y_pred, y_true = _as_array(y_pred), _as_array(y_true)
        if y_pred.shape[0] == 0:
            return float("nan")
        scores = y_pred.reshape(y_pred.shape[0], -1)
        if scores.shape[1] > 1:
            predicted = scores.argmax(axis=1)
        else:
            predicted = (scores[:, 0] > self.threshold).astype(np.int64)
        labels = _labels(y_true, scores, "accuracy")
        return float(np.mean(predicted == labels))


class TopKAccuracy(Metric):
    """Fraction of samples whose label is among the ``k`` highest scores.

    Ties are broken like ``np.argsort`` (stable order of the columns).
    """

    def __init__(self, k: int = 5):
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"TopKAccuracy: k must be an integer >= 1, got {k!r}")
        self.k = int(k)
        self.name = f"top_{self.k}_accuracy"

    def __call__(self, y_pred, y_true) -> float:
        y_pred, y_true = _as_array(y_pred), _as_array(y_true)
        scores = y_pred.reshape(y_pred.shape[0], -1)
        if scores.shape[1] < self.k:
            raise ValueError(f"{self.name}: needs at least k={self.k} output columns (one score per class), "
                             f"got output shape {y_pred.shape}")
        if scores.shape[0] == 0:
            return float("nan")
        labels = _labels(y_true, scores, self.name)
        top = np.argpartition(-scores, self.k - 1, axis=1)[:, :self.k]
        return float(np.mean((top == labels[:, None]).any(axis=1)))


def _regression_pair(y_pred, y_true, where: str):
    y_pred, y_true = _as_array(y_pred).astype(np.float64), _as_array(y_true).astype(np.float64)
    if y_pred.size != y_true.size:
        raise ValueError(f"{where}: y_pred has shape {y_pred.shape} but y_true has shape {y_true.shape}; "
                         "they must hold the same number of values")
    return y_pred.reshape(y_true.shape) if y_true.ndim else y_pred.ravel(), y_true


class MeanSquaredError(Metric):
    """Mean of ``(y_pred - y_true)**2`` over all values."""

    name = "mse"
    greater_is_better = False

    def __call__(self, y_pred, y_true) -> float:
        p, t = _regression_pair(y_pred, y_true, self.name)
        return float(np.mean((p - t) ** 2)) if t.size else float("nan")


class MeanAbsoluteError(Metric):
    """Mean of ``|y_pred - y_true|`` over all values."""

    name = "mae"
    greater_is_better = False

    def __call__(self, y_pred, y_true) -> float:
        p, t = _regression_pair(y_pred, y_true, self.name)
        return float(np.mean(np.abs(p - t))) if t.size else float("nan")


class R2Score(Metric):
    r"""Coefficient of determination :math:`1 - \sum (y-\hat y)^2 / \sum (y-\bar y)^2`.

    With several output columns, the per-column scores are averaged (scikit-learn's
    ``multioutput='uniform_average'``).  A constant target gives 1.0 for a perfect
    prediction, else 0.0 (scikit-learn's convention).
    """

    name = "r2"

    def __call__(self, y_pred, y_true) -> float:
        p, t = _regression_pair(y_pred, y_true, self.name)
        p, t = p.reshape(p.shape[0], -1), t.reshape(t.shape[0], -1)
        if t.shape[0] == 0:
            return float("nan")
        ss_res = ((t - p) ** 2).sum(axis=0)
        ss_tot = ((t - t.mean(axis=0)) ** 2).sum(axis=0)
        scores = np.where(ss_tot > 0, 1.0 - ss_res / np.where(ss_tot > 0, ss_tot, 1.0),
                          np.where(ss_res == 0, 1.0, 0.0))
        return float(scores.mean())


#: name -> factory of the metric
METRICS = {
    "accuracy": Accuracy,
    "acc": Accuracy,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "r2": R2Score,
    "r2_score": R2Score,
}

_TOP_K = re.compile(r"^top_?(\d+)(?:_categorical)?_acc(?:uracy)?$")


def get_metric(name, **kwargs) -> Metric:
    """Return the metric called ``name`` (see the module notes), or ``name`` if it is a callable.

    A plain function is accepted as a metric; its key in the history is its
    ``name`` attribute or ``__name__``.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the known ones).
    """
    if callable(name) and not isinstance(name, str):
        return name
    if not isinstance(name, str):
        raise TypeError(f"get_metric: a metric must be a name or a callable, got {type(name).__name__}")
    key = name.lower()
    match = _TOP_K.match(key)
    if match:
        return TopKAccuracy(int(match.group(1)))
    if key not in METRICS:
        raise ValueError(f"get_metric: unknown metric {name!r}; known: {sorted(METRICS)} or 'top_<k>_accuracy', "
                         "or pass a callable metric(y_pred, y_true) -> float")
    return METRICS[key](**kwargs)


def metric_name(metric) -> str:
    """The history key of a metric object or function."""
    return getattr(metric, "name", None) or getattr(metric, "__name__", type(metric).__name__)


def resolve_metrics(metrics, from_logits: bool = False) -> list:
    """Turn names and callables into metric objects; ``from_logits`` configures ``"accuracy"``.

    Raises
    ------
    ValueError
        For an unknown name or two metrics with the same name.
    """
    if metrics is None:
        return []
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    resolved, names = [], set()
    for m in metrics:
        if isinstance(m, str) and m.lower() in ("accuracy", "acc"):
            metric = Accuracy(from_logits=from_logits)
        else:
            metric = get_metric(m)
        name = metric_name(metric)
        if name in names or name in ("loss", "lr", "grad_norm") or name.startswith("val_"):
            raise ValueError(f"metrics: the name {name!r} is used twice or clashes with a history key "
                             "('loss', 'lr', 'grad_norm', 'val_*'); give the metric another name")
        names.add(name)
        resolved.append(metric)
    return resolved
