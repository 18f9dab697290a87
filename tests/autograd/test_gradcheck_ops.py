"""Every primitive passes finite-difference gradcheck over a zoo of shapes and axes (float64)."""

import numpy as np
import pytest

import backprop as bp
from backprop.inspect import gradcheck

from .op_cases import AXES, BINARY, BROADCAST_PAIRS, REDUCTIONS, SHAPES, STRUCTURAL, UNARY


def _leaf(rng, sampler, shape):
    return bp.tensor(np.asarray(sampler(rng, shape), dtype=np.float64), requires_grad=True)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name,fn,_torch_fn,sampler", UNARY, ids=[c[0] for c in UNARY])
def test_unary_ops(rng, name, fn, _torch_fn, sampler, shape):
    assert gradcheck(fn, [_leaf(rng, sampler, shape)])


@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=str)
@pytest.mark.parametrize("name,fn,_torch_fn,sample_a,sample_b", BINARY, ids=[c[0] for c in BINARY])
def test_binary_ops_with_broadcasting(rng, name, fn, _torch_fn, sample_a, sample_b, shapes):
    a = _leaf(rng, sample_a, shapes[0])
    b = _leaf(rng, sample_b, shapes[1])
    assert gradcheck(fn, [a, b])


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name,fn,_kind,sampler", REDUCTIONS, ids=[c[0] for c in REDUCTIONS])
def test_reductions_every_axis(rng, name, fn, _kind, sampler, shape, keepdims):
    for axis in AXES[shape]:
        if name == "var" and axis is None and shape == ():
            continue
        x = _leaf(rng, sampler, shape)
        assert gradcheck(lambda t: fn(t, axis, keepdims), [x]), (axis, keepdims)


@pytest.mark.parametrize("name,fn,_torch_fn,shapes,sampler", STRUCTURAL, ids=[c[0] for c in STRUCTURAL])
def test_structural_and_matrix_ops(rng, name, fn, _torch_fn, shapes, sampler):
    inputs = [_leaf(rng, sampler, s) for s in shapes]
    assert gradcheck(fn, inputs)


def test_only_some_inputs_require_grad(rng):
    a = _leaf(rng, lambda r, s: r.standard_normal(s), (2, 3))
    b = bp.tensor(rng.standard_normal((3, 4)))
    assert gradcheck(lambda a, b: (a @ b).tanh(), [a, b])


def test_large_input_uses_random_projections(rng):
    x = _leaf(rng, lambda r, s: r.standard_normal(s), (20, 30))
    w = _leaf(rng, lambda r, s: r.standard_normal(s), (30, 5))
    assert gradcheck(lambda x, w: (x @ w).sigmoid(), [x, w], max_full_elements=10)
