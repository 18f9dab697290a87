"""``backprop evaluate``, ``predict``, ``gradcheck`` and every ``--help``."""

import csv
import io
import json

import numpy as np
import pytest

from backprop.cli import main
from backprop.cli import gradcheck as gradcheck_module

from .helpers import run_subprocess


@pytest.fixture(scope="module")
def moons_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("runs") / "moons"
    assert main(["train", "--data", "moons", "--epochs", "30", "--out", str(run_dir), "--quiet", "--no-plot"]) == 0
    return run_dir


@pytest.fixture(scope="module")
def sine_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("runs") / "sine"
    assert main(["train", "--data", "sine", "--epochs", "5", "--out", str(run_dir), "--quiet", "--no-plot"]) == 0
    return run_dir


def test_evaluate_reproduces_the_runs_test_accuracy(cli, moons_run, tmp_path):
    status, out, err = cli("evaluate", "--model", moons_run, "--output", tmp_path / "eval.json")
    assert status == 0, err
    metrics = json.loads((moons_run / "metrics.json").read_text())
    result = json.loads((tmp_path / "eval.json").read_text())
    assert result["accuracy"] == pytest.approx(metrics["test_accuracy"])
    assert result["loss"] == pytest.approx(metrics["test_loss"], rel=1e-5)
    assert "confusion matrix" in out and result["n_samples"] == metrics["n_test"]


def test_evaluate_on_other_data_uses_all_samples(cli, moons_run, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2)).astype(np.float32)
    np.savez(tmp_path / "m.npz", X=X, y=(X[:, 0] > 0).astype(np.int64))
    status, out, err = cli("evaluate", "--model", moons_run, "--data", f"npz:{tmp_path / 'm.npz'}")
    assert status == 0, err
    assert "all part: 40 samples" in out


def test_predict_csv_probabilities_sum_to_one(cli, moons_run, tmp_path):
    inputs = tmp_path / "points.csv"
    inputs.write_text("x0,x1\n0.0,0.5\n1.0,-0.5\n2.0,0.3\n")
    status, out, err = cli("predict", "--model", moons_run, "--input", inputs, "--output", tmp_path / "p.csv")
    assert status == 0, err
    rows = list(csv.reader((tmp_path / "p.csv").read_text().splitlines()))
    assert rows[0] == ["p_0", "p_1"]
    assert len(rows) == 4
    for row in rows[1:]:
        assert sum(float(v) for v in row) == pytest.approx(1.0, abs=1e-6)


def test_predict_npy_to_stdout_with_label(cli, moons_run, tmp_path):
    np.save(tmp_path / "x.npy", np.array([[0.0, 0.5], [1.0, -0.5]], dtype=np.float32))
    status, out, err = cli("predict", "--model", moons_run, "--input", tmp_path / "x.npy", "--label")
    assert status == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["p_0", "p_1", "predicted"] and len(rows) == 3
    assert all(row[2] in ("0", "1") for row in rows[1:])
    assert all(sum(map(float, row[:2])) == pytest.approx(1.0, abs=1e-6) for row in rows[1:])


def test_predict_regression(cli, sine_run, tmp_path):
    np.save(tmp_path / "x.npy", np.array([[0.0], [1.0]], dtype=np.float32))
    status, out, err = cli("predict", "--model", sine_run, "--input", tmp_path / "x.npy")
    assert status == 0, err
    assert out.splitlines()[0] == "prediction" and len(out.splitlines()) == 3


def test_predict_bad_input_is_one_line(cli, moons_run, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("0.1,0.2\n0.3,oops\n")
    status, out, err = cli("predict", "--model", moons_run, "--input", path)
    assert status == 2
    line, = err.strip().splitlines()
    assert "bad.csv" in line and "row 2" in line and "oops" in line
    status, out, err = cli("predict", "--model", moons_run, "--input", tmp_path / "missing.csv")
    assert status == 2 and "missing.csv" in err
    status, out, err = cli("predict", "--model", tmp_path / "not_a_run", "--input", path)
    assert status == 2 and "not_a_run" in err and len(err.strip().splitlines()) == 1


def test_gradcheck_passes_for_a_healthy_net(cli):
    status, out, err = cli("gradcheck", "--layers", "3,5,2", "--activation", "tanh", "--loss", "cross_entropy")
    assert status == 0, err
    assert "PASS" in out
    for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
        assert name in out


def test_gradcheck_with_batch_norm_and_dropout(cli):
    status, out, err = cli("gradcheck", "--layers", "3,6,1", "--loss", "mse", "--batch-norm", "--dropout", "0.3",
                           "--activation", "sigmoid")
    assert status == 0, err
    assert "PASS" in out and "1.weight" in out  # the BatchNorm's gamma


def test_gradcheck_fails_with_exit_1_on_a_wrong_gradient(cli, monkeypatch):
    original = gradcheck_module.analytic_gradients

    def broken(*args, **kwargs):
        grads = original(*args, **kwargs)
        grads["0.weight"] = grads["0.weight"] * 1.01  # a 1% error, as a slightly wrong backward gives
        return grads

    monkeypatch.setattr(gradcheck_module, "analytic_gradients", broken)
    status, out, err = cli("gradcheck", "--layers", "3,4,2")
    assert status == 1
    assert "FAIL" in out and "0.weight" in out.split("FAIL:")[-1]


def test_gradcheck_table_relative_errors():
    rows = gradcheck_module.compare({"w": np.array([1.0, 2.0])}, {"w": np.array([1.0, 2.0 + 2e-6])}, 1e-5)
    assert rows[0].relative_error == pytest.approx(1e-6, rel=1e-3) and rows[0].passed
    rows = gradcheck_module.compare({"w": np.array([1.0, 2.0])}, {"w": np.array([1.0, 2.1])}, 1e-5)
    assert not rows[0].passed


@pytest.mark.parametrize("command", ["train", "evaluate", "predict", "explain", "gradcheck", None])
def test_help_has_examples(cli, command):
    status, out, err = cli(*([command] if command else []), "--help")
    assert status == 0
    assert "Examples" in out


def test_version_and_no_command(cli):
    status, out, err = cli("--version")
    assert status == 0 and "backprop" in out
    status, out, err = cli()
    assert status == 0 and "COMMAND" in out


def test_python_dash_m_gradcheck_subprocess():
    result = run_subprocess("-m", "backprop", "gradcheck", "--layers", "2,3,2")
    assert result.returncode == 0, result.stderr
    assert "PASS" in result.stdout
