"""Small network builders shared by the experiments (and their tests)."""

from __future__ import annotations

import numpy as np

from .. import nn
from ..nn import init as _init

__all__ = ["deep_mlp", "scaled"]


def scaled(name: str, factor: float):
    """An initializer: ``name``'s draw multiplied by ``factor`` (e.g. a residual branch kept small)."""
    base = _init.get_initializer(name)

    def initializer(shape, rng=None, dtype=np.float32):
        return (np.asarray(base(shape, rng=rng, dtype=dtype)) * factor).astype(dtype)
    return initializer


def deep_mlp(n_in: int, n_out: int, *, depth: int = 20, width: int = 32, activation: str = "sigmoid",
             init="auto", batchnorm: bool = False, residual: bool = False, rng=0, dtype=np.float32):
    """A ``depth``-Linear-layer MLP: ``n_in -> width -> ... -> width -> n_out``.

    With ``residual=True`` the hidden layers are pre-activation skip blocks ``x + W act(x)`` whose
    weights are drawn with ``init`` and scaled by ``1/sqrt(number of blocks)``, so the
    activations stay bounded through the depth (Fixup-style); with ``batchnorm=True`` each
    hidden Linear is followed by BatchNorm1d before its activation.
    """
    rng = _init.as_generator(rng)
    act = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}[activation]

    def linear(a, b, initializer=init):
        return nn.Linear(a, b, init=initializer, rng=rng, dtype=dtype)

    def hidden(a, b):
        parts = [linear(a, b)]
        if batchnorm:
            parts.append(nn.BatchNorm1d(b, dtype=dtype) if _bn_takes_dtype() else nn.BatchNorm1d(b))
        parts.append(act())
        return parts

    layers = hidden(n_in, width)
    if residual:
        layers.pop()  # the first block applies the activation
    n_blocks = depth - 2
    for _ in range(n_blocks):
        if residual:
            base = "he_normal" if init == "auto" else init
            branch_init = scaled(base, 1.0 / np.sqrt(n_blocks)) if isinstance(base, str) else base
            # pre-activation block x + W act(x): the branch has zero mean, so nothing drifts with depth
            block = [nn.BatchNorm1d(width)] if batchnorm else []
            block += [act(), linear(width, width, branch_init)]
            layers.append(nn.Residual(nn.Sequential(*block)))
        else:
            layers += hidden(width, width)
    layers.append(linear(width, n_out))
    model = nn.Sequential(*layers)
    return model.to(dtype)


def _bn_takes_dtype() -> bool:
    import inspect
    return "dtype" in inspect.signature(nn.BatchNorm1d.__init__).parameters
