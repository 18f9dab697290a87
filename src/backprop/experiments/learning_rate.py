"""Learning-rate sweep: too low (slow), good, too high (oscillation or divergence).

Claim (seeds): too high and the network overshoots — the loss oscillates or grows;
too low and learning is impractically slow.  Measured with plain SGD on the digits MLP:
loss after each epoch, the median update ratio ‖Δw‖/‖w‖ (healthy near 1e-3) and the
health report's verdict for each rate.
"""

from __future__ import annotations

import math

import numpy as np

from .. import nn
from ..inspect.diagnose import diagnose
from ..train import fit
from ._common import ExperimentResult, digits_split, figure, loss_curve_axes, plot_hint, report_text, save_figure

NAME = "learning-rate"

RATES = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)


def run(out_dir=None, quick: bool = False, seed: int = 0, rates=RATES) -> ExperimentResult:
    (x_tr, y_tr), _ = digits_split(n_train=400 if quick else None, seed=seed)
    epochs = 6 if quick else 20
    rows, curves = [], {}
    for lr in rates:
        rng = np.random.default_rng(seed)
        model = nn.Sequential(nn.Linear(x_tr.shape[1], 32, rng=rng), nn.ReLU(), nn.Linear(32, 10, rng=rng))
        history = fit(model, x_tr, y_tr, loss="cross_entropy", optimizer="sgd", lr=lr, epochs=epochs,
                      batch_size=32, seed=seed, verbose=0, monitor=True)
        losses = np.asarray(history.history.get("loss", []), dtype=float)
        curves[f"lr={lr:g}"] = losses
        ups = [v for s in history.layers.values() for v in s["update_ratio"] if math.isfinite(v)]
        report = diagnose(history)
        verdict = ("too high" if "lr_too_high" in report or "exploding_gradients" in report
                   else "too low" if "lr_too_low" in report else "ok")
        first = float(losses[0]) if losses.size else math.nan
        final = float(losses[-1]) if losses.size else math.nan
        rows.append({"lr": lr, "first loss": first, "final loss": final,
                     "diverged": history.stopped_reason == "divergence",
                     "loss drop": (first - final) / first if losses.size and first else math.nan,
                     "median update ratio": float(np.median(ups)) if ups else math.nan,
                     "accuracy": history["accuracy"][-1] if losses.size else math.nan, "diagnosis": verdict})
    finals = [row["final loss"] if math.isfinite(row["final loss"]) and not row["diverged"] else math.inf
              for row in rows]
    best = int(np.argmin(finals))
    smallest, largest = rows[0], rows[-1]
    verdicts = {
        "the largest rate diverges or oscillates": largest["diverged"] or largest["diagnosis"] == "too high",
        "the smallest rate is slow (loss falls < 10%)": smallest["loss drop"] < 0.1,
        "the best rate is neither the smallest nor the largest": 0 < best < len(rows) - 1,
    }
    fig = figure()
    if fig is not None:
        loss_curve_axes(fig, curves, "digits, SGD: training loss by learning rate")
    path = save_figure(fig, out_dir, NAME)
    conclusion = (f"lr={rows[best]['lr']:g} gives the lowest loss ({rows[best]['final loss']:.3g}); "
                  f"lr={smallest['lr']:g} moves the loss by only {smallest['loss drop']:.1%}, and "
                  f"lr={largest['lr']:g} is diagnosed '{largest['diagnosis']}'.")
    text = report_text(f"Learning rate (digits MLP, SGD, {epochs} epochs)", rows, verdicts, conclusion,
                       plot_hint(out_dir, path))
    return ExperimentResult(NAME, rows, verdicts, text, path, {"curves": curves})
