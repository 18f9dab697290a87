"""The reverse-mode automatic differentiation engine: Tensor, Function, backward."""

from .engine import run_backward, topological_order
from .function import Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad
from .tensor import Tensor, tensor

__all__ = ["Tensor", "tensor", "Function", "no_grad", "enable_grad", "is_grad_enabled",
           "run_backward", "topological_order"]
