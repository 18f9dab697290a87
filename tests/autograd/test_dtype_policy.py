"""float32 in, float32 out: no op upcasts, not even when mixed with float64 constants."""

import numpy as np
import pytest

import backprop as bp

from .op_cases import AXES, BINARY, REDUCTIONS, STRUCTURAL, UNARY


def _f32(rng, sampler, shape):
    return bp.tensor(np.asarray(sampler(rng, shape), dtype=np.float32), requires_grad=True)


def _check(out, inputs):
    assert out.dtype == np.float32, out.dtype
    out.backward(np.ones(out.shape, dtype=np.float32))
    for t in inputs:
        assert t.grad.dtype == np.float32


@pytest.mark.parametrize("name,fn,_t,sampler", UNARY, ids=[c[0] for c in UNARY])
def test_unary_keeps_float32(rng, name, fn, _t, sampler):
    x = _f32(rng, sampler, (2, 3))
    _check(fn(x), [x])


@pytest.mark.parametrize("name,fn,_t,sa,sb", BINARY, ids=[c[0] for c in BINARY])
def test_binary_keeps_float32(rng, name, fn, _t, sa, sb):
    a, b = _f32(rng, sa, (2, 3)), _f32(rng, sb, (3,))
    _check(fn(a, b), [a, b])


@pytest.mark.parametrize("name,fn,_k,sampler", REDUCTIONS, ids=[c[0] for c in REDUCTIONS])
def test_reductions_keep_float32(rng, name, fn, _k, sampler):
    for axis in AXES[(2, 3, 4)]:
        x = _f32(rng, sampler, (2, 3, 4))
        _check(fn(x, axis, False), [x])


@pytest.mark.parametrize("name,fn,_t,shapes,sampler", STRUCTURAL, ids=[c[0] for c in STRUCTURAL])
def test_structural_keep_float32(rng, name, fn, _t, shapes, sampler):
    inputs = [_f32(rng, sampler, s) for s in shapes]
    _check(fn(*inputs), inputs)


@pytest.mark.parametrize("constant", [2.5, 3, np.float64(2.5), np.int64(3), np.arange(3), np.ones(3)],
                         ids=["py_float", "py_int", "np_float64", "np_int64", "int_array", "float64_array"])
def test_mixing_with_constants_stays_float32(constant):
    x = bp.tensor(np.ones(3, dtype=np.float32) * 2, requires_grad=True)
    for out in (x + constant, constant + x, x - constant, constant - x, x * constant, constant * x,
                x / (constant + 1), (constant + 1) / x, x ** 2, bp.maximum(x, constant),
                bp.minimum(constant, x), bp.where(np.array([True, False, True]), x, constant)):
        assert out.dtype == np.float32, (constant, out)


def test_float64_stays_float64():
    x = bp.tensor(np.ones(3), requires_grad=True)
    assert x.dtype == np.float64
    assert (x * 2.0).sigmoid().sum().dtype == np.float64
