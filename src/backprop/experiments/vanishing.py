"""Vanishing gradients: a 20-layer sigmoid net against ReLU + He, batch norm and residual connections.

Claim (seeds): with sigmoid in a deep network the gradients shrink as they flow back, so
the early layers stop learning; ReLU with He initialization, batch normalization and
residual (skip) connections are the cures.  Measured: each layer's gradient norm at
initialization (one forward/backward, :func:`backprop.inspect.diagnose`) and after
training (the gradient-flow monitor), and the first-to-last-layer ratio.
"""

from __future__ import annotations

import numpy as np

from ..inspect.diagnose import diagnose
from ..train import fit
from ._common import ExperimentResult, blobs, figure, plot_hint, report_text, save_figure
from ._nets import deep_mlp

NAME = "vanishing"

VARIANTS = {
    "sigmoid": dict(activation="sigmoid"),
    "relu + He": dict(activation="relu", init="he_normal"),
    "sigmoid + batch norm": dict(activation="sigmoid", batchnorm=True),
    "relu + He + residual": dict(activation="relu", init="he_normal", residual=True),
}


def _linear_profile(layers: dict, model) -> np.ndarray:
    """Gradient norms of the Linear layers only (batch-norm layers left out), input side first."""
    from ..nn import Linear
    names = [n for n, m in model.named_modules() if isinstance(m, Linear)]
    return np.array([layers[n]["grad_norm"] for n in names])


def run(out_dir=None, quick: bool = False, depth: int = 20, seed: int = 0) -> ExperimentResult:
    X, y = blobs(256 if quick else 1024, seed=seed)
    epochs = 2 if quick else 15
    rows, profiles = [], {}
    for label, options in VARIANTS.items():
        model = deep_mlp(X.shape[1], 3, depth=depth, rng=seed, **options)
        at_init = _linear_profile(diagnose(model, X, y).layers, model)
        history = fit(model, X, y, loss="cross_entropy", optimizer="sgd", lr=0.05, epochs=epochs, batch_size=64,
                      seed=seed, verbose=0, monitor=True)
        trained = _linear_profile({n: {"grad_norm": s["grad_norm"][-1]} for n, s in history.layers.items()}, model)
        profiles[label] = (at_init, trained)
        rows.append({"network": label, "ratio at init": at_init[0] / at_init[-1],
                     "ratio trained": trained[0] / trained[-1], "first layer grad": trained[0],
                     "last layer grad": trained[-1], "final loss": history["loss"][-1],
                     "accuracy": history["accuracy"][-1]})
    r = {row["network"]: row for row in rows}
    verdicts = {
        "the sigmoid net's first layer gets < 1e-3 of the last layer's gradient": r["sigmoid"]["ratio at init"] < 1e-3,
        "ReLU + He + residual keeps the ratio above 1e-2": r["relu + He + residual"]["ratio at init"] > 1e-2,
        "the sigmoid ratio is > 1000x below the ReLU + residual one":
            r["sigmoid"]["ratio at init"] * 1e3 < r["relu + He + residual"]["ratio at init"],
        "batch norm lifts the sigmoid ratio by > 1000x":
            r["sigmoid + batch norm"]["ratio at init"] > 1e3 * r["sigmoid"]["ratio at init"],
    }
    fig = figure(9.0, 4.5)
    if fig is not None:
        axes = fig.subplots(1, 2, sharey=True)
        for label, (at_init, trained) in profiles.items():
            axes[0].plot(np.arange(1, at_init.size + 1), at_init, marker="o", markersize=3, label=label)
            axes[1].plot(np.arange(1, trained.size + 1), trained, marker="o", markersize=3, label=label)
        for ax, title in zip(axes, ("at initialization", f"after {epochs} epochs")):
            ax.set_yscale("log", nonpositive="mask")
            ax.set_xlabel("layer (1 = input side)")
            ax.set_title(title)
            ax.grid(True, which="both", alpha=0.3)
        axes[0].set_ylabel("weight gradient norm")
        axes[1].legend(fontsize="small")
    path = save_figure(fig, out_dir, NAME)
    conclusion = (f"In the {depth}-layer sigmoid net the first layer receives {r['sigmoid']['ratio at init']:.1e} "
                  "of the last layer's gradient (each sigmoid multiplies it by at most 0.25); ReLU with He init, "
                  "batch norm and residual connections keep it within a few orders of magnitude.")
    text = report_text(f"Vanishing gradients ({depth} layers, blobs, {X.shape[0]} samples)", rows, verdicts,
                       conclusion, plot_hint(out_dir, path))
    return ExperimentResult(NAME, rows, verdicts, text, path, {"profiles": profiles})
