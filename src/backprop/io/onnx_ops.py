"""Layer-by-layer converters from backprop modules to ONNX nodes (used by :mod:`.onnx_export`).

Each converter has the signature ``convert(graph, module, path, x) -> Value``: it appends the
nodes and initializers that compute ``module(x)`` to ``graph`` and returns the new value.  A
:class:`Value` carries the ONNX name of a tensor *and* the array backprop computed for it on
the dummy input (the trace), so converters know ranks and shapes without shape inference,
and every layer's output is checked to exist in backprop before it is written.

Conventions worth knowing when reading a converter:

* Linear is ``Gemm(transB=1)`` for 2-D input (the weight stays (out, in), as stored) and
  ``MatMul(x, Wᵀ) + b`` for any other rank (Gemm is 2-D only).
* Flatten(start_axis=1) is ONNX ``Flatten(axis=1)``; other start axes are a ``Reshape``
  with ``[0]*start_axis + [-1]``, because ONNX Flatten always folds the leading axes too.
* Conv padding (ints, tuples, 'same', 'valid') becomes explicit ``pads`` = begins + ends.
* Recurrent gate blocks are reordered: PyTorch LSTM (i, f, g, o) → ONNX (i, o, f, c);
  GRU (r, z, n) → ONNX (z, r, h) with ``linear_before_reset=1`` (PyTorch applies the reset
  gate after the hidden-to-hidden product).
* ``models.SequenceClassifier`` is one converter over its children: its input reshape
  (Unsqueeze or Transpose to (N, L, F)), the recurrent layer above, ``Gather(h_n, -1)``
  (the last layer's final hidden state, which is what its forward classifies) and the Gemm
  head; its single output is the logits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..autograd.tensor import Tensor
from ..nn import activations as _act
from ..nn import layers as _layers
from ..nn import normalization as _norm
from ..nn.containers import Sequential

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


@dataclass
class Value:
    """One tensor of the graph: its ONNX name and the traced array it holds for the dummy input."""

    name: str
    data: np.ndarray


def _layer_label(path: str, module) -> str:
    return f"layer '{path}' ({type(module).__name__})" if path else f"model ({type(module).__name__})"


def run_layer(module, path: str, x: Value):
    """backprop's own output of ``module`` on the traced input (the eval-mode, no-grad forward)."""
    try:
        return module(Tensor(x.data))
    except Exception as exc:  # the user's input_shape does not fit this layer: say where
        raise ValueError(f"tracing {_layer_label(path, module)} on an input of shape {x.data.shape} failed: "
                         f"{exc}; check input_shape (it includes the batch axis)") from exc


def _traced(module, path: str, x: Value) -> np.ndarray:
    out = run_layer(module, path, x)
    if not isinstance(out, Tensor):
        raise ValueError(f"{_layer_label(path, module)} returned {type(out).__name__}, not a Tensor; "
                         "it cannot be exported")
    return out.data


# ---------------------------------------------------------------------------- containers
def convert_sequential(g, module, path, x):
    for name, child in module.named_children():
        x = g.convert(child, f"{path}.{name}" if path else name, x)
    return x


def convert_residual(g, module, path, x):
    y = g.convert(module.block, f"{path}.block" if path else "block", x)
    if isinstance(y, tuple):
        raise ValueError(f"{_layer_label(path, module)}: its block returns several tensors; "
                         "x + block(x) needs one")
    out = g.node("Add", [x.name, y.name], path, "residual_add")
    return Value(out, _traced(module, path, x))


def convert_identity(g, module, path, x):
    # Dropout in inference form and Identity: y = x.
    return Value(g.node("Identity", [x.name], path, type(module).__name__.lower()), x.data)


# ---------------------------------------------------------------------------- core layers
def convert_linear(g, module, path, x):
    y = _traced(module, path, x)
    if x.data.ndim == 2:
        inputs = [x.name, g.const(f"{path}.weight", module.weight.data)]
        if module.bias is not None:
            inputs.append(g.const(f"{path}.bias", module.bias.data))
        return Value(g.node("Gemm", inputs, path, "gemm", transB=1), y)
    wt = g.const(f"{path}.weight_transposed", module.weight.data.T)
    z = g.node("MatMul", [x.name, wt], path, "matmul")
    if module.bias is not None:
        z = g.node("Add", [z, g.const(f"{path}.bias", module.bias.data)], path, "add_bias")
    return Value(z, y)


