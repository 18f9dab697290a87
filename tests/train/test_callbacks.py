"""EarlyStopping, ModelCheckpoint, TerminateOnNaN, CSVLogger, LearningRateScheduler."""

import csv
import math
import os

import numpy as np
import pytest

from backprop.optim import SGD, ReduceLROnPlateau, StepLR
from backprop.train import (Callback, CSVLogger, EarlyStopping, LambdaCallback, LearningRateScheduler,
                            ModelCheckpoint, TerminateOnNaN, fit)

from .helpers import Recorder, assert_state_equal, blobs, mlp


def scripted_metric(values):
    """A metric returning a fixed sequence, one value per epoch (training data only)."""
    it = iter(values)

    def score(y_pred, y_true):
        return next(it)

    return score


def _run(values, epochs, patience, extra=(), mode="min"):
    X, y = blobs(60)
    model = mlp([4, 8, 3])
    recorder = Recorder()
    early = EarlyStopping(monitor="score", patience=patience, mode=mode)
    history = fit(model, X, y, loss="cross_entropy", optimizer="sgd", lr=0.1, epochs=epochs, verbose=0,
                  metrics=[scripted_metric(values)], callbacks=[early, recorder, *extra])
    return model, recorder, early, history


def test_early_stopping_patience_restores_best_epoch_weights():
    model, recorder, early, history = _run([5, 4, 3, 3.5, 3.6, 3.7, 9, 9, 9, 9], epochs=10, patience=3)
    assert history.stopped_reason == "early_stopping" and history.stopped_early
    assert early.best_epoch == 2 and early.stopped_epoch == 5
    assert len(history.history["loss"]) == 6
    assert_state_equal(model.state_dict(), recorder.weights[2])
    assert "did not improve" in history.stop_message


def test_early_stopping_restores_best_when_epochs_run_out():
    model, recorder, early, history = _run([5, 4, 2, 3, 4], epochs=5, patience=10)
    assert history.stopped_reason == "completed"
    assert early.best_epoch == 2
    assert_state_equal(model.state_dict(), recorder.weights[2])
    assert not np.array_equal(recorder.weights[4]["0.weight"], recorder.weights[2]["0.weight"])


def test_early_stopping_restores_best_when_another_callback_stops():
    stopper = LambdaCallback(on_epoch_end=lambda epoch, logs: epoch == 4 and stopper.trainer.stop())
    model, recorder, early, history = _run([5, 1, 2, 3, 4, 5, 6], epochs=7, patience=10, extra=[stopper])
    assert history.stopped_reason == "callback"
    assert len(history.epoch) == 5
    assert_state_equal(model.state_dict(), recorder.weights[1])


def test_early_stopping_on_real_val_loss_and_max_mode():
    X, y = blobs(90, seed=3)
    model = mlp([4, 16, 3])
    recorder = Recorder()
    early = EarlyStopping(monitor="val_accuracy", patience=3)
    history = fit(model, X, y, loss="cross_entropy", optimizer="adam", lr=0.05, epochs=30, verbose=0, seed=0,
                  validation_split=0.3, callbacks=[early, recorder])
    assert early.mode_ == "max"
    best = int(np.argmax(history.history["val_accuracy"]))  # first maximum
    assert early.best_epoch == best
    assert_state_equal(model.state_dict(), recorder.weights[best])


def test_min_delta_and_nan_never_improve():
    _, _, early, history = _run([5, 4.95, 4.9, math.nan, 4.0], epochs=5, patience=3)
    assert early.best_epoch == 4 and early.best == 4.0  # min_delta=0: 4.95, 4.9, 4.0 improve; NaN does not
    assert early.wait == 0
    early2 = EarlyStopping(monitor="score", patience=2, min_delta=0.2)
    X, y = blobs(30)
    fit(mlp([4, 3]), X, y, loss="cross_entropy", optimizer="sgd", lr=0.1, epochs=5, verbose=0,
        metrics=[scripted_metric([5, 4.95, 4.9, math.nan, 4.0])], callbacks=[early2])
    assert early2.best == 5 and early2.stopped_epoch == 2


