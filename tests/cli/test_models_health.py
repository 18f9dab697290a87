"""``backprop train --model ...`` (zoo models and their input layouts), the health report,
gradient-flow and decision-boundary plots, and ``--tensorboard``."""

import json
import struct
import sys

import numpy as np
import pytest


def _write_idx(path, array):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def make_images(directory, n_train=200, n_test=50, n_classes=4, seed=0):
    """28x28 MNIST-format images: noise, plus a bright band of rows whose position is the class."""
    rng = np.random.default_rng(seed)
    directory.mkdir()
    for split, n in (("train", n_train), ("t10k", n_test)):
        labels = (np.arange(n) % n_classes).astype(np.uint8)
        images = rng.integers(0, 80, size=(n, 28, 28)).astype(np.uint8)
        for i, label in enumerate(labels):
            images[i, 4 + 6 * label:7 + 6 * label, 4:24] = 255
        _write_idx(directory / f"{split}-images-idx3-ubyte", images)
        _write_idx(directory / f"{split}-labels-idx1-ubyte", labels)
    return directory


def _metrics(run_dir):
    return json.loads((run_dir / "metrics.json").read_text())


def _probabilities(csv_text):
    lines = csv_text.strip().splitlines()
    return lines[0].split(","), np.array([[float(v) for v in line.split(",")] for line in lines[1:]])


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory):
    """A CNN trained on the tiny image set (shared by the tests that only read the run)."""
    from backprop.cli import main

    root = tmp_path_factory.mktemp("cnn")
    data = make_images(root / "images")
    run_dir = root / "run"
    status = main(["train", "--model", "cnn", "--data", f"idx:{data}", "--epochs", "3", "--validation-split", "0",
                   "--out", str(run_dir), "--quiet"])
    assert status == 0
    return data, run_dir


def test_cnn_on_idx_images_writes_the_run_and_learns(cnn_run):
    data, run_dir = cnn_run
    for name in ("config.json", "history.csv", "metrics.json", "preprocessing.json", "health.txt"):
        assert (run_dir / name).is_file(), name
    assert (run_dir / "model.safetensors").is_file() or (run_dir / "model.npz").is_file()
    prep = json.loads((run_dir / "preprocessing.json").read_text())
    assert prep["model"] == "cnn" and prep["input_shape"] == [1, 28, 28] and prep["n_features"] == 784
    config = json.loads((run_dir / "config.json").read_text())
    assert config["model"] == "cnn" and config["scale"] == "none" and config["batch_size"] == 64
    metrics = _metrics(run_dir)
    assert 0.0 <= metrics["test_accuracy"] <= 1.0
    assert metrics["n_train"] == 200 and metrics["n_test"] == 50
    assert metrics["test_accuracy"] >= 0.9  # the classes are bands at different rows: separable
    assert not any("/" in key for key in metrics)  # per-layer monitor columns stay in history.csv


def test_cnn_run_round_trips_through_evaluate_and_predict(cli, cnn_run, tmp_path):
    data, run_dir = cnn_run
    status, out, err = cli("evaluate", "--model", run_dir)
    assert status == 0, err
    accuracy = float(next(line.split()[1] for line in out.splitlines() if line.startswith("accuracy")))
    assert accuracy == pytest.approx(_metrics(run_dir)["test_accuracy"], abs=1e-4)
    images = np.frombuffer((data / "t10k-images-idx3-ubyte").read_bytes()[16:], dtype=np.uint8)
    X = images.reshape(-1, 784)[:8].astype(np.float32) / 255.0  # load_mnist_dir scales to [0, 1]
    np.save(tmp_path / "x.npy", X)
    status, out, err = cli("predict", "--model", run_dir, "--input", tmp_path / "x.npy", "--label")
    assert status == 0, err
    header, rows = _probabilities(out)
    assert header[:4] == ["p_0", "p_1", "p_2", "p_3"] and header[-1] == "predicted"
    assert np.allclose(rows[:, :4].sum(axis=1), 1.0, atol=1e-6)
    assert (rows[:, -1] == np.arange(8) % 4).mean() >= 0.75


def test_gru_on_mnist1d_and_evaluate_predict(cli, tmp_path):
    pytest.importorskip("mnist1d")
    run_dir = tmp_path / "run"
    status, out, err = cli("train", "--model", "gru", "--data", "mnist1d", "--epochs", "1", "--hidden-size", "8",
                           "--validation-split", "0", "--out", run_dir, "--quiet", "--no-plot")
    assert status == 0, err
    assert "GRU (hidden 8) over 40 steps of 1 feature" in out
    prep = json.loads((run_dir / "preprocessing.json").read_text())
    assert prep["model"] == "gru" and prep["input_shape"] == [1, 40]
    metrics = _metrics(run_dir)
    assert metrics["n_train"] == 4000 and metrics["n_test"] == 1000 and 0 <= metrics["test_accuracy"] <= 1
    status, out, err = cli("evaluate", "--model", run_dir)
    assert status == 0, err
    assert "1000 samples" in out
    accuracy = float(next(line.split()[1] for line in out.splitlines() if line.startswith("accuracy")))
    assert accuracy == pytest.approx(metrics["test_accuracy"], abs=1e-4)
    np.save(tmp_path / "x.npy", np.random.default_rng(0).normal(size=(5, 40)).astype(np.float32))
    status, out, err = cli("predict", "--model", run_dir, "--input", tmp_path / "x.npy")
    assert status == 0, err
    _, rows = _probabilities(out)
    assert rows.shape == (5, 10) and np.allclose(rows.sum(axis=1), 1.0, atol=1e-6)


