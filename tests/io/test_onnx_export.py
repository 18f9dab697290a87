"""ONNX export: the file is valid, and onnxruntime and the ONNX reference evaluator reproduce backprop."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import backprop
from backprop import nn, optim
from backprop.io.onnx_export import export_onnx

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx.reference import ReferenceEvaluator  # noqa: E402

ATOL = 1e-5


def _layer(name: str):
    """A layer class from backprop.nn, or from the module it is defined in; skip if it does not exist yet."""
    cls = getattr(nn, name, None)
    if cls is None:
        import importlib
        for module in ("backprop.nn.conv", "backprop.nn.pooling", "backprop.nn.recurrent"):
            try:
                cls = getattr(importlib.import_module(module), name, None)
            except ImportError:
                cls = None
            if cls is not None:
                break
    if cls is None:
        pytest.skip(f"backprop.nn has no {name} yet")
    return cls


def _predict(model, x):
    model.eval()
    with backprop.no_grad():
        out = model(x)
    items = out if isinstance(out, tuple) else (out,)
    flat = []
    for item in items:
        flat.extend(item if isinstance(item, tuple) else (item,))
    return [t.data for t in flat]


def _run_both(path, x, input_name="input", reference=True):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    results = {"onnxruntime": session.run(None, {input_name: x})}
    if reference:
        results["reference"] = ReferenceEvaluator(str(path)).run(None, {input_name: x})
    return results


def _check_export(model, path, input_shape, inputs, opset=17, reference=True, atol=ATOL, **kwargs):
    """Export, validate, and compare both ONNX runtimes with backprop on every input."""
    proto = export_onnx(model, path, input_shape, opset, **kwargs)
    loaded = onnx.load(str(path))
    onnx.checker.check_model(loaded, full_check=True)
    assert loaded.ir_version <= 13
    assert [(o.domain, o.version) for o in loaded.opset_import] == [("", opset)]
    assert loaded == proto
    for x in inputs:
        expected = _predict(model, x)
        for runtime, outputs in _run_both(path, x, kwargs.get("input_name", "input"), reference).items():
            assert len(outputs) == len(expected), runtime
            for got, want in zip(outputs, expected):
                assert got.shape == want.shape, (runtime, got.shape, want.shape)
                assert got.dtype == want.dtype, runtime
                np.testing.assert_allclose(got, want, atol=atol, rtol=1e-5, err_msg=runtime)
    return loaded


def _randn(rng, *shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def _train_steps(model, rng, input_shape, n_out, steps=5):
    """A few SGD steps in training mode, so BatchNorm's running statistics are not 0 and 1."""
    optimizer = optim.SGD(model.parameters(), lr=0.05)
    loss_fn = nn.MSELoss()
    model.train()
    for _ in range(steps):
        x = _randn(rng, 16, *input_shape) * 2 + 0.5
        target = backprop.Tensor(_randn(rng, 16, n_out))
        optimizer.zero_grad()
        loss = loss_fn(model(x), target)
        loss.backward()
        optimizer.step()


# ---------------------------------------------------------------------------- MLPs
def _mlp_every_activation(rng):
    return nn.Sequential(
        nn.Linear(6, 16, rng=rng), nn.BatchNorm1d(16), nn.Sigmoid(),
        nn.Linear(16, 16, rng=rng), nn.Tanh(), nn.Dropout(0.3, rng=rng),
        nn.Linear(16, 16, rng=rng), nn.ReLU(),
        nn.Linear(16, 16, rng=rng), nn.LeakyReLU(0.2),
        nn.Linear(16, 16, rng=rng), nn.ELU(alpha=0.7),
        nn.Linear(16, 16, rng=rng), nn.GELU(),
        nn.Linear(16, 16, rng=rng), nn.Softplus(), nn.Identity(),
        nn.Linear(16, 5, rng=rng), nn.LogSoftmax(axis=1),
    )


