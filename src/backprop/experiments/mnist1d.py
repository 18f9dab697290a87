"""MNIST-1D: the paper's four models trained with backprop, beside the paper's numbers.

Claim (Greydanus & Kobak, 2020, "Scaling down deep learning"): on MNIST-1D (4,000 train /
1,000 test sequences of length 40) test accuracy separates model families — logistic
regression 32 %, MLP 68 %, CNN 94 %, GRU 91 % (human 96 %).  Measured: the same four
families built by :mod:`backprop.models`, trained with :func:`backprop.fit` on the
default dataset (generated locally, seed 42), test accuracy as mean, standard deviation
and range over seeds (the seed draws the initial weights, the batch order and dropout).

Recipe (ours, not the paper's; the paper: Adam lr 1e-2, batch 100, 6,000 steps): Adam,
batch 100, cosine-annealed learning rate, epochs and regularization per model in
:data:`RECIPES`.  Nothing is tuned on the test set beyond choosing these few settings.

Needs the optional ``mnist1d`` package (``pip install 'backprop[mnist1d]'``).
"""

from __future__ import annotations

import contextlib
import time

import numpy as np

from ..data.mnist1d import MNIST1D_PAPER_ACCURACY, load_mnist1d
from ..models import build_model
from ..optim import get_optimizer
from ..optim.schedules import CosineAnnealingLR
from ..train import evaluate, fit
from ._common import ExperimentResult, figure, plot_hint, report_text, save_figure

NAME = "mnist1d"

#: The paper's test accuracies (table 1), including the human baseline.
PAPER = dict(MNIST1D_PAPER_ACCURACY)

#: model -> (build_model options, input layout, epochs, lr, weight decay (AdamW when > 0))
RECIPES = {
    "logistic": {"options": {}, "images": False, "epochs": 50, "lr": 1e-2, "weight_decay": 0.0},
    "mlp": {"options": {"hidden": (256, 256), "dropout": 0.3}, "images": False, "epochs": 50, "lr": 1e-2,
            "weight_decay": 0.0},
    "cnn": {"options": {"channels": 100}, "images": True, "epochs": 60, "lr": 1e-2, "weight_decay": 0.0},
    "gru": {"options": {"hidden_size": 64}, "images": True, "epochs": 30, "lr": 1e-2, "weight_decay": 0.0},
}

MODELS = tuple(RECIPES)
BATCH_SIZE = 100
QUICK_EPOCHS = 3
QUICK_TRAIN = 1000