@pytest.mark.parametrize("model, words", [("logistic", "logistic regression on 64 inputs"),
                                          ("cnn", "CNN (Conv2d) on 1x8x8 inputs"),
                                          ("lstm", "LSTM (hidden 8) over 8 steps of 8 features"),
                                          ("rnn", "RNN (hidden 8) over 8 steps of 8 features")])
def test_every_zoo_model_trains_on_the_digits(cli, tmp_path, model, words):
    extra = ["--hidden-size", "8"] if model in ("lstm", "rnn") else []
    status, out, err = cli("train", "--model", model, "--epochs", "1", "--validation-split", "0", *extra,
                           "--out", tmp_path / "run", "--quiet", "--no-plot")
    assert status == 0, err
    assert words in out
    assert 0 <= _metrics(tmp_path / "run")["test_accuracy"] <= 1
    status, out, err = cli("evaluate", "--model", tmp_path / "run")
    assert status == 0, err


def test_health_report_printed_and_written_with_plots(cli, tmp_path):
    run_dir = tmp_path / "run"
    status, out, err = cli("train", "--data", "moons", "--epochs", "3", "--out", run_dir, "--quiet")
    assert status == 0, err
    assert "\nHealth report\n" in out
    health = (run_dir / "health.txt").read_text().strip()
    assert health.startswith("health report (history, 3 monitored layers)")
    assert health in out
    header = (run_dir / "history.csv").read_text().splitlines()[0]
    assert "grad_norm/0" in header  # the monitor's per-layer statistics
    pytest.importorskip("matplotlib")
    for name in ("curves.png", "gradient_flow.png", "decision_boundary.png"):
        assert (run_dir / name).stat().st_size > 1000, name


def test_no_monitor_keeps_history_plain_but_still_reports(cli, tmp_path):
    run_dir = tmp_path / "run"
    status, out, err = cli("train", "--data", "blobs", "--epochs", "2", "--no-monitor", "--out", run_dir,
                           "--quiet")
    assert status == 0, err
    assert "grad_norm/" not in (run_dir / "history.csv").read_text()
    assert json.loads((run_dir / "config.json").read_text())["monitor"] is False
    assert (run_dir / "health.txt").read_text().startswith("health report (history)")
    assert not (run_dir / "gradient_flow.png").exists()


def test_tensorboard_writes_event_files(cli, tmp_path):
    pytest.importorskip("tensorboardX")
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    run_dir = tmp_path / "run"
    status, out, err = cli("train", "--data", "moons", "--epochs", "3", "--tensorboard", "--out", run_dir,
                           "--quiet", "--no-plot")
    assert status == 0, err
    assert "tensorboard/" in out
    events = list((run_dir / "tensorboard").glob("events.out.tfevents.*"))
    assert events
    accumulator = event_accumulator.EventAccumulator(str(run_dir / "tensorboard"))
    accumulator.Reload()
    assert "loss" in accumulator.Tags()["scalars"]
    losses = [event.value for event in accumulator.Scalars("loss")]
    history = (run_dir / "history.csv").read_text().splitlines()
    column = history[0].split(",").index("loss")
    assert losses == pytest.approx([float(line.split(",")[column]) for line in history[1:]], rel=1e-5)


def test_tensorboard_missing_is_a_hint_and_training_goes_on(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # import fails
    run_dir = tmp_path / "run"
    status, out, err = cli("train", "--data", "blobs", "--epochs", "2", "--tensorboard", "--out", run_dir,
                           "--quiet", "--no-plot")
    assert status == 0, err
    hints = [line for line in out.splitlines() if "pip install 'backprop[tensorboard]'" in line]
    assert len(hints) == 1
    assert _metrics(run_dir)["epochs_run"] == 2 and not (run_dir / "tensorboard").exists()


@pytest.mark.parametrize("argv, words", [
    (["--model", "transformer"], "unknown model 'transformer'"),
    (["--model", "cnn", "--layers", "32"], "--layers: only for --model mlp"),
    (["--hidden-size", "8"], "--hidden-size is for --model gru, lstm or rnn"),
    (["--model", "cnn", "--data", "sine"], "is a classifier"),
    (["--model", "gru", "--loss", "bce", "--data", "moons"], "--loss cross_entropy"),
    (["--model", "cnn", "--data", "moons"], "--model cnn on moons"),
])
def test_bad_model_settings_are_one_line_errors(cli, tmp_path, argv, words):
    status, out, err = cli("train", *argv, "--epochs", "1", "--out", tmp_path / "run", "--quiet")
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("backprop: error:") and words in err
