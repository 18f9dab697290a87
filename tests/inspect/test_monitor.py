"""Gradient-flow monitor: per-layer statistics recorded by fit(..., monitor=True)."""

import math

import numpy as np
import pytest

from backprop import fit, nn
from backprop.data import Standardizer, gaussian_blobs
from backprop.experiments._nets import deep_mlp
from backprop.inspect.monitor import STATS, Monitor, parametrized_layers


@pytest.fixture(scope="module")
def blobs():
    X, y = gaussian_blobs(256, 3, 10, rng=0)
    return Standardizer().fit_transform(X).astype(np.float32), y


def _ratio(history, epoch=-1):
    layers = history.layers
    names = list(layers)
    return layers[names[0]]["grad_norm"][epoch] / layers[names[-1]]["grad_norm"][epoch]


def test_layers_are_parametrized_leaves_with_their_activation():
    model = nn.Sequential(nn.Linear(4, 8, rng=0), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 8, rng=1), nn.Tanh(),
                          nn.Linear(8, 2, rng=2))
    entries = parametrized_layers(model)
    assert [name for name, _, _ in entries] == ["0", "1", "3", "5"]
    assert entries[0][2] is None  # the ReLU belongs to the BatchNorm that precedes it
    assert isinstance(entries[1][2], nn.ReLU)
    assert isinstance(entries[2][2], nn.Tanh)
    assert entries[3][2] is None


def test_fit_records_every_stat_per_layer_per_epoch(blobs):
    X, y = blobs
    model = nn.Sequential(nn.Linear(10, 16, rng=0), nn.ReLU(), nn.Linear(16, 3, rng=1))
    history = fit(model, X, y, loss="cross_entropy", optimizer="sgd", lr=0.1, epochs=3, batch_size=32, seed=0,
                  verbose=0, monitor=True)
    assert set(history.layers) == {"0", "2"}
    for name in ("0", "2"):
        for stat in STATS:
            key = f"{stat}/{name}"
            assert key in history.history and len(history[key]) == 3
            assert history.layers[name][stat] is history[key]
    assert all(0 <= v <= 1 for v in history["dead_frac/0"])
    assert all(math.isnan(v) for v in history["dead_frac/2"])  # no ReLU after the output layer
    assert all(v > 0 for v in history["grad_norm/0"]) and all(v > 0 for v in history["weight_norm/2"])
    ratios = history["update_ratio/0"]
    assert all(1e-6 < r < 1 for r in ratios)
    # hooks are removed after fit: the model has no forward hooks left
    assert all(not m._forward_hooks for m in model.modules())
    # CSV gets the flat keys
    assert "grad_norm/0" in history.to_csv_string().splitlines()[0]


def test_stats_match_a_hand_computation(blobs):
    X, y = blobs
    from backprop import Tensor
    model = nn.Sequential(nn.Linear(10, 6, rng=0), nn.ReLU(), nn.Linear(6, 3, rng=1))
    mon = Monitor(model)
    mon.begin_epoch(1)
    assert mon.begin_batch(0)
    out = model(Tensor(X[:32]))
    loss = nn.CrossEntropyLoss()(out, y[:32])
    model.zero_grad()
    loss.backward()
    mon.after_backward()
    w0 = model[0].weight.data.copy()
    g0 = model[0].weight.grad.copy()
    model[0].weight.data -= 0.5 * g0  # a hand-made "optimizer step"
    mon.after_step()
    stats = mon.end_epoch()["0"]
    mon.remove()
    assert stats["grad_norm"] == pytest.approx(np.linalg.norm(g0), rel=1e-5)
    assert stats["bias_grad_norm"] == pytest.approx(np.linalg.norm(model[0].bias.grad), rel=1e-5)
    assert stats["update_ratio"] == pytest.approx(0.5 * np.linalg.norm(g0) / np.linalg.norm(w0), rel=1e-4)
    a = np.maximum(X[:32] @ w0.T + model[0].bias.data, 0)
    assert stats["act_mean"] == pytest.approx(a.mean(), rel=1e-4)
    assert stats["act_std"] == pytest.approx(a.std(), rel=1e-4)
    assert stats["dead_frac"] == pytest.approx(np.mean(~(a > 0).any(axis=0)))


def test_hooks_do_nothing_on_uncaptured_batches(blobs):
    X, _ = blobs
    from backprop import Tensor
    model = nn.Sequential(nn.Linear(10, 6, rng=0), nn.Sigmoid(), nn.Linear(6, 3, rng=1))
    mon = Monitor(model, every=3)
    mon.begin_epoch(5)
    captured = [mon.begin_batch(i) for i in range(5)]
    assert captured == [False, False, True, False, False]
    mon.begin_batch(0)
    model(Tensor(X[:8]))
    assert all(layer.act_stats is None and layer.out_stats is None for layer in mon._layers)
    mon.remove()
    with pytest.raises(ValueError, match="every"):
        Monitor(model, every=0)


def test_capture_skips_a_tiny_last_batch():
    model = nn.Sequential(nn.Linear(2, 2, rng=0))
    mon = Monitor(model)
    mon.begin_epoch(4, last_batch_size=1, batch_size=32)
    assert [mon.begin_batch(i) for i in range(4)] == [False, False, True, False]
    mon.begin_epoch(4, last_batch_size=32, batch_size=32)
    assert [mon.begin_batch(i) for i in range(4)] == [False, False, False, True]


def test_deep_sigmoid_net_has_vanishing_ratio(blobs):
    X, y = blobs
    model = deep_mlp(10, 3, depth=20, activation="sigmoid")
    history = fit(model, X, y, loss="cross_entropy", optimizer="sgd", lr=0.1, epochs=2, batch_size=64, seed=0,
                  verbose=0, monitor=True)
    assert len(history.layers) == 20
    assert _ratio(history) < 1e-3


def test_deep_relu_he_residual_net_keeps_gradients(blobs):
    X, y = blobs
    model = deep_mlp(10, 3, depth=20, activation="relu", init="he_normal", residual=True)
    history = fit(model, X, y, loss="cross_entropy", optimizer="sgd", lr=0.05, epochs=2, batch_size=64, seed=0,
                  verbose=0, monitor=True)
    assert history.stopped_reason == "completed"
    assert 1e-2 < _ratio(history) < 1e2


def test_monitor_instance_every_n_batches(blobs):
    X, y = blobs
    model = nn.Sequential(nn.Linear(10, 8, rng=0), nn.Tanh(), nn.Linear(8, 3, rng=1))
    mon = Monitor(model, every=2)
    history = fit(model, X, y, loss="cross_entropy", optimizer="adam", lr=0.01, epochs=2, batch_size=32, seed=0,
                  verbose=0, monitor=mon)
    assert len(mon.records) == 2 * 4  # 8 batches per epoch, every 2nd captured
    assert {r["epoch"] for r in mon.records} == {0, 1}
    epoch0 = [r["0"]["grad_norm"] for r in mon.records if r["epoch"] == 0]
    assert history["grad_norm/0"][0] == pytest.approx(np.mean(epoch0))
    assert 0 <= history["saturated_frac/0"][0] <= 1
    mon.remove()


def test_monitor_false_keeps_history_plain(blobs):
    X, y = blobs
    model = nn.Sequential(nn.Linear(10, 8, rng=0), nn.ReLU(), nn.Linear(8, 3, rng=1))
    history = fit(model, X, y, loss="cross_entropy", optimizer="sgd", lr=0.1, epochs=1, seed=0, verbose=0)
    assert history.layers == {}
    assert not any("/" in k for k in history.history)
