"""backprop: a glass-box neural-network library built on reverse-mode automatic differentiation.

The spine: arrays -> Tensor ops (graph recorded) -> loss -> backward (graph walked in
reverse) -> optimizer step.

The engine and ``backprop.nn`` load with the package; the other rooms (training, data,
files, inspection, ...) load on first use, so ``import backprop`` stays fast.
"""

import importlib

from . import nn
from .autograd import Function, Tensor, enable_grad, is_grad_enabled, no_grad, tensor
from .autograd.api import *  # noqa: F401,F403  (the function form of every op)
from .autograd.api import __all__ as _op_names

__version__ = "0.1.0"

_SUBMODULES = {"data", "inspect", "io", "models", "optim", "train", "callbacks", "experiments", "fastpath",
               "plot", "sklearn"}
# public name -> (submodule, attribute)
_FROM_SUBMODULES = {
    "fit": ("train", "fit"), "evaluate": ("train", "evaluate"), "predict": ("train", "predict"),
    "History": ("train", "History"), "DivergenceError": ("train", "DivergenceError"),
    "load": ("io", "load_model"), "load_model": ("io", "load_model"),
    "save_checkpoint": ("io", "save_checkpoint"), "load_checkpoint": ("io", "load_checkpoint"),
}


def __getattr__(name):
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    if name in _FROM_SUBMODULES:
        module_name, attribute = _FROM_SUBMODULES[name]
        value = getattr(importlib.import_module(f"{__name__}.{module_name}"), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES | set(_FROM_SUBMODULES))


__all__ = ["Tensor", "tensor", "Function", "no_grad", "enable_grad", "is_grad_enabled", "__version__",
           "nn", "optim", "data", "inspect", "io", "models", "train", "load", "load_model", "save_checkpoint",
           "load_checkpoint", "fit", "evaluate", "predict", "History", "DivergenceError",
           *_op_names]
