"""Every experiment runs at reduced size (quick=True) and its verdicts hold."""

import math
import os

import numpy as np
import pytest

from backprop.experiments import EXPERIMENTS, ExperimentResult, run_experiment


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("experiments")
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = run_experiment(name, out_dir=out, quick=True)
        return cache[name]
    return get


def test_registry_names():
    assert list(EXPERIMENTS) == ["vanishing", "exploding", "init", "learning-rate", "batch-size", "optimizers",
                                 "regularization", "mnist1d"]
    with pytest.raises(ValueError, match="unknown experiment"):
        run_experiment("nope")


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_result_shape_and_figure(results, name):
    result = results(name)
    assert isinstance(result, ExperimentResult) and result.name == name
    assert result.rows and all(list(row) == list(result.rows[0]) for row in result.rows)
    assert result.verdicts and all(isinstance(v, bool) for v in result.verdicts.values())
    for claim in result.verdicts:
        assert claim in result.text
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert result.figure is None and "pip install" in result.text
    else:
        assert result.figure is not None and os.path.getsize(result.figure) > 1000


def test_vanishing(results):
    r = {row["network"]: row for row in results("vanishing").rows}
    assert r["sigmoid"]["ratio at init"] < 1e-3
    assert r["sigmoid"]["ratio at init"] * 1e3 < r["relu + He + residual"]["ratio at init"]
    assert all(results("vanishing").verdicts.values())


def test_exploding_clipping_keeps_finite(results):
    free, clipped = results("exploding").rows
    assert clipped["loss stays finite"] and math.isfinite(clipped["final loss"])
    assert free["max grad norm"] > 1e3 or not free["loss stays finite"]


def test_zero_init_leaves_hidden_units_identical(results):
    result = results("init")
    assert result.details["distinct_units"]["zero"] == [1, 1]
    assert result.details["distinct_units"]["he"] == [32, 32]
    assert all(result.verdicts.values())


def test_learning_rate_extremes(results):
    rows = results("learning-rate").rows
    assert rows[-1]["diverged"] or rows[-1]["diagnosis"] == "too high"
    assert rows[0]["loss drop"] < 0.1
    assert all(results("learning-rate").verdicts.values())


def test_smaller_batches_more_updates(results):
    rows = results("batch-size").rows
    updates = [row["updates/epoch"] for row in rows]
    assert updates == sorted(updates, reverse=True) and len(set(updates)) == len(updates)
    assert updates[-1] == 1 and rows[0]["batch size"] == 1


def test_adam_beats_sgd(results):
    r = {row["optimizer"]: row for row in results("optimizers").rows}
    assert r["Adam"]["final loss"] < r["SGD"]["final loss"]
    assert r["Adam"]["steps"] == r["SGD"]["steps"]


def test_regularization(results):
    result = results("regularization")
    r = {row["model"]: row for row in result.rows}
    assert r["baseline"]["overfitting flagged"]
    assert r["weight decay 1e-2"]["val loss"] < r["baseline"]["val loss"]
    assert r["early stopping"]["val loss"] < r["baseline"]["val loss"]
    assert r["early stopping"]["epochs"] < r["baseline"]["epochs"]


def test_quick_runs_are_deterministic():
    a = run_experiment("init", quick=True)
    b = run_experiment("init", quick=True)
    assert [row["final loss"] for row in a.rows] == [row["final loss"] for row in b.rows]


def test_no_figure_without_out_dir():
    assert run_experiment("learning_rate", quick=True).figure is None
