"""RMSprop: scale each coordinate's step by a running RMS of its gradients."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from ._arrays import effective_grad, lerp_
from ._checks import check_bool, check_non_negative, check_real
from .optimizer import Optimizer

__all__ = ["RMSprop", "rmsprop_update"]


def rmsprop_update(
    w: np.ndarray,
    g: np.ndarray,
    square_avg: np.ndarray,
    grad_avg: np.ndarray | None,
    momentum_buffer: np.ndarray | None,
    *,
    lr: float,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
    maximize: bool = False,
) -> None:
    r"""One RMSprop step on ``w`` in place; the state arrays are updated in place.

    Parameters
    ----------
    w : ndarray
        Parameter values, updated in place.
    g : ndarray
        Gradient at ``w``; not modified.
    square_avg : ndarray
        Running average :math:`v` of squared gradients (starts at zero).
    grad_avg : ndarray or None
        Running average :math:`\bar g` of gradients; required when ``centered``.
    momentum_buffer : ndarray or None
        Buffer :math:`b` (starts at zero); required when ``momentum > 0``.
    lr, alpha, eps, weight_decay, momentum, centered, maximize
        As in :class:`RMSprop`.

    Notes
    -----
    PyTorch's convention (``torch.optim.RMSprop``), :math:`\alpha` = alpha:

    .. math::

        g_t &\leftarrow \pm g_t + \lambda\,\theta_{t-1} \\
        v_t &= \alpha\,v_{t-1} + (1-\alpha)\,g_t^2 \\
        \tilde v_t &= v_t - \bar g_t^2,\quad
        \bar g_t = \alpha\,\bar g_{t-1} + (1-\alpha)\,g_t \quad\text{(centered)},
        \qquad \tilde v_t = v_t \quad\text{(otherwise)} \\
        b_t &= \mu\,b_{t-1} + g_t / (\sqrt{\tilde v_t} + \epsilon), \qquad
        \theta_t = \theta_{t-1} - \gamma\,b_t \quad (\mu > 0) \\
        \theta_t &= \theta_{t-1} - \gamma\,g_t / (\sqrt{\tilde v_t} + \epsilon)
        \quad (\mu = 0)

    :math:`\epsilon` is added *outside* the square root. There is no bias
    correction, so early steps are large when :math:`v` starts at zero.
    """
    d = effective_grad(w, g, weight_decay, maximize)
    square_avg *= alpha
    square_avg += (1.0 - alpha) * (d * d)
    if centered:
        lerp_(grad_avg, d, 1.0 - alpha)
        avg = square_avg - grad_avg * grad_avg
        np.sqrt(avg, out=avg)
    else:
        avg = np.sqrt(square_avg)
    avg += eps
    if momentum > 0:
        momentum_buffer *= momentum
        momentum_buffer += d / avg
        w -= lr * momentum_buffer
    else:
        np.divide(d, avg, out=avg)
        avg *= lr
        w -= avg


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e; centered variant of Graves 2013), as ``torch.optim.RMSprop``.

    Parameters
    ----------
    params : iterable
        Parameters or parameter-group dicts (see :class:`Optimizer`).
    lr : float, default 0.01
        Learning rate :math:`\gamma \ge 0`.
    alpha : float, default 0.99
        Smoothing constant of the squared-gradient average, in [0, 1].
    eps : float, default 1e-8
        Added to the denominator for numerical stability, >= 0.
    weight_decay : float, default 0
        L2 penalty :math:`\lambda \ge 0` added to the gradient.
    momentum : float, default 0
        Momentum factor :math:`\mu \ge 0`.
    centered : bool, default False
        Normalize by an estimate of the gradient *variance* instead of its raw second
        moment.
    maximize : bool, default False
        Maximize the objective instead of minimizing it.

    Notes
    -----
    The update is :func:`rmsprop_update`. State per parameter: ``step`` (int),
    ``square_avg``, plus ``momentum_buffer`` (if momentum > 0) and ``grad_avg``
    (if centered), all zero-initialised in the parameter's dtype.

    With ``centered=True``, :math:`v_t - \bar g_t^2` is non-negative in exact
    arithmetic but can round to a tiny negative number when the gradient barely
    varies; the square root is then NaN, exactly as in PyTorch (kept for parity).
    """

    def __init__(
        self,
        params,
        lr: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    _hyperparameter_checks = {
        "alpha": partial(check_real, low=0.0, high=1.0),
        "eps": check_non_negative,
        "weight_decay": check_non_negative,
        "momentum": check_non_negative,
        "centered": check_bool,
        "maximize": check_bool,
    }

    def _init_state(self, w, group) -> dict[str, Any]:
        return {"step": 0, "square_avg": np.zeros_like(w)}

    def _update(self, w, g, state, group) -> None:
        # Optional buffers are created on first need (as in PyTorch), which also covers
        # momentum or centering being switched on later in training.
        if group["momentum"] > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = np.zeros_like(w)
        if group["centered"] and "grad_avg" not in state:
            state["grad_avg"] = np.zeros_like(w)
        state["step"] += 1
        rmsprop_update(
            w,
            g,
            state["square_avg"],
            state.get("grad_avg"),
            state.get("momentum_buffer"),
            lr=group["lr"],
            alpha=group["alpha"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            momentum=group["momentum"],
            centered=group["centered"],
            maximize=group["maximize"],
        )
