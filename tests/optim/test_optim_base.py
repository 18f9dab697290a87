"""The Optimizer contract: groups, state, in-place updates, dtypes, errors, state_dict."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from backprop import optim

# One configuration per optimizer that creates every kind of state it has.
FULL_STATE = {
    "SGD": dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    "RMSprop": dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.01),
    "Adagrad": dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1),
    "Adam": dict(lr=0.01, amsgrad=True, weight_decay=0.01),
    "AdamW": dict(lr=0.01, amsgrad=True),
}
NAMES = sorted(FULL_STATE)


def _train(opt, params, net, feed, steps, start=0):
    for step in range(start, start + steps):
        feed(params, net, step)
        opt.step()


# --------------------------------------------------------------- construction errors
def test_no_parameters_is_a_clear_error():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam(iter(()))


def test_params_must_be_an_ordered_iterable(param_cls):
    p = param_cls(np.zeros(2))
    with pytest.raises(TypeError, match="wrap it in a list"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="set"):
        optim.SGD({1, 2}, lr=0.1)
    with pytest.raises(TypeError, match=r"\.data and \.grad"):
        optim.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(TypeError, match="floating-point"):
        optim.SGD([param_cls(np.zeros(2, dtype=np.int64))], lr=0.1)


def test_duplicate_parameters_are_rejected(param_cls):
    p, q = param_cls(np.zeros(2)), param_cls(np.zeros(2))
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([p, q, p], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([{"params": [p]}, {"params": [q, p]}], lr=0.1)


def test_generator_of_parameters_is_consumed_once(param_cls):
    params = [param_cls(np.zeros(2)) for _ in range(3)]
    opt = optim.Adam(p for p in params)
    held = opt.param_groups[0]["params"]
    assert len(held) == 3 and all(a is b for a, b in zip(held, params))


# --------------------------------------------------------------- parameter groups
def test_groups_take_defaults_unless_overridden(param_cls):
    a, b = param_cls(np.zeros(2)), param_cls(np.zeros(3))
    opt = optim.SGD([{"params": [a], "lr": 0.5}, {"params": b}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.1]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.9]
    assert opt.param_groups[1]["params"][0] is b  # a single parameter is wrapped


def test_add_param_group_validates_before_changing_anything(param_cls):
    a, b = param_cls(np.zeros(2)), param_cls(np.zeros(2))
    opt = optim.SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="lr"):
        opt.add_param_group({"params": [b], "lr": -1.0})
    with pytest.raises(ValueError, match="more than once"):
        opt.add_param_group({"params": [b, a]})
    with pytest.raises(ValueError, match="nesterov"):
        opt.add_param_group({"params": [b], "nesterov": True})
    assert len(opt.param_groups) == 1
    opt.add_param_group({"params": [b], "momentum": 0.5})
    assert opt.param_groups[1]["momentum"] == 0.5 and opt.param_groups[1]["lr"] == 0.1


# --------------------------------------------------------------- stepping
def test_zero_grad(param_cls):
    p = param_cls(np.zeros(3), np.ones(3))
    q = param_cls(np.zeros(2), None)
    opt = optim.SGD([p, q], lr=0.1)
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and not grad.any() and q.grad is None
    opt.zero_grad()
    assert p.grad is None and q.grad is None


@pytest.mark.parametrize("name", NAMES)
def test_parameters_without_grad_are_skipped_and_get_no_state(name, param_cls):
    p = param_cls(np.ones(3), np.full(3, 0.5))
    q = param_cls(np.ones(2), None)
    opt = getattr(optim, name)([p, q], **FULL_STATE[name])
    opt.step()
    assert p in opt.state and q not in opt.state
    np.testing.assert_array_equal(q.data, np.ones(2))
    assert not np.array_equal(p.data, np.ones(3))


@pytest.mark.parametrize("name", NAMES)
def test_updates_are_in_place(name, net, feed):
    params = net.params()
    arrays = [p.data for p in params]
    opt = getattr(optim, name)(params, **FULL_STATE[name])
    _train(opt, params, net, feed, 5)
    assert all(p.data is a for p, a in zip(params, arrays))
    assert not np.array_equal(params[0].data, net.init[0])


def test_gradient_must_match_parameter(param_cls):
    p = param_cls(np.zeros(3, dtype=np.float32), np.zeros(4, dtype=np.float32))
    opt = optim.Adam([p])
    with pytest.raises(ValueError, match=r"shape \(3,\).*shape \(4,\)"):
        opt.step()
    p.grad = np.zeros(3, dtype=np.float64)
    with pytest.raises(ValueError, match="float32.*float64"):
        opt.step()
    assert p not in opt.state  # nothing half-written


def test_closure_is_called_and_its_loss_returned(param_cls):
    p = param_cls(np.zeros(2), np.ones(2))
    calls = []
    loss = optim.SGD([p], lr=0.1).step(lambda: calls.append(1) or 3.5)
    assert loss == 3.5 and calls == [1]


def test_state_is_keyed_by_identity_for_unhashable_parameters(param_cls):
    p, q = param_cls(np.zeros(2), np.ones(2)), param_cls(np.zeros(2), np.ones(2))
    with pytest.raises(TypeError):
        hash(p)
    opt = optim.SGD([p, q], lr=0.1, momentum=0.9)
    opt.step()
    assert len(opt.state) == 2 and list(opt.state) == [p, q]
    assert opt.state[p] is not opt.state[q]


# --------------------------------------------------------------- dtypes
@pytest.mark.parametrize("name", NAMES)
def test_float32_parameters_keep_float32_data_and_state(name, net, feed):
    params = net.params(np.float32)
    # NumPy float64 scalars as hyperparameters would upcast float32 arrays if kept.
    config = {k: (np.float64(v) if type(v) is float else v) for k, v in FULL_STATE[name].items()}
    opt = getattr(optim, name)(params, **config)
    _train(opt, params, net, feed, 5)
    for p in params:
        assert p.data.dtype == np.float32
        arrays = [v for v in opt.state[p].values() if isinstance(v, np.ndarray)]
        assert arrays and all(a.dtype == np.float32 for a in arrays)
    assert all(type(v) in (float, bool, tuple) for v in opt.param_groups[0].values()
               if not isinstance(v, list))  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_float32_tracks_float64_run(name, net, feed):
    p32, p64 = net.params(np.float32), net.params(np.float64)
    opt32 = getattr(optim, name)(p32, **FULL_STATE[name])
    opt64 = getattr(optim, name)(p64, **FULL_STATE[name])
    _train(opt32, p32, net, feed, 20)
    _train(opt64, p64, net, feed, 20)
    for a, b in zip(p32, p64):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-3, atol=1e-4)


# --------------------------------------------------------------- state_dict
def _jsonable(obj):
    """Replace arrays by their shape, then dump as strict JSON."""
    if isinstance(obj, np.ndarray):
        return list(obj.shape)
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_is_plain_values_and_arrays(name, net, feed):
    params = net.params()
    opt = getattr(optim, name)(params, **FULL_STATE[name])
    _train(opt, params, net, feed, 3)
    state = opt.state_dict()
    assert set(state) == {"param_groups", "state"}
    assert state["param_groups"][0]["params"] == [0, 1, 2, 3]
    assert sorted(state["state"]) == [0, 1, 2, 3]

    def check(value):
        assert value is None or isinstance(value, (bool, int, float, str, np.ndarray)), value

    for group in state["param_groups"]:
        for value in group.values():
            for item in value if isinstance(value, (list, tuple)) else [value]:
                check(item)
    for entries in state["state"].values():
        for value in entries.values():
            check(value)
    json.dumps(_jsonable(state), allow_nan=False)
    # a copy: changing it leaves the optimizer alone
    first_array = next(v for v in state["state"][0].values() if isinstance(v, np.ndarray))
    first_array[...] = 7
    assert not any(
        np.any(v == 7) for v in opt.state[params[0]].values() if isinstance(v, np.ndarray)
    )


def _via_json_and_npz(state):
    meta, arrays = optim.split_state_dict(state)
    text = json.dumps(meta, allow_nan=False)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as npz:
        return optim.merge_state_dict(json.loads(text), npz)


def _train_scheduled(opt, sched, params, net, feed, steps, start=0):
    for step in range(start, start + steps):
        feed(params, net, step)
        opt.step()
        sched.step()


@pytest.mark.parametrize("through_files", [False, True], ids=["direct", "json+npz"])
@pytest.mark.parametrize("name", NAMES)
def test_resume_is_bit_identical_to_uninterrupted_run(name, through_files, net, feed):
    config = FULL_STATE[name]
    reference = net.params()
    ref_opt = getattr(optim, name)(reference, **config)
    ref_sched = optim.CosineAnnealingLR(ref_opt, T_max=15)
    _train_scheduled(ref_opt, ref_sched, reference, net, feed, 20)

    first = net.params()
    opt = getattr(optim, name)(first, **config)
    sched = optim.CosineAnnealingLR(opt, T_max=15)
    _train_scheduled(opt, sched, first, net, feed, 10)
    saved_opt, saved_sched = opt.state_dict(), json.loads(json.dumps(sched.state_dict()))
    if through_files:
        saved_opt = _via_json_and_npz(saved_opt)

    resumed = [type(p)(p.data.copy()) for p in first]
    fresh = getattr(optim, name)(resumed, **{**config, "lr": 123.0})  # lr comes from the state
    fresh_sched = optim.CosineAnnealingLR(fresh, T_max=15)
    fresh.load_state_dict(saved_opt)
    fresh_sched.load_state_dict(saved_sched)
    _train_scheduled(fresh, fresh_sched, resumed, net, feed, 10, start=10)

    for a, b in zip(resumed, reference):
        np.testing.assert_array_equal(a.data, b.data)
    for a, b in zip(resumed, reference):
        for key, value in ref_opt.state[b].items():
            np.testing.assert_array_equal(fresh.state[a][key], value)
    assert fresh_sched.get_last_lr() == ref_sched.get_last_lr()


def test_load_state_dict_accepts_string_keys_and_casts_to_param_dtype(param_cls):
    p = param_cls(np.ones(3, dtype=np.float32), np.full(3, 0.5, dtype=np.float32))
    opt = optim.Adam([p])
    opt.step()
    state = opt.state_dict()
    state["state"] = {"0": {k: (v.astype(np.float64) if isinstance(v, np.ndarray) else v)
                            for k, v in state["state"][0].items()}}  # fmt: skip
    state["param_groups"][0]["betas"] = list(state["param_groups"][0]["betas"])
    opt.load_state_dict(state)
    assert opt.state[p]["exp_avg"].dtype == np.float32
    assert opt.param_groups[0]["betas"] == (0.9, 0.999)


def test_load_state_dict_rejects_mismatches_without_changing_anything(param_cls):
    a, b = param_cls(np.zeros(2), np.ones(2)), param_cls(np.zeros(3), np.ones(3))
    opt = optim.SGD([a, b], lr=0.1, momentum=0.9)
    opt.step()
    good = opt.state_dict()
    before = opt.state_dict()

    wrong_shape = opt.state_dict()
    wrong_shape["param_groups"][0]["lr"] = 0.7
    wrong_shape["state"][1]["momentum_buffer"] = np.zeros(4)
    with pytest.raises(ValueError, match=r"shape \(4,\).*shape \(3,\)"):
        opt.load_state_dict(wrong_shape)
    assert opt.param_groups[0]["lr"] == 0.1  # untouched

    with pytest.raises(ValueError, match="parameter index"):
        opt.load_state_dict({"param_groups": good["param_groups"], "state": {5: {}}})
    with pytest.raises(ValueError, match="groups"):
        opt.load_state_dict({"param_groups": good["param_groups"] * 2, "state": {}})
    small = optim.SGD([param_cls(np.zeros(2))], lr=0.1)
    with pytest.raises(ValueError, match="has 2 parameters"):
        small.load_state_dict(good)
    bad_lr = opt.state_dict()
    bad_lr["param_groups"][0]["lr"] = -1
    with pytest.raises(ValueError, match="lr"):
        opt.load_state_dict(bad_lr)
    with pytest.raises(ValueError, match="param_groups"):
        opt.load_state_dict({"state": {}})
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    np.testing.assert_array_equal(after["state"][1]["momentum_buffer"],
                                  before["state"][1]["momentum_buffer"])  # fmt: skip


# --------------------------------------------------------------- hyperparameter checks
INVALID = [
    ("SGD", dict(lr=-0.1), "lr"),
    ("SGD", dict(lr=float("nan")), "lr"),
    ("SGD", dict(lr="0.1"), "lr"),
    ("SGD", dict(lr=0.1, momentum=-0.5), "momentum"),
    ("SGD", dict(lr=0.1, weight_decay=-1e-4), "weight_decay"),
    ("SGD", dict(lr=0.1, nesterov=True), "nesterov"),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "nesterov"),
    ("SGD", dict(lr=0.1, nesterov=1), "nesterov"),
    ("SGD", dict(lr=0.1, maximize="yes"), "maximize"),
    ("RMSprop", dict(lr=-1.0), "lr"),
    ("RMSprop", dict(alpha=1.5), "alpha"),
    ("RMSprop", dict(alpha=-0.1), "alpha"),
    ("RMSprop", dict(eps=-1e-8), "eps"),
    ("RMSprop", dict(momentum=-0.1), "momentum"),
    ("RMSprop", dict(weight_decay=-0.1), "weight_decay"),
    ("RMSprop", dict(centered=None), "centered"),
    ("Adagrad", dict(lr=-0.01), "lr"),
    ("Adagrad", dict(lr_decay=-0.1), "lr_decay"),
    ("Adagrad", dict(weight_decay=-0.1), "weight_decay"),
    ("Adagrad", dict(initial_accumulator_value=-1.0), "initial_accumulator_value"),
    ("Adagrad", dict(eps=-1.0), "eps"),
    ("Adam", dict(lr=-1e-3), "lr"),
    ("Adam", dict(betas=(1.0, 0.999)), r"betas\[0\]"),
    ("Adam", dict(betas=(0.9, -0.1)), r"betas\[1\]"),
    ("Adam", dict(betas=0.9), "betas"),
    ("Adam", dict(eps=-1e-8), "eps"),
    ("Adam", dict(weight_decay=-0.01), "weight_decay"),
    ("Adam", dict(amsgrad="no"), "amsgrad"),
    ("AdamW", dict(weight_decay=-0.01), "weight_decay"),
    ("AdamW", dict(betas=(0.9, 1.0)), r"betas\[1\]"),
]


@pytest.mark.parametrize("name, kwargs, argument", INVALID,
                         ids=[f"{n}-{a}-{i}" for i, (n, _, a) in enumerate(INVALID)])  # fmt: skip
def test_invalid_hyperparameters_raise_value_error_naming_them(name, kwargs, argument, param_cls):
    with pytest.raises(ValueError, match=argument) as info:
        getattr(optim, name)([param_cls(np.zeros(2))], **kwargs)
    assert name in str(info.value) and "got" in str(info.value)


def test_invalid_group_override_is_caught(param_cls):
    with pytest.raises(ValueError, match="momentum"):
        optim.SGD([{"params": [param_cls(np.zeros(2))], "momentum": -1}], lr=0.1)


# --------------------------------------------------------------- factory
@pytest.mark.parametrize(
    "name, cls, expected",
    [
        ("sgd", optim.SGD, {"momentum": 0.0}),
        ("momentum", optim.SGD, {"momentum": 0.9, "nesterov": False}),
        ("Nesterov", optim.SGD, {"momentum": 0.9, "nesterov": True}),
        ("rmsprop", optim.RMSprop, {"alpha": 0.99}),
        ("adagrad", optim.Adagrad, {"lr_decay": 0.0}),
        ("ADAM", optim.Adam, {"weight_decay": 0.0}),
        ("adamw", optim.AdamW, {"weight_decay": 1e-2}),
    ],
)
def test_get_optimizer(name, cls, expected, param_cls):
    opt = optim.get_optimizer(name, [param_cls(np.zeros(2))], lr=0.05)
    assert type(opt) is cls and opt.defaults["lr"] == 0.05
    assert {k: opt.defaults[k] for k in expected} == expected


def test_get_optimizer_overrides_and_unknown_names(param_cls):
    opt = optim.get_optimizer("momentum", [param_cls(np.zeros(2))], lr=0.1, momentum=0.5)
    assert opt.defaults["momentum"] == 0.5
    with pytest.raises(ValueError, match="adamw.*got 'adamax'"):
        optim.get_optimizer("adamax", [param_cls(np.zeros(2))])
