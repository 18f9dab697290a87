"""The MNIST-1D experiment: a quick run gives one row per paper model with the paper's numbers."""

import math

import numpy as np
import pytest

pytest.importorskip("mnist1d")

from backprop.experiments import mnist1d  # noqa: E402
from backprop.experiments._common import ExperimentResult  # noqa: E402


@pytest.fixture(scope="module")
def result():
    return mnist1d.run(quick=True)


def test_quick_run_rows(result):
    assert isinstance(result, ExperimentResult) and result.name == "mnist1d"
    rows = {row["model"]: row for row in result.rows}
    assert list(rows) == ["logistic", "mlp", "cnn", "gru", "human"]
    paper = {"logistic": 0.32, "mlp": 0.68, "cnn": 0.94, "gru": 0.91, "human": 0.96}
    for name, accuracy in paper.items():
        assert rows[name]["paper"] == accuracy
    for name in ("logistic", "mlp", "cnn", "gru"):
        row = rows[name]
        assert 0 <= row["ours (mean)"] <= 1 and 0 <= row["min"] <= row["max"] <= 1
        assert row["seeds"] == 1 and row["std"] == 0
        assert row["epochs"] == mnist1d.QUICK_EPOCHS
        # three epochs on 1,000 samples already beat chance (10 %)
        assert row["ours (mean)"] > 0.1
    assert math.isnan(rows["human"]["ours (mean)"])


def test_quick_run_text_and_verdicts(result):
    assert "MNIST-1D" in result.text and "QUICK" in result.text
    for name in ("logistic", "mlp", "cnn", "gru"):
        assert any(claim.startswith(f"{name}:") for claim in result.verdicts)
    assert all(isinstance(v, bool) for v in result.verdicts.values())
    assert result.details["quick"] is True
    assert set(result.details["per_seed"]) == {"logistic", "mlp", "cnn", "gru"}


def test_subset_and_seeds_validation():
    with pytest.raises(ValueError, match="unknown models"):
        mnist1d.run(quick=True, models=("transformer",))
    with pytest.raises(ValueError, match="seed"):
        mnist1d.run(quick=True, seeds=())


def test_train_one_is_seeded():
    data = mnist1d.load_mnist1d(as_images=True)
    a = mnist1d.train_one("logistic", 3, data, epochs=1, n_train=200)
    b = mnist1d.train_one("logistic", 3, data, epochs=1, n_train=200)
    assert a[:2] == b[:2]
    assert np.isfinite(a[2])
