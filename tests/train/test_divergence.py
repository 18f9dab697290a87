"""Divergence guard: a NaN/Inf stops training with a message naming the layer; weights stay finite."""

import warnings

import numpy as np
import pytest

from backprop import nn
from backprop.nn.losses import CrossEntropyLoss
from backprop.optim import SGD
from backprop.train import DivergenceError, EarlyStopping, fit

from .helpers import Recorder, blobs, mlp


def _regression(n=64):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    return X, (X.sum(axis=1, keepdims=True) * 3).astype(np.float32)


def _all_finite(model):
    return all(np.isfinite(p.data).all() for p in model.parameters()) and \
        all(np.isfinite(b).all() for b in model.buffers() if b.dtype.kind == "f")


def test_lr_10_stops_with_message_and_finite_weights():
    X, y = _regression()
    model = mlp([3, 16, 1])
    recorder = Recorder()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning (overflow) escapes from NumPy
        history = fit(model, X, y, loss="mse", optimizer="sgd", lr=10.0, epochs=50, metrics=(), verbose=0, seed=0,
                      callbacks=[recorder])
    assert history.stopped_reason == "divergence" and history.stopped_early
    message = history.stop_message
    assert "diverged" in message and "lower the learning rate (it was 10)" in message
    assert "clip_grad_norm" in message
    assert "layer 0 (Linear)" in message or "layer 2 (Linear)" in message
    assert _all_finite(model)
    # stopped at a batch: the finished epochs are recorded, the broken one is not
    assert len(history.history["loss"]) == len(recorder.weights) < 50
    assert recorder.calls[-1] == "train_end"


def test_raise_mode_raises_divergence_error_after_cleanup():
    X, y = _regression()
    model = mlp([3, 16, 1])
    with pytest.raises(DivergenceError, match="diverged") as info:
        fit(model, X, y, loss="mse", optimizer="sgd", lr=10.0, epochs=50, metrics=(), verbose=0, seed=0,
            on_nonfinite="raise")
    assert info.value.kind in ("loss", "gradient") and info.value.layer
    assert _all_finite(model)
    assert all(p.grad is None for p in model.parameters())


def test_nonfinite_gradient_names_the_parameter():
    # A gradient hook poisons only layer 0's weight gradient: finite loss, NaN gradient.
    X, y = blobs(32)
    model = mlp([4, 8, 3])
    model[0].weight.register_hook(lambda g: g * np.nan)
    before = [p.data.copy() for p in model.parameters()]
    history = fit(model, X, y, loss="cross_entropy", optimizer="sgd", lr=0.1, epochs=2, batch_size=32, verbose=0)
    assert history.stopped_reason == "divergence"
    assert "parameter '0.weight'" in history.stop_message
    assert all(np.array_equal(p.data, b) for p, b in zip(model.parameters(), before))


def test_overflowing_step_restores_finite_weights():
    # Finite loss and gradients, but lr * g overflows float32: the post-step check catches it.
    X, y = blobs(32)
    model = mlp([4, 8, 3])
    before = [p.data.copy() for p in model.parameters()]
    history = fit(model, X * 1000, y, loss=CrossEntropyLoss(), optimizer=SGD(model.parameters(), lr=3e38), epochs=3,
                  batch_size=32, verbose=0)
    assert history.stopped_reason == "divergence"
    assert "optimizer step made parameter" in history.stop_message
    assert all(np.array_equal(p.data, b) for p, b in zip(model.parameters(), before))  # epoch-start weights


def test_batchnorm_statistics_stay_finite():
    X, y = _regression()
    model = nn.Sequential(nn.Linear(3, 16, rng=0), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 1, rng=1))
    history = fit(model, X * 1e3, y * 1e6, loss="mse", optimizer="sgd", lr=10.0, epochs=50, metrics=(), verbose=0, seed=0,
                  batch_size=16)
    assert history.stopped_reason == "divergence"
    assert _all_finite(model)


def test_early_stopping_restores_best_after_divergence():
    X, y = _regression()
    model = mlp([3, 16, 1])
    recorder = Recorder()
    early = EarlyStopping(monitor="loss", patience=100)
    history = fit(model, X, y, loss="mse", optimizer="sgd", lr=0.5, epochs=60, metrics=(), verbose=0, seed=0,
                  callbacks=[early, recorder])
    if history.stopped_reason != "divergence":
        pytest.skip("did not diverge with this seed")
    best = early.best_epoch
    assert best is not None
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, recorder.weights[best][name])


def test_divergence_progress_message_is_printed():
    import io
    X, y = _regression()
    out = io.StringIO()
    fit(mlp([3, 16, 1]), X, y, loss="mse", optimizer="sgd", lr=10.0, epochs=50, metrics=(), verbose=1, file=out, seed=0)
    assert "Training diverged at epoch" in out.getvalue()
