"""Health report: each finding fires on a network built to have it, and not on a healthy one."""

import math

import numpy as np
import pytest

from backprop import fit, nn
from backprop.data import Standardizer, gaussian_blobs
from backprop.experiments._nets import deep_mlp
from backprop.inspect.diagnose import CURES, Finding, Report, diagnose
from backprop.train import History


@pytest.fixture(scope="module")
def blobs():
    X, y = gaussian_blobs(256, 3, 10, rng=0)
    return Standardizer().fit_transform(X).astype(np.float32), y


def _train(model, X, y, **kw):
    kw.setdefault("optimizer", "sgd")
    kw.setdefault("lr", 0.05)
    kw.setdefault("epochs", 3)
    return fit(model, X, y, loss="cross_entropy", batch_size=64, seed=0, verbose=0, monitor=True, **kw)


def test_deep_sigmoid_net_is_flagged_vanishing(blobs):
    X, y = blobs
    history = _train(deep_mlp(10, 3, depth=20, activation="sigmoid"), X, y)
    report = diagnose(history)
    assert "vanishing_gradients" in report
    finding = report.findings[report.codes.index("vanishing_gradients")]
    assert finding.value < 1e-3 and finding.severity == "error"
    assert "ReLU" in finding.cure and "He" in finding.cure and "residual" in finding.cure
    text = str(report)
    assert "vanishing gradients: the first layer's" in text and "times the last layer's" in text
    assert f"{finding.value:.1e}" in text


def test_model_and_data_probe_flags_vanishing(blobs):
    X, y = blobs
    model = deep_mlp(10, 3, depth=20, activation="sigmoid")
    before = [p.data.copy() for p in model.parameters()]
    report = diagnose(model, X, y)
    assert report.source == "model" and "vanishing_gradients" in report
    assert len(report.layers) == 20 and math.isfinite(report.layers["0"]["grad_norm"])
    assert all(np.array_equal(b, p.data) for b, p in zip(before, model.parameters()))
    assert all(p.grad is None for p in model.parameters())
    assert all(not m._forward_hooks for m in model.modules())


def test_relu_he_residual_net_is_not_flagged(blobs):
    X, y = blobs
    model = deep_mlp(10, 3, depth=20, activation="relu", init="he_normal", residual=True)
    report = diagnose(_train(model, X, y))
    assert "vanishing_gradients" not in report and "exploding_gradients" not in report
    assert report.ok, str(report)
    assert "no problems found" in str(report)
    assert diagnose(deep_mlp(10, 3, depth=20, activation="relu", init="he_normal", residual=True), X, y).ok


def test_learning_rate_10_is_flagged_too_high(blobs):
    X, y = blobs
    model = nn.Sequential(nn.Linear(10, 32, rng=0), nn.ReLU(), nn.Linear(32, 3, rng=1))
    history = _train(model, X, y, lr=10.0, epochs=6)
    report = diagnose(history)
    assert "lr_too_high" in report, str(report)
    assert "learning rate too high" in str(report) and "lower the learning rate" in str(report)


def test_tiny_learning_rate_is_flagged_too_low(blobs):
    X, y = blobs
    model = nn.Sequential(nn.Linear(10, 32, rng=0), nn.ReLU(), nn.Linear(32, 3, rng=1))
    report = diagnose(_train(model, X, y, lr=1e-6, epochs=3))
    assert "lr_too_low" in report, str(report)
    assert "lr_too_high" not in report


def test_large_negative_bias_kills_relus(blobs):
    X, y = blobs
    model = nn.Sequential(nn.Linear(10, 32, rng=0), nn.ReLU(), nn.Linear(32, 32, rng=1), nn.ReLU(),
                          nn.Linear(32, 3, rng=2))
    model[0].bias.data[...] = -10.0
    report = diagnose(_train(model, X, y, epochs=2))
    assert "dead_relus" in report
    finding = report.findings[report.codes.index("dead_relus")]
    assert finding.value > 0.5 and "LeakyReLU" in finding.cure
    assert "dead_relus" in diagnose(model, X, y)


def test_saturated_sigmoids_are_flagged(blobs):
    X, y = blobs
    model = nn.Sequential(nn.Linear(10, 16, rng=0), nn.Sigmoid(), nn.Linear(16, 3, rng=1))
    model[0].weight.data *= 50
    report = diagnose(model, X, y)
    assert "saturation" in report and report.layers["0"]["saturated_frac"] > 0.5


def _history(loss, val_loss=None, **extra):
    h = History({"epochs": len(loss)})
    for i, value in enumerate(loss):
        logs = {"loss": value, "lr": 0.1, "grad_norm": extra.get("grad_norm", [1.0] * len(loss))[i]}
        if val_loss is not None:
            logs["val_loss"] = val_loss[i]
        h.append(i, logs)
    return h


def test_overfitting_on_a_constructed_history():
    loss = [1.0, 0.7, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1, 0.07]
    val = [1.0, 0.8, 0.6, 0.55, 0.57, 0.6, 0.65, 0.7, 0.8]
    report = diagnose(_history(loss, val))
    assert report.codes == ["overfitting"]
    finding = report.findings[0]
    assert "risen for 5 epochs" in finding.message and "0.55" in finding.message
    for word in ("dropout", "weight decay", "early stopping"):
        assert word in finding.cure
    # validation loss still falling: no overfitting
    assert diagnose(_history(loss, [v - 0.01 * i for i, v in enumerate(loss)])).ok


def test_rising_oscillating_and_nan_losses_are_lr_too_high():
    assert "lr_too_high" in diagnose(_history([1.0, 1.5, 2.0, 3.0]))
    assert "lr_too_high" in diagnose(_history([1.0, 0.5, 0.9, 0.4, 0.95, 0.45, 0.9, 0.5]))
    assert diagnose(_history([1.0, 0.8, 0.6, 0.5, 0.45, 0.42, 0.41, 0.405])).ok
    assert "lr_too_high" in diagnose(_history([1.0, float("nan")]))


def test_growing_global_grad_norm_is_exploding():
    h = _history([1.0, 0.9, 0.8, 0.7], grad_norm=[1.0, 10.0, 200.0, 5000.0])
    assert "exploding_gradients" in diagnose(h)


def test_report_api_and_bad_input():
    f = Finding("overfitting", "warning", "msg", 1.5, CURES["overfitting"])
    r = Report([f])
    assert not r.ok and "overfitting" in r and f.title == "overfitting"
    assert "cure:" in str(r)
    with pytest.raises(TypeError, match="History or a Module"):
        diagnose(42)
    with pytest.raises(ValueError, match="needs data"):
        diagnose(nn.Linear(2, 2))
    with pytest.raises(TypeError, match="unknown threshold"):
        diagnose(_history([1.0]), bogus=1)
