"""``backprop train``: defaults, datasets, config files, run directories, errors."""

import json
import struct

import numpy as np
import pytest

from .helpers import run_subprocess

RUN_FILES = ("config.json", "history.csv", "metrics.json", "preprocessing.json")


def _metrics(run_dir):
    return json.loads((run_dir / "metrics.json").read_text())


def _assert_complete(run_dir):
    for name in RUN_FILES:
        assert (run_dir / name).is_file(), name
    assert (run_dir / "model.safetensors").is_file() or (run_dir / "model.npz").is_file()
    metrics = _metrics(run_dir)
    for key in ("test_loss", "train_seconds", "epochs_run", "n_parameters"):
        assert key in metrics
    return metrics


@pytest.mark.slow
def test_default_train_on_digits_reaches_097(cli, tmp_path):
    status, out, err = cli("train", "--out", tmp_path / "run")
    assert status == 0, err
    metrics = _assert_complete(tmp_path / "run")
    assert metrics["test_accuracy"] >= 0.97
    assert metrics["epochs_run"] == 30
    pytest.importorskip("matplotlib")
    assert (tmp_path / "run" / "curves.png").is_file()
    assert "test accuracy" in out and "parameters" in out and str(tmp_path / "run") in out
    assert "val_loss" in out and "val_accuracy" in out  # per-epoch lines


def test_spirals_reaches_097(cli, tmp_path):
    status, out, err = cli("train", "--data", "spirals", "--out", tmp_path / "run", "--no-plot")
    assert status == 0, err
    metrics = _assert_complete(tmp_path / "run")
    assert metrics["test_accuracy"] >= 0.97
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["epochs"] == 300 and config["data"] == "spirals"


def test_sine_is_regression_with_r2(cli, tmp_path):
    status, out, err = cli("train", "--data", "sine", "--epochs", "40", "--out", tmp_path / "run", "--no-plot")
    assert status == 0, err
    metrics = _assert_complete(tmp_path / "run")
    assert "test_accuracy" not in metrics
    assert metrics["test_r2"] > 0.5 and metrics["test_mse"] > 0
    assert "R^2" in out
    assert json.loads((tmp_path / "run" / "config.json").read_text())["loss"] == "mse"


def test_config_json_written_with_every_setting(cli, tmp_path):
    status, out, err = cli("train", "--data", "moons", "--epochs", "2", "--layers", "8,4", "--dropout", "0.1",
                           "--batch-norm", "--optimizer", "momentum", "--lr", "0.05", "--weight-decay", "0.001",
                           "--clip-grad-norm", "5", "--early-stopping", "3", "--seed", "3",
                           "--out", tmp_path / "run", "--no-plot", "--quiet")
    assert status == 0, err
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["layers"] == [8, 4] and config["dropout"] == 0.1 and config["batch_norm"] is True
    assert config["optimizer"] == "momentum" and config["lr"] == 0.05 and config["weight_decay"] == 0.001
    assert config["clip_grad_norm"] == 5 and config["early_stopping"] == 3 and config["seed"] == 3
    assert config["loss"] == "cross_entropy" and config["task"] == "classification"
    history = (tmp_path / "run" / "history.csv").read_text().splitlines()
    assert history[0].startswith("epoch,loss,accuracy,val_loss,val_accuracy")
    assert len(history) == 3
    prep = json.loads((tmp_path / "run" / "preprocessing.json").read_text())
    assert prep["preprocessing"]["scaler"]["type"] == "Standardizer" and prep["classes"] == [0, 1]


@pytest.mark.parametrize("kind", ["toml", "json"])
def test_config_file_with_flag_override(cli, tmp_path, kind):
    if kind == "toml":
        path = tmp_path / "run.toml"
        path.write_text('data = "moons"\nlayers = [8]\nepochs = 3\nbatch-size = 16\nlr = 0.5\n')
    else:
        path = tmp_path / "run.json"
        path.write_text(json.dumps({"data": "moons", "layers": "8", "epochs": 3, "batch_size": 16, "lr": 0.5}))
    status, out, err = cli("train", "--config", path, "--lr", "0.02", "--out", tmp_path / "run", "--quiet",
                           "--no-plot")
    assert status == 0, err
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["lr"] == 0.02  # the flag wins
    assert config["layers"] == [8] and config["epochs"] == 3 and config["batch_size"] == 16
    assert config["data"] == "moons"
    assert _metrics(tmp_path / "run")["epochs_run"] == 3


