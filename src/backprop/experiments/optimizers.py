"""Optimizers: SGD, momentum, RMSprop, AdaGrad and Adam on the same problem and steps.

Claims (seeds): momentum smooths and speeds up updates, RMSprop and AdaGrad adapt a rate
per weight, Adam combines momentum with adaptive rates and works well in practice.
Measured: the training-loss curve of each on the digits MLP (same init, same batches).
"""

from __future__ import annotations

import numpy as np

from .. import nn
from ..optim import get_optimizer
from ..train import evaluate, fit
from ._common import ExperimentResult, digits_split, figure, loss_curve_axes, plot_hint, report_text, save_figure

NAME = "optimizers"

#: (optimizer name for get_optimizer, learning rate): each at its usual default rate
SETTINGS = {"SGD": ("sgd", 0.01), "momentum": ("momentum", 0.01), "RMSprop": ("rmsprop", 0.001),
            "AdaGrad": ("adagrad", 0.01), "Adam": ("adam", 0.001)}


def run(out_dir=None, quick: bool = False, seed: int = 0) -> ExperimentResult:
    (x_tr, y_tr), (x_va, y_va) = digits_split(n_train=400 if quick else None, seed=seed)
    epochs = 5 if quick else 20
    rows, curves = [], {}
    for label, (name, lr) in SETTINGS.items():
        rng = np.random.default_rng(seed)
        model = nn.Sequential(nn.Linear(x_tr.shape[1], 64, rng=rng), nn.ReLU(), nn.Linear(64, 64, rng=rng),
                              nn.ReLU(), nn.Linear(64, 10, rng=rng))
        optimizer = get_optimizer(name, model.parameters(), lr=lr)
        history = fit(model, x_tr, y_tr, loss="cross_entropy", optimizer=optimizer, epochs=epochs, batch_size=32,
                      seed=seed, verbose=0)
        curves[label] = history["loss"]
        rows.append({"optimizer": label, "lr": lr, "steps": epochs * history.params["steps_per_epoch"],
                     "loss after 1 epoch": history["loss"][0], "final loss": history["loss"][-1],
                     "val accuracy": evaluate(model, x_va, y_va, metrics=("accuracy",))["accuracy"]})
    r = {row["optimizer"]: row for row in rows}
    verdicts = {
        "Adam reaches a lower loss than plain SGD in the same steps": r["Adam"]["final loss"] < r["SGD"]["final loss"],
        "momentum reaches a lower loss than plain SGD": r["momentum"]["final loss"] < r["SGD"]["final loss"],
    }
    fig = figure()
    if fig is not None:
        loss_curve_axes(fig, curves, "digits MLP: training loss by optimizer")
    path = save_figure(fig, out_dir, NAME)
    best = min(rows, key=lambda row: row["final loss"])
    conclusion = (f"After {r['SGD']['steps']} steps plain SGD is at loss {r['SGD']['final loss']:.3g}, Adam at "
                  f"{r['Adam']['final loss']:.3g}; the lowest is {best['optimizer']} ({best['final loss']:.3g}).")
    text = report_text(f"Optimizers (digits MLP, {epochs} epochs, batch 32)", rows, verdicts, conclusion,
                       plot_hint(out_dir, path))
    return ExperimentResult(NAME, rows, verdicts, text, path, {"curves": curves})
