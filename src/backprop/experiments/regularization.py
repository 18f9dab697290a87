"""Regularization: dropout, weight decay and early stopping against an overfitting baseline.

Claim (seeds): a network that memorizes its training data overfits — the validation
loss rises while the training loss keeps falling; dropout, weight decay and early
stopping make it generalize better.  Measured on a small slice of digits with a wide
MLP: final training and validation loss, the best validation loss, the gap and the
health report's overfitting finding.
"""

from __future__ import annotations

import numpy as np

from .. import nn
from ..inspect.diagnose import diagnose
from ..optim import Adam
from ..train import EarlyStopping, evaluate, fit
from ._common import ExperimentResult, digits_split, figure, plot_hint, report_text, save_figure

NAME = "regularization"


def _model(n_in, width, dropout, seed):
    rng = np.random.default_rng(seed)
    layers = [nn.Linear(n_in, width, rng=rng), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout, rng=seed + 1))
    layers += [nn.Linear(width, width, rng=rng), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout, rng=seed + 2))
    layers.append(nn.Linear(width, 10, rng=rng))
    return nn.Sequential(*layers)


def run(out_dir=None, quick: bool = False, seed: int = 0, width: int = 128, lr: float = 3e-3) -> ExperimentResult:
    (x_tr, y_tr), (x_va, y_va) = digits_split(n_train=100 if quick else 150, n_val=150 if quick else 300, seed=seed)
    epochs = 20 if quick else 30
    if quick:
        width = 128
    variants = {"baseline": {}, "dropout 0.5": {"dropout": 0.5}, "weight decay 1e-2": {"weight_decay": 1e-2},
                "early stopping": {"early": True}}
    rows, curves = [], {}
    for label, opt in variants.items():
        model = _model(x_tr.shape[1], width, opt.get("dropout", 0.0), seed)
        optimizer = Adam(model.parameters(), lr=lr, weight_decay=opt.get("weight_decay", 0.0))
        callbacks = [EarlyStopping("val_loss", patience=5, restore_best_weights=True)] if opt.get("early") else []
        history = fit(model, x_tr, y_tr, loss="cross_entropy", optimizer=optimizer, epochs=epochs, batch_size=32,
                      seed=seed, verbose=0, validation_data=(x_va, y_va), callbacks=callbacks)
        curves[label] = (history["loss"], history["val_loss"])
        final = evaluate(model, x_va, y_va, loss="cross_entropy", metrics=("accuracy",))
        train_loss = evaluate(model, x_tr, y_tr, loss="cross_entropy", metrics=())["loss"]
        rows.append({"model": label, "epochs": len(history), "train loss": train_loss, "val loss": final["loss"],
                     "best val loss": min(history["val_loss"]), "gap": final["loss"] - train_loss,
                     "val accuracy": final["accuracy"],
                     "overfitting flagged": "overfitting" in diagnose(history)})
    r = {row["model"]: row for row in rows}
    verdicts = {
        "the baseline overfits (validation loss rises while training loss falls)": r["baseline"]["overfitting flagged"],
    }
    for label in ("dropout 0.5", "weight decay 1e-2", "early stopping"):
        verdicts[f"{label} ends with a lower validation loss than the baseline"] = \
            r[label]["val loss"] < r["baseline"]["val loss"]
    fig = figure(9.0, 4.5)
    if fig is not None:
        ax = fig.subplots()
        for i, (label, (train, val)) in enumerate(curves.items()):
            color = f"C{i}"
            ax.plot(np.arange(1, len(train) + 1), train, color=color, linestyle="--", alpha=0.6)
            ax.plot(np.arange(1, len(val) + 1), val, color=color, label=f"{label} (val; dashed: train)")
        ax.set_yscale("log", nonpositive="mask")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.set_title("digits (small training set): regularization against overfitting")
        ax.legend(fontsize="small")
    path = save_figure(fig, out_dir, NAME)
    conclusion = (f"The baseline's validation loss ends at {r['baseline']['val loss']:.3g} (best "
                  f"{r['baseline']['best val loss']:.3g}) with training loss {r['baseline']['train loss']:.2g}; "
                  + ", ".join(f"{k} ends at {r[k]['val loss']:.3g}" for k in ("dropout 0.5", "weight decay 1e-2",
                                                                            "early stopping")) + ".")
    text = report_text(f"Regularization (digits, {x_tr.shape[0]} training samples, width {width})", rows, verdicts,
                       conclusion, plot_hint(out_dir, path))
    return ExperimentResult(NAME, rows, verdicts, text, path, {"curves": curves})
