"""Function forms of every op (``backprop.exp(x)`` as well as ``x.exp()``) and ``grad``."""

from __future__ import annotations

import numpy as np

from .engine import run_backward
from .ops.elementwise import (abs, add, clip, div, exp, log, maximum, minimum, mul, neg,  # noqa: A004
                              pow, sqrt, sub, where)
from .ops.linalg import linear, matmul
from .ops.nonlinear import elu, gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, softplus, tanh
from .ops.reduce import logsumexp, max, mean, min, sum, var  # noqa: A004
from .ops.shape import (broadcast_to, concatenate, flatten, pad, reshape, squeeze, stack, swapaxes,
                        transpose, unsqueeze)
from .tensor import Tensor, _gradient_argument

clamp = clip
permute = transpose
expand = broadcast_to
cat = concatenate


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool = False):
    """Return d(outputs)/d(inputs) as arrays without touching any ``.grad``.

    Parameters
    ----------
    outputs : Tensor or sequence of Tensor
    inputs : Tensor or sequence of Tensor
        Tensors (leaves or intermediate) to differentiate with respect to.
    grad_outputs : array_like or sequence, optional
        dL/d(output) for each output; may be omitted for one-element outputs.
    retain_graph : bool
        Keep the graph for another backward pass.

    Returns
    -------
    list of ndarray
        One gradient per input (zeros where an input does not influence the outputs).
    """
    single_input = isinstance(inputs, Tensor)
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if single_input else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    root_grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not out.requires_grad:
            raise RuntimeError(f"output {i} does not require grad: none of its inputs had requires_grad=True")
        if g is None:
            if out.size != 1:
                raise RuntimeError(
                    f"output {i} has shape {out.shape}; pass grad_outputs for non-scalar outputs")
            root_grads.append(np.ones_like(out.data))
        else:
            root_grads.append(_gradient_argument(g, out, f"grad_outputs[{i}]"))
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"input {i} does not require grad, so it has no gradient")
    found = run_backward(outputs, root_grads, inputs=inputs, retain_graph=retain_graph)
    result = [np.zeros_like(t.data) if g is None else np.array(g) for t, g in zip(inputs, found)]
    return result


__all__ = ["grad", "add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "abs", "maximum",
           "minimum", "where", "clip", "clamp", "matmul", "linear", "sum", "mean", "max", "min", "var",
           "logsumexp", "reshape", "flatten", "transpose", "permute", "swapaxes", "broadcast_to", "expand",
           "squeeze", "unsqueeze", "concatenate", "cat", "stack", "pad", "relu", "leaky_relu", "sigmoid",
           "tanh", "softmax", "log_softmax", "elu", "gelu", "softplus"]
