"""The graph walk: accumulation, graph freeing, no_grad, grad(), deep chains, leaf ownership."""

import numpy as np
import pytest

import backprop as bp


def test_chain_of_ten_thousand_ops_has_no_recursion_error():
    x = bp.tensor(np.float64(1.0), requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001 ** 10_000, rel=1e-9)


def test_reused_node_gradients_accumulate():
    x = bp.tensor(3.0, requires_grad=True, dtype=np.float64)
    y = x * x * x  # x used three times: d/dx x³ = 3x²
    y.backward()
    assert x.grad == pytest.approx(27.0)


def test_grad_accumulates_across_backward_calls_until_zeroed():
    x = bp.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
    x.zero_grad()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_graph_is_freed_after_backward_unless_retained():
    x = bp.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, 4 * np.exp([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_no_graph_under_no_grad_or_without_grad_inputs():
    w = bp.tensor([1.0], requires_grad=True)
    with bp.no_grad():
        y = w * 2
    assert not y.requires_grad and y.grad_fn is None
    z = bp.tensor([1.0]) * 2
    assert not z.requires_grad and z.grad_fn is None
    with bp.no_grad():
        with bp.enable_grad():
            assert (w * 2).requires_grad
    assert bp.is_grad_enabled()


def test_no_grad_as_decorator_restores_state():
    @bp.no_grad()
    def f(t):
        return t * 2

    assert not f(bp.tensor([1.0], requires_grad=True)).requires_grad
    assert bp.is_grad_enabled()


def test_grad_function_leaves_dot_grad_untouched():
    x = bp.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    w = bp.tensor([3.0, 4.0], requires_grad=True, dtype=np.float64)
    h = x * w
    out = (h * h).sum()
    gx, gh = bp.grad(out, [x, h])
    np.testing.assert_allclose(gx, 2 * (x.data * w.data) * w.data)
    np.testing.assert_allclose(gh, 2 * h.data)
    assert x.grad is None and w.grad is None


def test_grad_with_grad_outputs_for_vector_output():
    x = bp.tensor([1.0, 2.0, 3.0], requires_grad=True, dtype=np.float64)
    (gx,) = bp.grad(x * x, [x], grad_outputs=np.array([1.0, 0.0, 2.0]))
    np.testing.assert_allclose(gx, [2.0, 0.0, 12.0])


def test_leaf_gradients_never_share_memory():
    # add returns (g, g): both leaves must own their own array because clipping and optimizers
    # update .grad in place.
    a = bp.tensor([1.0, 2.0], requires_grad=True)
    b = bp.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad *= 10
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])
    c = bp.tensor([[1.0, 2.0]], requires_grad=True)
    user_grad = np.ones((1, 2), dtype=np.float32)
    c.reshape(2).backward(user_grad[0])
    c.grad *= 5
    np.testing.assert_array_equal(user_grad, [[1.0, 1.0]])


def test_non_leaf_grad_only_when_retained():
    x = bp.tensor([1.0, -2.0], requires_grad=True, dtype=np.float64)
    h = x * 3
    h.retain_grad()
    k = x * 2
    (h * h + k).sum().backward()
    np.testing.assert_allclose(h.grad, 2 * h.data)
    assert k.grad is None


def test_hooks_see_and_may_replace_gradient():
    x = bp.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    h = x * 2
    seen = []
    h.register_hook(lambda g: seen.append(g.copy()))
    h.register_hook(lambda g: g * 0)
    (h * h).sum().backward()
    np.testing.assert_allclose(seen[0], 2 * h.data)
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


def test_detach_cuts_the_graph():
    x = bp.tensor([2.0], requires_grad=True, dtype=np.float64)
    y = x * x.detach()
    y.backward(np.ones(1))
    np.testing.assert_allclose(x.grad, [2.0])


def test_tensor_basics():
    t = bp.tensor([[1, 2], [3, 4]])
    assert t.dtype == np.float32 and t.shape == (2, 2) and t.ndim == 2
    assert np.asarray(t).dtype == np.float32
    assert bp.tensor(np.arange(3)).dtype == np.arange(3).dtype  # arrays keep their dtype
    assert bp.tensor(np.ones(2, dtype=np.float64)).dtype == np.float64
    assert bp.tensor(2.5).item() == 2.5
    assert "requires_grad=True" in repr(bp.tensor([1.0], requires_grad=True))
    assert "grad_fn=Mul" in repr(bp.tensor([1.0], requires_grad=True) * 2)
    assert t.numpy() is t.data
