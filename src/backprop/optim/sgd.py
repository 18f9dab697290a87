"""Stochastic gradient descent, with optional (Nesterov) momentum and weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._arrays import effective_grad
from ._checks import check_bool, check_non_negative, check_real
from .optimizer import Optimizer

__all__ = ["SGD", "sgd_update"]


def sgd_update(
    w: np.ndarray,
    g: np.ndarray,
    momentum_buffer: np.ndarray | None,
    *,
    lr: float,
    momentum: float = 0.0,
    dampening: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
    maximize: bool = False,
) -> np.ndarray | None:
    r"""One SGD step on ``w`` in place; return the (possibly new) momentum buffer.

    Parameters
    ----------
    w : ndarray
        Parameter values, updated in place.
    g : ndarray
        Gradient of the loss at ``w``; not modified.
    momentum_buffer : ndarray or None
        The buffer :math:`b_{t-1}`, updated in place; ``None`` before the first step.
    lr, momentum, dampening, nesterov, weight_decay, maximize
        As in :class:`SGD`.

    Returns
    -------
    ndarray or None
        The momentum buffer :math:`b_t` (``None`` when ``momentum == 0``).

    Notes
    -----
    PyTorch's convention (``torch.optim.SGD``), with :math:`\gamma` = lr,
    :math:`\lambda` = weight_decay, :math:`\mu` = momentum, :math:`\tau` = dampening:

    .. math::

        g_t &\leftarrow -g_t \text{ if maximize}, \qquad
        g_t \leftarrow g_t + \lambda\,\theta_{t-1} \\
        b_t &= g_t \ (t = 1), \qquad b_t = \mu\,b_{t-1} + (1-\tau)\,g_t \ (t > 1) \\
        g_t &\leftarrow g_t + \mu\,b_t \ \text{(nesterov)}, \qquad g_t \leftarrow b_t
        \ \text{(otherwise)} \\
        \theta_t &= \theta_{t-1} - \gamma\,g_t

    The first step copies the gradient into the buffer *undampened*; the buffer
    holds a sum of gradients (not an average), so the effective step with momentum
    is about :math:`\gamma/(1-\mu)` times the gradient.
    """
    d = effective_grad(w, g, weight_decay, maximize)
    if momentum != 0:
        if momentum_buffer is None:
            momentum_buffer = d.copy()
        else:
            momentum_buffer *= momentum
            momentum_buffer += (1.0 - dampening) * d
        if nesterov:
            d = d + momentum * momentum_buffer
        else:
            d = momentum_buffer
    w -= lr * d
    return momentum_buffer


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    Parameters
    ----------
    params : iterable
        Parameters or parameter-group dicts (see :class:`Optimizer`).
    lr : float, default 1e-3
        Learning rate :math:`\gamma \ge 0` (PyTorch's default; SGD usually wants
        something larger, e.g. 0.01-0.1).
    momentum : float, default 0
        Momentum factor :math:`\mu \ge 0`.
    dampening : float, default 0
        Dampening :math:`\tau` for momentum (the new gradient enters with weight
        :math:`1-\tau`).
    nesterov : bool, default False
        Nesterov momentum; needs ``momentum > 0`` and ``dampening == 0``.
    weight_decay : float, default 0
        L2 penalty :math:`\lambda \ge 0` added to the gradient.
    maximize : bool, default False
        Maximize the objective instead of minimizing it.

    Notes
    -----
    The update is :func:`sgd_update`. State per parameter: ``momentum_buffer``
    (only when momentum is used; created at the parameter's first step).

    Examples
    --------
    >>> opt = SGD(model.parameters(), lr=0.1, momentum=0.9)    # doctest: +SKIP
    >>> opt.zero_grad(); loss.backward(); opt.step()           # doctest: +SKIP
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            nesterov=nesterov,
            weight_decay=weight_decay,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    _hyperparameter_checks = {
        "momentum": check_non_negative,
        "dampening": check_real,
        "nesterov": check_bool,
        "weight_decay": check_non_negative,
        "maximize": check_bool,
    }

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: nesterov=True requires momentum > 0 and dampening == 0, got "
                f"momentum={group['momentum']!r} and dampening={group['dampening']!r}."
            )

    def _update(self, w, g, state, group) -> None:
        buffer = sgd_update(
            w,
            g,
            state.get("momentum_buffer"),
            lr=group["lr"],
            momentum=group["momentum"],
            dampening=group["dampening"],
            nesterov=group["nesterov"],
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
        )
        if buffer is not None:
            state["momentum_buffer"] = buffer
