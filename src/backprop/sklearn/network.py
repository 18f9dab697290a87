"""The network behind the estimators: building it (sklearn's initialization) and float64 inference."""

from __future__ import annotations

import numpy as np

from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..nn import (ELU, GELU, BatchNorm1d, Dropout, Identity, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Softplus,
                  Tanh, get_activation)

__all__ = ["build_network", "forward_float64"]


def build_network(layer_units: list[int], activations: list[str], *, rng: np.random.Generator, dtype,
                  batch_norm: bool = False, dropout: float = 0.0, logistic_output_init: bool = False) -> Sequential:
    """Linear [+ BatchNorm1d] + activation [+ Dropout] per hidden layer, then a Linear output (logits).

    Weights and biases get sklearn's Glorot-uniform init from ``rng`` (factor 2 for logistic
    layers; ``logistic_output_init`` applies it to the output layer too, as sklearn does when
    ``activation='logistic'``).
    """
    dtype = np.dtype(dtype)
    layers = []
    n_layers = len(layer_units) - 1
    for index in range(n_layers):
        fan_in, fan_out = layer_units[index], layer_units[index + 1]
        linear = Linear(fan_in, fan_out, rng=0, dtype=dtype)
        # sklearn's Glorot-uniform init (factor 2 for logistic units, 6 otherwise)
        hidden = index < n_layers - 1
        logistic = activations[index] in ("logistic", "sigmoid") if hidden else logistic_output_init
        bound = np.sqrt((2.0 if logistic else 6.0) / (fan_in + fan_out))
        linear.weight.data[...] = rng.uniform(-bound, bound, (fan_in, fan_out)).T
        linear.bias.data[...] = rng.uniform(-bound, bound, fan_out)
        layers.append(linear)
        if hidden:
            if batch_norm:
                layers.append(BatchNorm1d(fan_out, dtype=dtype))
            name = activations[index]
            layers.append(get_activation("sigmoid" if name == "logistic" else name))
            if dropout > 0:
                layers.append(Dropout(dropout, rng=int(rng.integers(np.iinfo(np.int32).max))))
    return Sequential(*layers)


def forward_float64(model, X: np.ndarray, dtype) -> np.ndarray:
    """Raw network outputs (logits / regression values) in evaluation mode, in float64.

    Inference runs in float64 from the (float32) parameters: the result of a row then
    does not depend on which other rows share its batch (BLAS blocking changes float32
    sums in the last bit), which sklearn's invariance checks require, and it costs
    little next to training.
    """
    a = np.asarray(X, dtype=np.float64)
    for layer in model:
        kind = type(layer)
        if kind is Linear:
            a = a @ layer.weight.data.T.astype(np.float64)
            if layer.bias is not None:
                a += layer.bias.data
        elif kind is BatchNorm1d and layer.track_running_stats:
            a = (a - layer.running_mean) / np.sqrt(layer.running_var.astype(np.float64) + layer.eps)
            if layer.affine:
                a = a * layer.weight.data + layer.bias.data
        elif kind in (Identity, Dropout):
            continue
        elif kind is ReLU:
            a = np.maximum(a, 0.0)
        elif kind is LeakyReLU:
            a = np.where(a > 0, a, layer.negative_slope * a)
        elif kind is Sigmoid:
            a = 0.5 * (1.0 + np.tanh(0.5 * a))
        elif kind is Tanh:
            a = np.tanh(a)
        elif kind is ELU:
            a = np.where(a > 0, a, layer.alpha * np.expm1(np.minimum(a, 0.0)))
        elif kind is GELU:
            a = 0.5 * a * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (a + 0.044715 * a ** 3)))
        elif kind is Softplus:
            a = np.logaddexp(0.0, a)
        else:  # a layer this loop does not know: let the module compute it
            with no_grad():
                was_training = layer.training
                layer.eval()
                try:
                    a = layer(Tensor(a.astype(np.dtype(dtype)))).data.astype(np.float64)
                finally:
                    layer.train(was_training)
    return a