def test_config_unknown_keys_are_named(cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('data = "moons"\nlayrs = [8]\ncolour = "red"\n')
    status, out, err = cli("train", "--config", path, "--out", tmp_path / "run")
    assert status == 2
    line, = err.strip().splitlines()
    assert line.startswith("backprop: error:") and "layrs" in line and "colour" in line
    assert not (tmp_path / "run").exists()


def test_config_bad_value_is_one_line(cli, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"epochs": -3}')
    status, out, err = cli("train", "--config", path)
    assert status == 2
    line, = err.strip().splitlines()
    assert "epochs" in line and "-3" in line


def _write_idx(path, array):
    codes = {np.uint8: 0x08, np.int32: 0x0C}
    header = struct.pack(">BBBB", 0, 0, codes[array.dtype.type], array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(array.dtype.newbyteorder(">")).tobytes())


def _make_idx_dir(directory, n_train=150, n_test=60, size=6, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    directory.mkdir()
    for split, n in (("train", n_train), ("t10k", n_test)):
        labels = (np.arange(n) % n_classes).astype(np.uint8)
        images = rng.integers(0, 60, size=(n, size, size)).astype(np.uint8)
        for i, label in enumerate(labels):  # each class lights up its own band of rows
            images[i, 2 * label:2 * label + 2, :] = 255
        _write_idx(directory / f"{split}-images-idx3-ubyte", images)
        _write_idx(directory / f"{split}-labels-idx1-ubyte", labels)


def test_idx_directory_trains(cli, tmp_path):
    _make_idx_dir(tmp_path / "mnist")
    status, out, err = cli("train", "--data", f"idx:{tmp_path / 'mnist'}", "--layers", "16", "--epochs", "20", "--batch-size", "16",
                           "--out", tmp_path / "run", "--quiet", "--no-plot")
    assert status == 0, err
    metrics = _assert_complete(tmp_path / "run")
    assert metrics["n_test"] == 60  # the files' own test set
    assert metrics["test_accuracy"] >= 0.9
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["scale"] == "none"  # pixels are already in [0, 1]


def test_npz_data_trains(cli, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    status, out, err = cli("train", "--data", f"npz:{tmp_path / 'd.npz'}", "--epochs", "5",
                           "--out", tmp_path / "run", "--quiet", "--no-plot")
    assert status == 0, err
    assert _metrics(tmp_path / "run")["test_accuracy"] > 0.6


def test_csv_with_named_target_trains(cli, tmp_path):
    rng = np.random.default_rng(0)
    lines = ["label,a,b"]
    for i in range(90):
        name = ["cat", "dog", "eel"][i % 3]
        a, b = rng.normal(size=2) + (i % 3) * 3
        lines.append(f"{name},{a:.3f},{b:.3f}")
    path = tmp_path / "pets.csv"
    path.write_text("\n".join(lines) + "\n")
    status, out, err = cli("train", "--data", f"csv:{path}:label", "--epochs", "30", "--layers", "8", "--lr", "0.01",
                           "--out", tmp_path / "run", "--quiet", "--no-plot")
    assert status == 0, err
    prep = json.loads((tmp_path / "run" / "preprocessing.json").read_text())
    assert prep["classes"] == ["cat", "dog", "eel"] and prep["feature_names"] == ["a", "b"]
    assert _metrics(tmp_path / "run")["test_accuracy"] >= 0.8


BAD_CSV = {
    "missing": ("a,b,label\n1,2,0\n3,,1\n5,6,0\n7,8,1\n", ["row 3", "column 'b'", "missing"]),
    "nonnumeric": ("a,b,label\n1,2,0\n3,4,1\n5,six,0\n7,8,1\n", ["row 4", "column 'b'", "six"]),
    "single_class": ("a,b,label\n1,2,0\n3,4,0\n5,6,0\n", ["single class", "label"]),
    "empty": ("", ["empty"]),
}


@pytest.mark.parametrize("case", sorted(BAD_CSV))
def test_bad_csv_is_one_line_and_writes_nothing(cli, tmp_path, case):
    text, fragments = BAD_CSV[case]
    path = tmp_path / f"{case}.csv"
    path.write_text(text)
    run_dir = tmp_path / "run"
    status, out, err = cli("train", "--data", f"csv:{path}", "--out", run_dir)
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("backprop: error:")
    assert f"{case}.csv" in lines[0]
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in err
    assert not run_dir.exists() or {p.name for p in run_dir.iterdir()} <= {"config.json"}


@pytest.mark.parametrize("argv, fragment", [
    (["--lr", "-1"], "--lr"),
    (["--optimizer", "adamm"], "optimizer"),
    (["--epochs", "0"], "--epochs"),
    (["--layers", "64,x"], "--layers"),
    (["--dropout", "1.5"], "--dropout"),
    (["--activation", "swishy"], "activation"),
    (["--data", "nonsense"], "nonsense"),
    (["--data", "csv:/no/such/file.csv"], "file.csv"),
    (["--bogus-flag"], "--bogus-flag"),
    (["--data", "sine", "--loss", "cross_entropy"], "regression"),
    (["--early-stopping", "3", "--validation-split", "0"], "--validation-split"),
])
def test_bad_arguments_are_one_line_exit_2(cli, tmp_path, argv, fragment):
    status, out, err = cli("train", *argv, "--out", tmp_path / "run")
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("backprop: error:") and fragment in lines[0]
    assert not (tmp_path / "run").exists()


def test_debug_shows_the_traceback(cli, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,x\n2,1\n")
    status, out, err = cli("--debug", "train", "--data", f"csv:{path}", "--out", tmp_path / "run")
    assert status == 2
    assert "Traceback" in err and err.strip().splitlines()[-1].startswith("backprop: error:")
    status, out, err = cli("train", "--data", f"csv:{path}", "--debug", "--out", tmp_path / "run")
    assert status == 2 and "Traceback" in err


def test_python_dash_m_train_subprocess(tmp_path):
    result = run_subprocess("-m", "backprop", "train", "--data", "moons", "--epochs", "3", "--out",
                            tmp_path / "run", "--no-plot")
    assert result.returncode == 0, result.stderr
    assert "Epoch 3/3" in result.stdout and "test accuracy" in result.stdout
    assert (tmp_path / "run" / "metrics.json").is_file()


def test_python_dash_m_bad_flag_subprocess(tmp_path):
    result = run_subprocess("-m", "backprop", "train", "--lr", "-0.1")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and result.stderr.startswith("backprop: error:")


def test_without_matplotlib_a_one_line_hint(cli, tmp_path, monkeypatch):
    import backprop.plot

    monkeypatch.setattr(backprop.plot, "available", lambda: False)
    status, out, err = cli("train", "--data", "blobs", "--epochs", "2", "--out", tmp_path / "run", "--quiet")
    assert status == 0, err
    hints = [line for line in out.splitlines() if "pip install 'backprop[plot]'" in line]
    assert len(hints) == 1
    assert not (tmp_path / "run" / "curves.png").exists()
