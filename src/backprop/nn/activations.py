"""Activation functions as modules (thin wrappers of the ops in ``autograd/ops/nonlinear.py``).

Each applies elementwise (softmax along one axis) and has no parameters.
"""

from __future__ import annotations

from ..autograd.ops import nonlinear as _N
from .layers import Identity, as_input_tensor
from .module import Module


class _Activation(Module):
    def forward(self, z):
        return self._apply(as_input_tensor(z, layer=type(self).__name__))


class Sigmoid(_Activation):
    """Logistic sigmoid.

    f(z) = 1 / (1 + e^(−z)),  f'(z) = f(z)(1 − f(z)) ≤ 1/4,  range (0, 1).
    """

    def _apply(self, z):
        return _N.Sigmoid.apply(z)


class Tanh(_Activation):
    """Hyperbolic tangent.

    f(z) = (e^z − e^(−z)) / (e^z + e^(−z)),  f'(z) = 1 − f(z)²,  range (−1, 1).
    """

    def _apply(self, z):
        return _N.Tanh.apply(z)


class ReLU(_Activation):
    """Rectified linear unit.

    f(z) = max(0, z),  f'(z) = 1 for z > 0 and 0 for z ≤ 0 (the derivative at the kink
    z = 0 is taken as 0, as in PyTorch),  range [0, ∞).
    """

    def _apply(self, z):
        return _N.ReLU.apply(z)


class LeakyReLU(_Activation):
    """Leaky ReLU.

    f(z) = z for z > 0, α z otherwise;  f'(z) = 1 for z > 0, α otherwise (α at 0);
    range (−∞, ∞) for α > 0.  α = ``negative_slope`` (default 0.01).
    """

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = float(negative_slope)

    def _apply(self, z):
        return _N.leaky_relu(z, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"

    def get_config(self) -> dict:
        return {"negative_slope": self.negative_slope}


class ELU(_Activation):
    """Exponential linear unit.

    f(z) = z for z > 0, α(e^z − 1) otherwise;  f'(z) = 1 for z > 0, f(z) + α = α e^z
    otherwise;  range (−α, ∞).
    """

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = float(alpha)

    def _apply(self, z):
        return _N.elu(z, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"

    def get_config(self) -> dict:
        return {"alpha": self.alpha}


class GELU(_Activation):
    """Gaussian error linear unit, tanh approximation (PyTorch's ``approximate='tanh'``).

    f(z) = ½ z (1 + tanh u),  u = sqrt(2/π)(z + 0.044715 z³);
    f'(z) = ½(1 + tanh u) + ½ z (1 − tanh² u) sqrt(2/π)(1 + 3·0.044715 z²);
    range ≈ (−0.17, ∞).
    """

    def _apply(self, z):
        return _N.GELU.apply(z)

    def extra_repr(self) -> str:
        return "approximate='tanh'"


class Softplus(_Activation):
    """Softplus, a smooth ReLU.

    f(z) = log(1 + e^z),  f'(z) = σ(z) = 1/(1 + e^(−z)),  range (0, ∞).
    """

    def _apply(self, z):
        return _N.Softplus.apply(z)


class Softmax(_Activation):
    """Softmax along ``axis`` (default the last): a probability vector per row.

    f(z)_i = e^(z_i) / Σ_j e^(z_j),  ∂f_i/∂z_j = f_i (δ_ij − f_j),  range (0, 1) with
    Σ_i f(z)_i = 1.  Computed with the max subtracted (stable for any logits).  For
    classification prefer raw logits with a cross-entropy loss.
    """

    def __init__(self, axis: int = -1):
        super().__init__()
        self.axis = int(axis)

    def _apply(self, z):
        return _N.Softmax.apply(z, axis=self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"

    def get_config(self) -> dict:
        return {"axis": self.axis}


class LogSoftmax(Softmax):
    """Log of softmax along ``axis``, computed stably.

    f(z)_i = z_i − log Σ_j e^(z_j),  ∂f_i/∂z_j = δ_ij − softmax(z)_j,  range (−∞, 0].
    """

    def _apply(self, z):
        return _N.LogSoftmax.apply(z, axis=self.axis)


ACTIVATIONS = {
    "sigmoid": Sigmoid, "logistic": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky_relu": LeakyReLU,
    "elu": ELU, "gelu": GELU, "softplus": Softplus, "softmax": Softmax, "log_softmax": LogSoftmax,
    "identity": Identity, "linear": Identity, "none": Identity,
}


def get_activation(name, **options) -> Module:
    """A new activation module from its name (``"relu"``, ``"tanh"``, ...; ``"identity"``/``"linear"``).

    A Module is returned unchanged, None gives Identity; ``options`` go to the
    constructor (``get_activation("leaky_relu", negative_slope=0.2)``).
    """
    if name is None:
        return Identity()
    if isinstance(name, Module):
        return name
    if not isinstance(name, str):
        raise TypeError(f"activation must be a name or a Module, got {type(name).__name__}")
    key = name.lower().replace("-", "_")
    if key not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[key](**options)


__all__ = ["Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "GELU", "Softplus", "Softmax", "LogSoftmax",
           "ACTIVATIONS", "get_activation"]
