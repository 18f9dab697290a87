"""ONNX export of the zoo's sequence classifiers (:class:`backprop.models.SequenceClassifier`)."""

from __future__ import annotations

import numpy as np
import pytest

import backprop
from backprop import nn
from backprop.io.onnx_export import export_onnx
from backprop.models import SequenceClassifier, build_model

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

ATOL = 1e-5
BATCHES = (1, 3, 8)


def _backprop(model, x):
    model.eval()
    with backprop.no_grad():
        return model(x).data


def _session(path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _check(model, path, input_shape, sample_shape, batches=BATCHES, seed=0, **kwargs):
    """Export, run the full checker, and compare onnxruntime with backprop for several batch sizes."""
    proto = export_onnx(model, path, input_shape, **kwargs)
    loaded = onnx.load(str(path))
    onnx.checker.check_model(loaded, full_check=True)
    assert [o.name for o in loaded.graph.output] == ["output"]  # no h_n / c_n: the head's logits only
    session = _session(path)
    dtype = np.dtype(kwargs.get("dtype") or np.float32)
    rng = np.random.default_rng(seed)
    for n in batches:
        x = rng.normal(size=(n, *sample_shape)).astype(dtype)
        expected = _backprop(model, x)
        (got,) = session.run(None, {"input": x})
        assert got.shape == expected.shape == (n, model.n_classes)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, expected, atol=ATOL, rtol=0)
    return proto


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("sample_shape", [(12,), (1, 12)], ids=["N,L", "N,1,L"])
@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_zoo_sequence_models_match_onnxruntime(tmp_path, cell, sample_shape, num_layers):
    model = build_model(cell, sample_shape, 5, hidden_size=7, num_layers=num_layers, rng=3)
    assert isinstance(model, SequenceClassifier) and model.rnn.num_layers == num_layers
    proto = _check(model, tmp_path / "model.onnx", (None, *sample_shape), sample_shape)
    ops = [node.op_type for node in proto.graph.node]
    assert ops.count(cell.upper()) == num_layers and "Gemm" in ops and "Gather" in ops
    dims = proto.graph.output[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and dims[1].dim_value == 5
    initializers = {init.name for init in proto.graph.initializer}
    assert {"head.weight", "head.bias", "rnn.l0.W", "rnn.l0.R", "rnn.l0.B"} <= initializers


@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_several_channels_first(tmp_path, cell):
    # (C, L) with C > 1: the model reads L steps of C features (Transpose to (N, L, C) in the graph)
    model = build_model(cell, (3, 9), 4, hidden_size=6, num_layers=2, rng=1)
    _check(model, tmp_path / "model.onnx", (None, 3, 9), (3, 9))


@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_batch_first_layout_without_channels_first(tmp_path, cell):
    # channels_first=False: the input is already (N, L, F) and goes to the recurrent layer as is
    model = SequenceClassifier(cell, input_size=3, hidden_size=5, n_classes=3, num_layers=2, channels_first=False,
                               rng=2)
    proto = _check(model, tmp_path / "model.onnx", (None, 9, 3), (9, 3))
    assert "Unsqueeze" not in [node.op_type for node in proto.graph.node]


def test_relu_rnn(tmp_path):
    model = build_model("rnn", (12,), 3, hidden_size=6, nonlinearity="relu", rng=4)
    proto = _check(model, tmp_path / "model.onnx", (None, 12), (12,))
    rnn_node = next(node for node in proto.graph.node if node.op_type == "RNN")
    activations = next(attr for attr in rnn_node.attribute if attr.name == "activations")
    assert list(activations.strings) == [b"Relu"]


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_dynamic_sequence_length(tmp_path, cell):
    model = build_model(cell, (10,), 4, hidden_size=5, num_layers=2, rng=5)
    path = tmp_path / "model.onnx"
    proto = export_onnx(model, path, (None, None))
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    assert proto.graph.input[0].type.tensor_type.shape.dim[1].dim_param == "input_dim1"
    session = _session(path)
    rng = np.random.default_rng(0)
    for n, length in [(2, 10), (5, 3), (1, 17)]:
        x = rng.normal(size=(n, length)).astype(np.float32)
        np.testing.assert_allclose(session.run(None, {"input": x})[0], _backprop(model, x), atol=ATOL, rtol=0)


@pytest.mark.parametrize("opset", [13, 21])
def test_opset_range(tmp_path, opset):
    model = build_model("lstm", (1, 8), 3, hidden_size=4, num_layers=2, rng=6)
    proto = _check(model, tmp_path / "model.onnx", (None, 1, 8), (1, 8), opset=opset)
    assert proto.opset_import[0].version == opset


def test_float64_model(tmp_path):
    # onnxruntime's CPU GRU/LSTM/RNN kernels are float32 only: a float64 model runs there when
    # exported with dtype=float32; its float64 export is valid ONNX that the reference evaluator runs.
    from onnx.reference import ReferenceEvaluator

    model = build_model("gru", (8,), 3, hidden_size=4, num_layers=2, rng=7, dtype=np.float64)
    path32, path64 = tmp_path / "model32.onnx", tmp_path / "model64.onnx"
    proto = export_onnx(model, path32, (None, 8), dtype=np.float32)
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    proto = export_onnx(model, path64, (None, 8))
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    onnx.checker.check_model(onnx.load(str(path64)), full_check=True)
    session, reference = _session(path32), ReferenceEvaluator(str(path64))
    rng = np.random.default_rng(3)
    for n in BATCHES:
        x = rng.normal(size=(n, 8))
        expected = _backprop(model, x)
        np.testing.assert_allclose(session.run(None, {"input": x.astype(np.float32)})[0], expected, atol=ATOL,
                                   rtol=0)
        np.testing.assert_allclose(reference.run(None, {"input": x})[0], expected, atol=1e-12, rtol=0)


def test_trained_weights_are_exported(tmp_path):
    # after a few optimizer steps the weights differ from the initial ones; the file follows them
    from backprop import optim

    model = build_model("gru", (6,), 3, hidden_size=5, rng=8)
    before = model.head.weight.data.copy()
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(16, 6)).astype(np.float32), rng.integers(0, 3, size=16)
    opt = optim.Adam(model.parameters(), lr=0.05)
    model.train()
    for _ in range(5):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    assert not np.array_equal(model.head.weight.data, before)
    model.train()
    _check(model, tmp_path / "model.onnx", (None, 6), (6,))
    model.train()
    export_onnx(model, tmp_path / "again.onnx", (None, 6))
    assert model.training  # the export restores the training mode


