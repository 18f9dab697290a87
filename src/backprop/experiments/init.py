"""Initialization: zero vs small uniform vs Xavier vs He on the same network.

Claims (seeds): zero initialization never works — every hidden unit of a layer computes
the same function and gets the same gradient, so they stay identical (the symmetry is
never broken); Xavier suits sigmoid/tanh, He suits ReLU.  Measured: how many distinct
hidden units each layer has after training, and the validation accuracy.
"""

from __future__ import annotations

import numpy as np

from .. import nn
from ..nn import init as _init
from ..train import evaluate, fit
from ._common import ExperimentResult, digits_split, figure, loss_curve_axes, plot_hint, report_text, save_figure

NAME = "init"

SCHEMES = {
    "zero": "zeros",
    "uniform(-0.01, 0.01)": lambda shape, rng=None, dtype=np.float32: _init.uniform(shape, -0.01, 0.01, rng=rng,
                                                                                      dtype=dtype),
    "xavier": "xavier_normal",
    "he": "he_normal",
}


def distinct_units(weight: np.ndarray, tol: float = 1e-6) -> int:
    """Number of distinct rows (hidden units) of a weight matrix, up to ``tol``."""
    rows = np.round(np.asarray(weight, dtype=np.float64) / tol).astype(np.int64)
    return int(np.unique(rows, axis=0).shape[0])


def run(out_dir=None, quick: bool = False, seed: int = 0, width: int = 32) -> ExperimentResult:
    (x_tr, y_tr), (x_va, y_va) = digits_split(n_train=400 if quick else None, seed=seed)
    epochs = 5 if quick else 30
    rows, curves, hidden = [], {}, {}
    for label, scheme in SCHEMES.items():
        rng = np.random.default_rng(seed)
        model = nn.Sequential(nn.Linear(x_tr.shape[1], width, init=scheme, rng=rng), nn.Tanh(),
                              nn.Linear(width, width, init=scheme, rng=rng), nn.Tanh(),
                              nn.Linear(width, 10, init=scheme, rng=rng))
        history = fit(model, x_tr, y_tr, loss="cross_entropy", optimizer="sgd", lr=0.1, epochs=epochs,
                      batch_size=32, seed=seed, verbose=0)
        curves[label] = history["loss"]
        units = [distinct_units(model[i].weight.data) for i in (0, 2)]
        hidden[label] = units
        rows.append({"init": label, "distinct units layer 1": units[0], "distinct units layer 2": units[1],
                     "final loss": history["loss"][-1],
                     "val accuracy": evaluate(model, x_va, y_va, metrics=("accuracy",))["accuracy"]})
    r = {row["init"]: row for row in rows}
    verdicts = {
        "zero init leaves the hidden units identical (1 distinct unit per layer)": hidden["zero"] == [1, 1],
        "random inits break the symmetry (all units distinct)":
            all(units == [width, width] for label, units in hidden.items() if label != "zero"),
        "Xavier and He beat zero init on accuracy":
            min(r["xavier"]["val accuracy"], r["he"]["val accuracy"]) > r["zero"]["val accuracy"] + 0.2,
    }
    fig = figure()
    if fig is not None:
        loss_curve_axes(fig, curves, "digits, tanh MLP: loss by initialization")
    path = save_figure(fig, out_dir, NAME)
    conclusion = ("Under zero initialization every hidden unit receives the same gradient, so after training each "
                  f"layer still has {hidden['zero'][0]} distinct unit(s) and accuracy stays at "
                  f"{r['zero']['val accuracy']:.2f}; Xavier/He reach {r['xavier']['val accuracy']:.2f}/"
                  f"{r['he']['val accuracy']:.2f}.")
    text = report_text(f"Initialization (digits, {x_tr.shape[0]} training samples, {epochs} epochs)", rows,
                       verdicts, conclusion, plot_hint(out_dir, path))
    return ExperimentResult(NAME, rows, verdicts, text, path, {"curves": curves, "distinct_units": hidden})