@pytest.mark.parametrize("opset", [13, 17, 19, 20, 21])
def test_mlp_with_every_activation_batchnorm_and_dropout(tmp_path, rng, opset):
    model = _mlp_every_activation(rng)
    _train_steps(model, rng, (6,), 5)
    bn = model[1]
    assert not np.allclose(bn.running_mean, 0) and not np.allclose(bn.running_var, 1)
    model.train()  # export must switch to eval itself
    proto = _check_export(model, tmp_path / "mlp.onnx", (None, 6), [_randn(rng, 7, 6), _randn(rng, 1, 6) * 3],
                          opset=opset)
    ops = [node.op_type for node in proto.graph.node]
    assert "BatchNormalization" in ops and "Gemm" in ops and "Dropout" not in ops
    assert ("Gelu" in ops) == (opset >= 20)
    for op in ("Sigmoid", "Tanh", "Relu", "LeakyRelu", "Elu", "Softplus", "LogSoftmax"):
        assert op in ops
    attrs = {node.op_type: {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
             for node in proto.graph.node}
    assert attrs["LeakyRelu"]["alpha"] == pytest.approx(0.2)
    assert attrs["Elu"]["alpha"] == pytest.approx(0.7)
    assert attrs["Gemm"]["transB"] == 1


def test_export_restores_each_modules_mode(tmp_path, rng):
    model = _mlp_every_activation(rng)
    model.train()
    model[5].eval()  # a mixed state must come back exactly
    before = [m.training for m in model.modules()]
    export_onnx(model, tmp_path / "m.onnx", (None, 6))
    assert [m.training for m in model.modules()] == before
    model.eval()
    export_onnx(model, tmp_path / "m.onnx", (None, 6))
    assert not any(m.training for m in model.modules())


def test_softmax_output_and_initializers_named_after_the_state_dict(tmp_path, rng):
    model = nn.Sequential(nn.Linear(4, 8, rng=rng), nn.Tanh(), nn.Linear(8, 3, rng=rng), nn.Softmax())
    proto = _check_export(model, tmp_path / "softmax.onnx", (None, 4), [_randn(rng, 9, 4) * 4])
    names = {init.name for init in proto.graph.initializer}
    assert {"0.weight", "0.bias", "2.weight", "2.bias"} <= names
    weight = next(init for init in proto.graph.initializer if init.name == "0.weight")
    np.testing.assert_array_equal(onnx.numpy_helper.to_array(weight), model[0].weight.data)
    probabilities = _run_both(tmp_path / "softmax.onnx", _randn(rng, 3, 4))["onnxruntime"][0]
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-6)


def test_residual_blocks_nested_sequential(tmp_path, rng):
    block = nn.Sequential(nn.Linear(8, 8, rng=rng), nn.ReLU(), nn.Linear(8, 8, rng=rng))
    model = nn.Sequential(
        nn.Linear(5, 8, rng=rng),
        nn.Residual(block),
        nn.Residual(nn.Sequential(nn.Residual(nn.Linear(8, 8, rng=rng)), nn.GELU())),
        nn.Linear(8, 2, rng=rng))
    proto = _check_export(model, tmp_path / "res.onnx", (None, 5), [_randn(rng, 6, 5)])
    assert sum(node.op_type == "Add" and node.output[0].endswith("residual_add") for node in proto.graph.node) == 3


def test_single_layer_model_and_3d_linear_input(tmp_path, rng):
    _check_export(nn.Linear(4, 3, rng=rng), tmp_path / "lin.onnx", (None, 4), [_randn(rng, 5, 4)])
    # (N, T, F) input: Gemm is 2-D only, so Linear becomes MatMul + Add.
    model = nn.Sequential(nn.Linear(4, 6, rng=rng), nn.ReLU(), nn.Linear(6, 2, bias=False, rng=rng),
                          nn.Softmax(axis=1), nn.Flatten())
    proto = _check_export(model, tmp_path / "lin3d.onnx", (None, 3, 4), [_randn(rng, 5, 3, 4), _randn(rng, 2, 3, 4)])
    ops = [node.op_type for node in proto.graph.node]
    assert "MatMul" in ops and "Gemm" not in ops


def test_flatten_other_start_axes_and_batchnorm_on_3d_and_4d(tmp_path, rng):
    bn1, bn2 = nn.BatchNorm1d(3), nn.BatchNorm2d(2)
    for bn in (bn1, bn2):
        bn.weight.data[...] = rng.uniform(0.5, 2, bn.num_features)
        bn.bias.data[...] = rng.standard_normal(bn.num_features)
    model = nn.Sequential(bn2, nn.Flatten(start_axis=2), nn.Identity())
    _check_export(model, tmp_path / "f2.onnx", (None, 2, 3, 4), [_randn(rng, 3, 2, 3, 4)])
    bn1.train()
    bn1(_randn(rng, 8, 3, 5) * 3 + 1)  # non-trivial running statistics
    model = nn.Sequential(bn1, nn.Flatten(start_axis=-2), nn.Linear(15, 2, rng=rng))
    _check_export(model, tmp_path / "f3.onnx", (None, 3, 5), [_randn(rng, 4, 3, 5)])
    _check_export(nn.Flatten(start_axis=0), tmp_path / "f0.onnx", (2, 3), [_randn(rng, 2, 3)], dynamic_batch=False)


