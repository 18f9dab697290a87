"""Stateless loss functions: validate the inputs, then call one fused op.

Every function takes the prediction first and the target second, like
``torch.nn.functional``, and returns a :class:`~backprop.Tensor`:

==========================================  ===================================================
``mse_loss(input, target)``                 mean of (input - target)²  (no ½; see below)
``l1_loss(input, target)``                  mean of |input - target|
``huber_loss(input, target, delta=1.0)``    ½d² for |d| <= δ, δ(|d| - ½δ) beyond
``smooth_l1_loss(input, target, beta=1)``   Huber / β  (PyTorch's SmoothL1Loss)
``binary_cross_entropy(p, y)``              p are probabilities in [0, 1]
``binary_cross_entropy_with_logits(z, y)``  z are logits (stable, preferred)
``cross_entropy(z, y)``                     z are logits (N, C) or (N, C, d1, ...)
``nll_loss(log_p, y)``                      log-probabilities, e.g. from log_softmax
==========================================  ===================================================

Reduction
    ``reduction='mean'`` (default), ``'sum'`` or ``'none'`` (the elementwise or per-sample
    losses), with PyTorch's exact semantics; anything else is a ValueError.

Sample weights
    ``sample_weight`` (one non-negative weight per sample, shape ``(N,)``; any shape that
    matches the leading axes of the loss is accepted) gives the weighted mean that
    scikit-learn's ``sample_weight`` means::

        'mean':  Σ_i s_i l_i / Σ_i s_i        'sum':  Σ_i s_i l_i        'none':  s_i l_i

    For a multi-output loss l_ij the weights broadcast over the outputs and the mean divides
    by Σ_i s_i · n_outputs, so all-ones weights give exactly the unweighted loss.  For
    ``cross_entropy``/``nll_loss`` with class weights w the effective weight of a sample is
    s_i w_{y_i} (the mean divides by Σ s_i w_{y_i}, extending PyTorch's weighted mean).

Targets
    Tensors, ndarrays or lists; they are constants (no gradient flows into them) except for
    the regression losses (MSE, L1, Huber, SmoothL1), where a target tensor that requires
    grad receives -∂L/∂input, as in PyTorch.  Float targets are converted to the input's
    dtype, so a float32 prediction gives a float32 loss and float32 gradients.

The seeds' quadratic cost
    The seeds (and Nielsen's book) use C = ½ Σ (y - a)² per sample; ``mse_loss`` follows
    PyTorch and omits the ½.  Get the seeds' value with ``0.5 * mse_loss(a, y,
    reduction='sum')`` for one sample (and divide by the batch size for the seeds' mean over
    samples): a = 0.67718683, y = 0.7 gives 0.00026022 and the gradient a - y.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.ops import loss as _ops
from ..autograd.tensor import Tensor

__all__ = ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss"]

REDUCTIONS = ("mean", "sum", "none")


# ---------------------------------------------------------------------------------------
# validation helpers
# ---------------------------------------------------------------------------------------
def check_reduction(reduction, name: str) -> str:
    """Return ``reduction`` if it is 'mean', 'sum' or 'none'; else a ValueError naming ``name``."""
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


def _prediction(x, name: str) -> Tensor:
    """The prediction as a floating-point, non-empty Tensor."""
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(
            f"{name}: the prediction (input) must be floating point, got dtype {x.dtype}; "
            "convert it with .astype(np.float32)")
    if x.size == 0:
        raise ValueError(f"{name}: the prediction (input) is empty (shape {x.shape}); a loss needs at least one element")
    return x


def _array(value, what: str, name: str) -> np.ndarray:
    """A target/weight as an ndarray (Tensors give their data: targets are constants)."""
    arr = value.data if isinstance(value, Tensor) else np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name}: {what} must be numeric, got dtype {arr.dtype} ({type(value).__name__})")
    return arr


def _check_finite(arr: np.ndarray, what: str, name: str) -> None:
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        index = tuple(int(i) for i in bad)
        raise ValueError(
            f"{name}: {what} contains a non-finite value ({arr[index]}) at index "
            f"{index if len(index) != 1 else index[0]}; clean or drop those samples first")


def _shape_mismatch(name: str, input_shape, target_shape) -> ValueError:
    message = (f"{name}: prediction (input) shape {tuple(input_shape)} and target shape "
               f"{tuple(target_shape)} differ; they must be equal")
    if tuple(input_shape) == tuple(target_shape) + (1,):
        message += (f" (reshape the target to {tuple(input_shape)}, e.g. target.reshape(-1, 1): "
                    "broadcasting would compare every prediction with every target)")
    elif tuple(target_shape) == tuple(input_shape) + (1,):
        message += f" (reshape the target to {tuple(input_shape)}, e.g. target.reshape(-1))"
    return ValueError(message)


def _float_target(target, x: Tensor, name: str, in_unit_interval: bool = False) -> np.ndarray:
    """A target of the prediction's shape, in the prediction's dtype, finite."""
    y = _array(target, "the target", name)
    if y.shape != x.shape:
        raise _shape_mismatch(name, x.shape, y.shape)
    y = y.astype(x.dtype, copy=False)
    _check_finite(y, "the target", name)
    if in_unit_interval and (y.min() < 0 or y.max() > 1):
        raise ValueError(
            f"{name}: target values must lie in [0, 1], got values from {y.min()} to {y.max()}")
    return y


def _sample_weight(sample_weight, loss_shape, dtype, reduction: str, name: str):
    """Validate sample weights; return (weights reshaped to broadcast, Σ over all elements)."""
    if sample_weight is None:
        return None, 1.0
    sw = _array(sample_weight, "sample_weight", name)
    loss_shape = tuple(loss_shape)
    if (sw.ndim == 0 and loss_shape) or sw.shape != loss_shape[:sw.ndim]:
        expected = f"({loss_shape[0]},)" if loss_shape else "()"
        raise ValueError(
            f"{name}: sample_weight shape {sw.shape} does not match the loss: expected one weight "
            f"per sample, shape {expected} (or leading axes of {loss_shape})")
    sw = sw.astype(dtype, copy=False)
    _check_finite(sw, "sample_weight", name)
    if (sw < 0).any():
        raise ValueError(f"{name}: sample_weight must be non-negative, got minimum {sw.min()}")
    repeats = math.prod(loss_shape[sw.ndim:])
    denominator = float(sw.sum()) * repeats
    if reduction == "mean" and denominator == 0:
        raise ValueError(f"{name}: sample_weight sums to zero, so the weighted mean is undefined")
    return sw.reshape(sw.shape + (1,) * (len(loss_shape) - sw.ndim)), denominator


def _broadcast_weight(weight, x: Tensor, what: str, name: str):
    """An elementwise rescaling weight (BCE's weight/pos_weight) broadcastable to the input."""
    if weight is None:
        return None
    w = _array(weight, what, name)
    try:
        shape = np.broadcast_shapes(w.shape, x.shape)
    except ValueError:
        shape = None
    if shape != x.shape:
        raise ValueError(f"{name}: {what} of shape {w.shape} does not broadcast to the input shape {x.shape}")
    w = w.astype(x.dtype, copy=False)
    _check_finite(w, what, name)
    return w


# ---------------------------------------------------------------------------------------
# regression losses
# ---------------------------------------------------------------------------------------
def _pointwise(op, name, input, target, reduction, sample_weight, **params):  # noqa: A002
    check_reduction(reduction, name)
    x = _prediction(input, name)
    if isinstance(target, Tensor) and target.requires_grad:
        if target.shape != x.shape:
            raise _shape_mismatch(name, x.shape, target.shape)
        _check_finite(target.data, "the target", name)
        y = target if target.dtype == x.dtype else target.astype(x.dtype)
    else:
        y = Tensor._from_op(_float_target(target, x, name), None)
    sw, denominator = _sample_weight(sample_weight, x.shape, x.dtype, reduction, name)
    return op.apply(x, y, reduction=reduction, sample_weight=sw, denominator=denominator, **params)


def _mse_loss(input, target, reduction="mean", sample_weight=None, name="mse_loss"):  # noqa: A002
    return _pointwise(_ops.SquaredError, name, input, target, reduction, sample_weight)


def _l1_loss(input, target, reduction="mean", sample_weight=None, name="l1_loss"):  # noqa: A002
    return _pointwise(_ops.AbsoluteError, name, input, target, reduction, sample_weight)


def check_delta(delta, name: str, parameter: str = "delta", allow_zero: bool = False) -> float:
    """Validate Huber's δ (> 0) or SmoothL1's β (>= 0) and return it as a float."""
    try:
        value = float(delta)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: {parameter} must be a number, got {delta!r}") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name}: {parameter} must be finite and {bound}, got {delta!r}")
    return value


