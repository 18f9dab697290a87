"""Layer registry: rebuild layers and whole models from ``get_config()`` dictionaries.

A layer's JSON form is ``{"class": "Linear", "config": {...constructor arguments...}}``
(see :func:`backprop.nn.module.layer_config`); containers (Sequential, Residual) nest
their children's forms.  Weights are not part of it: load them with ``load_state_dict``.
"""

from __future__ import annotations

from . import activations as _A
from . import layers as _L
from . import normalization as _BN
from .containers import Sequential
from .module import Module, layer_config

LAYERS: dict[str, type] = {
    "Sequential": Sequential,
    "Linear": _L.Linear, "Dense": _L.Linear, "Dropout": _L.Dropout, "Residual": _L.Residual,
    "Flatten": _L.Flatten, "Identity": _L.Identity,
    "BatchNorm1d": _BN.BatchNorm1d, "BatchNorm2d": _BN.BatchNorm2d,
    "Sigmoid": _A.Sigmoid, "Tanh": _A.Tanh, "ReLU": _A.ReLU, "LeakyReLU": _A.LeakyReLU, "ELU": _A.ELU,
    "GELU": _A.GELU, "Softplus": _A.Softplus, "Softmax": _A.Softmax, "LogSoftmax": _A.LogSoftmax,
}


def register_layer(cls: type, name: str | None = None) -> type:
    """Add a Module subclass to :data:`LAYERS` (usable as a class decorator)."""
    if not (isinstance(cls, type) and issubclass(cls, Module)):
        raise TypeError(f"register_layer needs a Module subclass, got {cls!r}")
    LAYERS[name or cls.__name__] = cls
    return cls


def build_layer(config: dict) -> Module:
    """Build a layer (or a nested model) from ``{"class": name, "config": {...}}``."""
    if not isinstance(config, dict) or "class" not in config:
        raise ValueError(f"layer config must be a dict with a 'class' key, got {config!r}")
    name = config["class"]
    if name not in LAYERS:
        # The model zoo's layers (e.g. SequenceClassifier) register when backprop.models
        # is imported, which `import backprop` leaves for first use.
        import importlib

        importlib.import_module("backprop.models")
    if name not in LAYERS:
        raise ValueError(f"unknown layer class {name!r}; known: {sorted(LAYERS)} (add yours with register_layer)")
    cls, kwargs = LAYERS[name], dict(config.get("config", {}))
    if hasattr(cls, "from_config"):
        return cls.from_config(kwargs)
    return cls(**kwargs)


__all__ = ["LAYERS", "build_layer", "register_layer", "layer_config"]
