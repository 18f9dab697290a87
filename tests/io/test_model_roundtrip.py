"""model.save / backprop.io.load_model: every registered layer, both containers, dtypes, modes."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import backprop
import backprop.io as bio
from backprop import nn
from backprop.io import _container
from backprop.nn.registry import LAYERS

from .conftest import assert_same_outputs, assert_same_state


def _floats(*shape):
    return np.random.default_rng(7).normal(size=shape).astype(np.float32)


def _get(name):
    return LAYERS[name]


# name -> (factory, input); factories look classes up in the registry, so a layer that is
# not registered (yet) is skipped rather than failing at import time.
EXAMPLES = {
    "Sequential": (lambda: nn.Sequential(nn.Linear(4, 6, rng=0), nn.ReLU(), nn.Linear(6, 2, rng=1)), _floats(5, 4)),
    "Linear": (lambda: _get("Linear")(4, 3, rng=0), _floats(5, 4)),
    "Dense": (lambda: _get("Dense")(4, 3, bias=False, init="he_uniform", rng=0), _floats(5, 4)),
    "Dropout": (lambda: nn.Sequential(nn.Linear(4, 4, rng=0), _get("Dropout")(0.3, rng=0)), _floats(5, 4)),
    "Residual": (lambda: _get("Residual")(nn.Sequential(nn.Linear(4, 4, rng=0), nn.Tanh())), _floats(5, 4)),
    "Flatten": (lambda: _get("Flatten")(), _floats(2, 3, 4)),
    "Identity": (lambda: _get("Identity")(), _floats(2, 3)),
    "BatchNorm1d": (lambda: nn.Sequential(nn.Linear(4, 5, rng=0), _get("BatchNorm1d")(5, momentum=0.3)), _floats(8, 4)),
    "BatchNorm2d": (lambda: _get("BatchNorm2d")(3, eps=1e-3), _floats(4, 3, 5, 5)),
    "Sigmoid": (lambda: _get("Sigmoid")(), _floats(5, 4)),
    "Tanh": (lambda: _get("Tanh")(), _floats(5, 4)),
    "ReLU": (lambda: _get("ReLU")(), _floats(5, 4)),
    "LeakyReLU": (lambda: _get("LeakyReLU")(0.2), _floats(5, 4)),
    "ELU": (lambda: _get("ELU")(0.7), _floats(5, 4)),
    "GELU": (lambda: _get("GELU")(), _floats(5, 4)),
    "Softplus": (lambda: _get("Softplus")(), _floats(5, 4)),
    "Softmax": (lambda: _get("Softmax")(axis=0), _floats(5, 4)),
    "LogSoftmax": (lambda: _get("LogSoftmax")(), _floats(5, 4)),
    "Conv1d": (lambda: _get("Conv1d")(2, 3, 3, stride=2, padding=1, rng=0), _floats(2, 2, 9)),
    "Conv2d": (lambda: _get("Conv2d")(2, 4, (3, 2), padding="same", groups=2, rng=0), _floats(2, 2, 5, 6)),
    "MaxPool1d": (lambda: _get("MaxPool1d")(2), _floats(2, 3, 8)),
    "MaxPool2d": (lambda: _get("MaxPool2d")(2, stride=1), _floats(2, 3, 5, 5)),
    "AvgPool1d": (lambda: _get("AvgPool1d")(3, padding=1), _floats(2, 3, 8)),
    "AvgPool2d": (lambda: _get("AvgPool2d")(2), _floats(2, 3, 6, 6)),
    "GlobalAvgPool": (lambda: _get("GlobalAvgPool")(), _floats(2, 3, 4, 4)),
    "RNN": (lambda: _get("RNN")(3, 4, num_layers=2, rng=0), _floats(5, 2, 3)),
    "GRU": (lambda: _get("GRU")(3, 4, batch_first=True, rng=0), _floats(2, 5, 3)),
    "LSTM": (lambda: _get("LSTM")(3, 4, num_layers=2, bias=False, rng=0), _floats(5, 2, 3)),
    "Embedding": (lambda: _get("Embedding")(10, 4, padding_idx=0, rng=0), np.array([[1, 0, 9], [3, 3, 2]])),
}

ALL_NAMES = sorted(set(LAYERS) | set(EXAMPLES))


def _example(name):
    if name not in LAYERS:
        pytest.skip(f"{name} is not in the layer registry (yet)")
    if name not in EXAMPLES:
        try:
            return LAYERS[name](), _floats(5, 4)
        except Exception:  # noqa: BLE001 - a layer that needs constructor arguments
            pytest.skip(f"no example for registered layer {name}: add one to EXAMPLES in {__file__}")
    factory, x = EXAMPLES[name]
    return factory(), x


@pytest.mark.parametrize("name", ALL_NAMES)
def test_every_registered_layer_round_trips(name, ext, tmp_path):
    model, x = _example(name)
    for _ in range(3):  # training steps move BatchNorm's running statistics off their defaults
        model(x)
    path = tmp_path / f"model.{ext}"
    assert model.save(path) == os.fspath(path)
    for mode in ("eval", "train"):
        getattr(model, mode)()
        model.save(path)
        loaded = bio.load_model(path)
        assert type(loaded) is type(model)
        assert loaded.get_config() == model.get_config()
        assert [m.training for m in loaded.modules()] == [m.training for m in model.modules()]
        assert_same_state(model, loaded)
        model.eval(), loaded.eval()
        assert_same_outputs(model(x), loaded(x))
    assert bio.load_metadata(path)["container"] == ext


def test_batchnorm_running_stats_survive(ext, tmp_path):
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4))
    for i in range(4):
        model(_floats(6, 3) + i)
    stats = model.state_dict()
    assert stats["1.num_batches_tracked"] == 4 and not np.allclose(stats["1.running_mean"], 0)
    model.save(tmp_path / f"bn.{ext}")
    loaded = bio.load_model(tmp_path / f"bn.{ext}")
    assert loaded[1].num_batches_tracked.shape == () and loaded[1].num_batches_tracked.dtype == np.int64
    assert_same_state(model, loaded)


def test_float64_model_stays_float64(ext, tmp_path):
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 2, rng=1)).double()
    x = _floats(5, 3).astype(np.float64)
    model(x)
    model.eval()
    model.save(tmp_path / f"m.{ext}")
    loaded = bio.load_model(tmp_path / f"m.{ext}")
    assert {p.dtype for p in loaded.parameters()} == {np.dtype(np.float64)}
    assert loaded[1].running_mean.dtype == np.float64
    assert loaded(x).dtype == np.float64
    assert_same_outputs(model(x), loaded(x))
    assert bio.load_metadata(tmp_path / f"m.{ext}")["model"]["dtype"] == "float64"


def test_transposed_and_sliced_arrays_survive(ext, tmp_path):
    """safetensors 0.8 writes a strided array's memory, not its elements, unless made contiguous."""
    model = nn.Sequential(nn.Linear(4, 3, rng=0), nn.BatchNorm1d(3))
    big = np.arange(48, dtype=np.float32).reshape(4, 12) / 7
    model[0].weight.data = big.T[::4]            # (3, 4): transposed and sliced, not contiguous
    model[0].bias.data = big[1, ::5]             # (3,): strided
    model[1].running_mean = big[0, ::4]          # (3,): sliced
    model[1].running_var = (np.arange(9, dtype=np.float32).reshape(3, 3) + 1).T[0]  # a column: strided
    assert not model[0].weight.data.flags.c_contiguous and not model[0].bias.data.flags.c_contiguous
    assert not model[1].running_var.flags.c_contiguous
    expected = {k: np.array(v) for k, v in model.state_dict().items()}
    model.eval()
    model.save(tmp_path / f"m.{ext}")
    loaded = bio.load_model(tmp_path / f"m.{ext}")
    for key, value in loaded.state_dict().items():
        np.testing.assert_array_equal(value, expected[key], err_msg=key)
    x = _floats(2, 4)
    assert_same_outputs(model(x), loaded(x))


