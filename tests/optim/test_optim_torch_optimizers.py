"""Every optimizer and option combination against ``torch.optim`` (float64, 100 steps)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from backprop import optim  # noqa: E402

pytestmark = pytest.mark.torch

N_STEPS = 100
RTOL = 1e-10


def _sgd_configs():
    for momentum, dampening, nesterov, wd, maximize in itertools.product(
        [0.0, 0.9], [0.0, 0.2], [False, True], [0.0, 0.01], [False, True]
    ):
        if nesterov and (momentum == 0 or dampening != 0):
            continue
        yield dict(lr=0.05, momentum=momentum, dampening=dampening, nesterov=nesterov,
                   weight_decay=wd, maximize=maximize)  # fmt: skip


def _rmsprop_configs():
    for alpha, momentum, centered, wd, maximize in itertools.product(
        [0.99, 0.9], [0.0, 0.8], [False, True], [0.0, 0.01], [False, True]
    ):
        yield dict(lr=0.005, alpha=alpha, momentum=momentum, centered=centered,
                   weight_decay=wd, maximize=maximize)  # fmt: skip


def _adagrad_configs():
    for lr_decay, wd, init_acc, maximize in itertools.product(
        [0.0, 0.05], [0.0, 0.01], [0.0, 0.1], [False, True]
    ):
        yield dict(lr=0.1, lr_decay=lr_decay, weight_decay=wd,
                   initial_accumulator_value=init_acc, maximize=maximize)  # fmt: skip


def _adam_configs():
    # betas[0] = 0.3 exercises the other branch of torch.lerp (weight 1 - beta1 >= 0.5).
    for betas, wd, amsgrad, maximize in itertools.product(
        [(0.9, 0.999), (0.3, 0.8)], [0.0, 0.05], [False, True], [False, True]
    ):
        yield dict(lr=0.01, betas=betas, weight_decay=wd, amsgrad=amsgrad, maximize=maximize)


CASES = (
    [("SGD", c) for c in _sgd_configs()]
    + [("RMSprop", c) for c in _rmsprop_configs()]
    + [("Adagrad", c) for c in _adagrad_configs()]
    + [("Adam", c) for c in _adam_configs()]
    + [("AdamW", c) for c in _adam_configs()]
)


def _case_id(case):
    name, config = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in config.items() if k != "lr")


def _rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max |b|: relative to the array's scale, robust to zero entries."""
    scale = max(float(np.max(np.abs(b))), 1e-300)
    return float(np.max(np.abs(a - b))) / scale


def _run_both(name, groups_kwargs, config, net, feed):
    """Run ours and torch's optimizer side by side; return both parameter lists."""
    ours = net.params()
    theirs = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in net.init]
    sign = -1.0 if config.get("maximize") else 1.0  # maximize -L: both still descend L

    def groups(params):
        if groups_kwargs is None:
            return params
        return [{"params": [params[i] for i in idx], **kw} for idx, kw in groups_kwargs]

    our_opt = getattr(optim, name)(groups(ours), **config)
    torch_opt = getattr(torch.optim, name)(groups(theirs), **config, foreach=False)
    for step in range(N_STEPS):
        feed(ours, net, step, sign)
        our_opt.step()
        with torch.no_grad():
            values = [t.detach().numpy() for t in theirs]
            grads = net.grads(*values, sign=sign)
            for i, (t, g) in enumerate(zip(theirs, grads)):
                t.grad = None if (i == 3 and step % 3 == 2) else torch.from_numpy(g)
        torch_opt.step()
    return our_opt, torch_opt, ours, theirs


def _assert_match(our_opt, torch_opt, ours, theirs):
    for i, (p, t) in enumerate(zip(ours, theirs)):
        diff = _rel_diff(p.data, t.detach().numpy())
        assert diff <= RTOL, f"parameter {i}: relative difference {diff:.3g}"
        their_state = torch_opt.state[t]
        our_state = our_opt.state[p]
        for key, value in their_state.items():
            if isinstance(value, torch.Tensor) and value.ndim == 0:
                assert our_state[key] == value.item(), key
            else:
                d = _rel_diff(our_state[key], value.numpy())
                assert d <= RTOL, f"parameter {i} state {key}: relative difference {d:.3g}"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matches_torch_for_every_option(case, net, feed):
    name, config = case
    result = _run_both(name, None, config, net, feed)
    assert net.loss(*[p.data for p in result[2]]) < net.loss(*net.init)  # it learned
    _assert_match(*result)


GROUPS = {
    "SGD": ({"lr": 0.02, "momentum": 0.9}, [((0, 1), {"lr": 0.1}), ((2, 3), {"nesterov": True})]),
    "RMSprop": ({"lr": 0.005}, [((0, 1), {"lr": 0.001, "centered": True}), ((2, 3), {})]),
    "Adagrad": ({"lr": 0.1}, [((0, 1), {}), ((2, 3), {"lr": 0.03, "lr_decay": 0.1})]),
    "Adam": ({"lr": 0.01}, [((0, 1), {"lr": 0.002}), ((2, 3), {"amsgrad": True})]),
    "AdamW": ({"lr": 0.01}, [((0, 1), {"weight_decay": 0.1}), ((2, 3), {"lr": 0.03})]),
}


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_param_groups_with_different_hyperparameters_match_torch(name, net, feed):
    config, groups = GROUPS[name]
    _assert_match(*_run_both(name, groups, config, net, feed))


def test_factory_names_build_torch_equivalents(net, feed):
    momentum = optim.get_optimizer("momentum", net.params(), lr=0.1)
    nesterov = optim.get_optimizer("nesterov", net.params(), lr=0.1)
    assert momentum.defaults["momentum"] == 0.9 and not momentum.defaults["nesterov"]
    assert nesterov.defaults["momentum"] == 0.9 and nesterov.defaults["nesterov"]
    _assert_match(
        *_run_both("SGD", None, dict(lr=0.05, momentum=0.9, nesterov=True), net, feed)
    )
