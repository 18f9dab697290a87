"""Every learning-rate schedule's sequence against ``torch.optim.lr_scheduler``."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from backprop import optim  # noqa: E402

pytestmark = pytest.mark.torch

N_STEPS = 50
LRS = (0.1, 0.03)  # two parameter groups with different learning rates


def _optimizers(param_cls, opt_name="SGD", **kwargs):
    ours = getattr(optim, opt_name)(
        [{"params": [param_cls(np.zeros(2))], "lr": lr} for lr in LRS], **kwargs
    )
    theirs = getattr(torch.optim, opt_name)(
        [{"params": [torch.zeros(2, dtype=torch.float64, requires_grad=True)], "lr": lr}
         for lr in LRS], **kwargs
    )  # fmt: skip
    return ours, theirs


def _close(a, b, tol=1e-12):
    return all(abs(x - y) <= tol * max(abs(y), 1e-300) for x, y in zip(a, b, strict=True))


SCHEDULES = {
    "StepLR": dict(step_size=7, gamma=0.5),
    "MultiStepLR": dict(milestones=[0, 5, 12, 12, 30], gamma=0.3),
    "ExponentialLR": dict(gamma=0.93),
    "CosineAnnealingLR": dict(T_max=20, eta_min=0.001),
    "CosineAnnealingLR-T1": dict(T_max=1),
    "LinearLR": dict(start_factor=0.1, end_factor=1.0, total_iters=10),
    "LinearLR-decay": dict(start_factor=1.0, end_factor=0.2, total_iters=30),
    "OneCycleLR": dict(max_lr=[0.5, 0.2], total_steps=N_STEPS, cycle_momentum=False),
    "OneCycleLR-linear": dict(max_lr=0.4, total_steps=N_STEPS, anneal_strategy="linear",
                              cycle_momentum=False),  # fmt: skip
    "OneCycleLR-3phase": dict(max_lr=0.4, total_steps=N_STEPS, pct_start=0.25,
                              three_phase=True, cycle_momentum=False),  # fmt: skip
    "OneCycleLR-epochs": dict(max_lr=0.3, epochs=5, steps_per_epoch=10, div_factor=10.0,
                              final_div_factor=100.0, cycle_momentum=False),  # fmt: skip
}


@pytest.mark.parametrize("key", sorted(SCHEDULES))
def test_lr_sequence_matches_torch(key, param_cls):
    name = key.split("-")[0]
    ours_opt, torch_opt = _optimizers(param_cls)
    ours = getattr(optim, name)(ours_opt, **SCHEDULES[key])
    theirs = getattr(torch.optim.lr_scheduler, name)(torch_opt, **SCHEDULES[key])
    assert _close(ours.get_last_lr(), theirs.get_last_lr())
    for _ in range(N_STEPS):
        ours_opt.step()
        torch_opt.step()
        ours.step()
        theirs.step()
        assert _close(ours.get_last_lr(), theirs.get_last_lr()), ours.last_epoch
        assert _close([g["lr"] for g in ours_opt.param_groups],
                      [g["lr"] for g in torch_opt.param_groups])  # fmt: skip
    assert ours.last_epoch == theirs.last_epoch == N_STEPS


def test_linear_warmup_is_linear_lr():
    assert optim.LinearWarmup is optim.LinearLR


@pytest.mark.parametrize("opt_name, kwargs", [("SGD", {"momentum": 0.9}), ("Adam", {})])
@pytest.mark.parametrize("three_phase", [False, True])
def test_one_cycle_momentum_matches_torch(opt_name, kwargs, three_phase, param_cls):
    ours_opt, torch_opt = _optimizers(param_cls, opt_name, **kwargs)
    config = dict(max_lr=0.5, total_steps=40, three_phase=three_phase,
                  base_momentum=0.8, max_momentum=[0.95, 0.9])  # fmt: skip
    ours = optim.OneCycleLR(ours_opt, **config)
    theirs = torch.optim.lr_scheduler.OneCycleLR(torch_opt, **config)
    key = "betas" if opt_name == "Adam" else "momentum"
    for _ in range(40):
        ours_opt.step()
        torch_opt.step()
        ours.step()
        theirs.step()
        assert _close(ours.get_last_lr(), theirs.get_last_lr())
        for ours_group, torch_group in zip(ours_opt.param_groups, torch_opt.param_groups):
            mine, other = ours_group[key], torch_group[key]
            if key == "betas":
                assert _close(list(mine), list(other))
            else:
                assert _close([mine], [other])
    with pytest.raises(ValueError, match="total_steps"):
        ours.step()


METRICS = np.concatenate(
    [np.linspace(1.0, 0.6, 8), np.full(12, 0.6), [0.59999, 0.5999], np.full(9, 0.7),
     [float("nan")], np.linspace(0.7, 0.3, 5), np.full(13, 0.31)]  # fmt: skip
)

PLATEAU = {
    "default": dict(),
    "min-rel": dict(mode="min", factor=0.5, patience=2, threshold=1e-3),
    "min-abs-cooldown": dict(mode="min", factor=0.3, patience=1, threshold=0.01,
                             threshold_mode="abs", cooldown=3),  # fmt: skip
    "max-rel": dict(mode="max", factor=0.5, patience=3),
    "max-abs-minlr": dict(mode="max", factor=0.2, patience=0, threshold_mode="abs",
                          min_lr=[0.01, 0.005]),  # fmt: skip
    "eps": dict(factor=0.5, patience=0, min_lr=0.02, eps=1e-3),
}


@pytest.mark.parametrize("key", sorted(PLATEAU))
def test_reduce_lr_on_plateau_matches_torch(key, param_cls):
    ours_opt, torch_opt = _optimizers(param_cls)
    ours = optim.ReduceLROnPlateau(ours_opt, **PLATEAU[key])
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(torch_opt, **PLATEAU[key])
    lrs_seen = set()
    for metric in METRICS:
        ours.step(metric)
        theirs.step(metric)
        assert _close(ours.get_last_lr(), theirs.get_last_lr())
        assert ours.num_bad_epochs == theirs.num_bad_epochs
        assert ours.cooldown_counter == theirs.cooldown_counter
        lrs_seen.add(ours.get_last_lr()[0])
    assert len(lrs_seen) > 1  # the sequence really triggers reductions


def test_schedule_state_round_trip_continues_like_torch(param_cls):
    """Save mid-way, rebuild, load: the continuation still matches torch."""
    config = dict(T_max=15, eta_min=0.002)
    ours_opt, torch_opt = _optimizers(param_cls)
    ours = optim.CosineAnnealingLR(ours_opt, **config)
    theirs = torch.optim.lr_scheduler.CosineAnnealingLR(torch_opt, **config)
    for _ in range(10):
        torch_opt.step()
        theirs.step()
        ours.step()
    saved_opt, saved_sched = ours_opt.state_dict(), ours.state_dict()
    fresh_opt, _ = _optimizers(param_cls)
    fresh = optim.CosineAnnealingLR(fresh_opt, **config)
    fresh_opt.load_state_dict(saved_opt)
    fresh.load_state_dict(saved_sched)
    for _ in range(25):
        torch_opt.step()
        theirs.step()
        fresh.step()
        assert _close(fresh.get_last_lr(), theirs.get_last_lr())