def convert_flatten(g, module, path, x):
    y = _traced(module, path, x)
    ndim = x.data.ndim
    start = module.start_axis + ndim if module.start_axis < 0 else module.start_axis
    if start == 1:
        return Value(g.node("Flatten", [x.name], path, "flatten", axis=1), y)
    shape = g.int_const(f"{path}.shape", [0] * start + [-1])
    return Value(g.node("Reshape", [x.name, shape], path, "reshape"), y)


def convert_batchnorm(g, module, path, x):
    if not module.track_running_stats:
        raise ValueError(f"{_layer_label(path, module)} has track_running_stats=False, so it normalizes with "
                         "batch statistics even in evaluation mode; ONNX BatchNormalization needs running "
                         "statistics (build the layer with track_running_stats=True and train it)")
    y = _traced(module, path, x)
    c = module.num_features
    dtype = g.dtype
    scale = module.weight.data if module.affine else np.ones(c, dtype)
    shift = module.bias.data if module.affine else np.zeros(c, dtype)
    inputs = [x.name, g.const(f"{path}.weight", scale), g.const(f"{path}.bias", shift),
              g.const(f"{path}.running_mean", module.running_mean),
              g.const(f"{path}.running_var", module.running_var)]
    return Value(g.node("BatchNormalization", inputs, path, "batchnorm", epsilon=float(module.eps)), y)


# ---------------------------------------------------------------------------- activations
def _simple(op_type, **attrs):
    def convert(g, module, path, x):
        y = _traced(module, path, x)
        values = {k: (v(module) if callable(v) else v) for k, v in attrs.items()}
        return Value(g.node(op_type, [x.name], path, op_type.lower(), **values), y)
    convert.__name__ = f"convert_{op_type.lower()}"
    return convert


def convert_gelu(g, module, path, x):
    y = _traced(module, path, x)
    if g.opset >= 20:
        return Value(g.node("Gelu", [x.name], path, "gelu", approximate="tanh"), y)
    # Opsets below 20 have no Gelu: ½ x (1 + tanh(√(2/π)(x + 0.044715 x³))), x³ as two Muls
    # (Pow with a float exponent is less exact in some runtimes).
    x2 = g.node("Mul", [x.name, x.name], path, "gelu_x2")
    x3 = g.node("Mul", [x2, x.name], path, "gelu_x3")
    cx3 = g.node("Mul", [x3, g.const(f"{path}.gelu_coefficient", 0.044715)], path, "gelu_cx3")
    inner = g.node("Add", [x.name, cx3], path, "gelu_inner")
    u = g.node("Mul", [inner, g.const(f"{path}.gelu_sqrt_2_over_pi", _SQRT_2_OVER_PI)], path, "gelu_u")
    t = g.node("Tanh", [u], path, "gelu_tanh")
    one_plus = g.node("Add", [t, g.const(f"{path}.gelu_one", 1.0)], path, "gelu_one_plus")
    half_x = g.node("Mul", [x.name, g.const(f"{path}.gelu_half", 0.5)], path, "gelu_half_x")
    return Value(g.node("Mul", [half_x, one_plus], path, "gelu"), y)


# ---------------------------------------------------------------------------- conv and pooling
def _pads(pairs) -> list[int]:
    """((lo, hi), ...) per axis → ONNX's [x1_begin, x2_begin, ..., x1_end, x2_end, ...]."""
    pairs = list(pairs)
    return [int(lo) for lo, _ in pairs] + [int(hi) for _, hi in pairs]


def convert_conv(g, module, path, x):
    from ..autograd.ops.conv import conv_padding
    y = _traced(module, path, x)
    pads = conv_padding(module.padding, module.kernel_size, module.dilation, module.stride, path)
    inputs = [x.name, g.const(f"{path}.weight", module.weight.data)]
    if module.bias is not None:
        inputs.append(g.const(f"{path}.bias", module.bias.data))
    out = g.node("Conv", inputs, path, "conv", kernel_shape=list(module.kernel_size), strides=list(module.stride),
                 dilations=list(module.dilation), pads=_pads(pads), group=int(module.groups))
    return Value(out, y)


