"""Gradients through time: the monitor's per-step input-gradient norms of recurrent layers and
the health report's vanishing/exploding-through-time findings.

The oracle is independent of the monitor: a backward pass on an input Tensor that requires
grad, whose ``.grad`` gives ||dL/dx_t|| per step directly.
"""

import math

import numpy as np
import pytest

from backprop import Tensor, fit, nn
from backprop.inspect.diagnose import CURES, diagnose
from backprop.inspect.monitor import STATS, Monitor
from backprop.models import SequenceClassifier
from backprop.nn.losses import get_loss

LENGTH, FEATURES, HIDDEN = 50, 3, 16


@pytest.fixture(scope="module")
def sequences():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, LENGTH, FEATURES)).astype(np.float32)
    y = rng.integers(0, 2, size=64)
    return X, y


def _classifier(cell, **kw):
    # batch_first (N, L, C) input: the model input is the recurrent layer's input, time on axis 1
    return SequenceClassifier(cell, input_size=FEATURES, hidden_size=HIDDEN, n_classes=2, channels_first=False,
                              rng=0, **kw)


def _vanishing_rnn():
    model = _classifier("rnn")
    model.rnn.weight_hh_l0.data *= 0.3
    return model


def _gated_lstm():
    model = _classifier("lstm")
    forget = slice(HIDDEN, 2 * HIDDEN)  # gate order i, f, g, o
    model.rnn.bias_ih_l0.data[forget] = 3.0
    model.rnn.bias_hh_l0.data[forget] = 0.0
    return model


def _exploding_rnn():
    model = _classifier("rnn", nonlinearity="relu")
    model.rnn.weight_hh_l0.data[...] = 1.3 * np.eye(HIDDEN, dtype=np.float32)
    return model


def _oracle_step_norms(model, X, y, time_axis=1):
    """||dL/dx_t|| for every step t, by backward on an input that requires grad."""
    x = Tensor(X, requires_grad=True)
    get_loss("cross_entropy")(model(x), y).backward()
    model.zero_grad()
    g = x.grad.astype(np.float64)
    other = tuple(a for a in range(g.ndim) if a != time_axis)
    return np.sqrt((g * g).sum(axis=other))


def _no_probe_left(model):
    assert all(not m._forward_hooks for m in model.modules())
    assert all("forward" not in m.__dict__ for m in model.modules())


def test_plain_rnn_vanishing_through_time_matches_oracle_and_is_flagged(sequences):
    X, y = sequences
    model = _vanishing_rnn()
    norms = _oracle_step_norms(model, X, y)
    oracle = norms[0] / norms[-1]
    assert oracle < 1e-3
    weights = {n: p.data.copy() for n, p in model.named_parameters()}

    report = diagnose(model, X, y)

    assert report.layers["rnn"]["time_grad_ratio"] == pytest.approx(oracle, rel=1e-4)
    assert "time_grad_ratio" not in report.layers["head"]  # recurrent layers only
    assert "vanishing_gradients_through_time" in report
    assert "exploding_gradients_through_time" not in report
    finding = next(f for f in report.findings if f.code == "vanishing_gradients_through_time")
    assert finding.severity == "error" and finding.title == "vanishing gradients through time"
    assert finding.value == pytest.approx(oracle, rel=1e-4)
    assert "rnn" in finding.message and "vanishing gradients through time" in str(report)
    assert finding.cure == CURES["vanishing_gradients_through_time"]
    assert "GRU" in finding.cure and "LSTM" in finding.cure and "truncated" in finding.cure
    # the probe left the model as it was
    _no_probe_left(model)
    assert all(np.array_equal(p.data, weights[n]) for n, p in model.named_parameters())
    assert all(p.grad is None for p in model.parameters())
    # a threshold override turns the rule off
    assert "vanishing_gradients_through_time" not in diagnose(model, X, y, time_vanishing_ratio=1e-60)


