"""Learning-rate schedules: the ``LRScheduler`` base and the fixed-formula schedules.

A scheduler is bound to an optimizer and rewrites each group's ``"lr"`` every time
``step()`` is called; how often that is (once per epoch or once per batch) is the
caller's choice, and the schedule's length arguments count those calls.

The formulas are PyTorch's *recursive* forms (each new lr is computed from the current
``group["lr"]``), evaluated in the same order as ``torch.optim.lr_scheduler``, so the
sequences agree with PyTorch to the last bit or two and schedules compose with other
changes made to ``group["lr"]``. Each class's docstring also gives the closed form.

Usage::

    opt = SGD(model.parameters(), lr=0.1)
    sched = StepLR(opt, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(model, opt)      # calls opt.step() per batch
        sched.step()                     # after the optimizer, as in PyTorch

``OneCycleLR`` lives in :mod:`backprop.optim.onecycle` and ``ReduceLROnPlateau`` in
:mod:`backprop.optim.plateau`.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from ._checks import check_int, check_real
from .optimizer import Optimizer

__all__ = [
    "LRScheduler",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "LinearWarmup",
]


class LRScheduler:
    """Base class of learning-rate schedules.

    On construction, every parameter group gets ``group["initial_lr"]`` (its current
    lr, unless already set, e.g. by a loaded optimizer state), ``base_lrs`` records
    these, and one initial ``step()`` sets the epoch-0 learning rates
    (``last_epoch`` becomes 0).

    Attributes
    ----------
    optimizer : Optimizer
        The optimizer whose ``param_groups[i]["lr"]`` this scheduler sets.
    base_lrs : list of float
        The initial learning rate of each group.
    last_epoch : int
        Number of ``step()`` calls since construction (0 right after it).

    Notes
    -----
    Subclasses implement :meth:`get_lr` (the new lrs, given ``last_epoch`` already
    incremented) and list the attribute names they need saved in ``_state_keys``.

    To resume training: build the optimizer and the scheduler as before, then
    ``opt.load_state_dict(...)`` and ``sched.load_state_dict(...)``. The scheduler's
    load also restores the groups' current lrs, so the order of the two loads does
    not matter.
    """

    _state_keys: tuple[str, ...] = ()
    _is_initial: bool = False
    _sets_initial_lr: bool = True

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: optimizer must be a backprop.optim.Optimizer, got "
                f"{type(optimizer).__name__}."
            )
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """Return the learning rate of each group for the current ``last_epoch``."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance the schedule by one and write the new lrs into the optimizer."""
        self.last_epoch += 1
        lrs = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, lrs, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """Return the learning rates set by the latest ``step()``, one per group."""
        return list(self._last_lr)

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Return the schedule's state as plain Python values (JSON-serializable).

        Returns
        -------
        dict
            ``last_epoch``, ``base_lrs``, ``last_lr`` and the schedule's
            hyperparameters (lists, numbers, strings, bools and None only).
        """
        state = {
            "last_epoch": self.last_epoch,
            "base_lrs": list(self.base_lrs),
            "last_lr": list(self._last_lr),
        }
        for key in self._state_keys:
            state[key] = self._export(key)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state produced by :meth:`state_dict` and the groups' lrs with it.

        Raises
        ------
        ValueError
            If keys are missing or the number of learning rates does not match the
            optimizer's number of parameter groups.
        """
        name = type(self).__name__
        required = {"last_epoch", "base_lrs", "last_lr", *self._state_keys}
        missing = required - set(state_dict)
        if missing:
            raise ValueError(
                f"{name}.load_state_dict: the state is missing {sorted(missing)}; it must "
                f"come from {name}.state_dict()."
            )
        n_groups = len(self.optimizer.param_groups)
        for key in ("base_lrs", "last_lr"):
            if len(state_dict[key]) != n_groups:
                raise ValueError(
                    f"{name}.load_state_dict: '{key}' has {len(state_dict[key])} entries, "
                    f"the optimizer has {n_groups} parameter groups."
                )
        self.last_epoch = int(state_dict["last_epoch"])
        self.base_lrs = [float(v) for v in state_dict["base_lrs"]]
        self._last_lr = [float(v) for v in state_dict["last_lr"]]
        for key in self._state_keys:
            self._import(key, state_dict[key])
        for group, base_lr, lr in zip(self.optimizer.param_groups, self.base_lrs, self._last_lr):
            if self._sets_initial_lr:
                group["initial_lr"] = base_lr
            group["lr"] = lr

    # Subclasses whose attributes are not plain values convert them here.
    def _export(self, key: str):
        return getattr(self, key)

    def _import(self, key: str, value) -> None:
        setattr(self, key, value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, last_lr={self._last_lr})"


