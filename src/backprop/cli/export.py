"""``backprop export``: write a run's model as an ONNX file that takes what ``predict`` takes."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from . import common as C

ONNX_HINT = "ONNX export needs the optional dependency onnx: pip install 'backprop[onnx]'"

EPILOG = """\
Examples:
  backprop export --model runs/digits --onnx digits.onnx
  backprop export --model runs/mnist-cnn --onnx mnist.onnx --opset 13

The ONNX graph takes what 'backprop predict' takes: rows of raw features, input "input" of
shape (batch, n_features), float32.  The run's feature scaling (preprocessing.json) and the
reshape to the model's input layout (e.g. (batch, 1, 28, 28) for a CNN) are part of the graph.
Its output "output" is the model's raw output: logits for a classifier trained with
cross_entropy (apply softmax for the probabilities 'backprop predict' prints), a probability
with --loss bce, a logit with bce_with_logits, the prediction for regression.
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    from ..io.onnx_export import DEFAULT_OPSET, MAX_OPSET, MIN_OPSET

    p = subparsers.add_parser(
        "export", help="write a trained run's model as an ONNX file",
        description="Export the model of a run directory written by 'backprop train' to ONNX\n"
                    "(for onnxruntime and other ONNX runtimes).",
        epilog=EPILOG)
    p.add_argument("--model", required=True, metavar="RUN_DIR", help="run directory written by 'backprop train'")
    p.add_argument("--onnx", required=True, metavar="FILE", help="the .onnx file to write")
    p.add_argument("--opset", type=C.positive_int, default=DEFAULT_OPSET, metavar="N",
                   help=f"ONNX opset, {MIN_OPSET} to {MAX_OPSET} (default {DEFAULT_OPSET})")
    C.add_common_flags(p)
    p.set_defaults(func=main)
    return p


def main(args) -> int:
    from ..io.onnx_export import MAX_OPSET, MIN_OPSET

    try:
        import onnx  # noqa: F401 - only to say clearly what is missing
    except ImportError:
        raise C.CLIError(ONNX_HINT) from None
    if not MIN_OPSET <= args.opset <= MAX_OPSET:
        raise C.CLIError(f"--opset must be from {MIN_OPSET} to {MAX_OPSET}, got {args.opset}")
    run = C.load_run(args.model)
    out = Path(args.onnx)
    if out.is_dir():
        raise C.CLIError(f"--onnx {out}: is a directory, expected a file name such as model.onnx")
    if not out.parent.exists():
        raise C.CLIError(f"--onnx {out}: the directory {out.parent} does not exist")
    try:
        proto = export_run(run, out, opset=args.opset)
    except ValueError as exc:  # a layer without an ONNX converter
        raise C.CLIError(f"--model {run.run_dir}: cannot export this {run.model_name} model to ONNX: "
                         f"{C.one_line(str(exc))}") from None
    dims = "x".join(str(d) for d in run.input_shape)
    print(f"model  {run.run_dir} ({run.model_name}, input {dims})")
    print(f"wrote  {out}: input 'input' (batch, {run.n_features}) raw features, output 'output' "
          f"({_output_words(run.output)}), opset {args.opset}, {len(proto.graph.node)} nodes")
    return 0


def _output_words(kind: str) -> str:
    return {"softmax": "logits: apply softmax for probabilities", "sigmoid": "probability of class 1",
            "logit": "logit of class 1", "identity": "prediction"}[kind]


def export_run(run, path: Path, *, opset: int):
    """Export ``run.model`` with the run's scaling and reshape in front; returns the ONNX model."""
    import onnx
    from onnx import helper, numpy_helper

    from ..io import export_onnx
    from ..train.storage import atomic_write_bytes

    input_shape = tuple(run.input_shape) or (run.n_features,)
    with tempfile.TemporaryDirectory() as tmp:
        # export_onnx writes the model alone (input in the model's layout); the prelude is added below
        proto = export_onnx(run.model, Path(tmp) / "model.onnx", (None, *input_shape), opset=opset,
                            dtype=np.float32)
    graph = proto.graph
    inner = "model_input"
    for node in graph.node:
        node.input[:] = [inner if name == "input" else name for name in node.input]
    prelude, inits = [], []
    current = "input"

    def const(name, value, dtype=np.float32):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(np.asarray(value, dtype=dtype)), name))
        return name

    def node(op, inputs, output):
        prelude.append(helper.make_node(op, inputs, [output], name=f"node:preprocessing/{output}"))
        return output

    scaler = run.preprocessing.scaler
    if scaler is not None:
        if type(scaler).__name__ == "Standardizer":  # (x - mean) / scale
            current = node("Sub", [current, const("preprocessing.mean", scaler.mean_.reshape(-1))], "centred")
            current = node("Div", [current, const("preprocessing.scale", scaler.scale_.reshape(-1))], "scaled")
        else:  # MinMaxScaler: low + (x - min) * (high - low) / range
            low, high = scaler.feature_range
            factor = (high - low) / scaler._range()
            current = node("Sub", [current, const("preprocessing.data_min", scaler.data_min_.reshape(-1))],
                           "shifted")
            current = node("Mul", [current, const("preprocessing.factor", factor.reshape(-1))], "stretched")
            current = node("Add", [current, const("preprocessing.low", np.float32(low))], "scaled")
    shape = const("preprocessing.shape", [-1, *input_shape], np.int64)
    node("Reshape", [current, shape], inner)
    for item in reversed(prelude):
        graph.node.insert(0, item)
    graph.initializer.extend(inits)
    del graph.input[:]
    graph.input.append(helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT, ["batch", run.n_features]))
    onnx.checker.check_model(proto, full_check=True)
    atomic_write_bytes(path, proto.SerializeToString())
    return proto
