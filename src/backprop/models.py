"""Model zoo: ready-made classifiers with sensible defaults for 1-D and 2-D inputs.

Every builder takes ``input_shape`` (one sample, without the batch axis), ``n_classes`` and
an ``rng`` (a ``numpy.random.Generator`` or an int seed) and returns a backprop ``Module``
whose outputs are logits (train with ``loss="cross_entropy"``).

================  ==========================================================================
name              model
================  ==========================================================================
``logistic``      :func:`logistic_regression` — Flatten-Linear
``mlp``           :func:`mlp` — Linear-act blocks (optional batch norm, dropout), Linear
``cnn``           :func:`cnn` — (C, L): the MNIST-1D paper's 3-layer Conv1d net;
                  (C, H, W): Conv2d-ReLU-MaxPool ×2, Linear(128), Linear
``gru``/``lstm``  :func:`gru`, :func:`lstm`, :func:`rnn` — a recurrent layer over the L steps,
``rnn``           classified from the last hidden state (:class:`SequenceClassifier`)
================  ==========================================================================

>>> from backprop.models import build_model
>>> model = build_model("cnn", (1, 40), 10, rng=0)
>>> model(np.zeros((2, 1, 40), dtype=np.float32)).shape
(2, 10)
"""

from __future__ import annotations

import math

import numpy as np

from . import nn
from .nn import init as _init
from .nn.layers import as_input_tensor
from .nn.registry import register_layer

__all__ = ["MODELS", "build_model", "logistic_regression", "mlp", "cnn", "gru", "lstm", "rnn",
           "SequenceClassifier"]


# ---------------------------------------------------------------------- helpers
def _shape(input_shape, builder: str) -> tuple:
    if isinstance(input_shape, (int, np.integer)) and not isinstance(input_shape, bool):
        input_shape = (int(input_shape),)
    try:
        shape = tuple(int(d) for d in input_shape)
    except TypeError:
        raise TypeError(f"{builder}: input_shape must be a tuple of positive ints (one sample, no batch axis), "
                        f"got {input_shape!r}") from None
    if not shape or any(d <= 0 for d in shape):
        raise ValueError(f"{builder}: input_shape must be a non-empty tuple of positive ints (one sample, no "
                         f"batch axis), got {input_shape!r}")
    return shape


def _n_classes(n_classes, builder: str) -> int:
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
        raise ValueError(f"{builder}: n_classes must be an integer >= 2, got {n_classes!r}")
    return int(n_classes)


def _rng(rng, seed):
    if seed is not None:
        if rng is not None:
            raise ValueError("give either rng or seed, not both")
        rng = seed
    return _init.as_generator(0 if rng is None else rng)


_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "leaky_relu": nn.LeakyReLU,
                "elu": nn.ELU, "gelu": nn.GELU}


# ---------------------------------------------------------------------- builders
def logistic_regression(input_shape, n_classes: int, *, rng=None, seed=None, dtype=np.float32):
    """Multinomial logistic regression: ``[Flatten,] Linear(prod(input_shape), n_classes)``."""
    shape, k = _shape(input_shape, "logistic_regression"), _n_classes(n_classes, "logistic_regression")
    rng = _rng(rng, seed)
    layers = [nn.Flatten()] if len(shape) > 1 else []
    layers.append(nn.Linear(math.prod(shape), k, init="xavier_uniform", rng=rng, dtype=dtype))
    return nn.Sequential(*layers)


