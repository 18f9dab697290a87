"""Plots of training and of the network's insides (optional extra: ``pip install 'backprop[plot]'``).

Every function builds a fresh :class:`matplotlib.figure.Figure` rendered with Agg
(no pyplot, no display, no global state), returns it, and — when ``path`` is given —
also writes a PNG atomically.

=============================================  ==============================================
``learning_curves(history, path=None)``        training vs validation loss and metrics
``gradient_flow(history_or_records, ...)``     per-layer gradient norm over epochs (log scale)
``histograms(model, path=None, ...)``          weights, gradients, activations
``activation_functions(path=None)``            every activation and its derivative (autograd)
``decision_boundary(model, X, y, ...)``        class regions of a 2-D classifier
``available()``                                True when matplotlib is installed
=============================================  ==============================================

``import backprop.plot`` works without matplotlib; calling a plot then raises
``ImportError("plots need the optional dependency: pip install 'backprop[plot]'")``.
"""

from ._mpl import available
from .activations import activation_functions
from .curves import learning_curves
from .decision_boundary import decision_boundary
from .gradient_flow import gradient_flow
from .histograms import histograms

__all__ = ["learning_curves", "gradient_flow", "histograms", "activation_functions", "decision_boundary",
           "available"]
