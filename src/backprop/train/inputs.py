"""Argument checks of ``fit``/``evaluate``/``predict``: every error names the argument and comes before training."""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor

__all__ = ["check_xy", "check_int", "check_fraction", "model_dtype", "probe_targets", "ModeGuard",
           "is_class_index_loss"]


def check_int(value, name: str, where: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where}: {name} must be an integer >= {minimum}, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{where}: {name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_fraction(value, name: str, where: str) -> float:
    """A number in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= float(value) < 1.0:
        raise ValueError(f"{where}: {name} must be a number in [0, 1) (the fraction of the training data held "
                         f"out for validation), got {value!r}")
    return float(value)


def model_dtype(model):
    """The floating dtype of the model's first parameter (inputs are cast to it once, up front)."""
    for p in model.parameters():
        if p.data.dtype.kind == "f":
            return p.data.dtype
    return np.dtype(np.float32)


def check_xy(X, y, where: str, x_name: str = "X", y_name: str = "y", dtype=None, y_required: bool = True):
    """Return ``(X, y)`` as arrays: same number of samples, non-empty, finite, numeric."""
    X = getattr(X, "data", X)
    x = np.asarray(X)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{where}: {x_name} must be a numeric array, got dtype {x.dtype}")
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValueError(f"{where}: {x_name} must hold at least one sample along axis 0, got shape {x.shape}")
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(x))[0])
        raise ValueError(f"{where}: {x_name} contains NaN or Inf (first at index {bad}, value {x[bad]}); "
                         "remove or impute those samples before training")
    if dtype is not None and x.dtype != dtype:
        x = x.astype(dtype)
    if y is None:
        if y_required:
            raise ValueError(f"{where}: {y_name} is required")
        return x, None
    y = np.asarray(getattr(y, "data", y))
    if y.dtype.kind not in "biuf":
        raise TypeError(f"{where}: {y_name} must be a numeric array, got dtype {y.dtype}")
    if y.ndim == 0 or y.shape[0] != x.shape[0]:
        raise ValueError(f"{where}: {x_name} and {y_name} must have the same number of samples (axis 0), got "
                         f"{x_name}.shape={x.shape} and {y_name}.shape={y.shape}")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(y))[0])
        raise ValueError(f"{where}: {y_name} contains NaN or Inf (first at index {bad}); clean the targets first")
    return x, y


def is_class_index_loss(loss_fn) -> bool:
    return type(loss_fn).__name__ in ("CrossEntropyLoss", "NLLLoss")


class ModeGuard:
    """Context manager: set every module's mode, then restore each module's own previous mode."""

    def __init__(self, model, training: bool):
        self.model, self.training = model, training

    def __enter__(self):
        self.modes = [(m, m.training) for m in self.model.modules()]
        self.model.train(self.training)
        return self

    def __exit__(self, *exc):
        for module, mode in self.modes:
            object.__setattr__(module, "training", mode)
        return False


def _output_array(output):
    return np.asarray(getattr(output, "data", output))


def probe_targets(model, loss_fn, x_first, y, where: str, y_name: str = "y"):
    """Check that ``loss_fn`` accepts ``y`` for this model's outputs; return ``y`` (reshaped if needed).

    One forward pass on ``x_first`` (a small batch) in eval mode under ``no_grad``
    (Dropout draws nothing, BatchNorm updates nothing, modes are restored).  Then:

    * class-index losses (CrossEntropy, NLL): ``y`` must be integers (integer-valued floats
      are converted) in ``[0, n_outputs)`` over *all* samples — a bad label anywhere is
      found now, not at batch 17 of epoch 3;
    * a 1-D ``y`` with a one-column output is reshaped to ``(n, 1)``;
    * the loss is evaluated on the probe batch; its error, if any, is re-raised naming ``y``.
    """
    with ModeGuard(model, False), no_grad():
        try:
            out = model(Tensor(x_first))
        except Exception as exc:
            raise ValueError(f"{where}: the model's forward pass failed on the first batch of X "
                             f"(shape {x_first.shape}): {exc}") from exc
        out_array = _output_array(out)
        if is_class_index_loss(loss_fn):
            if out_array.ndim < 2:
                raise ValueError(f"{where}: {type(loss_fn).__name__} needs outputs of shape (n, n_classes), "
                                 f"the model gives {out_array.shape}")
            n_classes = out_array.shape[1]
            if y.dtype.kind == "f" and y.shape[1:] != out_array.shape[1:]:
                if not np.all(y == np.round(y)):
                    raise ValueError(f"{where}: {y_name} must hold integer class labels for "
                                     f"{type(loss_fn).__name__}, got non-integer values")
                y = y.astype(np.int64)
            if y.dtype.kind in "biu":
                ignore = getattr(loss_fn, "ignore_index", None)
                kept = y[y != ignore] if ignore is not None else y
                if kept.size and (kept.min() < 0 or kept.max() >= n_classes):
                    bad = kept.min() if kept.min() < 0 else kept.max()
                    raise ValueError(f"{where}: {y_name} holds class index {bad}, but the model has {n_classes} "
                                     f"output units, so labels must be in [0, {n_classes}); give the last layer "
                                     f"{int(kept.max()) + 1} outputs or fix the labels")
        elif y.ndim == 1 and out_array.ndim == 2 and out_array.shape[1] == 1:
            y = y.reshape(-1, 1)
        try:
            value = loss_fn(out, y[: x_first.shape[0]])
        except Exception as exc:
            raise ValueError(f"{where}: {y_name} (shape {y.shape}, dtype {y.dtype}) cannot be used with "
                             f"{type(loss_fn).__name__} on the model's output of shape "
                             f"(n,) + {out_array.shape[1:]}: {exc}") from exc
        value_array = _output_array(value)
        if value_array.size != 1:
            raise ValueError(f"{where}: the loss must reduce to a scalar (reduction='mean' or 'sum'), "
                             f"got shape {value_array.shape}")
    return y


def check_lr(lr, where: str):
    if lr is None:
        return None
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not math.isfinite(lr) or lr < 0:
        raise ValueError(f"{where}: lr (the learning rate) must be a finite number >= 0, got {lr!r}")
    return float(lr)
