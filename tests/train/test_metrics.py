"""Metrics against hand-computed values and scikit-learn conventions."""

import numpy as np
import pytest

from backprop.train import Accuracy, TopKAccuracy, get_metric
from backprop.train.metrics import resolve_metrics


def test_accuracy_argmax_threshold_and_one_hot():
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.0, 0.0, 5.0], [1.0, 0.0, 0.0]])
    labels = np.array([0, 1, 1, 2])
    assert get_metric("accuracy")(logits, labels) == 0.5
    assert get_metric("acc")(logits, labels.reshape(-1, 1)) == 0.5
    assert get_metric("accuracy")(logits, np.eye(3)[labels]) == 0.5
    probabilities = np.array([[0.9], [0.2], [0.51], [0.49]])
    assert Accuracy()(probabilities, np.array([1, 0, 1, 1])) == 0.75
    assert Accuracy(from_logits=True)(np.array([[2.0], [-1.0], [0.1], [-0.1]]), np.array([1, 0, 1, 1])) == 0.75


def test_top_k_accuracy():
    scores = np.array([[0.1, 0.5, 0.4, 0.0], [0.7, 0.1, 0.1, 0.1], [0.1, 0.2, 0.3, 0.4]])
    labels = np.array([2, 3, 0])
    assert get_metric("top_2_accuracy")(scores, labels) == pytest.approx(1 / 3)
    assert TopKAccuracy(4)(scores, labels) == 1.0
    assert get_metric("top5_accuracy").k == 5
    with pytest.raises(ValueError, match="at least k=5"):
        TopKAccuracy(5)(scores, labels)


def test_regression_metrics_against_formulas():
    rng = np.random.default_rng(0)
    y = rng.normal(size=(50, 2))
    p = y + rng.normal(scale=0.3, size=y.shape)
    assert get_metric("mse")(p, y) == pytest.approx(np.mean((p - y) ** 2))
    assert get_metric("mae")(p, y) == pytest.approx(np.mean(np.abs(p - y)))
    r2 = np.mean([1 - ((y[:, j] - p[:, j]) ** 2).sum() / ((y[:, j] - y[:, j].mean()) ** 2).sum() for j in range(2)])
    assert get_metric("r2")(p, y) == pytest.approx(r2)
    assert get_metric("r2")(y, y) == 1.0
    assert get_metric("r2")(np.ones(4), np.ones(4)) == 1.0


def test_r2_matches_sklearn_when_installed():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(1)
    y, p = rng.normal(size=(30, 3)), rng.normal(size=(30, 3))
    assert get_metric("r2")(p, y) == pytest.approx(sklearn_metrics.r2_score(y, p))


def test_registry_errors_and_callables():
    with pytest.raises(ValueError, match="unknown metric"):
        get_metric("f7")

    def my_score(y_pred, y_true):
        return 1.0

    assert [m for m in resolve_metrics([my_score])] == [my_score]
    with pytest.raises(ValueError, match="used twice"):
        resolve_metrics(["accuracy", "acc"])
