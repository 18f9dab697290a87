"""Loss modules: MSE, L1, Huber, SmoothL1, BCE, BCEWithLogits, CrossEntropy, NLL.

Each module stores its options and calls the function of the same name in
:mod:`backprop.nn.functional` (which validates the inputs and runs one fused op from
:mod:`backprop.autograd.ops.loss`).  Call it as ``loss(prediction, target)`` or, with
scikit-learn style sample weights, ``loss(prediction, target, sample_weight=w)``; the
weighted mean is Σ_i w_i l_i / Σ_i w_i.

``reduction`` is ``'mean'`` (default), ``'sum'`` or ``'none'`` with PyTorch's semantics.

>>> import numpy as np, backprop as bp
>>> from backprop.nn.losses import CrossEntropyLoss
>>> logits = bp.tensor(np.zeros((4, 10)), requires_grad=True)
>>> loss = CrossEntropyLoss()(logits, np.array([0, 3, 9, 1]))
>>> round(loss.item(), 6)   # uniform logits over 10 classes: ln 10
2.302585

:func:`get_loss` turns a name (``"mse"``, ``"cross_entropy"``, ``"mae"``, ...) into a loss module.
"""

from __future__ import annotations

import numpy as np

from . import functional as F
from .module import Module

__all__ = ["MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss",
           "CrossEntropyLoss", "NLLLoss", "get_loss", "LOSSES"]


def _to_list(array):
    return None if array is None else np.asarray(array).tolist()


class _Loss(Module):
    """Base of the loss modules: validates and stores ``reduction``."""

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = F.check_reduction(reduction, type(self).__name__)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"

    def get_config(self) -> dict:
        return {"reduction": self.reduction}


class MSELoss(_Loss):
    """Mean squared error, l = (prediction - target)² (PyTorch's MSELoss: no ½).

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}

    Notes
    -----
    ∂l/∂prediction = 2 (prediction - target).  The seeds' quadratic cost ½ Σ (y - a)²
    (Nielsen's convention, whose gradient is a - y) is ``0.5 * MSELoss(reduction='sum')(a, y)``
    for one sample; for a batch, divide that by the batch size.
    """

    def forward(self, input, target, sample_weight=None):  # noqa: A002
        return F._mse_loss(input, target, self.reduction, sample_weight, name="MSELoss")


class L1Loss(_Loss):
    """Mean absolute error, l = |prediction - target|; gradient sign(d), 0 at d = 0."""

    def forward(self, input, target, sample_weight=None):  # noqa: A002
        return F._l1_loss(input, target, self.reduction, sample_weight, name="L1Loss")


