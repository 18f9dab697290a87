"""The one-cycle learning-rate policy (Smith & Topin, 2017), as ``torch``'s ``OneCycleLR``."""

from __future__ import annotations

import math
from typing import Any

from ._checks import check_bool, check_choice, check_int, check_real
from .optimizer import Optimizer
from .schedules import LRScheduler

__all__ = ["OneCycleLR"]


def _annealing_cos(start: float, end: float, pct: float) -> float:
    """Cosine anneal from ``start`` (pct = 0) to ``end`` (pct = 1)."""
    cos_out = math.cos(math.pi * pct) + 1
    return end + (start - end) / 2.0 * cos_out


def _annealing_linear(start: float, end: float, pct: float) -> float:
    """Linear anneal from ``start`` (pct = 0) to ``end`` (pct = 1)."""
    return (end - start) * pct + start


_ANNEAL = {"cos": _annealing_cos, "linear": _annealing_linear}


def _per_group(owner: str, name: str, value, n_groups: int) -> list[float]:
    values = list(value) if isinstance(value, (list, tuple)) else [value] * n_groups
    if len(values) != n_groups:
        raise ValueError(
            f"{owner}: {name} must be a number or a list of {n_groups} numbers (one per "
            f"parameter group), got {len(values)} values."
        )
    return [check_real(owner, f"{name}", v, low=0.0) for v in values]


