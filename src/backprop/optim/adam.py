"""Adam: momentum on the gradient, scaled by a running RMS, with bias correction."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._arrays import effective_grad, lerp_
from ._checks import check_bool, check_non_negative, check_real
from .optimizer import Optimizer

__all__ = ["Adam", "adam_update"]


def adam_update(
    w: np.ndarray,
    g: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    max_exp_avg_sq: np.ndarray | None,
    step: int,
    *,
    lr: float,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
    maximize: bool = False,
    decoupled_weight_decay: bool = False,
) -> None:
    r"""One Adam (or AdamW) step on ``w`` in place; moment arrays updated in place.

    Parameters
    ----------
    w : ndarray
        Parameter values, updated in place.
    g : ndarray
        Gradient at ``w``; not modified.
    exp_avg, exp_avg_sq : ndarray
        First and second moment estimates :math:`m, v` (start at zero).
    max_exp_avg_sq : ndarray or None
        Running maximum :math:`\hat v^{max}` of ``exp_avg_sq``; required if ``amsgrad``.
    step : int
        The 1-based index :math:`t` of this step (after incrementing).
    lr, beta1, beta2, eps, weight_decay, amsgrad, maximize
        As in :class:`Adam`.
    decoupled_weight_decay : bool, default False
        ``True`` gives AdamW: decay the weights directly instead of adding
        :math:`\lambda\theta` to the gradient.

    Notes
    -----
    PyTorch's single-tensor convention (``torch.optim.Adam`` / ``AdamW``):

    .. math::

        g_t &\leftarrow \pm g_t; \quad
        \theta_{t-1} \leftarrow \theta_{t-1}(1 - \gamma\lambda) \text{ (AdamW) } \quad
        \text{or}\quad g_t \leftarrow g_t + \lambda\,\theta_{t-1} \text{ (Adam)} \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1)\,g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2)\,g_t^2 \\
        v^{max}_t &= \max(v^{max}_{t-1}, v_t) \ \text{(amsgrad; used in place of } v_t
        \text{ below)} \\
        \theta_t &= \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}\;
        \frac{m_t}{\sqrt{v_t}\,/\sqrt{1-\beta_2^t} + \epsilon}

    :math:`\epsilon` is added to the bias-corrected :math:`\sqrt{\hat v_t} =
    \sqrt{v_t}/\sqrt{1-\beta_2^t}` (as in Algorithm 1 of the paper and in PyTorch), not
    to :math:`\sqrt{v_t}` before correction.
    """
    if decoupled_weight_decay:
        if weight_decay != 0:
            w *= 1.0 - lr * weight_decay
        d = effective_grad(w, g, 0.0, maximize)
    else:
        d = effective_grad(w, g, weight_decay, maximize)

    lerp_(exp_avg, d, 1.0 - beta1)
    exp_avg_sq *= beta2
    exp_avg_sq += (1.0 - beta2) * (d * d)

    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2**0.5

    if amsgrad:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        denom = np.sqrt(max_exp_avg_sq)
    else:
        denom = np.sqrt(exp_avg_sq)
    denom /= bias_correction2_sqrt
    denom += eps
    np.divide(exp_avg, denom, out=denom)
    denom *= step_size
    w -= denom


def _check_betas(owner: str, name: str, betas) -> tuple[float, float]:
    """Return ``betas`` as a pair of Python floats, each in [0, 1)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(
            f"{owner}: {name} must be a pair (beta1, beta2) with each in [0, 1), got "
            f"{betas!r}."
        )
    return (
        check_real(owner, f"{name}[0]", betas[0], low=0.0, high=1.0, high_open=True),
        check_real(owner, f"{name}[1]", betas[1], low=0.0, high=1.0, high_open=True),
    )


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), optionally AMSGrad, as ``torch.optim.Adam``.

    Parameters
    ----------
    params : iterable
        Parameters or parameter-group dicts (see :class:`Optimizer`).
    lr : float, default 1e-3
        Learning rate :math:`\gamma \ge 0`.
    betas : tuple of two floats, default (0.9, 0.999)
        Decay rates :math:`(\beta_1, \beta_2)` of the moment estimates, each in [0, 1).
    eps : float, default 1e-8
        Added to the denominator, >= 0.
    weight_decay : float, default 0
        L2 penalty :math:`\lambda \ge 0` added to the gradient (for decoupled decay use
        :class:`AdamW`).
    amsgrad : bool, default False
        Use the running maximum of the second moment (Reddi et al., 2018).
    maximize : bool, default False
        Maximize the objective instead of minimizing it.

    Notes
    -----
    The update is :func:`adam_update`. State per parameter: ``step`` (int),
    ``exp_avg``, ``exp_avg_sq`` and, with amsgrad, ``max_exp_avg_sq``
    (zeros in the parameter's dtype).
    """

    _decoupled_weight_decay = False

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    _hyperparameter_checks = {
        "betas": _check_betas,
        "eps": check_non_negative,
        "weight_decay": check_non_negative,
        "amsgrad": check_bool,
        "maximize": check_bool,
    }

    def _init_state(self, w, group) -> dict[str, Any]:
        return {"step": 0, "exp_avg": np.zeros_like(w), "exp_avg_sq": np.zeros_like(w)}

    def _update(self, w, g, state, group) -> None:
        if group["amsgrad"] and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = np.zeros_like(w)
        state["step"] += 1
        beta1, beta2 = group["betas"]
        adam_update(
            w,
            g,
            state["exp_avg"],
            state["exp_avg_sq"],
            state.get("max_exp_avg_sq"),
            state["step"],
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            amsgrad=group["amsgrad"],
            maximize=group["maximize"],
            decoupled_weight_decay=self._decoupled_weight_decay,
        )
