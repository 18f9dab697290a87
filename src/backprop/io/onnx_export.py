"""Export a backprop model to an ONNX file: :func:`export_onnx`.

The model is converted layer by layer (the converters live in :mod:`.onnx_ops`) while it is
traced in evaluation mode on a dummy input of ``input_shape``: every layer runs in backprop
too, so a shape that does not fit fails here with the layer named, and the exported graph
has the same structure as the model (one ONNX node, or a few, per layer; initializers named
after the state-dict keys).

``onnx`` is an optional dependency (``pip install 'backprop[onnx]'``); it is imported only
when :func:`export_onnx` is called.
"""

from __future__ import annotations

import numpy as np

from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..nn.module import Module
from . import onnx_ops
from .onnx_ops import Value

MIN_OPSET, MAX_OPSET, DEFAULT_OPSET = 13, 21, 17
# onnx 1.23 writes IR version 14 by default, which onnxruntime 1.31 refuses (it reads ≤ 13).
_MIN_IR_VERSION, _MAX_IR_VERSION = 8, 13
_ONNX_MISSING = "ONNX export needs the optional dependency: pip install 'backprop[onnx]'"


def _import_onnx():
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError as exc:
        raise ImportError(_ONNX_MISSING) from exc
    return onnx, helper, numpy_helper


class _GraphBuilder:
    """Nodes and initializers of the graph being written, with unique names."""

    def __init__(self, opset: int, dtype: np.dtype, helper, numpy_helper, table: dict):
        self.opset, self.dtype, self.helper, self.numpy_helper = opset, dtype, helper, numpy_helper
        self.table = table
        self.nodes, self.initializers, self._names = [], [], set()

    def unique(self, base: str) -> str:
        name, k = base, 1
        while name in self._names:
            name, k = f"{base}_{k}", k + 1
        self._names.add(name)
        return name

    def const(self, name: str, value) -> str:
        """A floating initializer in the export dtype (contiguous copy of a weight or a constant)."""
        array = np.ascontiguousarray(np.asarray(value, dtype=self.dtype))
        name = self.unique(name)
        self.initializers.append(self.numpy_helper.from_array(array, name))
        return name

    def int_const(self, name: str, values) -> str:
        name = self.unique(name)
        self.initializers.append(self.numpy_helper.from_array(np.asarray(values, dtype=np.int64), name))
        return name

    def node(self, op_type: str, inputs, path: str, what: str, n_outputs: int = 1, **attrs):
        """Append one node; returns its output name (a list of names when ``n_outputs`` > 1)."""
        stem = f"{path}/{what}" if path else what
        outputs = [self.unique(stem if n_outputs == 1 else f"{stem}:{k}") for k in range(n_outputs)]
        self.nodes.append(self.helper.make_node(op_type, list(inputs), outputs, name=self.unique(f"node:{stem}"),
                                                **attrs))
        return outputs[0] if n_outputs == 1 else outputs

    def convert(self, module, path: str, x):
        converter = onnx_ops.find_converter(module, self.table)
        label = f"layer '{path}' ({type(module).__name__})" if path else f"model ({type(module).__name__})"
        if converter is None:
            supported = ", ".join(sorted({cls.__name__ for cls in self.table}))
            raise ValueError(f"{label} has no ONNX export yet; supported: {supported} (a subclass that "
                             "overrides forward is not supported either)")
        if isinstance(x, tuple):
            raise ValueError(f"{label} receives the tuple (output, states) of a recurrent layer; only the last "
                             "layer of an exported model may be recurrent")
        return converter(self, module, path, x)


def _model_dtype(model: Module) -> np.dtype:
    for param in model.parameters():
        if param.dtype.kind == "f":
            return np.dtype(param.dtype)
    for _, buffer in model.named_buffers():
        if buffer is not None and np.asarray(buffer).dtype.kind == "f":
            return np.asarray(buffer).dtype
    return np.dtype(np.float32)


def _batch_axis(model: Module) -> int:
    """0, or 1 when the model's (first) recurrent layer reads sequence-first input (L, N, F).

    Layers in front of a recurrent layer (Linear, activations) act on the last axis, so the
    recurrent layer's layout is the model input's layout.
    """
    for module in model.modules():
        axis = onnx_ops.recurrent_batch_axis(module)
        if axis is not None:
            return axis
    return 0