class OneCycleLR(LRScheduler):
    r"""Warm the lr up to ``max_lr``, then anneal it far below its start.

    Meant to be stepped once per *batch*, ``total_steps`` times in all.
    With :math:`\eta_{max}` = max_lr, the phases (in steps :math:`t`) are

    ===========================  ==============================================
    two-phase (default)          three-phase
    ===========================  ==============================================
    ``initial -> max`` until     ``initial -> max`` until :math:`pT - 1`,
    :math:`pT - 1`, then         ``max -> initial`` until :math:`2pT - 2`,
    ``max -> min`` until         then ``initial -> min`` until :math:`T - 1`
    :math:`T - 1`
    ===========================  ==============================================

    where :math:`p` = pct_start, :math:`T` = total_steps,
    ``initial = max_lr / div_factor`` and ``min = initial / final_div_factor``. Within a
    phase from :math:`a` to :math:`b` over steps :math:`[t_0, t_1]`, with
    :math:`\rho = (t - t_0)/(t_1 - t_0)`, the lr is
    :math:`b + \frac{a - b}{2}(1 + \cos\pi\rho)` (``'cos'``) or
    :math:`a + (b - a)\rho` (``'linear'``).

    Parameters
    ----------
    optimizer : Optimizer
    max_lr : float or list of float
        Peak lr (per group if a list), >= 0. The optimizer's own lr is ignored.
    total_steps : int, optional
        Length of the cycle, >= 1. Or give ``epochs`` and ``steps_per_epoch``.
    epochs, steps_per_epoch : int, optional
        Used as ``total_steps = epochs * steps_per_epoch`` when total_steps is None.
    pct_start : float, default 0.3
        Fraction of the cycle spent warming up, in [0, 1].
    anneal_strategy : {'cos', 'linear'}, default 'cos'
    cycle_momentum : bool, default True
        Also cycle momentum inversely to the lr, between ``max_momentum`` (at the
        start and end) and ``base_momentum`` (at the peak). Applies to the optimizer's
        ``momentum`` (SGD, RMSprop) or ``betas[0]`` (Adam, AdamW); it overwrites the
        momentum given to the optimizer, exactly as PyTorch does.
    base_momentum, max_momentum : float or list of float, default 0.85, 0.95
    div_factor : float, default 25
        ``initial_lr = max_lr / div_factor``, > 0.
    final_div_factor : float, default 1e4
        ``min_lr = initial_lr / final_div_factor``, > 0.
    three_phase : bool, default False
        Use the symmetric three-phase schedule of the original paper.

    Raises
    ------
    ValueError
        On invalid arguments, if ``cycle_momentum`` is set but the optimizer has
        neither ``momentum`` nor ``betas``, or when stepped past ``total_steps``.
    """

    _state_keys = ("total_steps", "anneal_strategy", "cycle_momentum", "use_beta1", "phases")

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr,
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum=0.85,
        max_momentum=0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
    ) -> None:
        owner = "OneCycleLR"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{owner}: optimizer must be a backprop.optim.Optimizer, got "
                f"{type(optimizer).__name__}."
            )
        if total_steps is not None:
            self.total_steps = check_int(owner, "total_steps", total_steps, low=1)
        elif epochs is not None and steps_per_epoch is not None:
            epochs = check_int(owner, "epochs", epochs, low=1)
            steps_per_epoch = check_int(owner, "steps_per_epoch", steps_per_epoch, low=1)
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError(
                f"{owner}: give total_steps, or both epochs and steps_per_epoch; got "
                f"total_steps={total_steps!r}, epochs={epochs!r}, "
                f"steps_per_epoch={steps_per_epoch!r}."
            )
        pct_start = check_real(owner, "pct_start", pct_start, low=0.0, high=1.0)
        self.anneal_strategy = check_choice(
            owner, "anneal_strategy", anneal_strategy, ("cos", "linear")
        )
        div_factor = check_real(owner, "div_factor", div_factor, low=0.0, low_open=True)
        final_div_factor = check_real(
            owner, "final_div_factor", final_div_factor, low=0.0, low_open=True
        )
        three_phase = check_bool(owner, "three_phase", three_phase)
        self.cycle_momentum = check_bool(owner, "cycle_momentum", cycle_momentum)

        warm_end = float(pct_start * self.total_steps) - 1
        if three_phase:
            self.phases = [
                {"end_step": warm_end, "start_lr": "initial_lr", "end_lr": "max_lr",
                 "start_momentum": "max_momentum", "end_momentum": "base_momentum"},
                {"end_step": float(2 * pct_start * self.total_steps) - 2,
                 "start_lr": "max_lr", "end_lr": "initial_lr",
                 "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
                {"end_step": self.total_steps - 1, "start_lr": "initial_lr", "end_lr": "min_lr",
                 "start_momentum": "max_momentum", "end_momentum": "max_momentum"},
            ]  # fmt: skip
        else:
            self.phases = [
                {"end_step": warm_end, "start_lr": "initial_lr", "end_lr": "max_lr",
                 "start_momentum": "max_momentum", "end_momentum": "base_momentum"},
                {"end_step": self.total_steps - 1, "start_lr": "max_lr", "end_lr": "min_lr",
                 "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
            ]  # fmt: skip
        start = 0.0
        for i, phase in enumerate(self.phases):
            if phase["end_step"] == start:
                raise ValueError(
                    f"{owner}: phase {i} of the schedule has zero length (it would divide "
                    f"by zero): pct_start={pct_start!r} with total_steps={self.total_steps}; "
                    "choose pct_start so that pct_start * total_steps is not 1 and "
                    "pct_start < 1."
                )
            start = phase["end_step"]

        groups = optimizer.param_groups
        max_lrs = _per_group(owner, "max_lr", max_lr, len(groups))
        self.use_beta1 = False
        if self.cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(
                    f"{owner}: cycle_momentum=True needs an optimizer with 'momentum' or "
                    f"'betas', and {type(optimizer).__name__} has neither; pass "
                    "cycle_momentum=False."
                )
            self.use_beta1 = "betas" in optimizer.defaults
            max_momentums = _per_group(owner, "max_momentum", max_momentum, len(groups))
            base_momentums = _per_group(owner, "base_momentum", base_momentum, len(groups))
        for i, group in enumerate(groups):
            group["initial_lr"] = max_lrs[i] / div_factor
            group["max_lr"] = max_lrs[i]
            group["min_lr"] = group["initial_lr"] / final_div_factor
            if self.cycle_momentum:
                self._set_momentum(group, max_momentums[i])
                group["max_momentum"] = max_momentums[i]
                group["base_momentum"] = base_momentums[i]
        super().__init__(optimizer)

    def _set_momentum(self, group: dict[str, Any], momentum: float) -> None:
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"OneCycleLR: stepped {step} times, but total_steps is {self.total_steps}; "
                "create the schedule with the number of optimizer steps you will take."
            )
        anneal = _ANNEAL[self.anneal_strategy]
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self.phases):
                end_step = phase["end_step"]
                if step <= end_step or i == len(self.phases) - 1:
                    pct = (step - start_step) / (end_step - start_step)
                    lrs.append(anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
                    if self.cycle_momentum:
                        momentum = anneal(
                            group[phase["start_momentum"]], group[phase["end_momentum"]], pct
                        )
                        self._set_momentum(group, momentum)
                    break
                start_step = phase["end_step"]
        return lrs

    def _export(self, key: str):
        if key == "phases":
            return [dict(phase) for phase in self.phases]
        return super()._export(key)

    def _import(self, key: str, value) -> None:
        if key == "phases":
            value = [dict(phase) for phase in value]
        super()._import(key, value)
