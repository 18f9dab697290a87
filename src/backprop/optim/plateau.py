"""Reduce the learning rate when a monitored metric stops improving."""

from __future__ import annotations

import math
from typing import Any

from ._checks import check_choice, check_int, check_real
from .optimizer import Optimizer
from .schedules import LRScheduler

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(LRScheduler):
    r"""Multiply the lr by ``factor`` after ``patience`` steps without improvement.

    Call ``step(metric)`` once per evaluation (usually per epoch) with the validation
    loss (``mode='min'``) or a score to maximize (``mode='max'``).

    A value :math:`a` improves on the best value :math:`b` so far when

    =========  ===========================  ======================
    mode       threshold_mode='rel'         threshold_mode='abs'
    =========  ===========================  ======================
    ``'min'``  :math:`a < b\,(1 - \tau)`    :math:`a < b - \tau`
    ``'max'``  :math:`a > b\,(1 + \tau)`    :math:`a > b + \tau`
    =========  ===========================  ======================

    with :math:`\tau` = threshold. Otherwise the count of bad steps grows; when it
    exceeds ``patience``, each group's lr becomes :math:`\max(\eta\cdot
    \text{factor}, \text{min\_lr})` (skipped if that changes it by no more than
    ``eps``), and the next ``cooldown`` steps are not counted as bad. A NaN metric
    never improves. Behaviour matches ``torch.optim.lr_scheduler.ReduceLROnPlateau``.

    Parameters
    ----------
    optimizer : Optimizer
    mode : {'min', 'max'}, default 'min'
    factor : float, default 0.1
        Multiplicative decay, in (0, 1).
    patience : int, default 10
        Bad steps tolerated before decaying, >= 0.
    threshold : float, default 1e-4
        Minimum significant change, >= 0.
    threshold_mode : {'rel', 'abs'}, default 'rel'
    cooldown : int, default 0
        Steps to wait after a decay before counting bad steps again, >= 0.
    min_lr : float or list of float, default 0
        Lower bound of the lr (per group if a list), >= 0.
    eps : float, default 1e-8
        Decays smaller than this are ignored, >= 0.

    Notes
    -----
    Unlike the other schedules this one does not change the lr at construction, and
    ``base_lrs`` is just the lrs at construction (kept for the common interface).
    In ``state_dict()`` the starting ``best`` (:math:`\pm\infty`, no metric seen yet)
    is stored as ``None`` so that the state is strict JSON.
    """

    _state_keys = (
        "mode",
        "factor",
        "patience",
        "threshold",
        "threshold_mode",
        "cooldown",
        "min_lrs",
        "eps",
        "default_min_lr",
        "best",
        "num_bad_epochs",
        "cooldown_counter",
    )

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr=0.0,
        eps: float = 1e-8,
    ) -> None:
        owner = "ReduceLROnPlateau"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{owner}: optimizer must be a backprop.optim.Optimizer, got "
                f"{type(optimizer).__name__}."
            )
        self.optimizer = optimizer
        self.mode = check_choice(owner, "mode", mode, ("min", "max"))
        self.threshold_mode = check_choice(
            owner, "threshold_mode", threshold_mode, ("rel", "abs")
        )
        self.factor = check_real(
            owner, "factor", factor, low=0.0, high=1.0, low_open=True, high_open=True
        )
        self.patience = check_int(owner, "patience", patience, low=0)
        self.threshold = check_real(owner, "threshold", threshold, low=0.0)
        self.cooldown = check_int(owner, "cooldown", cooldown, low=0)
        self.eps = check_real(owner, "eps", eps, low=0.0)
        n_groups = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n_groups:
                raise ValueError(
                    f"{owner}: min_lr must be a number or a list of {n_groups} numbers (one "
                    f"per parameter group), got {len(min_lr)} values."
                )
            self.default_min_lr = None
            self.min_lrs = [check_real(owner, "min_lr", v, low=0.0) for v in min_lr]
        else:
            self.default_min_lr = check_real(owner, "min_lr", min_lr, low=0.0)
            self.min_lrs = [self.default_min_lr] * n_groups
        self.base_lrs = self._current_lrs()
        self._last_lr = self._current_lrs()
        self.last_epoch = 0
        self.best = self.mode_worse
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    _sets_initial_lr = False

    @property
    def mode_worse(self) -> float:
        """The starting ``best``: +inf when minimizing, -inf when maximizing."""
        return math.inf if self.mode == "min" else -math.inf

    @property
    def in_cooldown(self) -> bool:
        """Whether the scheduler is still waiting after its latest decay."""
        return self.cooldown_counter > 0

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def step(self, metric) -> None:  # type: ignore[override]
        """Record one value of the monitored metric and decay the lr if it stalled.

        Parameters
        ----------
        metric : float
            The monitored quantity (anything ``float()`` accepts, e.g. a 0-d array).
        """
        current = float(metric)
        self.last_epoch += 1
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad steps during cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs) and self.default_min_lr is not None:
            self.min_lrs = [self.default_min_lr] * len(groups)
        if len(groups) != len(self.min_lrs):
            raise ValueError(
                f"ReduceLROnPlateau: the optimizer now has {len(groups)} parameter groups "
                f"but min_lrs has {len(self.min_lrs)} entries (a group was added after the "
                "scheduler was created); set scheduler.min_lrs to one value per group."
            )
        for group, min_lr in zip(groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def get_lr(self) -> list[float]:
        return self._current_lrs()

    def _export(self, key: str):
        if key == "best":
            return None if self.best == self.mode_worse else self.best
        if key == "min_lrs":
            return list(self.min_lrs)
        return super()._export(key)

    def _import(self, key: str, value) -> None:
        if key == "best" and value is None:
            value = self.mode_worse
        super()._import(key, value)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        # "mode" must be set before "best" is decoded.
        if "mode" in state_dict:
            self.mode = check_choice(
                "ReduceLROnPlateau", "mode", state_dict["mode"], ("min", "max")
            )
        super().load_state_dict(state_dict)