def _flat(out) -> list:
    """A model output (a Tensor, or a recurrent layer's (output, h_n) / (output, (h_n, c_n))) as a list."""
    if isinstance(out, (tuple, list)):
        return [t for item in out for t in _flat(item)]
    return [out]


def _check_arguments(model, input_shape, opset, dtype, input_name, output_name):
    if not isinstance(model, Module):
        raise TypeError(f"export_onnx needs a backprop Module, got {type(model).__name__}")
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)) or not MIN_OPSET <= opset <= MAX_OPSET:
        raise ValueError(f"export_onnx: opset must be an integer from {MIN_OPSET} to {MAX_OPSET}, got {opset!r}")
    try:
        shape = tuple(input_shape)
    except TypeError:
        raise ValueError(f"export_onnx: input_shape must be a tuple such as (None, 4) (batch axis first, None for "
                         f"a dynamic size), got {input_shape!r}") from None
    if not shape or any(d is not None and (isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d <= 0)
                        for d in shape):
        raise ValueError(f"export_onnx: input_shape must be a non-empty tuple of positive ints or None (batch "
                         f"axis included, e.g. (None, 4) or (1, 3, 28, 28)), got {input_shape!r}")
    dtype = _model_dtype(model) if dtype is None else np.dtype(dtype)
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"export_onnx: dtype must be float32 or float64, got {dtype}")
    for what, name in (("input_name", input_name), ("output_name", output_name)):
        if not isinstance(name, str) or not name:
            raise ValueError(f"export_onnx: {what} must be a non-empty string, got {name!r}")
    if input_name == output_name:
        raise ValueError(f"export_onnx: input_name and output_name must differ, both are {input_name!r}")
    return shape, dtype


