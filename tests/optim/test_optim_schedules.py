"""Learning-rate schedules without PyTorch: values, validation, serialization."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from backprop import optim


@pytest.fixture
def opt(param_cls):
    return optim.SGD(
        [{"params": [param_cls(np.zeros(2))], "lr": 1.0},
         {"params": [param_cls(np.zeros(2))], "lr": 0.5}], lr=0.1, momentum=0.9
    )  # fmt: skip


def _sequence(sched, n):
    out = [sched.get_last_lr()[0]]
    for _ in range(n):
        sched.step()
        out.append(sched.get_last_lr()[0])
    return out


def test_step_lr_values(opt):
    sched = optim.StepLR(opt, step_size=2, gamma=0.5)
    assert _sequence(sched, 5) == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    assert opt.param_groups[1]["lr"] == 0.125
    assert [g["initial_lr"] for g in opt.param_groups] == [1.0, 0.5]


def test_multistep_lr_values(opt):
    sched = optim.MultiStepLR(opt, milestones=[3, 1, 3], gamma=0.1)
    np.testing.assert_allclose(_sequence(sched, 4), [1.0, 0.1, 0.1, 1e-3, 1e-3], rtol=1e-15)


def test_exponential_lr_values(opt):
    np.testing.assert_allclose(
        _sequence(optim.ExponentialLR(opt, gamma=0.5), 3), [1, 0.5, 0.25, 0.125]
    )


def test_cosine_closed_form(opt):
    t_max, eta_min = 10, 0.1
    seq = _sequence(optim.CosineAnnealingLR(opt, T_max=t_max, eta_min=eta_min), 30)
    closed = [eta_min + (1 - eta_min) * (1 + math.cos(math.pi * t / t_max)) / 2 for t in range(31)]
    np.testing.assert_allclose(seq, closed, rtol=1e-12, atol=1e-15)


def test_linear_warmup_closed_form(opt):
    seq = _sequence(optim.LinearWarmup(opt, start_factor=0.25, total_iters=3), 5)
    np.testing.assert_allclose(seq, [0.25, 0.5, 0.75, 1.0, 1.0, 1.0], rtol=1e-15)


def test_one_cycle_shape(param_cls):
    opt = optim.Adam([param_cls(np.zeros(2))])
    sched = optim.OneCycleLR(opt, max_lr=1.0, total_steps=20, div_factor=10.0,
                             final_div_factor=100.0)  # fmt: skip
    seq = _sequence(sched, 19)
    assert seq[0] == pytest.approx(0.1) and max(seq) == pytest.approx(1.0)
    assert seq[-1] == pytest.approx(0.1 / 100.0)
    assert int(np.argmax(seq)) == 5  # 0.3 * 20 - 1
    assert opt.param_groups[0]["betas"][0] == pytest.approx(0.95)  # back to max_momentum


def test_schedules_compose_with_manual_lr_changes(opt):
    sched = optim.ExponentialLR(opt, gamma=0.5)
    opt.param_groups[0]["lr"] = 10.0  # e.g. a user or another schedule
    sched.step()
    assert sched.get_last_lr()[0] == 5.0


def test_get_last_lr_is_a_copy(opt):
    sched = optim.StepLR(opt, step_size=1)
    sched.get_last_lr().append(3)
    assert len(sched.get_last_lr()) == 2


FACTORIES = {
    "StepLR": lambda o: optim.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda o: optim.MultiStepLR(o, milestones=[2, 5, 5], gamma=0.5),
    "ExponentialLR": lambda o: optim.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda o: optim.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
    "LinearLR": lambda o: optim.LinearLR(o, start_factor=0.2, total_iters=6),
    "OneCycleLR": lambda o: optim.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=30),
    "OneCycleLR-3": lambda o: optim.OneCycleLR(o, max_lr=1.0, total_steps=30, three_phase=True,
                                               anneal_strategy="linear"),  # fmt: skip
}


@pytest.mark.parametrize("key", sorted(FACTORIES))
def test_state_dict_is_json_and_resumes_exactly(key, param_cls):
    def make():
        o = optim.SGD(
            [{"params": [param_cls(np.zeros(2))], "lr": 1.0},
             {"params": [param_cls(np.zeros(2))], "lr": 0.5}], lr=0.1, momentum=0.9
        )  # fmt: skip
        return o, FACTORIES[key](o)

    ref_opt, ref = make()
    expected = _sequence(ref, 25)

    opt, sched = make()
    first = _sequence(sched, 10)
    text = json.dumps({"opt": optim.split_state_dict(opt.state_dict())[0],
                       "sched": sched.state_dict()}, allow_nan=False)  # fmt: skip
    saved = json.loads(text)

    opt2, sched2 = make()
    sched2.load_state_dict(saved["sched"])  # order of the two loads does not matter
    opt2.load_state_dict(optim.merge_state_dict(saved["opt"], {}))
    rest = _sequence(sched2, 15)[1:]
    assert first + rest == expected
    assert sched2.last_epoch == 25
    momentums = [g["momentum"] for g in opt2.param_groups]
    assert momentums == [g["momentum"] for g in ref_opt.param_groups]


def test_plateau_state_dict_is_strict_json(opt):
    sched = optim.ReduceLROnPlateau(opt, mode="max", patience=0, factor=0.5)
    state = json.loads(json.dumps(sched.state_dict(), allow_nan=False))
    assert state["best"] is None
    sched.step(1.0)
    sched.step(0.5)
    state = json.loads(json.dumps(sched.state_dict(), allow_nan=False))
    assert state["best"] == 1.0 and sched.get_last_lr() == [0.5, 0.25]

    fresh = optim.ReduceLROnPlateau(opt, mode="max", patience=0, factor=0.5)
    fresh.load_state_dict(state)
    fresh.step(0.9)  # still worse than 1.0 -> another reduction
    assert fresh.get_last_lr() == [0.25, 0.125]
    empty = optim.ReduceLROnPlateau(opt, mode="max")
    empty.load_state_dict(json.loads(json.dumps(empty.state_dict())))
    assert empty.best == -math.inf


def test_plateau_accepts_array_metrics_and_respects_min_lr(opt):
    sched = optim.ReduceLROnPlateau(opt, patience=0, factor=0.1, min_lr=[0.05, 0.0])
    for metric in [np.array(1.0), np.float32(2.0), 3.0, 4.0]:
        sched.step(metric)
    assert sched.get_last_lr()[0] == 0.05
    assert sched.get_last_lr()[1] == pytest.approx(0.5e-3)


def test_plateau_handles_a_group_added_later(opt, param_cls):
    sched = optim.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    opt.add_param_group({"params": [param_cls(np.zeros(1))], "lr": 0.2})
    sched.step(1.0)
    sched.step(2.0)
    assert sched.get_last_lr() == [0.5, 0.25, 0.1]


INVALID = [
    (lambda o: optim.StepLR(o, step_size=0), "step_size"),
    (lambda o: optim.StepLR(o, step_size=2.5), "step_size"),
    (lambda o: optim.StepLR(o, step_size=2, gamma=0.0), "gamma"),
    (lambda o: optim.MultiStepLR(o, milestones=[1, -2]), r"milestones\[1\]"),
    (lambda o: optim.ExponentialLR(o, gamma=-0.5), "gamma"),
    (lambda o: optim.CosineAnnealingLR(o, T_max=0), "T_max"),
    (lambda o: optim.CosineAnnealingLR(o, T_max=5, eta_min=-1.0), "eta_min"),
    (lambda o: optim.LinearLR(o, start_factor=0.0), "start_factor"),
    (lambda o: optim.LinearLR(o, start_factor=1.5), "start_factor"),
    (lambda o: optim.LinearLR(o, end_factor=1.5), "end_factor"),
    (lambda o: optim.LinearLR(o, total_iters=0), "total_iters"),
    (lambda o: optim.OneCycleLR(o, max_lr=1.0), "total_steps"),
    (lambda o: optim.OneCycleLR(o, max_lr=1.0, total_steps=0), "total_steps"),
    (lambda o: optim.OneCycleLR(o, max_lr=1.0, epochs=0, steps_per_epoch=3), "epochs"),
    (lambda o: optim.OneCycleLR(o, max_lr=-1.0, total_steps=10), "max_lr"),
    (lambda o: optim.OneCycleLR(o, max_lr=[1.0], total_steps=10), "max_lr"),
    (lambda o: optim.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=1.5), "pct_start"),
    (lambda o: optim.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=0.1), "pct_start"),
    (lambda o: optim.OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="exp"),
     "anneal_strategy"),
    (lambda o: optim.OneCycleLR(o, max_lr=1.0, total_steps=10, div_factor=0), "div_factor"),
    (lambda o: optim.OneCycleLR(o, max_lr=1.0, total_steps=10, final_div_factor=-1),
     "final_div_factor"),
    (lambda o: optim.ReduceLROnPlateau(o, mode="best"), "mode"),
    (lambda o: optim.ReduceLROnPlateau(o, threshold_mode="pct"), "threshold_mode"),
    (lambda o: optim.ReduceLROnPlateau(o, factor=1.0), "factor"),
    (lambda o: optim.ReduceLROnPlateau(o, patience=-1), "patience"),
    (lambda o: optim.ReduceLROnPlateau(o, cooldown=-1), "cooldown"),
    (lambda o: optim.ReduceLROnPlateau(o, threshold=-1e-4), "threshold"),
    (lambda o: optim.ReduceLROnPlateau(o, min_lr=[0.1]), "min_lr"),
    (lambda o: optim.ReduceLROnPlateau(o, eps=-1.0), "eps"),
]  # fmt: skip


@pytest.mark.parametrize("make, argument", INVALID, ids=[a for _, a in INVALID])
def test_invalid_schedule_arguments(make, argument, opt):
    lrs = [g["lr"] for g in opt.param_groups]
    with pytest.raises(ValueError, match=argument):
        make(opt)
    assert [g["lr"] for g in opt.param_groups] == lrs


def test_one_cycle_momentum_needs_momentum(param_cls):
    adagrad = optim.Adagrad([param_cls(np.zeros(2))])
    with pytest.raises(ValueError, match="cycle_momentum"):
        optim.OneCycleLR(adagrad, max_lr=1.0, total_steps=10)
    optim.OneCycleLR(adagrad, max_lr=1.0, total_steps=10, cycle_momentum=False)


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="Optimizer"):
        optim.StepLR(object(), step_size=1)
    with pytest.raises(TypeError, match="Optimizer"):
        optim.ReduceLROnPlateau(object())


def test_load_state_dict_checks_keys_and_group_count(opt, param_cls):
    sched = optim.StepLR(opt, step_size=2)
    with pytest.raises(ValueError, match="missing"):
        sched.load_state_dict({"last_epoch": 3})
    state = sched.state_dict()
    state["base_lrs"] = [1.0]
    with pytest.raises(ValueError, match="2 parameter groups"):
        sched.load_state_dict(state)