class HuberLoss(_Loss):
    """Huber loss: ½d² for |d| <= δ, δ(|d| - ½δ) otherwise; gradient clip(d, -δ, δ).

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}
    delta : float
        Threshold δ > 0 between the quadratic and the linear part.
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        self.delta = F.check_delta(delta, "HuberLoss")

    def forward(self, input, target, sample_weight=None):  # noqa: A002
        return F._huber_loss(input, target, self.reduction, self.delta, sample_weight, name="HuberLoss")

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, delta={self.delta}"

    def get_config(self) -> dict:
        return {"reduction": self.reduction, "delta": self.delta}


class SmoothL1Loss(_Loss):
    """Smooth L1: ½d²/β for |d| < β, |d| - ½β otherwise (= HuberLoss(δ=β) / β; β = 0 is L1).

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}
    beta : float
        Threshold β >= 0.
    """

    def __init__(self, reduction: str = "mean", beta: float = 1.0):
        super().__init__(reduction)
        self.beta = F.check_delta(beta, "SmoothL1Loss", "beta", allow_zero=True)

    def forward(self, input, target, sample_weight=None):  # noqa: A002
        return F._smooth_l1_loss(input, target, self.reduction, self.beta, sample_weight, name="SmoothL1Loss")

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, beta={self.beta}"

    def get_config(self) -> dict:
        return {"reduction": self.reduction, "beta": self.beta}


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities in [0, 1]: l = -w [y log p + (1-y) log(1-p)].

    Logs are clamped to >= -100 (PyTorch), so p = 0 or 1 never gives inf.  Prefer
    :class:`BCEWithLogitsLoss` on the logits (exact and stable where this clamps).

    Parameters
    ----------
    weight : array_like, optional
        Rescaling weight broadcast against the input (a buffer).
    reduction : {'mean', 'sum', 'none'}
    """

    def __init__(self, weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        self.register_buffer("weight", weight)

    def forward(self, input, target, sample_weight=None):  # noqa: A002
        return F._binary_cross_entropy(input, target, self.weight, self.reduction, sample_weight, name="BCELoss")

    def get_config(self) -> dict:
        return {"weight": _to_list(self.weight), "reduction": self.reduction}


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy from logits, stable for any magnitude:
    l = max(z, 0) - z y + log(1 + e^{-|z|});  ∂l/∂z = σ(z) - y.

    Parameters
    ----------
    weight : array_like, optional
        Rescaling weight broadcast against the input (a buffer).
    reduction : {'mean', 'sum', 'none'}
    pos_weight : array_like, optional
        Weight of positive examples, broadcast against the input (one per class for
        multi-label input (N, C)), as in PyTorch (a buffer).
    """

    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None):
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target, sample_weight=None):  # noqa: A002
        return F._binary_cross_entropy_with_logits(input, target, self.weight, self.reduction, self.pos_weight,
                                                   sample_weight, name="BCEWithLogitsLoss")

    def get_config(self) -> dict:
        return {"weight": _to_list(self.weight), "reduction": self.reduction,
                "pos_weight": _to_list(self.pos_weight)}


class CrossEntropyLoss(_Loss):
    """Cross-entropy from logits (log-softmax + NLL fused into one stable op).

    Parameters
    ----------
    weight : array_like, optional
        Class weights, shape (C,) (a buffer).
    ignore_index : int
        Index targets equal to this are skipped (not counted by the mean).
    reduction : {'mean', 'sum', 'none'}
    label_smoothing : float in [0, 1]
        Target becomes (1 - ε) q + ε / C.

    Notes
    -----
    Logits (N, C) or (N, C, d1, ...); targets either integer class indices (N,) /
    (N, d1, ...) or float probabilities / one-hot of the logits' shape.  The gradient is
    softmax(z) - q (times weights and the reduction's scale); semantics, including the
    weighted mean over Σ w_{y_i} and label smoothing with class weights, are PyTorch's.
    See :func:`backprop.nn.functional.cross_entropy`.
    """

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        super().__init__(reduction)
        name = type(self).__name__
        if isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer)):
            raise TypeError(f"{name}: ignore_index must be an integer, got {ignore_index!r}")
        if not isinstance(label_smoothing, (int, float, np.floating, np.integer)) or not 0 <= label_smoothing <= 1:
            raise ValueError(f"{name}: label_smoothing must be a number in [0, 1], got {label_smoothing!r}")
        if weight is not None and np.asarray(getattr(weight, "data", weight)).ndim != 1:
            raise ValueError(f"{name}: weight must be a 1-D array of class weights, shape (C,), "
                             f"got shape {np.shape(getattr(weight, 'data', weight))}")
        self.register_buffer("weight", weight)
        self.ignore_index = int(ignore_index)
        self.label_smoothing = float(label_smoothing)

    def forward(self, input, target, sample_weight=None):  # noqa: A002
        return F._cross_entropy(input, target, self.weight, self.ignore_index, self.reduction,
                                self.label_smoothing, sample_weight, name="CrossEntropyLoss")

    def extra_repr(self) -> str:
        parts = [f"reduction={self.reduction!r}"]
        if self.ignore_index != -100:
            parts.append(f"ignore_index={self.ignore_index}")
        if self.label_smoothing:
            parts.append(f"label_smoothing={self.label_smoothing}")
        if self.weight is not None:
            parts.append("weight=...")
        return ", ".join(parts)

    def get_config(self) -> dict:
        return {"weight": _to_list(self.weight), "ignore_index": self.ignore_index,
                "reduction": self.reduction, "label_smoothing": self.label_smoothing}


class NLLLoss(_Loss):
    """Negative log-likelihood on log-probabilities (e.g. a LogSoftmax output).

    ``NLLLoss()(log_softmax(z, axis=1), y)`` equals ``CrossEntropyLoss()(z, y)``.

    Parameters
    ----------
    weight : array_like, optional
        Class weights, shape (C,) (a buffer).
    ignore_index : int
    reduction : {'mean', 'sum', 'none'}
    """

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(reduction)
        if isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer)):
            raise TypeError(f"NLLLoss: ignore_index must be an integer, got {ignore_index!r}")
        self.register_buffer("weight", weight)
        self.ignore_index = int(ignore_index)

    def forward(self, input, target, sample_weight=None):  # noqa: A002
        return F._nll_loss(input, target, self.weight, self.ignore_index, self.reduction, sample_weight,
                           name="NLLLoss")

    def get_config(self) -> dict:
        return {"weight": _to_list(self.weight), "ignore_index": self.ignore_index,
                "reduction": self.reduction}


#: Loss names accepted by :func:`get_loss` (lower case) and the class each one builds.
LOSSES = {
    "mse": MSELoss, "mean_squared_error": MSELoss,
    "l1": L1Loss, "mae": L1Loss, "mean_absolute_error": L1Loss,
    "huber": HuberLoss,
    "smooth_l1": SmoothL1Loss,
    "bce": BCELoss, "binary_crossentropy": BCELoss, "binary_cross_entropy": BCELoss,
    "bce_with_logits": BCEWithLogitsLoss, "binary_cross_entropy_with_logits": BCEWithLogitsLoss,
    "cross_entropy": CrossEntropyLoss, "categorical_crossentropy": CrossEntropyLoss,
    "crossentropy": CrossEntropyLoss,
    "nll": NLLLoss, "negative_log_likelihood": NLLLoss,
}


def get_loss(name, **kwargs) -> Module:
    """Build a loss module from a name such as ``"mse"``, ``"cross_entropy"`` or ``"mae"``.

    Parameters
    ----------
    name : str or Module
        A key of :data:`LOSSES` or a class name like ``"CrossEntropyLoss"`` (case-insensitive;
        ``-`` and spaces count as ``_``).  A loss module is returned unchanged.
    **kwargs
        Passed to the loss's constructor (``reduction``, ``weight``, ``delta``, ...).

    Examples
    --------
    >>> get_loss("categorical_crossentropy", label_smoothing=0.1)
    CrossEntropyLoss(reduction='mean', label_smoothing=0.1)
    """
    if isinstance(name, Module):
        if kwargs:
            raise TypeError("get_loss: keyword arguments cannot be applied to an existing loss module")
        return name
    if not isinstance(name, str):
        raise TypeError(f"get_loss: name must be a string or a loss Module, got {type(name).__name__}")
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    by_class_name = {cls.__name__.lower(): cls for cls in LOSSES.values()}
    cls = LOSSES.get(key) or by_class_name.get(key)
    if cls is None:
        raise ValueError(f"get_loss: unknown loss {name!r}; known names: {', '.join(sorted(LOSSES))}")
    return cls(**kwargs)
