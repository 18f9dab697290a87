"""Build an optimizer from its name: ``get_optimizer("adam", params, lr=1e-3)``."""

from __future__ import annotations

from typing import Any

from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["OPTIMIZERS", "get_optimizer"]

#: name -> (class, defaults the name implies; explicit keyword arguments win)
OPTIMIZERS: dict[str, tuple[type[Optimizer], dict[str, Any]]] = {
    "sgd": (SGD, {}),
    "momentum": (SGD, {"momentum": 0.9}),
    "nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
    "rmsprop": (RMSprop, {}),
    "adagrad": (Adagrad, {}),
    "adam": (Adam, {}),
    "adamw": (AdamW, {}),
}


def get_optimizer(name: str, params, **kwargs) -> Optimizer:
    """Create the optimizer called ``name`` (case-insensitive) for ``params``.

    Parameters
    ----------
    name : str
        One of ``"sgd"``, ``"momentum"`` (SGD, momentum 0.9), ``"nesterov"``
        (SGD, Nesterov momentum 0.9), ``"rmsprop"``, ``"adagrad"``, ``"adam"``,
        ``"adamw"``.
    params : iterable
        Parameters or parameter-group dicts.
    **kwargs
        Hyperparameters for the optimizer's constructor. They override the defaults
        a name implies, e.g. ``get_optimizer("momentum", ps, lr=0.1, momentum=0.5)``.

    Raises
    ------
    ValueError
        If ``name`` is not a known optimizer.
    """
    key = name.lower() if isinstance(name, str) else name
    if key not in OPTIMIZERS:
        raise ValueError(
            f"get_optimizer: name must be one of {sorted(OPTIMIZERS)}, got {name!r}."
        )
    cls, implied = OPTIMIZERS[key]
    return cls(params, **{**implied, **kwargs})
