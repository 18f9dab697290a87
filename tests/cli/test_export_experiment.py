"""``backprop export`` (ONNX) and ``backprop experiment``, and the top-level help."""

import sys

import numpy as np
import pytest

from .test_models_health import make_images


def _predict_probabilities(cli, run_dir, X, tmp_path):
    np.save(tmp_path / "x.npy", X)
    status, out, err = cli("predict", "--model", run_dir, "--input", tmp_path / "x.npy")
    assert status == 0, err
    return np.array([[float(v) for v in line.split(",")] for line in out.strip().splitlines()[1:]])


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_export_matches_predict(cli, tmp_path, model):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    if model == "mlp":  # standardized features: the scaling is part of the ONNX graph
        argv, X = ["--data", "moons", "--epochs", "3"], np.random.default_rng(1).normal(size=(9, 2))
    else:  # (1, 28, 28) images: the reshape is part of the graph
        data = make_images(tmp_path / "images", n_train=40, n_test=10)
        argv = ["--model", "cnn", "--data", f"idx:{data}", "--epochs", "1", "--scale", "minmax"]
        X = np.random.default_rng(1).uniform(0, 1, size=(9, 784))
    X = X.astype(np.float32)
    run_dir = tmp_path / "run"
    status, out, err = cli("train", *argv, "--validation-split", "0", "--out", run_dir, "--quiet", "--no-plot")
    assert status == 0, err
    status, out, err = cli("export", "--model", run_dir, "--onnx", tmp_path / "model.onnx", "--opset", "13")
    assert status == 0, err
    assert "model.onnx" in out and "opset 13" in out
    session = ort.InferenceSession(str(tmp_path / "model.onnx"))
    assert session.get_inputs()[0].shape[1] == X.shape[1]
    logits = session.run(None, {"input": X})[0]
    expected = _predict_probabilities(cli, run_dir, X, tmp_path)
    np.testing.assert_allclose(_softmax(logits.astype(np.float64)), expected, atol=1e-5)


def test_export_without_onnx_is_one_line(cli, tmp_path, monkeypatch):
    status, out, err = cli("train", "--data", "blobs", "--epochs", "1", "--out", tmp_path / "run", "--quiet",
                           "--no-plot")
    assert status == 0, err
    monkeypatch.setitem(sys.modules, "onnx", None)
    status, out, err = cli("export", "--model", tmp_path / "run", "--onnx", tmp_path / "model.onnx")
    assert status == 2
    assert err.count("\n") == 1 and "pip install 'backprop[onnx]'" in err
    assert not (tmp_path / "model.onnx").exists()


def test_export_errors_are_one_line(cli, tmp_path):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    status, out, err = cli("export", "--model", tmp_path / "nothing", "--onnx", tmp_path / "m.onnx")
    assert status == 2 and err.count("\n") == 1 and "no such run directory" in err
    status, out, err = cli("train", "--model", "gru", "--data", "moons", "--epochs", "1", "--hidden-size", "4",
                           "--out", tmp_path / "run", "--quiet", "--no-plot")
    assert status == 0, err
    status, out, err = cli("export", "--model", tmp_path / "run", "--onnx", tmp_path / "m.onnx", "--opset", "99")
    assert status == 2 and err.count("\n") == 1 and "--opset" in err
    assert not (tmp_path / "m.onnx").exists()
    # a GRU run (SequenceClassifier) exports, and the file reproduces 'backprop predict'
    status, out, err = cli("export", "--model", tmp_path / "run", "--onnx", tmp_path / "m.onnx")
    assert status == 0, err
    assert "m.onnx" in out and "gru" in out
    X = np.random.default_rng(1).normal(size=(9, 2)).astype(np.float32)
    session = ort.InferenceSession(str(tmp_path / "m.onnx"))
    assert session.get_inputs()[0].shape[1] == X.shape[1]
    logits = session.run(None, {"input": X})[0]
    expected = _predict_probabilities(cli, tmp_path / "run", X, tmp_path)
    np.testing.assert_allclose(_softmax(logits.astype(np.float64)), expected, atol=1e-5)


def test_experiment_list_names_every_experiment(cli):
    from backprop.experiments import EXPERIMENTS

    status, out, err = cli("experiment", "--list")
    assert status == 0, err
    assert "mnist1d" in EXPERIMENTS
    for name in EXPERIMENTS:
        assert f"  {name} " in out


def test_experiment_init_quick_prints_the_table(cli, tmp_path):
    status, out, err = cli("experiment", "init", "--quick")
    assert status in (0, 1), err
    assert "verdicts:" in out and "xavier" in out and "he" in out
    assert ("verdict(s) failed" in out) == (status == 1)


@pytest.mark.parametrize("argv, words", [(["nope"], "unknown experiment 'nope'"), ([], "name one of")])
def test_experiment_bad_name_is_one_line(cli, argv, words):
    status, out, err = cli("experiment", *argv)
    assert status == 2 and err.count("\n") == 1 and words in err and "mnist1d" in err


def test_top_level_help_lists_every_subcommand_with_an_example(cli):
    status, out, err = cli("--help")
    assert status == 0
    for command in ("train", "evaluate", "predict", "export", "experiment", "explain", "gradcheck"):
        assert f"backprop {command}" in out.split("Examples")[1], command
    assert "explain --graph" in out
