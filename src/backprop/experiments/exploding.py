"""Exploding gradients: a deep ReLU net with a large initialization, with and without clipping.

Claim (seeds): gradients can grow exponentially with depth and make updates unstable;
gradient clipping is the cure.  Measured: the global gradient norm (before clipping),
whether the loss stays finite, and the final loss, for the same net and learning rate.
"""

from __future__ import annotations

import math

import numpy as np

from ..inspect.diagnose import diagnose
from ..train import LambdaCallback, fit
from ._common import ExperimentResult, blobs, figure, loss_curve_axes, plot_hint, report_text, save_figure
from ._nets import deep_mlp, scaled

NAME = "exploding"


def run(out_dir=None, quick: bool = False, depth: int = 10, seed: int = 0, scale: float = 3.0,
        clip: float = 1.0) -> ExperimentResult:
    X, y = blobs(256 if quick else 1024, seed=seed)
    epochs = 3 if quick else 20
    rows, curves = [], {}
    for label, clip_norm in (("no clipping", None), (f"clip_grad_norm={clip:g}", clip)):
        model = deep_mlp(X.shape[1], 3, depth=depth, width=32, activation="relu",
                         init=scaled("he_normal", scale), rng=seed)
        batch_norms = []
        record = LambdaCallback(on_batch_end=lambda batch, logs: batch_norms.append(logs["grad_norm"]))
        history = fit(model, X, y, loss="cross_entropy", optimizer="sgd", lr=0.01, epochs=epochs, batch_size=64,
                      seed=seed, verbose=0, clip_grad_norm=clip_norm, callbacks=[record])
        losses = np.asarray(history.history.get("loss", []), dtype=float)
        norms = np.asarray(batch_norms, dtype=float)
        finite = history.stopped_reason != "divergence" and losses.size == epochs and bool(np.all(np.isfinite(losses)))
        curves[label] = losses
        rows.append({"run": label, "max grad norm": float(np.nanmax(norms)) if np.isfinite(norms).any() else math.inf,
                     "steps": len(batch_norms),
                     "epochs run": int(losses.size), "loss stays finite": finite,
                     "final loss": float(losses[-1]) if losses.size else math.nan,
                     "accuracy": history["accuracy"][-1] if losses.size else math.nan,
                     "diagnosis": ", ".join(diagnose(history).codes) or "healthy"})
    free, clipped = rows
    verdicts = {
        "without clipping the gradient norm explodes (> 1e3) or training diverges":
            free["max grad norm"] > 1e3 or not free["loss stays finite"],
        "with clipping the loss stays finite for every epoch": clipped["loss stays finite"],
    }
    fig = figure()
    if fig is not None:
        loss_curve_axes(fig, curves, f"{depth}-layer ReLU net, He init x{scale:g}")
    path = save_figure(fig, out_dir, NAME)
    conclusion = (f"With weights {scale:g}x the He scale each layer multiplies the signal by about {scale:g}, so "
                  f"the gradient norm reaches {free['max grad norm']:.2e}; clipping the global norm to {clip:g} "
                  "bounds every step and training stays finite.")
    text = report_text(f"Exploding gradients ({depth} layers, large init)", rows, verdicts, conclusion,
                       plot_hint(out_dir, path))
    return ExperimentResult(NAME, rows, verdicts, text, path, {"curves": curves})