def mlp(input_shape, n_classes: int, *, hidden=(100, 100), activation: str = "relu", dropout: float = 0.0,
        batch_norm: bool = False, rng=None, seed=None, dtype=np.float32):
    """Multi-layer perceptron: ``[Flatten,] (Linear [BatchNorm1d] act [Dropout]) × len(hidden), Linear``.

    Parameters
    ----------
    hidden : sequence of int
        Widths of the hidden layers (the MNIST-1D paper's MLP: ``(100, 100)``).
    activation : {'relu', 'tanh', 'sigmoid', 'leaky_relu', 'elu', 'gelu'}
    dropout : float
        Dropout probability after every hidden activation (0: none).
    batch_norm : bool
        BatchNorm1d between every hidden Linear and its activation.
    """
    shape, k = _shape(input_shape, "mlp"), _n_classes(n_classes, "mlp")
    if activation not in _ACTIVATIONS:
        raise ValueError(f"mlp: activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
    hidden = (int(hidden),) if isinstance(hidden, (int, np.integer)) else tuple(int(h) for h in hidden)
    if any(h <= 0 for h in hidden):
        raise ValueError(f"mlp: hidden widths must be positive, got {hidden}")
    if isinstance(dropout, bool) or not 0 <= float(dropout) < 1:
        raise ValueError(f"mlp: dropout must be a probability in [0, 1), got {dropout!r}")
    rng = _rng(rng, seed)
    init = "he_uniform" if activation in ("relu", "leaky_relu", "elu", "gelu") else "xavier_uniform"
    layers = [nn.Flatten()] if len(shape) > 1 else []
    width = math.prod(shape)
    for h in hidden:
        layers.append(nn.Linear(width, h, init=init, rng=rng, dtype=dtype))
        if batch_norm:
            layers.append(nn.BatchNorm1d(h, dtype=dtype))
        layers.append(_ACTIVATIONS[activation]())
        if dropout:
            layers.append(nn.Dropout(float(dropout), rng=rng))
        width = h
    layers.append(nn.Linear(width, k, init="xavier_uniform", rng=rng, dtype=dtype))
    return nn.Sequential(*layers)


def _conv_out(length: int, kernel: int, stride: int, padding: int) -> int:
    return (length + 2 * padding - kernel) // stride + 1


def cnn(input_shape, n_classes: int, *, channels=None, kernel_size=None, hidden: int = 128, rng=None, seed=None,
        dtype=np.float32):
    """A small convolutional classifier for channels-first input.

    ``input_shape = (C, L)`` (sequences, e.g. MNIST-1D with ``as_images=True``): the MNIST-1D
    paper's CNN — three ``Conv1d(·, 25, k, stride=2, padding=1)``-ReLU layers, Flatten,
    ``Linear(·, n_classes)``.  ``kernel_size`` defaults to ``(5, 3, 3)`` as in the paper's
    code (its ``ConvBase``: 40 → 19 → 10 → 5 positions, 125 features); an int gives
    that kernel to all three layers.  ``channels`` (default 25) may be an int or 3 ints.

    ``input_shape = (C, H, W)`` (images, e.g. MNIST as (1, 28, 28)):
    ``Conv2d(C, 16, 3, padding=1)``-ReLU-MaxPool2d(2)-``Conv2d(16, 32, 3, padding=1)``-ReLU-
    MaxPool2d(2)-Flatten-``Linear(·, hidden)``-ReLU-``Linear(hidden, n_classes)``;
    ``channels`` (default ``(16, 32)``) and ``kernel_size`` (default 3, padding k // 2) may
    be changed.
    """
    shape, k = _shape(input_shape, "cnn"), _n_classes(n_classes, "cnn")
    rng = _rng(rng, seed)
    if len(shape) == 2:
        c, length = shape
        channels = _per_layer(25 if channels is None else channels, 3, "channels")
        kernels = _per_layer((5, 3, 3) if kernel_size is None else kernel_size, 3, "kernel_size")
        layers, c_in = [], c
        for c_out, kern in zip(channels, kernels):
            layers += [nn.Conv1d(c_in, c_out, kern, stride=2, padding=1, rng=rng, dtype=dtype), nn.ReLU()]
            length = _conv_out(length, kern, 2, 1)
            if length <= 0:
                raise ValueError(f"cnn: input length {shape[1]} is too short for three stride-2 convolutions "
                                 f"with kernels {kernels}")
            c_in = c_out
        layers += [nn.Flatten(), nn.Linear(c_in * length, k, rng=rng, dtype=dtype)]
        return nn.Sequential(*layers)
    if len(shape) == 3:
        c, height, width = shape
        channels = _per_layer((16, 32) if channels is None else channels, 2, "channels")
        kernels = _per_layer(3 if kernel_size is None else kernel_size, 2, "kernel_size")
        layers, c_in = [], c
        for c_out, kern in zip(channels, kernels):
            pad = kern // 2
            layers += [nn.Conv2d(c_in, c_out, kern, padding=pad, rng=rng, dtype=dtype), nn.ReLU(), nn.MaxPool2d(2)]
            height, width = _conv_out(height, kern, 1, pad) // 2, _conv_out(width, kern, 1, pad) // 2
            if height <= 0 or width <= 0:
                raise ValueError(f"cnn: image {shape[1:]} is too small for two conv + 2x2 pool stages")
            c_in = c_out
        layers += [nn.Flatten(), nn.Linear(c_in * height * width, int(hidden), rng=rng, dtype=dtype), nn.ReLU(),
                   nn.Linear(int(hidden), k, rng=rng, dtype=dtype)]
        return nn.Sequential(*layers)
    raise ValueError(f"cnn: input_shape must be (channels, length) for Conv1d or (channels, height, width) for "
                     f"Conv2d, got {shape}; for 1-D data of shape (L,) use (1, L) and add the channel axis "
                     "(X[:, None, :], or load_mnist1d(as_images=True))")


def _per_layer(value, n: int, name: str) -> tuple:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) != n or any(v <= 0 for v in value):
        raise ValueError(f"cnn: {name} must be a positive int or {n} positive ints, got {value}")
    return value