def _huber_loss(input, target, reduction="mean", delta=1.0, sample_weight=None, name="huber_loss"):  # noqa: A002
    delta = check_delta(delta, name)
    return _pointwise(_ops.Huber, name, input, target, reduction, sample_weight, delta=delta)


def _smooth_l1_loss(input, target, reduction="mean", beta=1.0, sample_weight=None,  # noqa: A002
                    name="smooth_l1_loss"):
    beta = check_delta(beta, name, "beta", allow_zero=True)
    return _pointwise(_ops.SmoothL1, name, input, target, reduction, sample_weight, beta=beta)


def mse_loss(input, target, reduction="mean", sample_weight=None):  # noqa: A002
    """Mean squared error: l = (input - target)², reduced (PyTorch's ``mse_loss``, no ½).

    Notes
    -----
    ∂l/∂input = 2 (input - target).  The seeds' cost ½ Σ (y - a)² is
    ``0.5 * mse_loss(a, y, reduction='sum')`` (see the module docstring).
    """
    return _mse_loss(input, target, reduction, sample_weight)


def l1_loss(input, target, reduction="mean", sample_weight=None):  # noqa: A002
    """Mean absolute error: l = |input - target|;  ∂l/∂input = sign(input - target) (0 at 0)."""
    return _l1_loss(input, target, reduction, sample_weight)