def test_wrong_input_shape_names_the_model(tmp_path):
    model = build_model("gru", (3, 9), 4, hidden_size=5, rng=9)  # input_size 3: (N, L) does not fit
    with pytest.raises(ValueError, match=r"SequenceClassifier"):
        export_onnx(model, tmp_path / "model.onnx", (None, 9))
    assert not (tmp_path / "model.onnx").exists()


def test_subclass_overriding_forward_is_refused(tmp_path):
    class Doubled(SequenceClassifier):
        def forward(self, x):
            return super().forward(x) * 2

    model = Doubled("gru", input_size=1, hidden_size=4, n_classes=3, rng=0)
    with pytest.raises(ValueError, match=r"model \(Doubled\) has no ONNX export yet"):
        export_onnx(model, tmp_path / "model.onnx", (None, 8))


def test_nested_in_sequential(tmp_path):
    # a SequenceClassifier inside a container (e.g. followed by Softmax) converts too
    model = nn.Sequential(build_model("lstm", (1, 7), 3, hidden_size=4, rng=10), nn.Softmax())
    path = tmp_path / "model.onnx"
    export_onnx(model, path, (None, 1, 7))
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    x = np.random.default_rng(2).normal(size=(4, 1, 7)).astype(np.float32)
    got = _session(path).run(None, {"input": x})[0]
    np.testing.assert_allclose(got, _backprop(model, x), atol=ATOL, rtol=0)
