"""Batch size: 1, 32, 128, 512 and the full batch, for the same number of epochs.

Claim (seeds): batch size trades speed against stability — batch 1 (online) is slow and
noisy, full batch is smooth but takes one update per epoch.  Measured: time per epoch,
optimizer updates per epoch, final validation accuracy and the noise of the per-batch
loss (the standard deviation of its step-to-step changes over the last epoch, relative
to its mean).
"""

from __future__ import annotations

import time

import numpy as np

from .. import nn
from ..train import LambdaCallback, evaluate, fit
from ._common import ExperimentResult, digits_split, figure, plot_hint, report_text, save_figure

NAME = "batch-size"


def run(out_dir=None, quick: bool = False, seed: int = 0, lr: float = 0.05) -> ExperimentResult:
    (x_tr, y_tr), (x_va, y_va) = digits_split(n_train=600 if quick else None, seed=seed)
    n = x_tr.shape[0]
    sizes = [s for s in (1, 32, 128, 512) if s < n] + [n]
    epochs = 2 if quick else 10
    rows, batch_losses = [], {}
    for size in sizes:
        rng = np.random.default_rng(seed)
        model = nn.Sequential(nn.Linear(x_tr.shape[1], 32, rng=rng), nn.ReLU(), nn.Linear(32, 10, rng=rng))
        losses, starts = [], []
        cb = LambdaCallback(on_batch_end=lambda batch, logs: losses.append(logs["loss"]),
                            on_epoch_begin=lambda epoch, logs: starts.append(len(losses)))
        t0 = time.perf_counter()
        history = fit(model, x_tr, y_tr, loss="cross_entropy", optimizer="sgd", lr=lr, epochs=epochs,
                      batch_size=size, seed=seed, verbose=0, callbacks=[cb])
        seconds = (time.perf_counter() - t0) / max(len(history), 1)
        last = np.asarray(losses[starts[-1]:] if len(losses) - starts[-1] >= 3 else losses, dtype=float)
        noise = float(np.std(np.diff(last)) / np.mean(last)) if last.size >= 3 else float("nan")
        batch_losses[size] = np.asarray(losses, dtype=float)
        rows.append({"batch size": size if size < n else f"{size} (full)", "updates/epoch": history.params[
            "steps_per_epoch"], "s/epoch": seconds, "final loss": history["loss"][-1],
            "loss noise": noise, "val accuracy": evaluate(model, x_va, y_va, metrics=("accuracy",))["accuracy"]})
    updates = [row["updates/epoch"] for row in rows]
    verdicts = {
        "smaller batches take more updates per epoch": all(a > b for a, b in zip(updates, updates[1:])),
        "batch 1 has the noisiest loss": rows[0]["loss noise"] == np.nanmax([row["loss noise"] for row in rows]),
        "after the same epochs, mini-batches beat the full batch on accuracy":
            max(row["val accuracy"] for row in rows[1:3]) > rows[-1]["val accuracy"],
    }
    fig = figure()
    if fig is not None:
        ax = fig.subplots()
        for size, values in batch_losses.items():
            ax.plot(np.linspace(0, epochs, values.size, endpoint=False) + epochs / max(values.size, 1), values,
                    label=f"batch {size}", alpha=0.8, linewidth=0.8)
        ax.set_yscale("log", nonpositive="mask")
        ax.set_xlabel("epoch")
        ax.set_ylabel("batch loss")
        ax.set_title("digits, SGD: per-batch loss by batch size")
        ax.legend(fontsize="small")
    path = save_figure(fig, out_dir, NAME)
    conclusion = (f"Batch 1 makes {updates[0]} updates per epoch against 1 for the full batch; its loss is the "
                  "noisiest, the full batch is smooth but learns least in the same number of epochs.")
    text = report_text(f"Batch size (digits, {n} training samples, {epochs} epochs, lr={lr:g})", rows, verdicts,
                       conclusion, plot_hint(out_dir, path))
    return ExperimentResult(NAME, rows, verdicts, text, path, {"batch_losses": batch_losses})
