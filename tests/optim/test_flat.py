"""The flat (one call for all parameters) optimizer path is bit-identical to the per-parameter one."""

import numpy as np
import pytest

from backprop.optim import SGD, Adagrad, Adam, AdamW, RMSprop, flatten_parameters


class Param:
    def __init__(self, data):
        self.data = data
        self.grad = None


CONFIGS = [
    (SGD, dict(lr=0.1)),
    (SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (SGD, dict(lr=0.1, momentum=0.9, dampening=0.2)),
    (RMSprop, dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1)),
    (Adagrad, dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
    (Adam, dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    (AdamW, dict(lr=0.01)),
]
SHAPES = [(4, 3), (4,), (2, 4), (2,)]


def _params(seed, dtype):
    rng = np.random.default_rng(seed)
    return [Param(rng.standard_normal(shape).astype(dtype)) for shape in SHAPES]


def _gradients(step, dtype):
    rng = np.random.default_rng(1000 + step)
    return [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]


def _give_grads(params, grads, layout=None):
    for i, (p, g) in enumerate(zip(params, grads)):
        if layout is None:
            p.grad = g.copy()
        else:
            layout.grad_views[i][...] = g
            p.grad = layout.grad_views[i]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls,kwargs", CONFIGS, ids=[f"{c.__name__}-{i}" for i, (c, _) in enumerate(CONFIGS)])
def test_flat_path_is_bit_identical_including_switches_and_reload(cls, kwargs, dtype):
    reference, flat = _params(0, dtype), _params(0, dtype)
    opt_ref, opt_flat = cls(reference, **kwargs), cls(flat, **kwargs)
    layout = flatten_parameters(flat)
    opt_flat.attach_flat(layout)
    for step in range(30):
        grads = _gradients(step, dtype)
        _give_grads(reference, grads)
        # steps 10-14 take the per-parameter path (fresh grad arrays), the rest the flat one
        _give_grads(flat, grads, None if 10 <= step < 15 else layout)
        opt_ref.step()
        opt_flat.step()
        if step == 20:  # a reload in the middle (as resume does)
            opt_flat.load_state_dict(opt_flat.state_dict())
    for p, q in zip(reference, flat):
        np.testing.assert_array_equal(p.data, q.data)
        assert q.data.dtype == dtype
    ref_state, flat_state = opt_ref.state_dict(), opt_flat.state_dict()
    assert ref_state["state"].keys() == flat_state["state"].keys()
    for index, entries in ref_state["state"].items():
        for key, value in entries.items():
            np.testing.assert_array_equal(flat_state["state"][index][key], value, err_msg=key)


def test_flat_path_really_runs_and_keeps_parameters_as_views():
    params = _params(1, np.float32)
    opt = SGD(params, lr=0.1, momentum=0.9)
    layout = flatten_parameters(params)
    opt.attach_flat(layout)
    _give_grads(params, _gradients(0, np.float32), layout)
    opt.step()
    assert opt._flat_state is not None and np.shares_memory(params[0].data, layout.data)
    assert np.shares_memory(opt.state[params[2]]["momentum_buffer"], opt._flat_state["momentum_buffer"])


def test_mixed_dtypes_are_not_flattened():
    params = [Param(np.ones(2, np.float32)), Param(np.ones(2, np.float64))]
    assert flatten_parameters(params) is None