def test_float64_model(tmp_path, rng):
    model = nn.Sequential(nn.Linear(4, 8, rng=rng, dtype=np.float64), nn.Tanh(),
                          nn.Linear(8, 8, rng=rng, dtype=np.float64), nn.Sigmoid(),
                          nn.Linear(8, 3, rng=rng, dtype=np.float64), nn.LogSoftmax())
    proto = _check_export(model, tmp_path / "f64.onnx", (None, 4), [_randn(rng, 5, 4, dtype=np.float64)], atol=1e-12)
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    assert all(init.data_type == onnx.TensorProto.DOUBLE for init in proto.graph.initializer)


def test_dtype_argument_casts_the_weights(tmp_path, rng):
    model = nn.Sequential(nn.Linear(4, 3, rng=rng, dtype=np.float64), nn.ReLU())
    proto = export_onnx(model, tmp_path / "m.onnx", (None, 4), dtype=np.float32)
    assert all(init.data_type == onnx.TensorProto.FLOAT for init in proto.graph.initializer)
    x = _randn(rng, 5, 4)
    got = _run_both(tmp_path / "m.onnx", x)["onnxruntime"][0]
    np.testing.assert_allclose(got, _predict(model, x.astype(np.float64))[0], atol=1e-5)
    with pytest.raises(TypeError, match="float32 or float64"):
        export_onnx(model, tmp_path / "m.onnx", (None, 4), dtype=np.float16)


# ---------------------------------------------------------------------------- dynamic batch
def test_one_file_serves_several_batch_sizes(tmp_path, rng):
    model = nn.Sequential(nn.Linear(3, 4, rng=rng), nn.ReLU(), nn.Linear(4, 2, rng=rng))
    proto = _check_export(model, tmp_path / "dyn.onnx", (1, 3), [_randn(rng, n, 3) for n in (1, 2, 17, 64)])
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert proto.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert proto.graph.output[0].type.tensor_type.shape.dim[1].dim_value == 2


def test_static_batch_when_asked(tmp_path, rng):
    model = nn.Sequential(nn.Linear(3, 2, rng=rng))
    proto = _check_export(model, tmp_path / "static.onnx", (4, 3), [_randn(rng, 4, 3)], dynamic_batch=False,
                          input_name="features", output_name="scores")
    dim = proto.graph.input[0].type.tensor_type.shape.dim[0]
    assert dim.dim_value == 4 and not dim.dim_param
    assert proto.graph.input[0].name == "features" and proto.graph.output[0].name == "scores"
    session = ort.InferenceSession(str(tmp_path / "static.onnx"), providers=["CPUExecutionProvider"])
    with pytest.raises(Exception):
        session.run(None, {"features": _randn(rng, 5, 3)})