def huber_loss(input, target, reduction="mean", delta=1.0, sample_weight=None):  # noqa: A002
    """Huber loss with threshold ``delta`` (> 0), PyTorch's ``huber_loss``.

    Notes
    -----
    With d = input - target: l = ½d² for |d| <= δ, δ(|d| - ½δ) otherwise;
    ∂l/∂input = clip(d, -δ, δ).  Quadratic near zero, linear (robust to outliers) beyond δ.
    """
    return _huber_loss(input, target, reduction, delta, sample_weight)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0, sample_weight=None):  # noqa: A002
    """Smooth L1 loss (PyTorch's ``smooth_l1_loss``): Huber with δ = β, divided by β.

    Notes
    -----
    l = ½d²/β for |d| < β, |d| - ½β otherwise; ``beta=0`` is the L1 loss.
    """
    return _smooth_l1_loss(input, target, reduction, beta, sample_weight)


# ---------------------------------------------------------------------------------------
# binary cross-entropy
# ---------------------------------------------------------------------------------------
def _binary_cross_entropy(input, target, weight=None, reduction="mean", sample_weight=None,  # noqa: A002
                          name="binary_cross_entropy"):
    check_reduction(reduction, name)
    p = _prediction(input, name)
    lowest, highest = p.data.min(), p.data.max()
    if not (lowest >= 0 and highest <= 1):
        raise ValueError(
            f"{name}: the input must be probabilities in [0, 1], got values from {lowest} to {highest}; "
            "for raw scores (logits) use binary_cross_entropy_with_logits / BCEWithLogitsLoss, "
            "which is also numerically stabler")
    y = _float_target(target, p, name, in_unit_interval=True)
    w = _broadcast_weight(weight, p, "weight", name)
    sw, denominator = _sample_weight(sample_weight, p.shape, p.dtype, reduction, name)
    return _ops.BinaryCrossEntropy.apply(p, target=y, weight=w, reduction=reduction, sample_weight=sw,
                                         denominator=denominator)


def _binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None,  # noqa: A002
                                      sample_weight=None, name="binary_cross_entropy_with_logits"):
    check_reduction(reduction, name)
    z = _prediction(input, name)
    y = _float_target(target, z, name, in_unit_interval=False)
    w = _broadcast_weight(weight, z, "weight", name)
    pw = _broadcast_weight(pos_weight, z, "pos_weight", name)
    sw, denominator = _sample_weight(sample_weight, z.shape, z.dtype, reduction, name)
    return _ops.BinaryCrossEntropyWithLogits.apply(z, target=y, weight=w, pos_weight=pw, reduction=reduction,
                                                   sample_weight=sw, denominator=denominator)