def test_lstm_with_high_forget_bias_is_not_flagged(sequences):
    X, y = sequences
    model = _gated_lstm()
    norms = _oracle_step_norms(model, X, y)
    oracle = norms[0] / norms[-1]
    assert 1e-3 < oracle < 1e3

    report = diagnose(model, X, y)

    assert report.layers["rnn"]["time_grad_ratio"] == pytest.approx(oracle, rel=1e-4)
    assert "vanishing_gradients_through_time" not in report
    assert "exploding_gradients_through_time" not in report


def test_rnn_with_large_recurrent_weights_is_flagged_exploding(sequences):
    X, y = sequences
    model = _exploding_rnn()
    norms = _oracle_step_norms(model, X, y)
    oracle = norms[0] / norms[-1]
    assert oracle > 1e3

    report = diagnose(model, X, y)

    assert report.layers["rnn"]["time_grad_ratio"] == pytest.approx(oracle, rel=1e-4)
    assert "exploding_gradients_through_time" in report
    assert "vanishing_gradients_through_time" not in report
    finding = next(f for f in report.findings if f.code == "exploding_gradients_through_time")
    assert "clip" in finding.cure and finding.title == "exploding gradients through time"


def test_exploding_rnn_training_diverges_gracefully_or_is_flagged(sequences):
    X, y = sequences
    # unclipped: the run stops on the non-finite gradients and the report says why, without raising
    model = _exploding_rnn()
    history = fit(model, X, y, loss="cross_entropy", optimizer="sgd", lr=0.01, epochs=2, batch_size=32, seed=0,
                  verbose=0, monitor=True)
    report = diagnose(history)
    if history.stopped_reason == "divergence":
        assert "lr_too_high" in report
    else:
        assert "exploding_gradients_through_time" in report
    _no_probe_left(model)
    # clipped: training goes on; the ratio is measured on the input gradients (clipping only
    # rescales the weight gradients), so the history still shows the explosion through time
    model = _exploding_rnn()
    history = fit(model, X, y, loss="cross_entropy", optimizer="sgd", lr=1e-4, epochs=2, batch_size=32, seed=0,
                  verbose=0, monitor=True, clip_grad_norm=1.0)
    assert history.stopped_reason != "divergence"
    assert len(history["time_grad_ratio/rnn"]) == 2 and all(r > 1e3 for r in history["time_grad_ratio/rnn"])
    report = diagnose(history)
    assert "exploding_gradients_through_time" in report
    assert "vanishing_gradients_through_time" not in report
    _no_probe_left(model)


def test_fit_records_time_grad_ratio_per_epoch(sequences):
    X, y = sequences
    model = _classifier("gru")
    history = fit(model, X, y, loss="cross_entropy", optimizer="adam", lr=1e-3, epochs=3, batch_size=16, seed=0,
                  verbose=0, monitor=True)
    column = history["time_grad_ratio/rnn"]
    assert len(column) == 3 and all(math.isfinite(v) and v > 0 for v in column)
    assert "time_grad_ratio/head" not in history.history
    # the per-layer statistics are still all there
    assert all(f"{stat}/rnn" in history.history for stat in STATS)
    _no_probe_left(model)


