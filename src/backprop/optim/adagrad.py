"""Adagrad: per-coordinate steps scaled by the root of the summed squared gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._arrays import effective_grad
from ._checks import check_bool, check_non_negative
from .optimizer import Optimizer

__all__ = ["Adagrad", "adagrad_update"]


def adagrad_update(
    w: np.ndarray,
    g: np.ndarray,
    state_sum: np.ndarray,
    step: int,
    *,
    lr: float,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    eps: float = 1e-10,
    maximize: bool = False,
) -> None:
    r"""One Adagrad step on ``w`` in place; ``state_sum`` is updated in place.

    Parameters
    ----------
    w : ndarray
        Parameter values, updated in place.
    g : ndarray
        Gradient at ``w``; not modified.
    state_sum : ndarray
        Sum :math:`s` of squared gradients so far (starts at
        ``initial_accumulator_value``).
    step : int
        The 1-based index :math:`t` of this step (after incrementing).
    lr, lr_decay, weight_decay, eps, maximize
        As in :class:`Adagrad`.

    Notes
    -----
    PyTorch's convention (``torch.optim.Adagrad``), :math:`\eta` = lr_decay:

    .. math::

        \tilde\gamma &= \gamma / (1 + (t-1)\,\eta) \\
        g_t &\leftarrow \pm g_t + \lambda\,\theta_{t-1} \\
        s_t &= s_{t-1} + g_t^2 \\
        \theta_t &= \theta_{t-1} - \tilde\gamma\, g_t / (\sqrt{s_t} + \epsilon)
    """
    clr = lr / (1 + (step - 1) * lr_decay)
    d = effective_grad(w, g, weight_decay, maximize)
    state_sum += d * d
    std = np.sqrt(state_sum)
    std += eps
    np.divide(d, std, out=std)
    std *= clr
    w -= std


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan & Singer, 2011), as ``torch.optim.Adagrad``.

    Parameters
    ----------
    params : iterable
        Parameters or parameter-group dicts (see :class:`Optimizer`).
    lr : float, default 0.01
        Learning rate :math:`\gamma \ge 0`.
    lr_decay : float, default 0
        Learning-rate decay :math:`\eta \ge 0`: step :math:`t` uses
        :math:`\gamma / (1 + (t-1)\eta)`.
    weight_decay : float, default 0
        L2 penalty :math:`\lambda \ge 0` added to the gradient.
    initial_accumulator_value : float, default 0
        Starting value (>= 0) of the squared-gradient sum.
    eps : float, default 1e-10
        Added to the denominator (outside the square root), >= 0.
    maximize : bool, default False
        Maximize the objective instead of minimizing it.

    Notes
    -----
    The update is :func:`adagrad_update`. State per parameter: ``step`` (int) and
    ``sum``, created at the first step from the group's ``initial_accumulator_value``.
    (PyTorch fills the sum at construction; the result is the same because the value
    is only read at the first step.)
    """

    def __init__(
        self,
        params,
        lr: float = 0.01,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    _hyperparameter_checks = {
        "lr_decay": check_non_negative,
        "weight_decay": check_non_negative,
        "initial_accumulator_value": check_non_negative,
        "eps": check_non_negative,
        "maximize": check_bool,
    }

    def _init_state(self, w, group) -> dict[str, Any]:
        return {"step": 0, "sum": np.full_like(w, group["initial_accumulator_value"])}

    def _update(self, w, g, state, group) -> None:
        state["step"] += 1
        adagrad_update(
            w,
            g,
            state["sum"],
            state["step"],
            lr=group["lr"],
            lr_decay=group["lr_decay"],
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            maximize=group["maximize"],
        )