def test_strided_arrays_through_the_container(ext, tmp_path):
    base = np.arange(60, dtype=np.float64).reshape(6, 10)
    arrays = {"t": base.T, "s": base[::2, 1::3], "f": np.asfortranarray(base), "col": base[:, 3],
              "neg": base[::-1, ::-2], "scalar": np.array(5, dtype=np.int64)}
    _container.write_container(tmp_path / f"c.{ext}", arrays, {"k": 1})
    fmt, meta, back = _container.read_container(tmp_path / f"c.{ext}")
    assert fmt == ext and meta == {"k": 1}
    for key, value in arrays.items():
        assert back[key].shape == value.shape and back[key].dtype == value.dtype
        np.testing.assert_array_equal(back[key], value, err_msg=key)


def test_contiguous_keeps_zero_d_arrays():
    assert _container.contiguous(np.array(3)).shape == ()
    a = np.arange(12.0).reshape(3, 4).T
    c = _container.contiguous(a)
    assert c.flags.c_contiguous and np.array_equal(c, a)
    be = np.arange(4, dtype=">f8")
    assert _container.contiguous(be).dtype == np.dtype("<f8")


def test_metadata_records_everything(ext, tmp_path):
    model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.BatchNorm1d(3))
    model[0].bias.requires_grad = False
    model.eval()
    model[1].train()
    path = tmp_path / f"m.{ext}"
    model.save(path, seed=11, training_config={"optimizer": "adam", "lr": np.float32(0.5), "betas": (0.9, 0.99)},
               author="me", tags=["a", "b"])
    meta = bio.load_metadata(path)
    assert meta["format"] == "backprop.model" and meta["format_version"] == bio.FORMAT_VERSION == 1
    assert meta["backprop_version"] == backprop.__version__
    assert meta["seed"] == 11
    assert meta["training_config"] == {"optimizer": "adam", "lr": 0.5, "betas": [0.9, 0.99]}
    assert meta["metadata"] == {"author": "me", "tags": ["a", "b"]}
    section = meta["model"]
    assert section["architecture"] == nn.layer_config(model)
    assert section["dtype"] == "float32"
    assert [p["name"] for p in section["parameters"]] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert [b["name"] for b in section["buffers"]] == ["1.running_mean", "1.running_var", "1.num_batches_tracked"]
    loaded = bio.load_model(path)
    assert loaded[0].bias.requires_grad is False and loaded[0].weight.requires_grad is True
    assert (loaded.training, loaded[0].training, loaded[1].training) == (False, False, True)