# ---------------------------------------------------------------------- sequence classifiers
_CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class SequenceClassifier(nn.Module):
    """A recurrent layer over a sequence, classified from its last hidden state.

    ``logits = head(h_T)`` where ``h_T`` is the last layer's hidden state after the last time
    step and ``head`` a Linear layer.

    Parameters
    ----------
    cell : {'gru', 'lstm', 'rnn'}
    input_size : int
        Features per time step.
    hidden_size : int
    n_classes : int
    num_layers : int
    channels_first : bool
        3-D input is ``(N, C, L)`` (Conv1d's layout, ``C == input_size``) and is read as L
        steps of C features; with False it is ``(N, L, input_size)`` (batch_first).  2-D input
        ``(N, L)`` is always L steps of one feature (``input_size`` must be 1).
    nonlinearity : {'tanh', 'relu'}
        Only for ``cell='rnn'``.
    rng, dtype
        Initial weights (PyTorch's: U(-1/√H, 1/√H) for the recurrent layer).

    Attributes
    ----------
    rnn : GRU, LSTM or RNN (``batch_first=True``)
    head : Linear(hidden_size, n_classes)

    The state-dict keys are ``rnn.weight_ih_l0``, … and ``head.weight``, ``head.bias``: a
    PyTorch module with attributes ``rnn = nn.GRU(..., batch_first=True)`` and
    ``head = nn.Linear(...)`` has the same keys and loads with ``load_state_dict``.
    """

    def __init__(self, cell: str = "gru", input_size: int = 1, hidden_size: int = 64, n_classes: int = 10,
                 num_layers: int = 1, channels_first: bool = True, nonlinearity: str = "tanh", rng=None,
                 dtype=np.float32):
        super().__init__()
        cell = str(cell).lower()
        if cell not in _CELLS:
            raise ValueError(f"SequenceClassifier: cell must be one of {sorted(_CELLS)}, got {cell!r}")
        rng = _init.as_generator(rng)
        dtype = np.dtype(dtype)
        self.cell, self.channels_first, self.nonlinearity = cell, bool(channels_first), str(nonlinearity)
        self.n_classes = _n_classes(n_classes, "SequenceClassifier")
        extra = {"nonlinearity": self.nonlinearity} if cell == "rnn" else {}
        self.rnn = _CELLS[cell](input_size, hidden_size, num_layers=num_layers, batch_first=True, rng=rng,
                                dtype=dtype, **extra)
        self.head = nn.Linear(hidden_size, self.n_classes, rng=rng, dtype=dtype)

    def forward(self, x):
        name = f"SequenceClassifier({self.cell})"
        x = as_input_tensor(x, self.rnn.weight_ih_l0.dtype, name)
        if x.ndim == 2:
            if self.rnn.input_size != 1:
                raise ValueError(f"{name}: a 2-D input (N, L) is L steps of one feature, but input_size is "
                                 f"{self.rnn.input_size}; pass (N, C, L) or (N, L, C)")
            x = x.reshape(x.shape[0], x.shape[1], 1)
        elif x.ndim == 3:
            if self.channels_first:
                if x.shape[1] != self.rnn.input_size:
                    raise ValueError(f"{name} expected (N, C={self.rnn.input_size}, L) input "
                                     f"(channels_first=True), got shape {x.shape}")
                x = x.swapaxes(1, 2)
        else:
            raise ValueError(f"{name} expected a 2-D (N, L) or 3-D input, got shape {x.shape}")
        _, h_n = self.rnn(x)
        if isinstance(h_n, tuple):  # LSTM: (h_n, c_n)
            h_n = h_n[0]
        return self.head(h_n[-1])

    def extra_repr(self) -> str:
        return f"cell={self.cell!r}, channels_first={self.channels_first}"

    def get_config(self) -> dict:
        config = {"cell": self.cell, "input_size": self.rnn.input_size, "hidden_size": self.rnn.hidden_size,
                  "n_classes": self.n_classes, "num_layers": self.rnn.num_layers,
                  "channels_first": self.channels_first, "dtype": self.rnn.dtype.name}
        if self.cell == "rnn":
            config["nonlinearity"] = self.nonlinearity
        return config