def convert_maxpool(g, module, path, x):
    y = _traced(module, path, x)
    out = g.node("MaxPool", [x.name], path, "maxpool", kernel_shape=list(module.kernel_size),
                 strides=list(module.stride), pads=_pads((p, p) for p in module.padding))
    return Value(out, y)


def convert_avgpool(g, module, path, x):
    y = _traced(module, path, x)
    out = g.node("AveragePool", [x.name], path, "avgpool", kernel_shape=list(module.kernel_size),
                 strides=list(module.stride), pads=_pads((p, p) for p in module.padding),
                 count_include_pad=int(module.count_include_pad))
    return Value(out, y)


def convert_global_avgpool(g, module, path, x):
    y = _traced(module, path, x)
    pooled = g.node("GlobalAveragePool", [x.name], path, "global_avgpool")  # (N, C, 1, ...)
    return Value(g.node("Flatten", [pooled], path, "flatten", axis=1), y)


# ---------------------------------------------------------------------------- recurrent
# Row blocks of PyTorch's stacked weights, in the order ONNX wants them.
_GATE_ORDER = {"RNN": [0], "GRU": [1, 0, 2], "LSTM": [0, 3, 1, 2]}


def _reorder(array: np.ndarray, order, hidden: int) -> np.ndarray:
    blocks = [array[k * hidden:(k + 1) * hidden] for k in range(len(order))]
    return np.concatenate([blocks[k] for k in order], axis=0)


def convert_recurrent(g, module, path, x):
    """RNN/GRU/LSTM: one ONNX node per stacked layer; returns (output, h_n) or (output, h_n, c_n)."""
    kind = "LSTM" if module.n_states == 2 else ("GRU" if module.gates == 3 else "RNN")
    out = run_layer(module, path, x)
    output, states = out
    states = states if isinstance(states, tuple) else (states,)
    hidden, order = module.hidden_size, _GATE_ORDER[kind]
    seq = g.node("Transpose", [x.name], path, "to_sequence_first", perm=[1, 0, 2]) if module.batch_first else x.name
    attrs = {"hidden_size": hidden}
    if kind == "GRU":
        attrs["linear_before_reset"] = 1
    if kind == "RNN":
        attrs["activations"] = ["Relu" if module.nonlinearity == "relu" else "Tanh"]
    finals = [[] for _ in states]
    squeeze_axes = g.int_const(f"{path}.squeeze_axes", [1])
    for k in range(module.num_layers):
        prefix = f"{path}.l{k}"
        w = _reorder(getattr(module, f"weight_ih_l{k}").data, order, hidden)[None]
        r = _reorder(getattr(module, f"weight_hh_l{k}").data, order, hidden)[None]
        inputs = [seq, g.const(f"{prefix}.W", w), g.const(f"{prefix}.R", r)]
        if module.bias:
            b = np.concatenate([_reorder(getattr(module, f"bias_ih_l{k}").data, order, hidden),
                                _reorder(getattr(module, f"bias_hh_l{k}").data, order, hidden)])[None]
            inputs.append(g.const(f"{prefix}.B", b))
        outs = g.node(kind, inputs, prefix, kind.lower(), n_outputs=1 + len(states), **attrs)
        # Y is (seq, num_directions=1, batch, hidden): drop the directions axis for the next layer.
        seq = g.node("Squeeze", [outs[0], squeeze_axes], prefix, "squeeze")
        for store, name in zip(finals, outs[1:]):
            store.append(name)
    y = g.node("Transpose", [seq], path, "to_batch_first", perm=[1, 0, 2]) if module.batch_first else seq
    values = [Value(y, output.data)]
    for store, state in zip(finals, states):
        name = store[0] if len(store) == 1 else g.node("Concat", store, path, "stack_states", axis=0)
        values.append(Value(name, state.data))
    return tuple(values)


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def convert_sequence_classifier(g, module, path, x):
    """:class:`backprop.models.SequenceClassifier`: ``head(h_n[-1])`` of its batch-first recurrent layer.

    The input is made (N, L, F) as ``forward`` does it: (N, L) → Unsqueeze to (N, L, 1);
    channels-first (N, C, L) → Transpose to (N, L, C); (N, L, F) as it is.  The recurrent
    layer is :func:`convert_recurrent`; ``h_n[-1]`` (the last layer's state after the last
    step, shape (N, H)) is a Gather of index -1 on its stacked ``h_n``, and the head a Gemm.
    """
    y = _traced(module, path, x)  # shape errors (e.g. input_size != 1 for (N, L)) name this layer
    data = x.data
    if data.ndim == 2:
        axes = g.int_const(f"{path}.unsqueeze_axes" if path else "unsqueeze_axes", [2])
        steps = Value(g.node("Unsqueeze", [x.name, axes], path, "to_steps"), data.reshape(*data.shape, 1))
    elif module.channels_first:
        steps = Value(g.node("Transpose", [x.name], path, "to_steps", perm=[0, 2, 1]), data.swapaxes(1, 2))
    else:
        steps = x
    rnn_path = _child(path, "rnn")
    states = g.convert(module.rnn, rnn_path, steps)  # (output, h_n) or (output, h_n, c_n)
    h_n = states[1]  # (num_layers, N, H)
    last = g.int_const(f"{rnn_path}.last_layer", -1)  # a scalar index: Gather drops the layer axis
    h_last = Value(g.node("Gather", [h_n.name, last], rnn_path, "h_last", axis=0), h_n.data[-1])
    out = g.convert(module.head, _child(path, "head"), h_last)
    return Value(out.name, y)


