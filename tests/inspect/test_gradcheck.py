"""Test the tester: gradcheck accepts right gradients and rejects wrong ones, loudly."""

import numpy as np
import pytest

import backprop as bp
from backprop import Function
from backprop.inspect import GradcheckError, gradcheck


class WrongSquare(Function):
    """x² with a deliberately wrong derivative (x instead of 2x)."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, g):
        return (g * self.x,)


class RightSquare(WrongSquare):
    def backward(self, g):
        return (g * 2 * self.x,)


def test_accepts_a_correct_backward(rng):
    x = bp.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    assert gradcheck(RightSquare.apply, [x])


def test_rejects_a_wrong_backward_naming_input_element_and_values(rng):
    x = bp.tensor(rng.standard_normal((3, 2)) + 2.0, requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongSquare.apply, [x])
    message = str(info.value)
    assert "input 0" in message and "element" in message
    assert "analytic" in message and "numeric" in message


def test_rejects_a_wrong_backward_in_projection_mode(rng):
    x = bp.tensor(rng.standard_normal((20, 20)) + 2.0, requires_grad=True)
    with pytest.raises(GradcheckError, match="projection"):
        gradcheck(WrongSquare.apply, [x], max_full_elements=10)


def test_float32_input_is_refused_with_reason():
    x = bp.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda t: t * 2, [x])


def test_wrong_gradient_of_second_input_is_named(rng):
    class WrongMul(Function):
        def forward(self, a, b):
            self.a, self.b = a, b
            return a * b

        def backward(self, g):
            return g * self.b, g * self.b  # second should be g * a

    a = bp.tensor(rng.standard_normal(3) + 3, requires_grad=True)
    b = bp.tensor(rng.standard_normal(3) - 3, requires_grad=True)
    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(WrongMul.apply, [a, b])