def test_file_is_standard_safetensors(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    from safetensors import safe_open
    model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.BatchNorm1d(3))
    model.save(tmp_path / "m.safetensors", note="x")
    tensors = st.load_file(tmp_path / "m.safetensors")
    assert sorted(tensors) == sorted(model.state_dict())
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(tensors[key], value)
    with safe_open(tmp_path / "m.safetensors", framework="np") as f:
        meta = json.loads(f.metadata()["backprop"])
    assert meta["metadata"] == {"note": "x"}


def test_npz_file_loads_with_plain_numpy(tmp_path, no_safetensors):
    model = nn.Linear(2, 3, rng=0)
    model.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        assert sorted(archive.files) == sorted(["weight", "bias", _container.META_KEY])
        meta = json.loads(archive[_container.META_KEY].tobytes().decode())
        np.testing.assert_array_equal(archive["weight"], model.weight.data)
    assert meta["container"] == "npz"


@pytest.mark.parametrize("name", ["model", "model.bin", "model.pt"])
def test_other_extension_picks_safetensors_when_installed(name, tmp_path):
    pytest.importorskip("safetensors")
    model = nn.Linear(2, 2, rng=0)
    path = tmp_path / name
    model.save(path)
    assert path.exists() and bio.load_metadata(path)["container"] == "safetensors"
    assert path.read_bytes()[8:9] == b"{"
    assert_same_state(model, bio.load_model(path))


@pytest.mark.parametrize("name", ["model", "model.bin"])
def test_other_extension_falls_back_to_npz_without_safetensors(name, tmp_path, no_safetensors):
    model = nn.Linear(2, 2, rng=0)
    path = tmp_path / name
    model.save(path)
    assert path.read_bytes()[:2] == b"PK"
    assert bio.load_metadata(path)["container"] == "npz"
    assert_same_state(model, bio.load_model(path))


def test_explicit_safetensors_without_package_is_a_clear_error(tmp_path, no_safetensors):
    with pytest.raises(ImportError, match="pip install safetensors"):
        nn.Linear(2, 2).save(tmp_path / "m.safetensors")
    assert not (tmp_path / "m.safetensors").exists()


def test_safetensors_file_reads_without_package(tmp_path, monkeypatch):
    pytest.importorskip("safetensors")
    model = nn.Linear(2, 2, rng=0)
    model.save(tmp_path / "m.safetensors")
    monkeypatch.setattr(_container, "safetensors_numpy", lambda: None)
    assert_same_state(model, bio.load_model(tmp_path / "m.safetensors"))


def test_format_keyword_overrides_extension(tmp_path):
    model = nn.Linear(2, 2, rng=0)
    model.save(tmp_path / "m.safetensors", format="npz")
    assert bio.load_metadata(tmp_path / "m.safetensors")["container"] == "npz"
    with pytest.raises(ValueError, match="format must be"):
        model.save(tmp_path / "m.npz", format="pickle")


def test_model_without_parameters(ext, tmp_path):
    model = nn.Sequential(nn.ReLU(), nn.Flatten())
    model.save(tmp_path / f"m.{ext}")
    loaded = bio.load_model(tmp_path / f"m.{ext}")
    assert isinstance(loaded, nn.Sequential) and len(loaded) == 2 and loaded.state_dict() == {}


def test_state_dict_files_for_unregistered_models(ext, tmp_path):
    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 3, rng=0)
            self.register_buffer("count", np.arange(3))

        def forward(self, x):
            return self.a(x)

    model = Custom()
    bio.save_state_dict(tmp_path / f"w.{ext}", model, note="weights")
    state = bio.load_state_dict(tmp_path / f"w.{ext}")
    assert list(state) == list(model.state_dict()) == ["count", "a.weight", "a.bias"]
    other = Custom()
    other.a.weight.data[...] = 0
    other.load_state_dict(state)
    assert_same_state(model, other)
    # a model file's weights can be read the same way
    nn.Linear(2, 3, rng=0).save(tmp_path / f"m.{ext}")
    assert list(bio.load_state_dict(tmp_path / f"m.{ext}")) == ["weight", "bias"]