def test_per_step_norms_in_records_match_the_oracle_time_major_and_projected_input(sequences):
    """A time-major RNN fed by a Linear (its input already requires grad) whose ``output``
    tensor is read at the last step: both per-step series against hand-computed gradients."""
    X, y = sequences
    X_tm = np.ascontiguousarray(X.transpose(1, 0, 2))  # (L, N, C)

    class LastStep(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(FEATURES, FEATURES, rng=1)
            self.rnn = nn.RNN(FEATURES, HIDDEN, rng=2)
            self.head = nn.Linear(HIDDEN, 2, rng=3)

        def forward(self, x, keep=None):
            z = self.proj(x)
            if keep is not None:
                z.retain_grad()
                keep.append(z)
            out, _ = self.rnn(z)
            if keep is not None:
                out.retain_grad()
                keep.append(out)
            return self.head(out[-1])

    model = LastStep()
    loss = get_loss("cross_entropy")
    kept = []
    loss(model(Tensor(X_tm), keep=kept), y).backward()
    z_grad, out_grad = (t.grad.astype(np.float64) for t in kept)
    oracle_in = np.sqrt((z_grad ** 2).sum(axis=(1, 2)))
    oracle_out = np.sqrt((out_grad ** 2).sum(axis=(1, 2)))
    model.zero_grad()

    monitor = Monitor(model, every=1)
    monitor.begin_epoch(1)
    assert monitor.begin_batch(0, X_tm.shape[1])
    value = loss(model(Tensor(X_tm)), y)
    model.zero_grad()
    value.backward()
    monitor.after_backward()
    monitor.after_step()
    stats = monitor.end_epoch()
    monitor.remove()

    record = monitor.records[-1]["rnn"]
    assert len(record["input_grad_per_step"]) == LENGTH
    np.testing.assert_allclose(record["input_grad_per_step"], oracle_in, rtol=1e-5)
    np.testing.assert_allclose(record["output_grad_per_step"], oracle_out, rtol=1e-5)
    # the loss reads only the last output: the gradient arriving from above is zero before it
    assert all(v == 0 for v in record["output_grad_per_step"][:-1]) and record["output_grad_per_step"][-1] > 0
    assert stats["rnn"]["time_grad_ratio"] == pytest.approx(oracle_in[0] / oracle_in[-1], rel=1e-5)
    assert "time_grad_ratio" not in stats["proj"] and "input_grad_per_step" not in monitor.records[-1]["proj"]
    # the projection still learned through the probe: its gradient is the ordinary one
    assert model.proj.weight.grad is not None and np.any(model.proj.weight.grad != 0)
    _no_probe_left(model)


def test_geometric_mean_over_records():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(48, 20, FEATURES)).astype(np.float32)
    y = rng.integers(0, 2, size=48)
    model = _classifier("rnn")
    monitor = Monitor(model, every=1)
    history = fit(model, X, y, loss="cross_entropy", optimizer="sgd", lr=1e-3, epochs=1, batch_size=16, seed=0,
                  verbose=0, monitor=monitor)
    ratios = [r["rnn"]["time_grad_ratio"] for r in monitor.records]
    assert len(ratios) == 3
    for r in monitor.records:
        steps = r["rnn"]["input_grad_per_step"]
        assert r["rnn"]["time_grad_ratio"] == pytest.approx(steps[0] / steps[-1])
    assert history["time_grad_ratio/rnn"][0] == pytest.approx(math.exp(np.mean(np.log(ratios))), rel=1e-9)
    monitor.remove()
    _no_probe_left(model)


def test_history_report_names_vanishing_through_time(sequences):
    X, y = sequences
    history = fit(_vanishing_rnn(), X, y, loss="cross_entropy", optimizer="sgd", lr=1e-3, epochs=2, batch_size=32,
                  seed=0, verbose=0, monitor=True)
    assert len(history["time_grad_ratio/rnn"]) == 2
    report = diagnose(history)
    assert "vanishing_gradients_through_time" in report
    assert report.layers["rnn"]["time_grad_ratio"] == history["time_grad_ratio/rnn"][-1]
    finding = next(f for f in report.findings if f.code == "vanishing_gradients_through_time")
    assert "(epoch 2)" in finding.message


def test_single_step_sequences_give_no_ratio_and_no_finding():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(16, 1, FEATURES)).astype(np.float32)
    y = rng.integers(0, 2, size=16)
    report = diagnose(_vanishing_rnn(), X, y)
    assert math.isnan(report.layers["rnn"]["time_grad_ratio"])
    assert not {"vanishing_gradients_through_time", "exploding_gradients_through_time"} & set(report.codes)