class StepLR(LRScheduler):
    r"""Multiply the lr by ``gamma`` every ``step_size`` steps.

    .. math:: \eta_t = \eta_0\,\gamma^{\lfloor t / \text{step\_size} \rfloor}

    Parameters
    ----------
    optimizer : Optimizer
    step_size : int
        Period of the decay, >= 1.
    gamma : float, default 0.1
        Multiplicative factor, > 0.
    """

    _state_keys = ("step_size", "gamma")

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = check_int("StepLR", "step_size", step_size, low=1)
        self.gamma = check_real("StepLR", "gamma", gamma, low=0.0, low_open=True)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class MultiStepLR(LRScheduler):
    r"""Multiply the lr by ``gamma`` at each milestone step.

    .. math:: \eta_t = \eta_0\,\gamma^{\#\{m \in \text{milestones} : m \le t\}}

    Parameters
    ----------
    optimizer : Optimizer
    milestones : iterable of int
        Step indices (>= 0) at which to decay; a repeated milestone decays repeatedly.
    gamma : float, default 0.1
        Multiplicative factor, > 0.
    """

    _state_keys = ("milestones", "gamma")

    def __init__(self, optimizer: Optimizer, milestones, gamma: float = 0.1) -> None:
        milestones = list(milestones)
        self.milestones = Counter(
            check_int("MultiStepLR", f"milestones[{i}]", m, low=0) for i, m in enumerate(milestones)
        )
        self.gamma = check_real("MultiStepLR", "gamma", gamma, low=0.0, low_open=True)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._current_lrs()]

    def _export(self, key: str):
        if key == "milestones":
            return sorted(self.milestones.elements())
        return super()._export(key)

    def _import(self, key: str, value) -> None:
        if key == "milestones":
            value = Counter(int(m) for m in value)
        super()._import(key, value)


class ExponentialLR(LRScheduler):
    r"""Multiply the lr by ``gamma`` at every step.

    .. math:: \eta_t = \eta_0\,\gamma^{t}

    Parameters
    ----------
    optimizer : Optimizer
    gamma : float
        Multiplicative factor, > 0.
    """

    _state_keys = ("gamma",)

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = check_real("ExponentialLR", "gamma", gamma, low=0.0, low_open=True)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class CosineAnnealingLR(LRScheduler):
    r"""Anneal the lr from its initial value to ``eta_min`` along a half cosine.

    .. math::

        \eta_t = \eta_{min} + \tfrac12(\eta_0 - \eta_{min})
        \Big(1 + \cos\frac{\pi t}{T_{max}}\Big)

    computed recursively as PyTorch does,
    :math:`\eta_t = \eta_{min} + (\eta_{t-1} - \eta_{min})
    \frac{1 + \cos(\pi t / T_{max})}{1 + \cos(\pi (t-1) / T_{max})}`.
    There are no restarts: past ``T_max`` the lr rises again along the cosine.

    Parameters
    ----------
    optimizer : Optimizer
    T_max : int
        Number of steps of the half period, >= 1.
    eta_min : float, default 0
        Minimum learning rate, >= 0.
    """

    _state_keys = ("T_max", "eta_min")

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = check_int("CosineAnnealingLR", "T_max", T_max, low=1)
        self.eta_min = check_real("CosineAnnealingLR", "eta_min", eta_min, low=0.0)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        t, t_max, eta_min = self.last_epoch, self.T_max, self.eta_min
        if (t - 1 - t_max) % (2 * t_max) == 0:
            # Leaving the minimum: the ratio form would divide by 1 + cos(pi) = 0.
            return [
                lr + (base_lr - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
                for base_lr, lr in zip(self.base_lrs, self._current_lrs())
            ]
        return [
            (1 + math.cos(math.pi * t / t_max))
            / (1 + math.cos(math.pi * (t - 1) / t_max))
            * (lr - eta_min)
            + eta_min
            for lr in self._current_lrs()
        ]


class LinearLR(LRScheduler):
    r"""Scale the lr by a factor moving linearly from ``start_factor`` to ``end_factor``.

    .. math::

        \eta_t = \eta_0 \Big(s + (e - s)\,\frac{\min(t, T)}{T}\Big)

    with :math:`s` = start_factor, :math:`e` = end_factor, :math:`T` = total_iters,
    computed with PyTorch's recursive form. The usual *linear warm-up* is
    ``LinearLR(opt, start_factor=0.01, total_iters=n_warmup)`` (alias
    :data:`LinearWarmup`).

    Parameters
    ----------
    optimizer : Optimizer
    start_factor : float, default 1/3
        Factor at step 0, in (0, 1].
    end_factor : float, default 1.0
        Factor from step ``total_iters`` on, in [0, 1].
    total_iters : int, default 5
        Number of steps of the ramp, >= 1.
    """

    _state_keys = ("start_factor", "end_factor", "total_iters")

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        self.start_factor = check_real(
            "LinearLR", "start_factor", start_factor, low=0.0, low_open=True, high=1.0
        )
        self.end_factor = check_real("LinearLR", "end_factor", end_factor, low=0.0, high=1.0)
        self.total_iters = check_int("LinearLR", "total_iters", total_iters, low=1)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._current_lrs()]
        if self.last_epoch > self.total_iters:
            return self._current_lrs()
        slope = self.end_factor - self.start_factor
        ratio = 1.0 + slope / (
            self.total_iters * self.start_factor + (self.last_epoch - 1) * slope
        )
        return [lr * ratio for lr in self._current_lrs()]


#: Alias of :class:`LinearLR`, named for its most common use.
LinearWarmup = LinearLR