# ---------------------------------------------------------------------------- convolution and pooling
def test_small_cnn_conv_variants_and_pooling(tmp_path, rng):
    Conv2d, MaxPool2d, AvgPool2d = _layer("Conv2d"), _layer("MaxPool2d"), _layer("AvgPool2d")
    model = nn.Sequential(
        Conv2d(3, 4, 3, padding=1, rng=rng),
        nn.ReLU(),
        Conv2d(4, 6, 3, stride=2, padding=(1, 2), rng=rng),
        nn.ReLU(),
        Conv2d(6, 6, 3, dilation=2, padding="same", groups=3, rng=rng),
        Conv2d(6, 4, (2, 3), padding="same", bias=False, rng=rng),  # even kernel: asymmetric pads
        nn.ReLU(),
        MaxPool2d(2, stride=1, padding=1),
        AvgPool2d(3, stride=2, padding=1),  # count_include_pad=True, PyTorch's default
        AvgPool2d(2, stride=1, padding=1, count_include_pad=False),
        nn.Flatten(),
        nn.Linear(4 * 7 * 8, 3, rng=rng))
    proto = _check_export(model, tmp_path / "cnn.onnx", (None, 3, 20, 23),
                          [_randn(rng, 2, 3, 20, 23), _randn(rng, 5, 3, 20, 23)])
    convs = [node for node in proto.graph.node if node.op_type == "Conv"]
    attrs = [{a.name: onnx.helper.get_attribute_value(a) for a in node.attribute} for node in convs]
    assert attrs[2]["group"] == 3 and attrs[2]["dilations"] == [2, 2] and attrs[2]["pads"] == [2, 2, 2, 2]
    assert attrs[1]["strides"] == [2, 2] and attrs[1]["pads"] == [1, 2, 1, 2]
    assert attrs[3]["pads"] == [0, 1, 1, 1]
    avg = [{a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
           for node in proto.graph.node if node.op_type == "AveragePool"]
    assert [a["count_include_pad"] for a in avg] == [1, 0]


def test_conv1d_and_global_avg_pool(tmp_path, rng):
    Conv1d, GlobalAvgPool = _layer("Conv1d"), _layer("GlobalAvgPool")
    MaxPool1d, AvgPool1d = _layer("MaxPool1d"), _layer("AvgPool1d")
    bn = nn.BatchNorm1d(8)
    model = nn.Sequential(
        Conv1d(2, 8, 5, padding="same", rng=rng), bn, nn.ELU(),
        MaxPool1d(3, stride=2, padding=1),
        Conv1d(8, 8, 3, dilation=2, groups=4, rng=rng), nn.GELU(),
        AvgPool1d(2),
        GlobalAvgPool(), nn.Linear(8, 3, rng=rng), nn.Softmax())
    _train_steps(model, rng, (2, 30), 3, steps=3)
    proto = _check_export(model, tmp_path / "conv1d.onnx", (None, 2, 30),
                          [_randn(rng, 4, 2, 30), _randn(rng, 1, 2, 30)])
    ops = [node.op_type for node in proto.graph.node]
    assert "GlobalAveragePool" in ops and "BatchNormalization" in ops


def test_conv2d_batchnorm2d_global_pool(tmp_path, rng):
    Conv2d, GlobalAvgPool = _layer("Conv2d"), _layer("GlobalAvgPool")
    model = nn.Sequential(Conv2d(1, 4, 3, rng=rng), nn.BatchNorm2d(4), nn.LeakyReLU(0.1),
                          nn.Residual(nn.Sequential(Conv2d(4, 4, 3, padding="same", rng=rng), nn.Tanh())),
                          GlobalAvgPool(), nn.Linear(4, 2, rng=rng))
    _train_steps(model, rng, (1, 9, 9), 2, steps=3)
    _check_export(model, tmp_path / "cnn2.onnx", (None, 1, 9, 9), [_randn(rng, 3, 1, 9, 9)])


# ---------------------------------------------------------------------------- recurrent
@pytest.mark.parametrize("name", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_recurrent_layers(tmp_path, rng, name, batch_first):
    cls = _layer(name)
    model = cls(3, 5, num_layers=2, batch_first=batch_first, dropout=0.2, rng=rng)
    shape = (None, 7, 3) if batch_first else (7, None, 3)
    xs = [_randn(rng, 4, 7, 3), _randn(rng, 1, 7, 3)] if batch_first else [_randn(rng, 7, 4, 3), _randn(rng, 7, 1, 3)]
    proto = _check_export(model, tmp_path / f"{name}.onnx", shape, xs)
    expected = ["output", "h_n"] + (["c_n"] if name == "LSTM" else [])
    assert [o.name for o in proto.graph.output] == expected
    batch_axis = 0 if batch_first else 1
    assert proto.graph.input[0].type.tensor_type.shape.dim[batch_axis].dim_param == "batch"
    assert proto.graph.output[1].type.tensor_type.shape.dim[1].dim_param == "batch"
    assert sum(node.op_type == name for node in proto.graph.node) == 2


def test_recurrent_single_layer_without_bias_relu_and_dynamic_length(tmp_path, rng):
    gru = _layer("GRU")(4, 3, bias=False, rng=rng)
    _check_export(gru, tmp_path / "gru.onnx", (None, None, 4), [_randn(rng, 6, 2, 4), _randn(rng, 2, 5, 4)])
    # The ONNX reference evaluator's RNN knows only tanh, so relu is checked with onnxruntime.
    rnn = _layer("RNN")(4, 3, nonlinearity="relu", rng=rng)
    _check_export(rnn, tmp_path / "rnn.onnx", (5, None, 4), [_randn(rng, 5, 3, 4)], reference=False)


def test_sequential_ending_in_recurrent_layer(tmp_path, rng):
    lstm = _layer("LSTM")(6, 4, batch_first=True, rng=rng)
    model = nn.Sequential(nn.Linear(3, 6, rng=rng), nn.Tanh(), lstm)
    _check_export(model, tmp_path / "seq.onnx", (None, 5, 3), [_randn(rng, 2, 5, 3)])


def test_linear_before_sequence_first_recurrent_layer_keeps_batch_axis_1(tmp_path, rng):
    model = nn.Sequential(nn.Linear(3, 6, rng=rng), nn.ReLU(), _layer("RNN")(6, 4, num_layers=2, rng=rng))
    proto = _check_export(model, tmp_path / "seq1.onnx", (5, None, 3), [_randn(rng, 5, 2, 3), _randn(rng, 5, 7, 3)])
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_value == 5 and dims[1].dim_param == "batch"


def test_layer_after_recurrent_layer_is_a_clear_error(tmp_path, rng):
    model = nn.Sequential(_layer("GRU")(3, 4, rng=rng), nn.Linear(4, 2, rng=rng))
    with pytest.raises(ValueError, match=r"layer '1' \(Linear\).*recurrent"):
        export_onnx(model, tmp_path / "bad.onnx", (5, None, 3))
    assert not (tmp_path / "bad.onnx").exists()


# ---------------------------------------------------------------------------- errors
class Scale(nn.Module):
    def forward(self, x):
        return x * 2


class LoudReLU(nn.ReLU):
    def forward(self, x):
        return super().forward(x) * 3


def test_unsupported_layer_is_named_with_its_path(tmp_path, rng):
    model = nn.Sequential(nn.Linear(3, 3, rng=rng), Scale())
    with pytest.raises(ValueError, match=r"layer '1' \(Scale\) has no ONNX export yet; supported: .*Linear"):
        export_onnx(model, tmp_path / "bad.onnx", (None, 3))
    nested = nn.Sequential(nn.Linear(3, 3, rng=rng), nn.Residual(nn.Sequential(nn.ReLU(), Scale())))
    with pytest.raises(ValueError, match=r"layer '1\.block\.1' \(Scale\)"):
        export_onnx(nested, tmp_path / "bad.onnx", (None, 3))
    with pytest.raises(ValueError, match=r"model \(Scale\)"):
        export_onnx(Scale(), tmp_path / "bad.onnx", (None, 3))
    # A subclass that changes forward must not be exported as its base class.
    with pytest.raises(ValueError, match=r"layer '0' \(LoudReLU\)"):
        export_onnx(nn.Sequential(LoudReLU()), tmp_path / "bad.onnx", (None, 3))
    assert not (tmp_path / "bad.onnx").exists()


def test_embedding_is_unsupported(tmp_path):
    from backprop.nn.embedding import Embedding
    with pytest.raises(ValueError, match=r"layer '0' \(Embedding\) has no ONNX export"):
        export_onnx(nn.Sequential(Embedding(10, 3)), tmp_path / "e.onnx", (None, 4))


def test_batchnorm_without_running_stats_is_a_clear_error(tmp_path):
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3, track_running_stats=False))
    with pytest.raises(ValueError, match=r"layer '1' \(BatchNorm1d\).*track_running_stats"):
        export_onnx(model, tmp_path / "bn.onnx", (None, 3))