register_layer(SequenceClassifier)


def _sequence(cell: str, input_shape, n_classes, hidden_size, num_layers, rng, seed, dtype, **extra):
    builder = cell
    shape, k = _shape(input_shape, builder), _n_classes(n_classes, builder)
    if len(shape) == 1:
        input_size = 1
    elif len(shape) == 2:
        input_size = shape[0]  # (C, L): C features per step, Conv1d's layout
    else:
        raise ValueError(f"{builder}: input_shape must be (L,) or (C, L) for a sequence, got {shape}")
    return SequenceClassifier(cell, input_size, int(hidden_size), k, num_layers=int(num_layers),
                              channels_first=True, rng=_rng(rng, seed), dtype=dtype, **extra)


def gru(input_shape, n_classes: int, *, hidden_size: int = 64, num_layers: int = 1, rng=None, seed=None,
        dtype=np.float32):
    """GRU sequence classifier (:class:`SequenceClassifier`): input ``(L,)`` is L steps of one feature.

    The MNIST-1D paper's GRU (hidden 6, bidirectional, reading every step) reaches 91 %; from
    the last hidden state alone hidden 6 is far too small, 64 is the default here.
    """
    return _sequence("gru", input_shape, n_classes, hidden_size, num_layers, rng, seed, dtype)


def lstm(input_shape, n_classes: int, *, hidden_size: int = 64, num_layers: int = 1, rng=None, seed=None,
         dtype=np.float32):
    """LSTM sequence classifier (:class:`SequenceClassifier`)."""
    return _sequence("lstm", input_shape, n_classes, hidden_size, num_layers, rng, seed, dtype)


def rnn(input_shape, n_classes: int, *, hidden_size: int = 64, num_layers: int = 1, nonlinearity: str = "tanh",
        rng=None, seed=None, dtype=np.float32):
    """Elman RNN sequence classifier (:class:`SequenceClassifier`)."""
    return _sequence("rnn", input_shape, n_classes, hidden_size, num_layers, rng, seed, dtype,
                     nonlinearity=nonlinearity)


#: name -> builder
MODELS = {"logistic": logistic_regression, "mlp": mlp, "cnn": cnn, "gru": gru, "lstm": lstm, "rnn": rnn}


def build_model(name: str, input_shape, n_classes: int, **options):
    """Build the zoo model ``name`` (a key of :data:`MODELS`) with the builder's keyword ``options``.

    >>> build_model("mlp", (40,), 10, hidden=(32,), rng=0)      # doctest: +ELLIPSIS
    Sequential(...)
    """
    key = str(name).strip().lower().replace("-", "_")
    key = {"logistic_regression": "logistic", "logreg": "logistic"}.get(key, key)
    if key not in MODELS:
        raise ValueError(f"build_model: unknown model {name!r}; choose one of {', '.join(MODELS)}")
    return MODELS[key](input_shape, n_classes, **options)
