"""Optimizers, learning-rate schedules and gradient clipping.

Conventions (hyperparameter names, update formulas, schedule sequences) follow
``torch.optim`` so results can be checked against PyTorch step for step.

Optimizers
    :class:`SGD`, :class:`RMSprop`, :class:`Adagrad`, :class:`Adam`, :class:`AdamW`,
    built directly or by name with :func:`get_optimizer`. Each one's arithmetic is a
    pure in-place function of arrays (:func:`sgd_update`, :func:`rmsprop_update`,
    :func:`adagrad_update`, :func:`adam_update`).
Schedules
    :class:`StepLR`, :class:`MultiStepLR`, :class:`ExponentialLR`,
    :class:`CosineAnnealingLR`, :class:`LinearLR` (alias :data:`LinearWarmup`),
    :class:`OneCycleLR`, :class:`ReduceLROnPlateau`.
Clipping
    :func:`clip_grad_norm`, :func:`clip_grad_value`.
Serialization
    ``state_dict()`` of optimizers and schedules holds only plain Python values and
    arrays; :func:`split_state_dict` / :func:`merge_state_dict` turn an optimizer's
    into JSON + ``.npz`` and back.
"""

from .adagrad import Adagrad, adagrad_update
from .adam import Adam, adam_update
from .adamw import AdamW
from .clip import clip_grad_norm, clip_grad_value
from .factory import OPTIMIZERS, get_optimizer
from .flat import FlatLayout, flatten_parameters
from .onecycle import OneCycleLR
from .optimizer import Optimizer, ParamState
from .plateau import ReduceLROnPlateau
from .rmsprop import RMSprop, rmsprop_update
from .schedules import (
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    LinearWarmup,
    LRScheduler,
    MultiStepLR,
    StepLR,
)
from .serialization import merge_state_dict, split_state_dict
from .sgd import SGD, sgd_update

__all__ = [
    "FlatLayout",
    "flatten_parameters",
    "Optimizer",
    "ParamState",
    "SGD",
    "RMSprop",
    "Adagrad",
    "Adam",
    "AdamW",
    "get_optimizer",
    "OPTIMIZERS",
    "sgd_update",
    "rmsprop_update",
    "adagrad_update",
    "adam_update",
    "clip_grad_norm",
    "clip_grad_value",
    "LRScheduler",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "LinearWarmup",
    "OneCycleLR",
    "ReduceLROnPlateau",
    "split_state_dict",
    "merge_state_dict",
]
