"""fit/evaluate/predict against known properties and oracles."""

import math

import numpy as np
import pytest

from backprop import data, nn
from backprop.autograd.grad_mode import is_grad_enabled
from backprop.nn.losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from backprop.optim import SGD, Adam, OneCycleLR, StepLR
from backprop.train import Callback, History, evaluate, fit, predict

from .helpers import Recorder, blobs, mlp


def test_initial_cross_entropy_is_ln10():
    # An untrained net with small random weights gives near-uniform softmax: CE ≈ ln 10.
    X = np.random.default_rng(0).normal(size=(500, 20)).astype(np.float32)
    y = np.arange(500) % 10
    model = mlp([20, 32, 10], seed=3)
    result = evaluate(model, X, y, loss="cross_entropy", metrics=())
    assert abs(result["loss"] - math.log(10)) < 0.1


def test_overfits_twenty_samples():
    X, y = blobs(n=20, n_features=5, n_classes=4, seed=1)
    X = X + np.random.default_rng(2).normal(scale=3.0, size=X.shape).astype(np.float32)  # make it harder
    model = mlp([5, 64, 64, 4], seed=0)
    history = fit(model, X, y, loss=CrossEntropyLoss(), optimizer="adam", lr=0.01, epochs=300, batch_size=20,
                  seed=0, verbose=0, metrics=())
    assert history.history["loss"][-1] < 1e-3
    assert evaluate(model, X, y, loss="cross_entropy", metrics=())["loss"] < 1e-3


DATASETS = {
    "xor": (lambda: data.xor(600, rng=0), 2, 40),
    "moons": (lambda: data.moons(400, noise=0.1, rng=0), 2, 40),
    "circles": (lambda: data.circles(400, noise=0.05, rng=0), 2, 40),
    "spirals": (lambda: data.spirals(600, 3, noise=0.02, rng=0), 3, 40),
}


@pytest.mark.parametrize("name", list(DATASETS))
def test_toy_datasets_reach_97_percent(name):
    make, n_classes, epochs = DATASETS[name]
    X, y = make()
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.25, rng=0)
    model = mlp([2, 32, 32, n_classes], seed=0)
    fit(model, X_train, y_train, loss="cross_entropy", optimizer="adam", lr=0.03, epochs=epochs, batch_size=32,
        seed=0, verbose=0, metrics=())
    result = evaluate(model, X_test, y_test, loss="cross_entropy", metrics=["accuracy"])
    assert result["accuracy"] >= 0.97, result


def test_binary_logit_output_with_bce_with_logits():
    X, y = data.moons(300, noise=0.1, rng=1)
    model = mlp([2, 32, 32, 1], seed=0)
    history = fit(model, X, y, loss=BCEWithLogitsLoss(), optimizer="adam", lr=0.02, epochs=60, seed=0, verbose=0,
                  validation_split=0.2)
    # accuracy on one logit column thresholds at 0 (from_logits chosen from the loss)
    assert history.history["val_accuracy"][-1] >= 0.95
    probabilities = 1 / (1 + np.exp(-predict(model, X)))
    assert np.mean((probabilities[:, 0] > 0.5) == y) >= 0.95


def test_history_keys_and_lengths():
    X, y = blobs(90)
    model = mlp([4, 8, 3])
    history = fit(model, X, y, loss="cross_entropy", optimizer="sgd", lr=0.05, epochs=4, seed=0, verbose=0,
                  validation_split=0.2, metrics=["accuracy", "top_2_accuracy"])
    expected = {"loss", "accuracy", "top_2_accuracy", "val_loss", "val_accuracy", "val_top_2_accuracy", "lr",
                "grad_norm"}
    assert set(history.history) == expected
    assert all(len(v) == 4 for v in history.history.values())
    assert history.epoch == [0, 1, 2, 3]
    assert history.params["epochs"] == 4 and history.params["n_val_samples"] == 18
    assert history.params["steps_per_epoch"] == math.ceil(72 / 32)
    assert not history.stopped_early and history.stopped_reason == "completed"
    assert all(v > 0 for v in history.history["grad_norm"])
    assert history.history["lr"] == [0.05] * 4
    again = History.from_dict(history.to_dict())
    assert again.history == history.history and again.epoch == history.epoch
    # val metrics equal an independent evaluate on the held-out part? At least: finite and in range
    assert all(0 <= a <= 1 for a in history.history["val_accuracy"])


def test_training_logs_match_independent_evaluation_for_full_batch():
    # With one full batch and plain SGD, the logged loss is the loss of the weights before the step.
    X, y = blobs(60)
    model = mlp([4, 8, 3])
    before = evaluate(model, X, y, loss="cross_entropy", metrics=["accuracy"], batch_size=60)
    history = fit(model, X, y, loss="cross_entropy", optimizer="sgd", lr=0.1, epochs=1, batch_size=60, verbose=0,
                  seed=0)
    assert history.history["loss"][0] == pytest.approx(before["loss"], rel=1e-6)
    assert history.history["accuracy"][0] == pytest.approx(before["accuracy"])


@pytest.mark.parametrize("batch_size, drop_last, expected", [(1, False, 50), (50, False, 1), (7, False, 8),
                                                             (7, True, 7), (500, False, 1)])
