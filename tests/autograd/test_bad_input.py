"""Mistakes a user can make get a clear error that names the problem."""

import numpy as np
import pytest

import backprop as bp


def test_matmul_shape_mismatch_names_shapes():
    a = bp.tensor(np.ones((2, 3)))
    b = bp.tensor(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)"):
        a @ b


def test_non_broadcastable_shapes_named():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        bp.tensor(np.ones((2, 3))) + bp.tensor(np.ones(4))


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (bp.tensor([1.0]) * 2).sum().backward()


def test_backward_on_non_scalar_without_gradient_argument():
    x = bp.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"scalar.*\(2,\)"):
        (x * 2).backward()


def test_backward_gradient_argument_of_wrong_shape():
    x = bp.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        (x * 2).backward(np.ones(3))


def test_backward_twice_without_retain_graph():
    x = bp.tensor([1.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_non_numeric_data():
    with pytest.raises(TypeError, match="numeric"):
        bp.tensor(["a", "b"])
    with pytest.raises(TypeError):
        bp.tensor({"a": 1})
    with pytest.raises(TypeError, match="str"):
        bp.tensor([1.0]) + "x"


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="floating-point"):
        bp.tensor(np.arange(3), requires_grad=True)


def test_reshape_to_incompatible_shape():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 2\)"):
        bp.tensor(np.ones((2, 3))).reshape(4, 2)


def test_reduction_axis_out_of_range():
    with pytest.raises(ValueError, match="axis 2"):
        bp.tensor(np.ones((2, 3))).sum(axis=2)