def binary_cross_entropy(input, target, weight=None, reduction="mean", sample_weight=None):  # noqa: A002
    """Binary cross-entropy of probabilities ``input`` in [0, 1] against targets in [0, 1].

    Parameters
    ----------
    input : Tensor
        Probabilities p (e.g. a sigmoid output); values outside [0, 1] are a ValueError.
    target : array_like
        Targets y in [0, 1], the input's shape.
    weight : array_like, optional
        Rescaling weight broadcast against the input (PyTorch's ``weight``; the mean still
        divides by the number of elements).
    reduction, sample_weight
        See the module docstring.

    Notes
    -----
    l = -w [y log p + (1 - y) log(1 - p)], each log clamped to >= -100 like PyTorch, so p = 0
    or 1 gives a finite loss; ∂l/∂p = w (p - y) / max(p(1 - p), 1e-12).  Prefer
    :func:`binary_cross_entropy_with_logits` on the logits: it is exact where this clamps.
    """
    return _binary_cross_entropy(input, target, weight, reduction, sample_weight)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None,  # noqa: A002
                                     sample_weight=None):
    """Binary cross-entropy of σ(input), computed stably from the logits.

    Parameters
    ----------
    input : Tensor
        Logits z (any real values; ±1e4 is fine).
    target : array_like
        Targets y (usually in [0, 1]), the input's shape.
    weight : array_like, optional
        Rescaling weight broadcast against the input.
    pos_weight : array_like, optional
        Weight of the positive term, broadcast against the input (one per class, shape
        ``(C,)``, for multi-label input (N, C)); > 1 raises recall, as in PyTorch.
    reduction, sample_weight
        See the module docstring.

    Notes
    -----
    l = max(z, 0) - z y + log(1 + e^{-|z|})  (never overflows);  ∂l/∂z = σ(z) - y.
    With pos_weight P: l = (1 - y) z + (1 + (P - 1) y) softplus(-z).
    """
    return _binary_cross_entropy_with_logits(input, target, weight, reduction, pos_weight, sample_weight)


# ---------------------------------------------------------------------------------------
# class losses
# ---------------------------------------------------------------------------------------
def _class_weight(weight, n_classes: int, dtype, name: str):
    if weight is None:
        return None
    w = _array(weight, "weight", name)
    if w.shape != (n_classes,):
        raise ValueError(f"{name}: class weight must have shape ({n_classes},), one per class, got shape {w.shape}")
    w = w.astype(dtype, copy=False)
    _check_finite(w, "weight", name)
    return w


def _class_loss(name, input, target, weight, ignore_index, reduction, label_smoothing,  # noqa: A002
                sample_weight, logits: bool):
    check_reduction(reduction, name)
    x = _prediction(input, name)
    what = "logits" if logits else "log-probabilities"
    if x.ndim == 0:
        raise ValueError(f"{name}: input {what} must have shape (C,), (N, C) or (N, C, d1, ...), got a scalar")
    n_classes = x.shape[0] if x.ndim == 1 else x.shape[1]
    sample_shape = () if x.ndim == 1 else (x.shape[0],) + x.shape[2:]
    y = _array(target, "the target", name)
    dtype = x.dtype
    smoothing = float(label_smoothing)
    if not 0.0 <= smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing!r}")
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer)):
        raise TypeError(f"{name}: ignore_index must be an integer, got {ignore_index!r}")
    w = _class_weight(weight, n_classes, dtype, name)
    sw, _ = _sample_weight(sample_weight, sample_shape, dtype, "sum", name)
    r = None if sw is None else np.broadcast_to(sw, sample_shape).reshape(-1)

    if y.dtype.kind == "f" and y.shape == x.shape and logits:
        # Probability (or one-hot) targets: PyTorch's soft-label cross-entropy.
        if ignore_index >= 0:
            raise ValueError(f"{name}: ignore_index is not supported for probability (float) targets")
        y = y.astype(dtype, copy=False)
        _check_finite(y, "the target", name)
        n_rows = x.size // n_classes
        denominator = float(n_rows) if r is None else float(r.sum())
        if reduction == "mean" and denominator == 0:
            raise ValueError(f"{name}: sample_weight sums to zero, so the weighted mean is undefined")
        return _ops.CrossEntropy.apply(x, target=y, probabilities=True, weight=w, r=r,
                                       label_smoothing=smoothing, reduction=reduction, denominator=denominator)

    if y.dtype.kind not in "iu":
        if y.shape == sample_shape:
            raise TypeError(
                f"{name}: class-index targets must be integers, got dtype {y.dtype}; convert them with "
                "target.astype(np.int64)" + ("" if logits else " (nll_loss takes class indices only)"))
        if y.dtype.kind == "f" and not logits:
            raise TypeError(f"{name}: targets must be integer class indices of shape {sample_shape}, got "
                            f"dtype {y.dtype} and shape {y.shape}")
        if y.dtype.kind == "f":
            raise _class_shape_error(name, x.shape, y.shape, sample_shape, logits)
        raise TypeError(f"{name}: targets must be integer class indices (or float probabilities of the "
                        f"input's shape), got dtype {y.dtype}")
    if y.shape != sample_shape:
        if y.shape == x.shape:
            raise ValueError(
                f"{name}: integer target of the input's shape {x.shape}: for one-hot or probability targets "
                "pass floats (target.astype(np.float32))" + ("" if logits else " to cross_entropy")
                + f", for class indices pass shape {sample_shape} (target.argmax(axis=1))")
        raise _class_shape_error(name, x.shape, y.shape, sample_shape, logits)

    y = y.reshape(-1)
    ignored = y == ignore_index
    any_ignored = bool(ignored.any())
    kept = y[~ignored] if any_ignored else y
    if kept.size:
        lowest, highest = kept.min(), kept.max()
        if lowest < 0 or highest >= n_classes:
            bad = lowest if lowest < 0 else highest
            raise ValueError(
                f"{name}: target class index {bad} is out of range [0, {n_classes}) for an input with "
                f"{n_classes} classes (ignore_index={ignore_index} marks samples to skip)")
    if any_ignored:
        y = np.where(ignored, 0, y)
        keep = (~ignored).astype(dtype)
        r = keep if r is None else r * keep
    if reduction == "mean":
        if w is None:
            denominator = float(y.size) if r is None else float(r.sum())
        else:
            w_y = w[y]
            denominator = float(w_y.sum()) if r is None else float(r @ w_y)
    else:
        denominator = 1.0
    if logits:
        return _ops.CrossEntropy.apply(x, target=y, probabilities=False, weight=w, r=r,
                                       label_smoothing=smoothing, reduction=reduction, denominator=denominator)
    return _ops.NLL.apply(x, target=y, weight=w, r=r, reduction=reduction, denominator=denominator)