def test_batch_size_forms_take_expected_steps(batch_size, drop_last, expected):
    X, y = blobs(50)
    model = mlp([4, 6, 3])
    recorder = Recorder()
    history = fit(model, X, y, loss="cross_entropy", optimizer="sgd", lr=0.01, epochs=2, batch_size=batch_size,
                  drop_last=drop_last, callbacks=[recorder], verbose=0, seed=0)
    assert len(recorder.batch_sizes) == 2 * expected
    assert history.params["steps_per_epoch"] == expected
    if not drop_last:
        assert sum(recorder.batch_sizes) == 100


def test_optimizer_steps_counted_by_optimizer():
    X, y = blobs(40)
    model = mlp([4, 6, 3])
    optimizer = Adam(model.parameters(), lr=1e-3)
    fit(model, X, y, loss="cross_entropy", optimizer=optimizer, epochs=3, batch_size=16, verbose=0, seed=0)
    steps = {int(s["step"]) for s in optimizer.state_dict()["state"].values()}
    assert steps == {3 * 3}


def test_callback_hook_order():
    X, y = blobs(30)
    recorder = Recorder()
    fit(mlp([4, 5, 3]), X, y, loss="cross_entropy", optimizer="sgd", lr=0.01, epochs=2, callbacks=[recorder],
        verbose=0)
    assert recorder.calls == ["train_begin", "epoch_begin0", "epoch_end0", "epoch_begin1", "epoch_end1", "train_end"]


def test_evaluate_and_predict_restore_mode_and_record_no_graph():
    X, y = blobs(40)
    model = nn.Sequential(nn.Linear(4, 8, rng=0), nn.Dropout(0.5, rng=1), nn.ReLU(), nn.Linear(8, 3, rng=2))
    seen = []
    model.register_forward_hook(lambda m, inputs, out: seen.append((m.training, is_grad_enabled(),
                                                                    out.requires_grad, out.grad_fn)))
    model.train()
    out1 = predict(model, X, batch_size=16)
    out2 = predict(model, X, batch_size=40)
    np.testing.assert_allclose(out1, out2, rtol=1e-6)  # eval mode: Dropout is the identity, deterministic
    assert model.training and all(m.training for m in model.modules())
    evaluate(model, X, y, loss="cross_entropy", metrics=["accuracy"])
    assert model.training
    assert seen and all(not training and not grad and not req and fn is None for training, grad, req, fn in seen)
    assert is_grad_enabled()
    # eval mode stays eval; a mixed-mode model keeps each module's own mode
    model.eval()
    model[1].train()
    predict(model, X)
    assert not model.training and model[1].training
    assert all(p.grad is None for p in model.parameters())


def test_regression_metrics_and_1d_targets():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(200, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5]) + 0.3).astype(np.float32)  # 1-D targets, one output column
    model = mlp([3, 1])
    history = fit(model, X, y, loss=MSELoss(), optimizer="adam", lr=0.05, epochs=80, seed=0, verbose=0,
                  metrics=["mse", "mae", "r2"], validation_split=0.1)
    assert history.history["r2"][-1] > 0.999
    assert history.history["val_mse"][-1] < 1e-3
    assert history.history["mse"][-1] == pytest.approx(history.history["loss"][-1], rel=0.5)


def test_named_optimizer_and_loss_strings():
    X, y = blobs(60)
    model = mlp([4, 8, 3])
    history = fit(model, X, y, loss="categorical_crossentropy", optimizer="momentum", lr=0.05, epochs=3, verbose=0)
    assert history.params["optimizer"] == "SGD"
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_scheduler_per_epoch_and_per_batch():
    X, y = blobs(64)
    model = mlp([4, 8, 3])
    opt = SGD(model.parameters(), lr=0.1)
    history = fit(model, X, y, loss="cross_entropy", optimizer=opt, scheduler=StepLR(opt, step_size=1, gamma=0.5),
                  epochs=3, batch_size=16, verbose=0)
    assert history.history["lr"] == pytest.approx([0.1, 0.05, 0.025])
    model = mlp([4, 8, 3])
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = OneCycleLR(opt, max_lr=0.1, total_steps=12)
    history = fit(model, X, y, loss="cross_entropy", optimizer=opt, scheduler=sched, epochs=3, batch_size=16,
                  verbose=0)
    assert history.params["scheduler_interval"] == "batch"
    assert sched.last_epoch == 12


def test_clip_grad_norm_limits_update():
    X, y = blobs(32)
    model = mlp([4, 8, 3])
    before = [p.data.copy() for p in model.parameters()]
    fit(model, X, y, loss="cross_entropy", optimizer="sgd", lr=1.0, epochs=1, batch_size=32, clip_grad_norm=1e-3,
        verbose=0)
    change = math.sqrt(sum(float(((p.data - b) ** 2).sum()) for p, b in zip(model.parameters(), before)))
    assert change <= 1e-3 * 1.0001


def test_monitor_flag_is_stored():
    X, y = blobs(20)
    seen = []

    class Peek(Callback):
        def on_train_begin(self, logs=None):
            seen.append(self.trainer.monitor)

    history = fit(mlp([4, 3]), X, y, loss="cross_entropy", optimizer="sgd", lr=0.1, epochs=1, monitor=True,
                  callbacks=[Peek()], verbose=0)
    assert seen == [True] and history.params["monitor"] is True