@pytest.mark.parametrize("opset", [12, 22, 0, -1, "17", 17.0, True])
def test_opset_out_of_range(tmp_path, opset):
    with pytest.raises(ValueError, match="opset must be an integer from 13 to 21"):
        export_onnx(nn.Linear(2, 2), tmp_path / "o.onnx", (None, 2), opset=opset)
    assert not (tmp_path / "o.onnx").exists()


def test_bad_input_shape(tmp_path):
    model = nn.Sequential(nn.Linear(4, 2))
    with pytest.raises(ValueError, match="batch axis"):
        export_onnx(model, tmp_path / "s.onnx", (4,))
    with pytest.raises(ValueError, match="input_shape"):
        export_onnx(model, tmp_path / "s.onnx", (None, 0))
    with pytest.raises(ValueError, match=r"layer '0' \(Linear\).*shape \(2, 5\)"):
        export_onnx(model, tmp_path / "s.onnx", (None, 5))
    with pytest.raises(ValueError, match="must differ"):
        export_onnx(model, tmp_path / "s.onnx", (None, 4), input_name="x", output_name="x")
    assert not (tmp_path / "s.onnx").exists()


def test_missing_onnx_gives_install_hint(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install 'backprop\[onnx\]'"):
        export_onnx(nn.Linear(2, 2), tmp_path / "m.onnx", (None, 2))


def test_overwrites_atomically(tmp_path, rng):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"old")
    export_onnx(nn.Sequential(nn.Linear(2, 2, rng=rng)), path, (None, 2))
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]  # no temp file left behind
    with pytest.raises(ValueError):
        export_onnx(nn.Sequential(Scale()), path, (None, 2))
    onnx.load(str(path))  # the failed export left the previous file intact
