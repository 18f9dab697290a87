"""Gradient clipping by global norm and by value (in place, like ``torch.nn.utils``)."""

from __future__ import annotations

import math

import numpy as np

from ._checks import check_bool, check_real

__all__ = ["clip_grad_norm", "clip_grad_value"]


def _as_list(params) -> list:
    # A single parameter is accepted as well as an iterable of them (as in PyTorch).
    if hasattr(params, "grad"):
        return [params]
    return list(params)


def _norm(x: np.ndarray, norm_type: float) -> float:
    # Accumulate in float64: a float32 sum of squares loses digits on large arrays
    # and overflows long before the norm itself would.
    x = x.ravel().astype(np.float64, copy=False)
    if norm_type == math.inf:
        return float(np.max(np.abs(x))) if x.size else 0.0
    if norm_type == 2.0:
        return float(np.sqrt(np.dot(x, x)))
    if norm_type == 1.0:
        return float(np.sum(np.abs(x)))
    return float(np.sum(np.abs(x) ** norm_type) ** (1.0 / norm_type))


def clip_grad_norm(
    params,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    r"""Rescale gradients in place so that their joint norm is at most ``max_norm``.

    Parameters
    ----------
    params : parameter or iterable of parameters
        Objects with a ``.grad`` array (or ``None``, skipped).
    max_norm : float
        Largest allowed total norm, >= 0.
    norm_type : float, default 2.0
        The :math:`p` of the p-norm, > 0; ``math.inf`` (or ``"inf"``) for the max-norm.
    error_if_nonfinite : bool, default False
        Raise if the total norm is NaN or infinite instead of scaling by it.

    Returns
    -------
    float
        The total norm of all gradients *before* clipping (useful to log).

    Raises
    ------
    RuntimeError
        If ``error_if_nonfinite`` and the total norm is NaN or infinite.
    ValueError
        If ``max_norm`` or ``norm_type`` is invalid.

    Notes
    -----
    As ``torch.nn.utils.clip_grad_norm_``: the norm of all gradients taken as one
    vector is computed as the norm of the per-array norms,

    .. math::

        N = \big\|\,(\|g_1\|_p, \dots, \|g_k\|_p)\,\big\|_p, \qquad
        c = \min\!\Big(1, \frac{\text{max\_norm}}{N + 10^{-6}}\Big), \qquad
        g_i \leftarrow c\, g_i .

    The :math:`10^{-6}` guards against division by zero, so the clipped norm lands a
    hair below ``max_norm``. With a non-finite :math:`N` (and no error requested)
    :math:`c` is 0 (``N = inf``) or NaN, as in PyTorch.
    """
    if isinstance(norm_type, str) and norm_type.lower() == "inf":
        norm_type = math.inf
    max_norm = check_real("clip_grad_norm", "max_norm", max_norm, low=0.0)
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float)) or not (
        norm_type > 0
    ):
        raise ValueError(
            f"clip_grad_norm: norm_type must be a number > 0 or math.inf, got {norm_type!r}."
        )
    norm_type = float(norm_type)
    error_if_nonfinite = check_bool("clip_grad_norm", "error_if_nonfinite", error_if_nonfinite)

    grads = [p.grad for p in _as_list(params) if p.grad is not None]
    if not grads:
        return 0.0
    with np.errstate(over="ignore"):
        total = _norm(np.array([_norm(g, norm_type) for g in grads]), norm_type)
    if not math.isfinite(total):
        if error_if_nonfinite:
            raise RuntimeError(
                f"clip_grad_norm: the total norm of order {norm_type} of the gradients is "
                f"{total}, so they cannot be clipped. Look for a NaN/Inf loss or "
                "overflowing activations, or pass error_if_nonfinite=False."
            )
        coef = 0.0 if total == math.inf else math.nan
    else:
        coef = max_norm / (total + 1e-6)
    if not coef < 1.0 and not math.isnan(coef):
        return total
    with np.errstate(invalid="ignore"):  # inf * 0 -> NaN, deliberately as in PyTorch
        for g in grads:
            g *= coef
    return total


def clip_grad_value(params, clip_value: float) -> None:
    r"""Clamp every gradient element in place to ``[-clip_value, clip_value]``.

    Parameters
    ----------
    params : parameter or iterable of parameters
        Objects with a ``.grad`` array (or ``None``, skipped).
    clip_value : float
        Largest allowed magnitude, >= 0.

    Notes
    -----
    As ``torch.nn.utils.clip_grad_value_``: :math:`g \leftarrow \min(\max(g, -c), c)`.
    Unlike norm clipping this changes the gradient's direction.
    """
    clip_value = check_real("clip_grad_value", "clip_value", clip_value, low=0.0)
    for p in _as_list(params):
        if p.grad is not None:
            np.clip(p.grad, -clip_value, clip_value, out=p.grad)
