"""Hypothesis properties: broadcasting, unbroadcast, softmax and log_softmax invariants."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import backprop as bp
from backprop.autograd.broadcast import unbroadcast

finite = st.floats(-50, 50, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4))
def test_broadcast_gradient_has_input_shapes_and_counts_uses(shapes):
    a_shape, b_shape = shapes.input_shapes
    a = bp.tensor(np.ones(a_shape), requires_grad=True)
    b = bp.tensor(np.ones(b_shape), requires_grad=True)
    out = a + b
    assert out.shape == shapes.result_shape
    out.sum().backward()
    assert a.grad.shape == a_shape and b.grad.shape == b_shape
    # each input element was used (output size / input size) times
    n_out = int(np.prod(shapes.result_shape))
    np.testing.assert_allclose(a.grad, n_out / max(int(np.prod(a_shape)), 1))


@settings(max_examples=60, deadline=None)
@given(data=st.data(), shapes=hnp.mutually_broadcastable_shapes(num_shapes=1, min_dims=0, max_dims=4))
def test_unbroadcast_keeps_the_total(data, shapes):
    (shape,) = shapes.input_shapes
    g = data.draw(hnp.arrays(np.float64, shapes.result_shape, elements=finite))
    reduced = unbroadcast(g, shape)
    assert reduced.shape == shape
    np.testing.assert_allclose(reduced.sum(), g.sum(), rtol=1e-9, atol=1e-9)


logits = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=6),
                    elements=st.floats(-1e4, 1e4, allow_nan=False))


@settings(max_examples=80, deadline=None)
@given(z=logits, shift=st.floats(-100, 100))
def test_softmax_rows_sum_to_one_and_shift_invariant(z, shift):
    s = bp.softmax(bp.tensor(z), axis=-1).data
    assert np.all(np.isfinite(s))
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=1e-12)
    shifted = bp.softmax(bp.tensor(z + shift), axis=-1).data
    np.testing.assert_allclose(shifted, s, atol=1e-6)


@settings(max_examples=80, deadline=None)
@given(z=logits)
def test_log_softmax_equals_log_of_softmax_where_finite(z):
    log_s = bp.log_softmax(bp.tensor(z), axis=-1).data
    assert np.all(np.isfinite(log_s))
    s = bp.softmax(bp.tensor(z), axis=-1).data
    with np.errstate(divide="ignore"):
        reference = np.log(s)
    where = np.isfinite(reference) & (s > 1e-300)
    np.testing.assert_allclose(log_s[where], reference[where], rtol=1e-9, atol=1e-9)


def test_huge_logits_give_finite_values_and_gradients():
    z = bp.tensor(np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]]), requires_grad=True)
    out = z.log_softmax(-1)[:, 0].sum() + z.softmax(-1)[:, 1].sum() + z.sigmoid().sum() + z.logsumexp(-1).sum()
    out.backward()
    assert np.isfinite(out.item()) and np.all(np.isfinite(z.grad))