# ---------------------------------------------------------------------------- registry
def converters() -> dict:
    """{module class: converter}; the conv, pooling and recurrent layers when their modules exist."""
    table = {
        Sequential: convert_sequential,
        _layers.Residual: convert_residual,
        _layers.Identity: convert_identity,
        _layers.Dropout: convert_identity,
        _layers.Linear: convert_linear,
        _layers.Flatten: convert_flatten,
        _norm.BatchNorm1d: convert_batchnorm,
        _norm.BatchNorm2d: convert_batchnorm,
        _act.Sigmoid: _simple("Sigmoid"),
        _act.Tanh: _simple("Tanh"),
        _act.ReLU: _simple("Relu"),
        _act.LeakyReLU: _simple("LeakyRelu", alpha=lambda m: float(m.negative_slope)),
        _act.ELU: _simple("Elu", alpha=lambda m: float(m.alpha)),
        _act.GELU: convert_gelu,
        _act.Softplus: _simple("Softplus"),
        _act.Softmax: _simple("Softmax", axis=lambda m: int(m.axis)),
        _act.LogSoftmax: _simple("LogSoftmax", axis=lambda m: int(m.axis)),
    }
    try:
        from ..nn import conv as _conv
        table.update({_conv.Conv1d: convert_conv, _conv.Conv2d: convert_conv})
    except ImportError:
        pass
    try:
        from ..nn import pooling as _pool
        table.update({_pool.MaxPool1d: convert_maxpool, _pool.MaxPool2d: convert_maxpool,
                      _pool.AvgPool1d: convert_avgpool, _pool.AvgPool2d: convert_avgpool,
                      _pool.GlobalAvgPool: convert_global_avgpool})
    except ImportError:
        pass
    try:
        from ..nn import recurrent as _rec
        table.update({_rec.RNN: convert_recurrent, _rec.GRU: convert_recurrent, _rec.LSTM: convert_recurrent})
    except ImportError:
        pass
    try:
        from ..models import SequenceClassifier
        table[SequenceClassifier] = convert_sequence_classifier
    except ImportError:
        pass
    return table


# Methods whose override in a subclass changes what a layer computes: such a subclass is not
# exported with its base class's converter.
_BEHAVIOUR_METHODS = ("forward", "_apply", "_run_layer")


def find_converter(module, table: dict):
    """The converter for ``module``'s class (or a base class it does not change), else None."""
    for cls in type(module).__mro__:
        if cls in table:
            if all(getattr(type(module), m, None) is getattr(cls, m, None) for m in _BEHAVIOUR_METHODS):
                return table[cls]
            return None
    return None


def recurrent_batch_axis(module) -> int | None:
    """1 for a sequence-first recurrent layer (input (L, N, F)), None for anything else."""
    if hasattr(module, "n_states") and hasattr(module, "batch_first") and hasattr(module, "_run_layer"):
        return 0 if module.batch_first else 1
    return None


__all__ = ["Value", "converters", "find_converter", "run_layer", "recurrent_batch_axis"]
