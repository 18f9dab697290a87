"""Checkpoints: atomic layout, exact resume, and crash safety under SIGKILL."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from backprop import nn
from backprop.optim import Adam, StepLR
from backprop.train import CSVLogger, EarlyStopping, fit, latest_epoch, load_checkpoint
from backprop.train.checkpoint import CheckpointError

from .helpers import Recorder, assert_state_equal, blobs

threadpoolctl = pytest.importorskip("threadpoolctl")

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("crash_worker.py")


def _setup(seed=0):
    X, y = blobs(200, n_features=6, n_classes=3, seed=1)
    model = nn.Sequential(nn.Linear(6, 32, rng=seed), nn.ReLU(), nn.Dropout(0.3, rng=seed + 1),
                          nn.BatchNorm1d(32), nn.Linear(32, 3, rng=seed + 2))
    optimizer = Adam(model.parameters(), lr=0.01)
    scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
    return X, y, model, optimizer, scheduler


def _train(directory, epochs, resume=False, seed=0, csv_path=None):
    X, y, model, optimizer, scheduler = _setup(seed)
    early = EarlyStopping(monitor="val_loss", patience=100)
    callbacks = [early] + ([CSVLogger(csv_path)] if csv_path else [])
    history = fit(model, X, y, loss="cross_entropy", optimizer=optimizer, scheduler=scheduler, epochs=epochs,
                  batch_size=16, validation_split=0.2, seed=11, verbose=0, callbacks=callbacks,
                  checkpoint_dir=directory, resume=resume)
    return model, history


def _same_history(a, b):
    assert json.dumps(a.to_dict(), sort_keys=True) == json.dumps(b.to_dict(), sort_keys=True)


def test_resume_is_bit_identical(tmp_path):
    with threadpoolctl.threadpool_limits(1):
        full_model, full_history = _train(tmp_path / "full", 6)
        _, first = _train(tmp_path / "split", 3, csv_path=tmp_path / "log.csv")
        assert latest_epoch(tmp_path / "split") == 3 and len(first.epoch) == 3
        # a different init seed proves that everything comes from the checkpoint
        resumed_model, resumed_history = _train(tmp_path / "split", 6, resume=True, seed=99,
                                                csv_path=tmp_path / "log.csv")
    assert_state_equal(full_model.state_dict(), resumed_model.state_dict())
    _same_history(full_history, resumed_history)
    assert len(resumed_history.epoch) == 6
    assert len((tmp_path / "log.csv").read_text().splitlines()) == 1 + 6


def test_checkpoint_contents_and_pruning(tmp_path):
    model, history = _train(tmp_path, 4)
    files = sorted(os.listdir(tmp_path))
    assert files == ["checkpoint.json", "epoch-000003.json", "epoch-000003.npz", "epoch-000004.json",
                     "epoch-000004.npz"]
    state = load_checkpoint(tmp_path)
    assert state["epochs_done"] == 4
    assert set(state) >= {"model", "optimizer", "scheduler", "callbacks", "history", "rng", "run"}
    assert state["history"]["history"]["loss"] == history.history["loss"]
    assert "2.rng" in state["rng"]["modules"]  # the Dropout's generator
    assert state["callbacks"]["0:EarlyStopping"]["best_weights"] is not None
    # no pickle anywhere: every array loads with allow_pickle=False
    with np.load(tmp_path / "epoch-000004.npz", allow_pickle=False) as archive:
        assert all(archive[k].dtype != object for k in archive.files)


def test_damaged_checkpoint_is_an_error_and_missing_is_a_fresh_start(tmp_path):
    assert load_checkpoint(tmp_path) is None
    _train(tmp_path, 1)
    with open(tmp_path / "epoch-000001.npz", "r+b") as f:
        f.seek(100)
        f.write(b"\x00garbage")
    with pytest.raises(CheckpointError, match="does not match the hash"):
        load_checkpoint(tmp_path)
    _, history = _train(tmp_path / "fresh", 2, resume=True)  # nothing to resume: trains from scratch
    assert len(history.epoch) == 2


def test_resume_of_a_finished_run_trains_no_more(tmp_path):
    model, history = _train(tmp_path, 2)
    recorder = Recorder()
    X, y, model2, optimizer, scheduler = _setup()
    again = fit(model2, X, y, loss="cross_entropy", optimizer=optimizer, scheduler=scheduler, epochs=2,
                batch_size=16, validation_split=0.2, seed=11, verbose=0, checkpoint_dir=tmp_path, resume=True,
                callbacks=[EarlyStopping(monitor="val_loss", patience=100), recorder])
    assert recorder.batch_sizes == [] and again.history == history.history


def _env():
    env = dict(os.environ)
    env.update(PYTHONPATH=str(ROOT / "src"), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


@pytest.mark.slow
def test_sigkill_at_random_moments_never_corrupts(tmp_path):
    epochs = 60
    env = _env()
    subprocess.run([sys.executable, str(WORKER), "reference", str(tmp_path), str(epochs)], env=env, check=True,
                   timeout=120)
    reference = dict(np.load(tmp_path / "reference.npz", allow_pickle=False))
    ckpt = tmp_path / "ckpt"
    rand = random.Random(1234)
    seen = []
    for _ in range(15):
        proc = subprocess.Popen([sys.executable, str(WORKER), "train", str(tmp_path), str(epochs)], env=env)
        time.sleep(rand.uniform(0.3, 1.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        state = load_checkpoint(ckpt)
        if state is None:
            continue
        done = state["epochs_done"]
        seen.append(done)
        # consistent: the loaded weights are exactly what epoch `done` produced
        for name, value in state["model"].items():
            np.testing.assert_array_equal(value, reference[f"e{done - 1}/{name}"], err_msg=name)
        assert len(state["history"]["epoch"]) == done
    assert seen and seen == sorted(seen)  # progress is never lost
    subprocess.run([sys.executable, str(WORKER), "train", str(tmp_path), str(epochs)], env=env, check=True,
                   timeout=120)
    final, expected = dict(np.load(tmp_path / "train-final.npz")), dict(np.load(tmp_path / "reference-final.npz"))
    assert_state_equal(final, expected)
    with open(tmp_path / "train-history.json") as f, open(tmp_path / "reference-history.json") as g:
        assert json.load(f)["history"] == json.load(g)["history"]