def _class_shape_error(name, input_shape, target_shape, sample_shape, logits) -> ValueError:
    soft = f" or float probabilities of shape {input_shape}" if logits else ""
    return ValueError(
        f"{name}: target shape {target_shape} does not fit input shape {input_shape}: expected integer "
        f"class indices of shape {sample_shape}{soft}")


def _cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",  # noqa: A002
                   label_smoothing=0.0, sample_weight=None, name="cross_entropy"):
    return _class_loss(name, input, target, weight, ignore_index, reduction, label_smoothing,
                       sample_weight, logits=True)


def _nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean", sample_weight=None,  # noqa: A002
              name="nll_loss"):
    return _class_loss(name, input, target, weight, ignore_index, reduction, 0.0, sample_weight, logits=False)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",  # noqa: A002
                  label_smoothing=0.0, sample_weight=None):
    """Cross-entropy between logits and targets: log-softmax and NLL fused in one stable op.

    Parameters
    ----------
    input : Tensor
        Logits z of shape (N, C), (N, C, d1, ...) (class axis 1, PyTorch's layout) or (C,).
    target : array_like
        Either integer class indices in [0, C) of shape (N,) / (N, d1, ...) / (), or float
        class probabilities (one-hot or soft labels) of the input's shape.
    weight : array_like, optional
        Class weights, shape (C,).
    ignore_index : int
        Index targets equal to this contribute nothing (and are not counted by the mean).
        Index targets only.
    reduction : {'mean', 'sum', 'none'}
        ``'none'`` returns the per-sample losses, shape (N,) / (N, d1, ...).
    label_smoothing : float in [0, 1]
        Mix the target with the uniform distribution: q = (1 - ε) q + ε / C.
    sample_weight : array_like, optional
        Per-sample weights (see the module docstring).

    Notes
    -----
    Per sample, with p = softmax(z) and target distribution q (one-hot for indices):
    l = -Σ_c w_c q_c log p_c and ∂l/∂z = softmax(z) Σ_c w_c q_c - w ⊙ q, i.e. p - q without
    weights: the seeds' δ = a - y of a softmax output layer.  The semantics are PyTorch's:
    the weighted mean of index targets divides by Σ_i w_{y_i}; with label smoothing and class
    weights, l = (1 - ε) w_y (-log p_y) + (ε/C) Σ_c w_c (-log p_c), still over Σ_i w_{y_i};
    probability targets' mean divides by the number of samples N (· d1 · ...).
    Uniform logits over C classes give ln C.
    """
    return _cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing, sample_weight)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean", sample_weight=None):  # noqa: A002
    """Negative log-likelihood of integer class targets under log-probabilities ``input``.

    ``nll_loss(log_softmax(z, axis=1), y)`` equals ``cross_entropy(z, y)``; prefer the latter
    (one fused op).  Shapes, ``weight``, ``ignore_index`` and ``reduction`` as in
    :func:`cross_entropy` (index targets only).

    Notes
    -----
    l_i = -w_{y_i} x_{i, y_i};  ∂l_i/∂x_ic = -w_{y_i} [c = y_i].
    """
    return _nll_loss(input, target, weight, ignore_index, reduction, sample_weight)