def export_onnx(model: Module, path, input_shape, opset: int = DEFAULT_OPSET, *, dtype=None,
                input_name: str = "input", output_name: str = "output", dynamic_batch: bool = True):
    """Write ``model`` as an ONNX file that onnxruntime can run.

    Parameters
    ----------
    model : Module
        Built from Sequential, Linear, Dropout, BatchNorm1d/2d, Residual, Flatten, Identity,
        the activations, Conv1d/2d, MaxPool/AvgPool 1d/2d, GlobalAvgPool and RNN/GRU/LSTM
        (a recurrent layer must be the last layer).  Anything else is a ``ValueError``
        naming the layer.
    path : str or os.PathLike
        Destination; written atomically (a failed export leaves no partial file).
    input_shape : tuple of int or None
        The shape of one input *including the batch axis*, e.g. ``(None, 4)`` for an MLP,
        ``(None, 3, 32, 32)`` for a CNN, ``(seq_len, None, features)`` for a sequence-first
        RNN.  ``None`` marks a dynamic axis (traced with size 2).
    opset : int
        ONNX opset of the default domain, 13 to 21 (default 17).  GELU is the ``Gelu`` op
        from opset 20 on and built from Mul/Add/Tanh before.
    dtype : float32 or float64, optional
        The graph's float type; defaults to the model's parameter dtype.
    input_name, output_name : str
        Names of the graph's input and output.  A final recurrent layer adds the outputs
        ``h_n`` (and ``c_n`` for LSTM).
    dynamic_batch : bool
        Make the batch axis symbolic (``"batch"``), so one file serves any batch size.
        The batch axis is 0, or 1 when the model holds a sequence-first RNN/GRU/LSTM.

    Returns
    -------
    onnx.ModelProto
        The model that was written.

    Notes
    -----
    The model is exported in evaluation mode (Dropout is the identity, BatchNorm uses the
    running statistics); every module's previous mode is restored afterwards.  The file
    pins ``ir_version`` to the smallest version the opset needs (at least 8, at most 13),
    because onnx ≥ 1.23 writes IR 14 by default and onnxruntime 1.31 cannot load that.

    A float64 export is valid ONNX, but onnxruntime's CPU provider has no float64 ``Conv``
    kernel: export convolutional models with ``dtype=np.float32`` to run them there.

    Examples
    --------
    >>> from backprop import nn
    >>> from backprop.io import export_onnx                      # doctest: +SKIP
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3), nn.Softmax())
    >>> export_onnx(model, "model.onnx", input_shape=(None, 4))  # doctest: +SKIP
    """
    onnx, helper, numpy_helper = _import_onnx()
    shape, dtype = _check_arguments(model, input_shape, opset, dtype, input_name, output_name)
    opset = int(opset)

    batch_axis = _batch_axis(model)
    if dynamic_batch and len(shape) < 2:
        raise ValueError(f"export_onnx: input_shape {input_shape!r} has no batch axis; include it, e.g. "
                         f"(None, {shape[0]}) for {shape[0]} features")
    dynamic = {}  # axis -> symbolic name
    for axis, size in enumerate(shape):
        if axis == batch_axis and (dynamic_batch or size is None):
            dynamic[axis] = "batch"
        elif size is None:
            dynamic[axis] = f"{input_name}_dim{axis}"
    concrete = tuple(2 if d is None else int(d) for d in shape)

    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        with no_grad():
            graph = _GraphBuilder(opset, dtype, helper, numpy_helper, onnx_ops.converters())
            for reserved in (input_name, output_name, "h_n", "c_n"):
                graph.unique(reserved)
            trace_dtype = _model_dtype(model)
            x = Value(input_name, np.zeros(concrete, dtype=trace_dtype))
            result = graph.convert(model, "", x)
            outputs = list(result) if isinstance(result, tuple) else [result]
            output_dims = _dynamic_output_dims(model, concrete, dynamic, trace_dtype, outputs)
    finally:
        for module, mode in modes:
            object.__setattr__(module, "training", mode)

    names = [output_name] + (["h_n", "c_n"][:len(outputs) - 1])
    for value, name in zip(outputs, names):
        if name == input_name:
            raise ValueError(f"export_onnx: input_name {input_name!r} collides with the recurrent output {name!r}")
        graph.nodes.append(helper.make_node("Identity", [value.name], [name], name=graph.unique(f"node:{name}")))

    elem_type = helper.np_dtype_to_tensor_dtype(dtype)
    input_dims = [dynamic.get(axis, size) for axis, size in enumerate(concrete)]
    graph_inputs = [helper.make_tensor_value_info(input_name, elem_type, input_dims)]
    graph_outputs = [helper.make_tensor_value_info(name, elem_type, dims) for name, dims in zip(names, output_dims)]
    onnx_graph = helper.make_graph(graph.nodes, f"backprop_{type(model).__name__}", graph_inputs, graph_outputs,
                                   initializer=graph.initializers)
    opset_id = helper.make_opsetid("", opset)
    proto = helper.make_model(onnx_graph, opset_imports=[opset_id], producer_name="backprop",
                              producer_version=_version())
    proto.ir_version = min(_MAX_IR_VERSION, max(_MIN_IR_VERSION, helper.find_min_ir_version_for([opset_id])))
    onnx.checker.check_model(proto, full_check=True)

    from ..train.storage import atomic_write_bytes
    atomic_write_bytes(path, proto.SerializeToString())
    return proto


def _dynamic_output_dims(model, concrete, dynamic, dtype, outputs) -> list:
    """Output shapes with the axes that follow a dynamic input axis made symbolic.

    Found by running the model again with each dynamic input axis one larger: an output
    axis whose size changes gets that input axis's symbolic name.
    """
    dims = [list(value.data.shape) for value in outputs]
    for axis, symbol in dynamic.items():
        grown = list(concrete)
        grown[axis] += 1
        try:
            again = _flat(model(Tensor(np.zeros(grown, dtype=dtype))))
        except Exception:  # e.g. a size the layers cannot take: leave the output axes unnamed
            dims = [[d if isinstance(d, str) else None for d in shape] for shape in dims]
            continue
        for shape, before, after in zip(dims, outputs, again):
            for k, (a, b) in enumerate(zip(before.data.shape, after.data.shape)):
                if a != b:
                    shape[k] = symbol
    return dims


def _version() -> str:
    try:
        from .. import __version__
        return str(__version__)
    except ImportError:
        return ""


__all__ = ["export_onnx"]