def test_model_checkpoint_best_only(tmp_path):
    checkpoint = ModelCheckpoint(tmp_path / "ckpts", monitor="score", save_best_only=True, mode="min")
    model, recorder, early, history = _run([3, 2, 5, 1, 4], epochs=5, patience=10, extra=[checkpoint])
    saved = dict(np.load(tmp_path / "ckpts" / "best.npz", allow_pickle=False))
    assert_state_equal(saved, recorder.weights[3])
    assert checkpoint.best == 1


def test_model_checkpoint_every_epoch(tmp_path):
    X, y = blobs(30)
    checkpoint = ModelCheckpoint(tmp_path, filename="e{epoch:02d}-{loss:.3f}.npz")
    fit(mlp([4, 3]), X, y, loss="cross_entropy", optimizer="sgd", lr=0.1, epochs=3, verbose=0,
        callbacks=[checkpoint])
    names = sorted(os.listdir(tmp_path))
    assert [n[:3] for n in names] == ["e01", "e02", "e03"]
    assert not [n for n in names if n.startswith(".tmp")]


def test_terminate_on_nan_stops_on_nonfinite_val_loss():
    X, y = blobs(40)

    def nan_metric(y_pred, y_true):
        return math.nan

    nan_metric.name = "weird"
    history = fit(mlp([4, 3]), X, y, loss="cross_entropy", optimizer="sgd", lr=0.1, epochs=5, verbose=0,
                  metrics=[nan_metric], callbacks=[TerminateOnNaN()])
    assert history.stopped_reason == "divergence" and len(history.epoch) == 1


def test_csv_logger_matches_history(tmp_path):
    path = tmp_path / "log.csv"
    X, y = blobs(40)
    history = fit(mlp([4, 3]), X, y, loss="cross_entropy", optimizer="sgd", lr=0.1, epochs=3, verbose=0,
                  validation_split=0.25, callbacks=[CSVLogger(path)])
    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]
    assert [float(r["val_loss"]) for r in rows] == history.history["val_loss"]
    # append keeps the earlier rows, with a single header
    fit(mlp([4, 3]), X, y, loss="cross_entropy", optimizer="sgd", lr=0.1, epochs=2, verbose=0,
        validation_split=0.25, callbacks=[CSVLogger(path, append=True)])
    lines = path.read_text().splitlines()
    assert len(lines) == 1 + 3 + 2 and lines[0].startswith("epoch,")
    history.to_csv(tmp_path / "h.csv")
    assert (tmp_path / "h.csv").read_text().splitlines()[0] == lines[0]


def test_learning_rate_scheduler_function_and_object():
    X, y = blobs(40)
    model = mlp([4, 3])
    history = fit(model, X, y, loss="cross_entropy", optimizer="sgd", lr=0.1, epochs=3, verbose=0,
                  callbacks=[LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch else lr)])
    assert history.history["lr"] == pytest.approx([0.1, 0.05, 0.025])
    history = fit(model, X, y, loss="cross_entropy", optimizer="sgd", lr=0.1, epochs=2, verbose=0,
                  callbacks=[LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))])
    assert history.history["lr"] == pytest.approx([0.01, 0.02])
    opt = SGD(model.parameters(), lr=0.2)
    history = fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=3, verbose=0,
                  callbacks=[LearningRateScheduler(StepLR(opt, step_size=1, gamma=0.1))])
    assert history.history["lr"] == pytest.approx([0.2, 0.02, 0.002])


def test_reduce_on_plateau_as_fit_scheduler_gets_val_loss():
    X, y = blobs(40)
    model = mlp([4, 3])
    opt = SGD(model.parameters(), lr=0.0)  # no learning: the val loss never improves
    plateau = ReduceLROnPlateau(opt, patience=0, factor=0.5)
    opt.param_groups[0]["lr"] = 0.0
    history = fit(model, X, y, loss="cross_entropy", optimizer=opt, scheduler=plateau, epochs=3, verbose=0,
                  validation_split=0.25)
    # lr 0: the val loss is constant, so every epoch after the first is bad and halves the (zero) lr;
    # the scheduler saw exactly the logged val_loss values
    assert plateau.best == pytest.approx(history.history["val_loss"][0])
    assert plateau.last_epoch == 3


def test_callbacks_reexported():
    import backprop.callbacks as public
    assert public.EarlyStopping is EarlyStopping and issubclass(public.Callback, object)
    assert Callback is public.Callback
