"""Recurrent layers: ``RNN`` (Elman, tanh or relu), ``GRU`` and ``LSTM``, multi-layer.

The API, parameter names, shapes, gate order and initialisation are PyTorch's
(``torch.nn.RNN/GRU/LSTM``, unidirectional), so ``model.load_state_dict`` of a PyTorch
state dict gives the same outputs and gradients.  Each layer of the stack is one fused
graph node (:mod:`backprop.autograd.ops.recurrent`): the input projection of all time
steps is one matrix product, and backward runs backpropagation through time in a NumPy
loop over the steps.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.ops import recurrent as _R
from ..autograd.ops.shape import stack
from ..autograd.tensor import Tensor
from . import init as _init
from .layers import as_input_tensor
from .module import Module, Parameter
from .registry import register_layer


def _check_positive_int(layer: str, name: str, value) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{layer}: {name} must be a positive integer, got {value!r}")
    return int(value)


class _RecurrentBase(Module):
    """Shared constructor, validation and layer stacking of RNN, GRU and LSTM.

    Subclasses set ``gates`` (1, 3, 4) and implement ``_run_layer``.
    """

    gates = 1
    n_states = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, rng=None, dtype=np.float32):
        super().__init__()
        kind = type(self).__name__
        self.input_size = _check_positive_int(kind, "input_size", input_size)
        self.hidden_size = _check_positive_int(kind, "hidden_size", hidden_size)
        self.num_layers = _check_positive_int(kind, "num_layers", num_layers)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float, np.floating, np.integer)) \
                or not 0 <= dropout < 1:
            raise ValueError(f"{kind}: dropout must be a probability in [0, 1), got {dropout!r}")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{kind}: dtype must be a floating-point type, got {dtype}")
        self.bias, self.batch_first, self.dropout, self.dtype = bool(bias), bool(batch_first), float(dropout), dtype
        self.rng = _init.as_generator(rng)
        # PyTorch: every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H)), drawn in parameter order.
        bound = 1.0 / math.sqrt(self.hidden_size)
        rows = self.gates * self.hidden_size
        for k in range(self.num_layers):
            n_in = self.input_size if k == 0 else self.hidden_size
            shapes = [("weight_ih", (rows, n_in)), ("weight_hh", (rows, self.hidden_size))]
            if self.bias:
                shapes += [("bias_ih", (rows,)), ("bias_hh", (rows,))]
            for name, shape in shapes:
                setattr(self, f"{name}_l{k}",
                        Parameter(_init.uniform(shape, -bound, bound, rng=self.rng, dtype=dtype)))

    # ------------------------------------------------------------------ description
    def _name(self) -> str:
        return f"{type(self).__name__}(input_size={self.input_size}, hidden_size={self.hidden_size})"

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        return text

    def get_config(self) -> dict:
        return {"input_size": self.input_size, "hidden_size": self.hidden_size, "num_layers": self.num_layers,
                "bias": self.bias, "batch_first": self.batch_first, "dropout": self.dropout,
                "dtype": self.dtype.name}

    def _layer_params(self, k: int) -> tuple:
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if self.bias else [])
        return tuple(getattr(self, f"{name}_l{k}") for name in names)

    # ------------------------------------------------------------------ validation
    def _prepare_input(self, x) -> Tensor:
        dtype = self.weight_ih_l0.dtype
        x = as_input_tensor(x, dtype, self._name())
        if x.ndim != 3:
            layout = "(batch, seq_len, features)" if self.batch_first else "(seq_len, batch, features)"
            raise ValueError(
                f"{self._name()} expected a 3-D input {layout} (batch_first={self.batch_first}), got shape "
                f"{x.shape}; add a batch axis for a single sequence (x[:, None] or x[None])")
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"{self._name()} expected input with {self.input_size} features (last axis), got shape {x.shape}")
        if x.shape[0] == 0 or x.shape[1] == 0:
            raise ValueError(f"{self._name()} got an empty input of shape {x.shape}; sequences need at least "
                             "one time step and one batch item")
        return x

    def _prepare_state(self, state, batch: int, what: str) -> Tensor:
        dtype = self.weight_ih_l0.dtype
        expected = (self.num_layers, batch, self.hidden_size)
        if state is None:
            return Tensor(np.zeros(expected, dtype=dtype))
        state = as_input_tensor(state, dtype, self._name())
        if state.shape != expected:
            raise ValueError(
                f"{self._name()} expected {what} of shape (num_layers, batch, hidden_size) = {expected}, got "
                f"shape {state.shape}")
        return state

    def _split_states(self, hx, batch):
        """The initial states as a list of (num_layers, N, H) tensors."""
        if self.n_states == 1:
            if isinstance(hx, (tuple, list)):
                raise TypeError(f"{self._name()}: hx must be one tensor h0 of shape (num_layers, batch, "
                                "hidden_size), not a tuple (only LSTM takes (h0, c0))")
            return [self._prepare_state(hx, batch, "h0")]
        if hx is None:
            return [self._prepare_state(None, batch, "h0"), self._prepare_state(None, batch, "c0")]
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(f"{self._name()}: hx must be a pair (h0, c0) of tensors of shape "
                            "(num_layers, batch, hidden_size)")
        return [self._prepare_state(hx[0], batch, "h0"), self._prepare_state(hx[1], batch, "c0")]

    # ------------------------------------------------------------------ forward
    def forward(self, x, hx=None):
        """Run the stack over a sequence.

        Parameters
        ----------
        x : Tensor or array, shape (L, N, input_size), or (N, L, input_size) if batch_first
        hx : Tensor, shape (num_layers, N, hidden_size), optional (zeros if omitted);
            for LSTM a pair (h0, c0) of such tensors.

        Returns
        -------
        output : Tensor, shape (L, N, hidden_size) or (N, L, hidden_size) if batch_first
            The hidden states of the last layer at every time step.
        h_n : Tensor (num_layers, N, hidden_size); for LSTM the pair (h_n, c_n).
        """
        x = self._prepare_input(x)
        if self.batch_first:
            x = x.swapaxes(0, 1)
        batch = x.shape[1]
        states = self._split_states(hx, batch)
        finals = [[] for _ in states]
        for k in range(self.num_layers):
            if k > 0 and self.dropout and self.training:
                mask = (self.rng.random(x.shape) >= self.dropout).astype(x.dtype)
                x = x * Tensor(mask / np.asarray(1 - self.dropout, dtype=x.dtype))
            layer_states = [s[k] for s in states]
            x, layer_finals = self._run_layer(x, layer_states, self._layer_params(k))
            for store, final in zip(finals, layer_finals):
                store.append(final)
        output = x.swapaxes(0, 1) if self.batch_first else x
        stacked = [stack(f, axis=0) if len(f) > 1 else f[0].reshape((1,) + f[0].shape) for f in finals]
        return output, (stacked[0] if self.n_states == 1 else tuple(stacked))


class RNN(_RecurrentBase):
    """Multi-layer Elman RNN: h_t = act(x_t Wᵢₕᵀ + bᵢₕ + h_{t-1} Wₕₕᵀ + bₕₕ), act = tanh or relu.

    Parameters
    ----------
    input_size, hidden_size : int
    num_layers : int
        Stacked layers; layer k > 0 reads the hidden states of layer k - 1.
    nonlinearity : {'tanh', 'relu'}
    bias : bool
    batch_first : bool
        Input and output are (N, L, features) instead of (L, N, features).
    dropout : float
        Dropout probability on the outputs of every layer but the last (training only).
    rng : numpy.random.Generator or int, optional
        Source of the initial weights (and dropout masks).
    dtype : dtype

    Attributes
    ----------
    weight_ih_l{k} : (hidden_size, input_size for k = 0 else hidden_size)
    weight_hh_l{k} : (hidden_size, hidden_size)
    bias_ih_l{k}, bias_hh_l{k} : (hidden_size,)

    Notes
    -----
    Initialised like PyTorch: every weight and bias ~ U(-1/√H, 1/√H).  Backward is BPTT:
    δ_t = dL/dh_t ⊙ act'; dL/dh_{t-1} += δ_t Wₕₕ; dL/dWₕₕ = Σ_t δ_tᵀ h_{t-1}.

    Examples
    --------
    >>> import numpy as np
    >>> from backprop.nn.recurrent import RNN
    >>> rnn = RNN(3, 5, num_layers=2, rng=0)
    >>> out, h_n = rnn(np.zeros((7, 4, 3), dtype=np.float32))
    >>> out.shape, h_n.shape
    ((7, 4, 5), (2, 4, 5))
    """

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, rng=None, dtype=np.float32):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, rng, dtype)
        self.nonlinearity = nonlinearity

    def _run_layer(self, x, states, params):
        out = _R.RNNSequence.apply(x, states[0], *params, nonlinearity=self.nonlinearity)
        return out, [out[-1]]

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text if self.nonlinearity == "tanh" else text + ", nonlinearity='relu'"

    def get_config(self) -> dict:
        return {**super().get_config(), "nonlinearity": self.nonlinearity}


class GRU(_RecurrentBase):
    """Multi-layer gated recurrent unit (Cho et al. 2014), PyTorch's formulation.

    r = σ(x Wᵢᵣᵀ + bᵢᵣ + h Wₕᵣᵀ + bₕᵣ),  z = σ(x W_izᵀ + b_iz + h W_hzᵀ + b_hz),
    n = tanh(x Wᵢₙᵀ + bᵢₙ + r ⊙ (h Wₕₙᵀ + bₕₙ)),  h' = (1 − z) ⊙ n + z ⊙ h.

    Parameters are those of :class:`RNN` (without ``nonlinearity``); the weights stack the
    gates r, z, n in that order: ``weight_ih_l{k}`` is (3·hidden_size, in),
    ``weight_hh_l{k}`` (3·hidden_size, hidden_size), biases (3·hidden_size,).

    Notes
    -----
    One fused graph node per layer; the BPTT equations are in
    :class:`backprop.autograd.ops.recurrent.GRUSequence`.
    """

    gates = 3

    def _run_layer(self, x, states, params):
        out = _R.GRUSequence.apply(x, states[0], *params)
        return out, [out[-1]]


class LSTM(_RecurrentBase):
    """Multi-layer long short-term memory (Hochreiter & Schmidhuber 1997), PyTorch's formulation.

    i, f, o = σ(x Wᵢₕᵀ + bᵢₕ + h Wₕₕᵀ + bₕₕ) (their rows), g = tanh(its rows),
    c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c').  Gate order in the weights: i, f, g, o
    (``weight_ih_l{k}`` is (4·hidden_size, in)).

    ``forward(x, (h0, c0))`` returns ``output, (h_n, c_n)``; both states are optional.

    Notes
    -----
    One fused graph node per layer; the BPTT equations are in
    :class:`backprop.autograd.ops.recurrent.LSTMSequence`.
    """

    gates = 4
    n_states = 2

    def _run_layer(self, x, states, params):
        packed = _R.LSTMSequence.apply(x, states[0], states[1], *params)
        length = x.shape[0]
        return packed[:length], [packed[length - 1], packed[length]]


for _cls in (RNN, GRU, LSTM):
    register_layer(_cls)

__all__ = ["RNN", "GRU", "LSTM"]
