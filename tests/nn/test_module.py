"""Module, Parameter, Sequential: registration, traversal, state dicts, modes, hooks, summary."""

import copy
import json

import numpy as np
import pytest

import backprop as bp
from backprop import nn


def mlp(rng, dtype=np.float32):
    return nn.Sequential(nn.Linear(4, 6, rng=rng, dtype=dtype), nn.BatchNorm1d(6, dtype=dtype), nn.ReLU(),
                         nn.Dropout(0.5, rng=1), nn.Linear(6, 2, rng=rng, dtype=dtype))


class Custom(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(3))
        self.inner = nn.Sequential(nn.Linear(3, 3, rng=0), nn.Tanh())
        self.register_buffer("count", np.zeros(()))
        self.plain = 5  # neither a parameter nor a buffer

    def forward(self, x):
        return self.inner(x) * self.scale


def test_parameter_is_a_leaf_tensor_requiring_grad():
    p = nn.Parameter(np.zeros((2, 3), dtype=np.float64))
    assert isinstance(p, bp.Tensor) and p.requires_grad and p.is_leaf and p.dtype == np.float64
    assert "Parameter" in repr(p)


def test_registration_order_and_dotted_names():
    m = Custom()
    assert [n for n, _ in m.named_parameters()] == ["scale", "inner.0.weight", "inner.0.bias"]
    assert list(m.parameters())[0] is m.scale
    assert [n for n, _ in m.named_buffers()] == ["count"]
    assert list(m.state_dict()) == ["scale", "count", "inner.0.weight", "inner.0.bias"]
    assert [type(c).__name__ for c in m.children()] == ["Sequential"]
    assert [type(c).__name__ for c in m.modules()] == ["Custom", "Sequential", "Linear", "Tanh"]
    assert m.plain == 5 and "plain" not in m.state_dict()
    # Re-assigning a buffer keeps it a buffer; deleting removes it.
    m.count = np.ones(())
    assert m.state_dict()["count"] == 1
    del m.count
    assert "count" not in m.state_dict()


def test_shared_parameters_are_listed_once():
    layer = nn.Linear(2, 2, rng=0)
    model = nn.Sequential(layer, nn.Tanh(), layer)
    assert len(list(model.parameters())) == 2


def test_forgetting_super_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(2))

    with pytest.raises(AttributeError, match=r"must call super\(\)\.__init__\(\)"):
        Broken()


def test_state_dict_is_a_copy_and_round_trip_restores_outputs(rng):
    model = mlp(rng)
    x = rng.normal(size=(5, 4)).astype(np.float32)
    model(x)  # one training step changes the running statistics
    model.eval()
    expected = model(x).data.copy()
    state = model.state_dict()
    state["0.weight"][...] = 123  # a copy: the model is untouched
    assert not np.any(model[0].weight.data == 123)
    state = model.state_dict()
    other = mlp(np.random.default_rng(999)).eval()
    assert not np.allclose(other(x).data, expected)
    weight_before = other[0].weight
    array_before = other[0].weight.data
    other.load_state_dict(state)
    np.testing.assert_array_equal(other(x).data, expected)
    assert other[0].weight is weight_before and other[0].weight.data is array_before  # in place
    assert other[1].num_batches_tracked.dtype == np.int64 and int(other[1].num_batches_tracked) == 1


def test_load_state_dict_keeps_the_module_dtype(rng):
    model = mlp(rng, np.float32)
    model.load_state_dict({k: v.astype(np.float64) if v.dtype.kind == "f" else v
                           for k, v in mlp(rng, np.float64).state_dict().items()})
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert model[1].running_mean.dtype == np.float32


def test_load_state_dict_errors_name_the_keys(rng):
    model = mlp(rng)
    state = model.state_dict()
    missing = dict(state)
    del missing["4.bias"]
    with pytest.raises(KeyError, match=r"missing keys: 4\.bias"):
        model.load_state_dict(missing)
    extra = dict(state, **{"5.weight": np.zeros(2)})
    with pytest.raises(KeyError, match=r"unexpected keys: 5\.weight"):
        model.load_state_dict(extra)
    wrong = dict(state, **{"0.weight": np.zeros((6, 5))})
    before = model[4].weight.data.copy()
    wrong["4.weight"] = np.full((2, 6), 7.0)
    with pytest.raises(ValueError, match=r"0\.weight: expected shape \(6, 4\), got \(6, 5\)"):
        model.load_state_dict(wrong)
    np.testing.assert_array_equal(model[4].weight.data, before)  # nothing half-written
    # strict=False skips missing/unexpected keys but loads the rest.
    missing_keys, unexpected = model.load_state_dict(dict(extra, **{"4.weight": np.ones((2, 6))}), strict=False)
    assert missing_keys == [] and unexpected == ["5.weight"]
    np.testing.assert_array_equal(model[4].weight.data, 1)


