"""Models for ``backprop train``: the MLP builder and the zoo models of :mod:`backprop.models`,
with the input layout each one takes.
"""

from __future__ import annotations

import numpy as np

def build_mlp(n_inputs: int, hidden: list, n_outputs: int, *, activation: str = "relu", dropout: float = 0.0,
              batch_norm: bool = False, output_activation: str | None = None, seed: int = 0,
              dtype=np.float32):
    """Linear -> [BatchNorm1d] -> activation -> [Dropout] per hidden layer, then a Linear output layer."""
    from .. import nn

    rng = np.random.default_rng(seed)
    layers = []
    sizes = [n_inputs, *hidden]
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers.append(nn.Linear(fan_in, fan_out, rng=rng, dtype=dtype))
        if batch_norm:
            layers.append(nn.BatchNorm1d(fan_out, dtype=dtype))
        layers.append(nn.get_activation(activation))
        if dropout > 0:
            layers.append(nn.Dropout(dropout, rng=rng))
    layers.append(nn.Linear(sizes[-1], n_outputs, rng=rng, dtype=dtype))
    if output_activation:
        layers.append(nn.get_activation(output_activation))
    return nn.Sequential(*layers)


# ============================================================================ the zoo (--model)
#: ``--model`` names; ``mlp`` is built by :func:`build_mlp` (batch norm, dropout, any activation),
#: the others by :func:`backprop.models.build_model`
MODEL_NAMES = ("mlp", "logistic", "cnn", "gru", "lstm", "rnn")
RECURRENT = ("gru", "lstm", "rnn")
MODEL_ALIASES = {"logistic_regression": "logistic", "logreg": "logistic", "conv": "cnn"}

#: (model, data) -> settings that differ from the data's preset; ``"*"`` is any other data.
#: Chosen so each reaches good accuracy in reasonable time with the default seed (NumPy only:
#: a convolution or a recurrent step costs far more than a dense layer).
MODEL_PRESETS = {
    "logistic": {"*": {"epochs": 50, "lr": 1e-2, "batch_size": 100},
                 "idx": {"epochs": 10, "lr": 1e-3, "batch_size": 64}},
    "cnn": {"*": {"epochs": 20, "lr": 3e-3, "batch_size": 64},
            "mnist1d": {"epochs": 40, "lr": 1e-2, "batch_size": 100},
            "idx": {"epochs": 10, "lr": 1e-3, "batch_size": 64}},
    "gru": {"*": {"epochs": 20, "lr": 1e-2, "batch_size": 100},
            "mnist1d": {"epochs": 30, "lr": 1e-2, "batch_size": 100},
            "idx": {"epochs": 3, "lr": 2e-3, "batch_size": 64}},
    "lstm": {"*": {"epochs": 20, "lr": 1e-2, "batch_size": 100},
             "mnist1d": {"epochs": 30, "lr": 1e-2, "batch_size": 100},
             "idx": {"epochs": 3, "lr": 2e-3, "batch_size": 64}},
    "rnn": {"*": {"epochs": 20, "lr": 3e-3, "batch_size": 100},
            "mnist1d": {"epochs": 30, "lr": 3e-3, "batch_size": 100},
            "idx": {"epochs": 3, "lr": 1e-3, "batch_size": 64}},
}

#: the hidden size of a recurrent model when --hidden-size is not given
DEFAULT_HIDDEN_SIZE = 64


def model_preset(model: str, data_key: str) -> dict:
    """The settings ``--model`` brings for the data ``data_key`` (``{}`` for the MLP)."""
    table = MODEL_PRESETS.get(model, {})
    return dict(table.get(data_key, table.get("*", {})))


def input_shape_for(model: str, n_features: int, sample_shape: tuple | None) -> tuple:
    """The shape of one sample as ``model`` takes it (no batch axis).

    The data are kept as rows of ``n_features`` (scaling works per feature); this is the
    layout the rows are reshaped to before they enter the model, and it is stored in
    ``preprocessing.json`` so ``evaluate``, ``predict`` and ``export`` do the same.

    ``mlp``/``logistic``: ``(n_features,)``.  ``cnn``: one channel, ``(1, H, W)`` images for
    2-D samples (IDX, the digits) and ``(1, L)`` signals otherwise (MNIST-1D, a table).
    ``gru``/``lstm``/``rnn``: ``(C, L)`` read as L steps of C features: an ``(H, W)`` image
    is W steps (its columns) of H pixels, anything else ``(1, n_features)``, one feature
    per step.
    """
    shape = tuple(int(d) for d in sample_shape) if sample_shape else (int(n_features),)
    if int(np.prod(shape)) != int(n_features):
        shape = (int(n_features),)
    if model in ("mlp", "logistic"):
        return (int(n_features),)
    if model == "cnn":
        return (1, *shape) if len(shape) in (1, 2) else shape
    if model in RECURRENT:
        return shape if len(shape) == 2 else (1, int(n_features))
    raise ValueError(f"unknown model {model!r}")


def build_zoo_model(model: str, input_shape: tuple, n_classes: int, *, hidden_size: int | None = None,
                    seed: int = 0):
    """A :mod:`backprop.models` classifier (logits out) for ``--model logistic|cnn|gru|lstm|rnn``."""
    from ..models import build_model

    options = {"rng": seed}
    if model in RECURRENT:
        options["hidden_size"] = int(hidden_size or DEFAULT_HIDDEN_SIZE)
    return build_model(model, tuple(input_shape), int(n_classes), **options)


def describe_model(model: str, input_shape: tuple, settings: dict, n_outputs: int) -> str:
    """A one-line description for the ``model`` line of ``backprop train``."""
    if model == "mlp":
        shape = "-".join(str(s) for s in (input_shape[0], *settings["layers"], n_outputs))
        return (f"{shape} {settings['activation']}"
                f"{', batch norm' if settings['batch_norm'] else ''}"
                f"{', dropout %g' % settings['dropout'] if settings['dropout'] else ''}")
    dims = "x".join(str(d) for d in input_shape)
    if model in RECURRENT:
        steps, features = input_shape[-1], input_shape[0]
        return (f"{model.upper()} (hidden {settings['hidden_size'] or DEFAULT_HIDDEN_SIZE}) over {steps} steps of "
                f"{features} feature{'s' if features != 1 else ''}, last state -> {n_outputs} classes")
    if model == "cnn":
        kind = "Conv2d" if len(input_shape) == 3 else "Conv1d"
        return f"CNN ({kind}) on {dims} inputs -> {n_outputs} classes"
    return f"logistic regression on {dims} inputs -> {n_outputs} classes"
