"""backprop: a glass-box neural-network library built on reverse-mode automatic differentiation.

The spine: arrays -> Tensor ops (graph recorded) -> loss -> backward (graph walked in
reverse) -> optimizer step.
"""

from .autograd import Function, Tensor, enable_grad, is_grad_enabled, no_grad, tensor
from .autograd.api import *  # noqa: F401,F403  (the function form of every op)
from .autograd.api import __all__ as _op_names

__version__ = "0.1.0"

from . import data, inspect, io, models, nn, optim, train  # noqa: E402
from .io import load_checkpoint, load_model, save_checkpoint  # noqa: E402
from .train import DivergenceError, History, evaluate, fit, predict  # noqa: E402

load = load_model

__all__ = ["Tensor", "tensor", "Function", "no_grad", "enable_grad", "is_grad_enabled", "__version__",
           "nn", "optim", "data", "inspect", "io", "models", "train", "load", "load_model", "save_checkpoint",
           "load_checkpoint", "fit", "evaluate", "predict", "History", "DivergenceError",
           *_op_names]