def test_train_eval_flags_propagate(rng):
    model = mlp(rng)
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_zero_grad(rng):
    model = mlp(rng)
    model(rng.normal(size=(4, 4))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(np.all(p.grad == 0) for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_to_double_and_float(rng):
    model = mlp(rng)
    params = list(model.parameters())
    assert model.double() is model
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]  # same objects
    assert model[1].running_var.dtype == np.float64
    assert model[1].num_batches_tracked.dtype == np.int64
    out = model(rng.normal(size=(3, 4)))
    assert out.dtype == np.float64
    model.float()
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert model(rng.normal(size=(3, 4))).dtype == np.float32


def test_wrong_float_dtype_tensor_is_a_clear_error(rng):
    layer = nn.Linear(3, 2, rng=rng)
    with pytest.raises(TypeError, match="float32 parameters but got a float64 input"):
        layer(bp.tensor(np.zeros((1, 3)), dtype=np.float64, requires_grad=True))
    assert layer(np.zeros((1, 3))).dtype == np.float32  # raw arrays are converted
    assert layer(bp.tensor(np.zeros((1, 3)), dtype=np.float64)).dtype == np.float32  # so is constant data
    model = nn.Sequential(nn.Flatten(), nn.Residual(nn.Linear(6, 6)), nn.Tanh())
    assert model(np.zeros((2, 3, 2))).dtype == np.float32


def test_forward_hooks_and_removal(rng):
    model = mlp(rng)
    seen = []
    handle = model[0].register_forward_hook(lambda m, inputs, out: seen.append((m, inputs[0].shape, out.shape)))
    model(rng.normal(size=(3, 4)))
    assert seen == [(model[0], (3, 4), (3, 6))]
    handle.remove()
    model(rng.normal(size=(3, 4)))
    assert len(seen) == 1
    # A hook returning a value replaces the output.
    with model.register_forward_hook(lambda m, i, out: out * 0):
        assert np.all(model(rng.normal(size=(3, 4))).data == 0)
    assert not np.all(model(rng.normal(size=(3, 4))).data == 0)


def test_sequential_indexing_iteration_append(rng):
    model = mlp(rng)
    assert len(model) == 5
    assert isinstance(model[0], nn.Linear) and model[-1] is model[4]
    assert [type(m).__name__ for m in model] == ["Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear"]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is model[0]
    assert list(model[3:].state_dict()) == ["4.weight", "4.bias"]  # PyTorch keeps the names
    with pytest.raises(IndexError, match="out of range"):
        model[5]
    model.append(nn.Sigmoid())
    assert len(model) == 6 and list(dict(model.named_children())) == [str(i) for i in range(6)]
    with pytest.raises(TypeError):
        model.append(lambda x: x)


def test_repr_is_pytorch_like(rng):
    text = repr(mlp(rng))
    assert text.splitlines()[0] == "Sequential("
    assert "(0): Linear(in_features=4, out_features=6, bias=True)" in text
    assert "(3): Dropout(p=0.5)" in text
    assert repr(nn.Residual(nn.Linear(2, 2))).startswith("Residual(\n  (block): Linear(")


def test_summary_counts_and_restores_mode(rng):
    model = nn.Sequential(nn.Linear(64, 32, rng=rng), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 10, rng=rng))
    lines = []
    text = model.summary((64,), print_fn=lines.append)
    assert lines == [text]
    rows = {line.split()[0]: line for line in text.splitlines()}
    assert rows["0"].split()[-1] == "2,080" and "(None, 32)" in rows["0"]
    assert rows["1"].split()[-1] == "0"
    assert rows["3"].split()[-1] == "330" and "(None, 10)" in rows["3"]
    assert "Total params: 2,410" in text and "Trainable params: 2,410" in text
    assert model.training and all(m.training for m in model.modules())
    model[0].weight.requires_grad_(False)
    assert "Trainable params: 362" in model.summary((64,), print_fn=None)
    assert all(p.grad is None for p in model.parameters())
    single = nn.Linear(3, 2).summary((3,), print_fn=None)
    assert "Total params: 8" in single


def test_summary_with_batchnorm_does_not_touch_running_stats(rng):
    model = mlp(rng)
    before = model.state_dict()
    model.summary((4,), print_fn=None)
    after = model.state_dict()
    for key in before:
        np.testing.assert_array_equal(before[key], after[key])


def test_get_config_is_json_and_rebuilds_the_model(rng):
    model = nn.Sequential(nn.Linear(4, 6, init="he_normal", rng=rng), nn.BatchNorm1d(6, momentum=None),
                          nn.LeakyReLU(0.2), nn.Dropout(0.25),
                          nn.Residual(nn.Sequential(nn.Linear(6, 6, dtype=np.float32), nn.ELU(0.5))),
                          nn.Flatten(), nn.Identity(), nn.Softmax(axis=1), nn.Linear(6, 2, bias=False))
    config = json.loads(json.dumps(nn.layer_config(model)))
    rebuilt = nn.build_layer(config)
    assert repr(rebuilt) == repr(model)
    assert list(rebuilt.state_dict()) == list(model.state_dict())
    rebuilt.load_state_dict(model.state_dict())
    x = rng.normal(size=(3, 4))
    model.eval(), rebuilt.eval()
    np.testing.assert_array_equal(rebuilt(x).data, model(x).data)
    for name, cls in nn.LAYERS.items():
        assert issubclass(cls, nn.Module), name
    with pytest.raises(ValueError, match="unknown layer class"):
        nn.build_layer({"class": "Conv9d", "config": {}})


def test_deepcopy_gives_independent_parameters(rng):
    model = mlp(rng)
    clone = copy.deepcopy(model)
    clone[0].weight.data[...] = 0
    assert not np.all(model[0].weight.data == 0)
    assert isinstance(clone[0].weight, nn.Parameter)


def test_building_models_leaves_global_random_state_alone(rng):
    before = np.random.get_state()
    model = nn.Sequential(nn.Linear(5, 4), nn.Dropout(0.5), nn.BatchNorm1d(4), nn.Linear(4, 2, init="orthogonal"))
    model(np.ones((3, 5)))
    for name in nn.init.INITIALIZERS:
        nn.init.get_initializer(name)((3, 4))
    after = np.random.get_state()
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]
