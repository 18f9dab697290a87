"""Experiments: small, seeded demonstrations of the seeds' claims about training.

Each experiment trains a few tiny networks with :func:`backprop.fit`, prints a table of
measured numbers and a verdict per claim, and writes a figure when matplotlib is
installed and ``out_dir`` is given.

==================  ========================================================================
name                shows
==================  ========================================================================
``vanishing``       20-layer sigmoid net vs ReLU + He, batch norm, residual: per-layer grads
``exploding``       a deep net with a large init, with and without gradient clipping
``init``            zero vs uniform vs Xavier vs He: symmetry and accuracy
``learning-rate``   a sweep: too low (slow), good, too high (oscillation / divergence)
``batch-size``      1, 32, 128, 512, full: time and updates per epoch, accuracy, loss noise
``optimizers``      SGD, momentum, RMSprop, AdaGrad, Adam: loss curves
``regularization``  dropout, weight decay, early stopping against an overfitting baseline
``mnist1d``         logistic, MLP, CNN, GRU on MNIST-1D beside the paper's accuracies (needs mnist1d)
==================  ========================================================================

>>> from backprop.experiments import run_experiment
>>> result = run_experiment("init", quick=True)     # doctest: +SKIP
>>> print(result.text); result.verdicts               # doctest: +SKIP
"""

from __future__ import annotations

from . import batch_size, exploding, init, learning_rate, mnist1d, optimizers, regularization, vanishing
from ._common import ExperimentResult

__all__ = ["EXPERIMENTS", "ExperimentResult", "run_experiment"]

#: name -> the experiment's ``run(out_dir=None, quick=False, ...)``
EXPERIMENTS = {module.NAME: module.run for module in (vanishing, exploding, init, learning_rate, batch_size,
                                                      optimizers, regularization, mnist1d)}


def run_experiment(name: str, out_dir=None, quick: bool = False) -> ExperimentResult:
    """Run the experiment ``name`` (a key of :data:`EXPERIMENTS`; ``_`` may stand for ``-``).

    Parameters
    ----------
    out_dir : path, optional
        Directory for the figure ``<name>.png`` (created if needed).
    quick : bool
        Reduced sizes: a few seconds instead of up to a minute.
    """
    key = str(name).strip().lower().replace("_", "-")
    if key not in EXPERIMENTS:
        raise ValueError(f"run_experiment: unknown experiment {name!r}; choose one of {', '.join(EXPERIMENTS)}")
    return EXPERIMENTS[key](out_dir=out_dir, quick=bool(quick))
