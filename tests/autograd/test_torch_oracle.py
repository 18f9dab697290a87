"""PyTorch as the oracle: forward values and gradients of every op agree in float64 (<= 1e-10)."""

import numpy as np
import pytest

import backprop as bp

from .op_cases import AXES, BINARY, BROADCAST_PAIRS, REDUCTIONS, SHAPES, STRUCTURAL, UNARY, torch_reduce

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

RTOL = 1e-10


def assert_close(ours, theirs, what):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    ours = np.asarray(ours)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != torch {theirs.shape}"
    scale = np.maximum(np.abs(theirs), 1e-300)
    diff = np.abs(ours - theirs)
    assert np.all((diff <= RTOL * scale) | (diff <= 1e-14)), f"{what}: max rel diff {np.max(diff / scale):.3g}"


def compare(bp_fn, torch_fn, arrays, rng):
    ours_in = [bp.tensor(a, requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours = bp_fn(*ours_in)
    theirs = torch_fn(torch, *theirs_in)
    assert_close(ours.data, theirs, "forward")
    g = rng.standard_normal(ours.shape)
    ours.backward(g)
    theirs.backward(torch.tensor(g))
    for i, (o, t) in enumerate(zip(ours_in, theirs_in)):
        assert_close(o.grad, t.grad, f"gradient of input {i}")


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name,fn,torch_fn,sampler", UNARY, ids=[c[0] for c in UNARY])
def test_unary(rng, name, fn, torch_fn, sampler, shape):
    compare(fn, torch_fn, [np.asarray(sampler(rng, shape), dtype=np.float64)], rng)


@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=str)
@pytest.mark.parametrize("name,fn,torch_fn,sample_a,sample_b", BINARY, ids=[c[0] for c in BINARY])
def test_binary(rng, name, fn, torch_fn, sample_a, sample_b, shapes):
    arrays = [np.asarray(sample_a(rng, shapes[0]), dtype=np.float64),
              np.asarray(sample_b(rng, shapes[1]), dtype=np.float64)]
    compare(fn, torch_fn, arrays, rng)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name,fn,kind,sampler", REDUCTIONS, ids=[c[0] for c in REDUCTIONS])
def test_reductions(rng, name, fn, kind, sampler, shape, keepdims):
    for axis in AXES[shape]:
        if kind == "var" and shape == ():
            continue
        x = np.asarray(sampler(rng, shape), dtype=np.float64)
        compare(lambda t: fn(t, axis, keepdims), lambda T, t: torch_reduce(T, kind, t, axis, keepdims), [x], rng)


@pytest.mark.parametrize("name,fn,torch_fn,shapes,sampler", STRUCTURAL, ids=[c[0] for c in STRUCTURAL])
def test_structural(rng, name, fn, torch_fn, shapes, sampler):
    compare(fn, torch_fn, [np.asarray(sampler(rng, s), dtype=np.float64) for s in shapes], rng)


def _random_expression(rng, depth):
    """A random composite of ops, written once and evaluated by both libraries."""
    unary = [
        (lambda x: x.tanh(), lambda T, x: T.tanh(x)),
        (lambda x: x.sigmoid(), lambda T, x: T.sigmoid(x)),
        (lambda x: x.exp() * 0.1, lambda T, x: T.exp(x) * 0.1),
        (lambda x: (x * x + 1).log(), lambda T, x: T.log(x * x + 1)),
        (lambda x: x.softmax(-1), lambda T, x: T.softmax(x, -1)),
        (lambda x: x - x.mean(axis=0, keepdims=True), lambda T, x: x - x.mean(0, keepdim=True)),
        (lambda x: x.log_softmax(-1), lambda T, x: T.log_softmax(x, -1)),
    ]
    binary = [
        (lambda x, w: x @ w, lambda T, x, w: x @ w),
        (lambda x, w: x * (w.sum(axis=0, keepdims=True) + 2.0), lambda T, x, w: x * (w.sum(0, keepdim=True) + 2.0)),
        (lambda x, w: x + w.mean(), lambda T, x, w: x + w.mean()),
    ]
    chosen = [(rng.integers(2), rng.integers(len(unary)), rng.integers(len(binary))) for _ in range(depth)]

    def build(lib):
        def f(x, w):
            for kind, u, b in chosen:
                if kind == 0:
                    x = unary[u][lib](x) if lib == 0 else unary[u][1](torch, x)
                else:
                    x = binary[b][0](x, w) if lib == 0 else binary[b][1](torch, x, w)
            return x
        return f

    return build(0), build(1)


@pytest.mark.parametrize("seed", range(12))
def test_random_composite_expressions(seed):
    rng = np.random.default_rng(seed)
    ours_fn, theirs_fn = _random_expression(rng, depth=6)
    x = rng.standard_normal((4, 4))
    w = rng.standard_normal((4, 4)) * 0.5
    compare(lambda a, b: ours_fn(a, b) * 1.0, lambda T, a, b: theirs_fn(a, b) * 1.0, [x, w], rng)


def test_reused_node_accumulates_like_torch(rng):
    x = rng.standard_normal((3, 3))

    def ours(t):
        h = t.tanh()
        return h * h + h @ h - h.sum(axis=0)

    def theirs(T, t):
        h = T.tanh(t)
        return h * h + h @ h - h.sum(0)

    compare(ours, theirs, [x], rng)