@contextlib.contextmanager
def _one_blas_thread():
    """Run BLAS on one thread (no-op without threadpoolctl).

    These models multiply small matrices (a GRU step is 100×64 by 64×192); a multi-threaded
    OpenBLAS spends more time waking its threads than computing, and on a busy machine it
    can be tens of times slower than one thread.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def train_one(model_name: str, seed: int, data, *, epochs: int | None = None, n_train: int | None = None):
    """Train one model of :data:`RECIPES` with ``seed``; returns (test accuracy, train accuracy, seconds)."""
    recipe = RECIPES[model_name]
    (x_tr, y_tr), (x_te, y_te) = data
    if not recipe["images"]:
        x_tr, x_te = x_tr.reshape(len(x_tr), -1), x_te.reshape(len(x_te), -1)
    if n_train is not None:
        x_tr, y_tr = x_tr[:n_train], y_tr[:n_train]
    epochs = recipe["epochs"] if epochs is None else int(epochs)
    model = build_model(model_name, x_tr.shape[1:], 10, rng=seed, **recipe["options"])
    if recipe["weight_decay"]:
        optimizer = get_optimizer("adamw", model.parameters(), lr=recipe["lr"], weight_decay=recipe["weight_decay"])
    else:
        optimizer = get_optimizer("adam", model.parameters(), lr=recipe["lr"])
    scheduler = CosineAnnealingLR(optimizer, T_max=epochs)
    start = time.perf_counter()
    fit(model, x_tr, y_tr, loss="cross_entropy", optimizer=optimizer, epochs=epochs, batch_size=BATCH_SIZE,
        scheduler=scheduler, seed=seed, verbose=0)
    seconds = time.perf_counter() - start
    test = evaluate(model, x_te, y_te, metrics=("accuracy",), batch_size=500)["accuracy"]
    train = evaluate(model, x_tr, y_tr, metrics=("accuracy",), batch_size=500)["accuracy"]
    return float(test), float(train), seconds


def run(out_dir=None, quick: bool = False, seeds=(0, 1, 2), models=MODELS, log=None) -> ExperimentResult:
    """Train the paper's models over ``seeds`` and compare test accuracy with the paper's.

    Parameters
    ----------
    out_dir : path, optional
        Directory for the figure ``mnist1d.png`` (bar chart, with matplotlib).
    quick : bool
        A smoke run: the first seed only, 1,000 training samples, 3 epochs per model (seconds).
    seeds : sequence of int
        Seeds of the repeated runs (3 in the full run).
    models : sequence of str
        A subset of ``("logistic", "mlp", "cnn", "gru")``.
    log : callable, optional
        Called with a line of text after every training run (e.g. ``print``).

    Returns
    -------
    ExperimentResult
        ``rows``: one per model (plus the human baseline) with the paper's accuracy and
        ours (mean, std, min, max, per seed), training accuracy and seconds per run.
    """
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ValueError("mnist1d.run: seeds must name at least one seed")
    unknown = [m for m in models if m not in RECIPES]
    if unknown:
        raise ValueError(f"mnist1d.run: unknown models {unknown}; choose from {list(RECIPES)}")
    if quick:
        seeds = seeds[:1]
    data = load_mnist1d(as_images=True)
    rows, details = [], {"per_seed": {}, "recipes": {m: RECIPES[m] for m in models}, "quick": bool(quick)}
    with _one_blas_thread():
        for name in models:
            tests, trains, times = [], [], []
            for seed in seeds:
                test, train, seconds = train_one(name, seed, data, epochs=QUICK_EPOCHS if quick else None,
                                                 n_train=QUICK_TRAIN if quick else None)
                tests.append(test), trains.append(train), times.append(seconds)
                if log is not None:
                    log(f"{name} seed {seed}: test {test:.4f} train {train:.4f} ({seconds:.1f} s)")
            details["per_seed"][name] = tests
            tests_arr = np.asarray(tests)
            rows.append({"model": name, "paper": PAPER[name], "ours (mean)": float(tests_arr.mean()),
                         "std": float(tests_arr.std()), "min": float(tests_arr.min()),
                         "max": float(tests_arr.max()), "seeds": len(seeds),
                         "train acc": float(np.mean(trains)),
                         "epochs": QUICK_EPOCHS if quick else RECIPES[name]["epochs"],
                         "s/run": float(np.mean(times))})
    rows.append({"model": "human", "paper": PAPER["human"], "ours (mean)": float("nan"), "std": float("nan"),
                 "min": float("nan"), "max": float("nan"), "seeds": 0, "train acc": float("nan"), "epochs": 0,
                 "s/run": float("nan")})
    by_name = {row["model"]: row for row in rows}
    verdicts = {f"{name}: mean test accuracy >= the paper's {PAPER[name]:.0%}":
                by_name[name]["ours (mean)"] >= PAPER[name] for name in models}
    if {"logistic", "mlp", "cnn", "gru"} <= set(models):
        verdicts["the paper's ordering holds: logistic < MLP < GRU, CNN"] = (
            by_name["logistic"]["ours (mean)"] < by_name["mlp"]["ours (mean)"]
            < min(by_name["gru"]["ours (mean)"], by_name["cnn"]["ours (mean)"]))
    fig = figure()
    if fig is not None:
        _bar_chart(fig, [r for r in rows if r["model"] in models])
    path = save_figure(fig, out_dir, NAME)
    summary = ", ".join(f"{r['model']} {r['ours (mean)']:.1%} ± {r['std']:.1%} (paper {r['paper']:.0%})"
                        for r in rows if r["model"] in models)
    kind = "QUICK smoke run (1 seed, 1000 samples, 3 epochs: not comparable with the paper)" if quick else \
        f"{len(seeds)} seeds"
    conclusion = f"Test accuracy, {kind}: {summary}; human {PAPER['human']:.0%}."
    title = f"MNIST-1D: paper vs backprop (test accuracy over {len(seeds)} seed{'s' * (len(seeds) != 1)})"
    text = report_text(title, _display(rows), verdicts, conclusion, plot_hint(out_dir, path))
    return ExperimentResult(NAME, rows, verdicts, text, path, details)


def _display(rows):
    """The table as text: accuracies in percent, the spread as ± std and min-max."""
    def pct(v):
        return "-" if not np.isfinite(v) else f"{100 * v:.1f}"
    shown = []
    for r in rows:
        measured = r["seeds"] > 0
        shown.append({"model": r["model"], "paper %": f"{100 * r['paper']:.0f}",
                      "ours % (mean ± std)": f"{pct(r['ours (mean)'])} ± {pct(r['std'])}" if measured else "-",
                      "min-max %": f"{pct(r['min'])}-{pct(r['max'])}" if measured else "-",
                      "seeds": str(r["seeds"]) if measured else "-",
                      "train %": pct(r["train acc"]), "epochs": str(r["epochs"]) if measured else "-",
                      "s/run": f"{r['s/run']:.1f}" if measured else "-"})
    return shown


def _bar_chart(fig, rows):
    ax = fig.subplots()
    names = [r["model"] for r in rows]
    positions = np.arange(len(names))
    ax.bar(positions - 0.2, [r["paper"] for r in rows], width=0.4, label="paper")
    ax.bar(positions + 0.2, [r["ours (mean)"] for r in rows], width=0.4, yerr=[r["std"] for r in rows],
           label="backprop (mean ± std)")
    ax.axhline(PAPER["human"], color="gray", linestyle="--", label="human")
    ax.set_xticks(positions, names)
    ax.set_ylim(0, 1)
    ax.set_ylabel("test accuracy")
    ax.set_title("MNIST-1D")
    ax.legend(fontsize="small")
