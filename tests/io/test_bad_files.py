"""Damaged, foreign, unsafe and too-new files give clear errors; writes are atomic."""

from __future__ import annotations

import builtins
import io
import json
import os
import pickle
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import backprop.io as bio
import backprop.train.storage as storage
from backprop import nn
from backprop.io import _container
from backprop.io.model import UnregisteredLayerError


def _model():
    return nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2, rng=1))


def _saved(tmp_path, ext, name="m"):
    path = tmp_path / f"{name}.{ext}"
    _model().save(path)
    return path


def _rewrite(path, mutate):
    """Rewrite a valid file's JSON document (and arrays) through ``mutate(meta, arrays)``."""
    fmt, meta, arrays = _container.read_container(path)
    mutate(meta, arrays)
    _container.write_container(path, arrays, meta, fmt)


def _npz_bytes(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # np.savez pickles object arrays (allow_pickle defaults to True)
    return buffer.getvalue()


def _meta_entry():
    text = json.dumps({"format": "backprop.model", "format_version": 1, "model": {}})
    return np.frombuffer(text.encode(), dtype=np.uint8)


class Payload:
    """Unpickling this creates ``marker`` (a harmless stand-in for arbitrary code)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (builtins.open, (self.marker, "w"))


def test_model_file_error_is_a_value_error():
    assert issubclass(bio.ModelFileError, ValueError)


# ---------------------------------------------------------------------------- truncation
@pytest.mark.parametrize("keep", [0, 1, 5, 8, 9, 30, 0.5, 0.9, -1])
def test_truncated_file(keep, ext, tmp_path):
    path = _saved(tmp_path, ext)
    data = path.read_bytes()
    cut = keep if isinstance(keep, int) and keep >= 0 else (len(data) - 1 if keep == -1 else int(len(data) * keep))
    path.write_bytes(data[:cut])
    with pytest.raises(ValueError) as info:
        bio.load_model(path)
    message = str(info.value)
    assert str(path) in message
    assert any(word in message for word in ("truncated", "damaged", "not a", "unrecognised")), message


def test_huge_header_length_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "huge.safetensors"
    path.write_bytes(struct.pack("<Q", 2 ** 62) + b'{"__metadata__": {}}' + b" " * 16)
    with pytest.raises(ValueError, match=r"huge\.safetensors: the safetensors header claims 4611686018427387904 "
                                         r"bytes but only 36 bytes follow.*truncated"):
        bio.load_model(path)


def test_header_over_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(_container, "MAX_HEADER_BYTES", 64)
    path = tmp_path / "big.safetensors"
    body = b'{"__metadata__": {"backprop": "' + b"x" * 100 + b'"}}'
    path.write_bytes(struct.pack("<Q", len(body)) + body)
    with pytest.raises(ValueError, match="limit"):
        bio.load_model(path)


def test_data_offsets_past_the_end(tmp_path):
    meta = json.dumps({"format": "backprop.model", "format_version": 1})
    header = json.dumps({"__metadata__": {"backprop": meta},
                         "w": {"dtype": "F32", "shape": [1000, 1000], "data_offsets": [0, 4_000_000]}}).encode()
    path = tmp_path / "short.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 16)
    with pytest.raises(ValueError, match="short.safetensors: tensor 'w' ends at byte 4000000.*truncated"):
        bio.load_model(path)


@pytest.mark.parametrize("entry, message", [
    ({"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}, "needs 8 bytes"),
    ({"dtype": "OBJECT", "shape": [1], "data_offsets": [0, 8]}, "dtype 'OBJECT'"),
    ({"dtype": "F32", "shape": [-1], "data_offsets": [0, 8]}, "malformed shape"),
    ({"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}, "starts at byte 4, expected 0.*damaged file"),
    ({"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "cover 4 bytes but the file holds 8"),
    ({"dtype": "F32", "shape": [2], "data_offsets": [0, 8], "extra": 1}, "malformed header entry"),
])
def test_malformed_safetensors_headers(entry, message, tmp_path):
    meta = json.dumps({"format": "backprop.model", "format_version": 1})
    header = json.dumps({"__metadata__": {"backprop": meta}, "w": entry}).encode()
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 8)
    with pytest.raises(ValueError, match=message):
        bio.load_model(path)


# ---------------------------------------------------------------------------- foreign and unsafe files
def test_object_array_npz_is_refused(tmp_path):
    path = tmp_path / "obj.npz"
    path.write_bytes(_npz_bytes(**{_container.META_KEY: _meta_entry(), "weight": np.array([1, "x"], dtype=object)}))
    with pytest.raises(ValueError, match=r"obj\.npz: array 'weight' has dtype object.*never unpickles"):
        bio.load_model(path)


def test_pickle_payload_inside_npz_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    path.write_bytes(_npz_bytes(**{_container.META_KEY: _meta_entry(), "weight": np.array([Payload(marker)])}))
    with pytest.raises(ValueError, match="evil.npz.*object"):
        bio.load_model(path)
    with pytest.raises(ValueError):
        bio.load_checkpoint(path)
    assert bio.load_metadata(path)["format"] == "backprop.model"  # reading the JSON never touches the member
    assert not marker.exists()
    # the payload is real: NumPy's unsafe mode would have run it
    with np.load(path, allow_pickle=True) as archive:
        archive["weight"]
    assert marker.exists()


@pytest.mark.parametrize("name", ["model.npz", "model.safetensors", "model.pt"])
@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_raw_pickle_is_refused(name, protocol, tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / name
    path.write_bytes(pickle.dumps({"weight": Payload(marker)}, protocol=protocol))
    with pytest.raises(ValueError, match=f"{name}: this looks like a Python pickle.*never unpickles"):
        bio.load_model(path)
    assert not marker.exists()


def test_torch_style_zip_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(Payload(marker)))
        archive.writestr("archive/version", "3")
    with pytest.raises(ValueError, match="'archive/data.pkl' is not a .npy array"):
        bio.load_model(path)
    assert not marker.exists()


def test_foreign_files_are_named(tmp_path):
    plain = tmp_path / "weights.npz"
    np.savez(plain, w=np.zeros(3))
    with pytest.raises(ValueError, match="weights.npz: this .npz has no .* not written by backprop"):
        bio.load_model(plain)
    single = tmp_path / "w.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(ValueError, match="single .npy array"):
        bio.load_model(single)
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not a model at all")
    with pytest.raises(ValueError, match="notes.txt: unrecognised file format"):
        bio.load_model(text)
    with pytest.raises(FileNotFoundError):
        bio.load_model(tmp_path / "missing.npz")


def test_foreign_safetensors_file(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "hub.safetensors"
    st.save_file({"w": np.zeros(3, np.float32)}, str(path))
    with pytest.raises(ValueError, match="no 'backprop' entry in its __metadata__"):
        bio.load_model(path)


def test_npz_member_whose_header_lies(tmp_path):
    """A .npy header claiming a billion elements must not make the reader allocate them."""
    member = io.BytesIO()
    np.lib.format.write_array_header_1_0(member, {"descr": "<f4", "fortran_order": False, "shape": (10 ** 9,)})
    member.write(b"\0" * 16)
    path = tmp_path / "lie.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(_container.META_KEY + ".npy", _npz_member(_meta_entry()))
        archive.writestr("w.npy", member.getvalue())
    with pytest.raises(ValueError, match=r"lie.npz: array 'w' claims shape \(1000000000,\).*holds 16 bytes"):
        bio.load_model(path)


def _npz_member(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


# ---------------------------------------------------------------------------- versions and architecture
def test_newer_format_version(ext, tmp_path):
    path = _saved(tmp_path, ext)
    _rewrite(path, lambda meta, arrays: meta.update(format_version=3))
    with pytest.raises(ValueError, match=r"written by a newer backprop \(format 3.*this version reads up to 1: "
                                         r"upgrade backprop"):
        bio.load_model(path)
    with pytest.raises(ValueError, match="newer backprop"):
        bio.load_metadata(path)


@pytest.mark.parametrize("bad", ["2", 0, None, 1.0])
def test_invalid_format_version(bad, ext, tmp_path):
    path = _saved(tmp_path, ext)
    _rewrite(path, lambda meta, arrays: meta.update(format_version=bad))
    with pytest.raises(ValueError, match="format_version must be a positive integer"):
        bio.load_model(path)


def test_unknown_format_name(ext, tmp_path):
    path = _saved(tmp_path, ext)
    _rewrite(path, lambda meta, arrays: meta.update(format="keras"))
    with pytest.raises(ValueError, match="not a backprop model or checkpoint"):
        bio.load_model(path)


def _arch(meta):
    return meta["model"]["architecture"]


@pytest.mark.parametrize("mutate, message", [
    (lambda m: _arch(m)["config"]["layers"][0].update({"class": "Conv9d"}), "unknown layer class 'Conv9d'"),
    (lambda m: _arch(m)["config"]["layers"][0]["config"].update(out_features=5),
     "architecture does not match the saved weights.*0.weight: the model has \\[5, 3\\], the file has \\[4, 3\\]"),
    (lambda m: _arch(m)["config"]["layers"][0]["config"].update(bogus=1), "cannot rebuild the architecture.*bogus"),
    (lambda m: _arch(m)["config"]["layers"].pop(1), "cannot rebuild|does not match"),
    (lambda m: _arch(m)["config"]["layers"].append({"class": "Linear", "config": {"in_features": 2,
                                                                                  "out_features": 2}}),
     "not in the model|missing from the file"),
    (lambda m: m["model"].update(architecture="Sequential"), "cannot rebuild"),
    (lambda m: m["model"].update(architecture={"class": "Linear", "config": []}), "cannot rebuild"),
    (lambda m: m["model"].update(parameters="all"), "malformed model description"),
    (lambda m: m["model"]["parameters"][0].update(shape=[9, 9]), "metadata says float32 \\[9, 9\\]: damaged"),
    (lambda m: m.update(model=None), "malformed model description"),
])
def test_wrong_architecture_json(mutate, message, ext, tmp_path):
    path = _saved(tmp_path, ext)
    _rewrite(path, lambda meta, arrays: mutate(meta))
    with pytest.raises(ValueError, match=message) as info:
        bio.load_model(path)
    assert str(path) in str(info.value)


def test_missing_array(ext, tmp_path):
    path = _saved(tmp_path, ext)
    _rewrite(path, lambda meta, arrays: arrays.pop("0.bias"))
    with pytest.raises(ValueError, match="lists '0.bias' but the file holds no array"):
        bio.load_model(path)


def test_metadata_not_json(tmp_path):
    path = tmp_path / "m.npz"
    path.write_bytes(_npz_bytes(**{_container.META_KEY: np.frombuffer(b"{not json", np.uint8)}))
    with pytest.raises(ValueError, match="m.npz: the metadata is not valid JSON"):
        bio.load_model(path)
    path.write_bytes(_npz_bytes(**{_container.META_KEY: np.frombuffer(b"[1, 2]", np.uint8)}))
    with pytest.raises(ValueError, match="must be a JSON object"):
        bio.load_model(path)


# ---------------------------------------------------------------------------- save-time errors
class Custom(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        return self.fc(x)


def test_unregistered_module_is_a_clear_save_error(ext, tmp_path):
    path = tmp_path / f"m.{ext}"
    for model, where in ((Custom(), "the model"), (nn.Sequential(nn.Linear(2, 2), Custom()), "sub-module '1'")):
        with pytest.raises(UnregisteredLayerError, match=f"{where} is a .*Custom, which is not in backprop's layer "
                                                         "registry.*register_layer.*save_state_dict"):
            model.save(path)
    assert issubclass(UnregisteredLayerError, TypeError)
    assert not path.exists()


def test_architecture_that_would_not_rebuild_is_refused_at_save(tmp_path):
    named = nn.Sequential(OrderedDict([("encoder", nn.Linear(2, 3)), ("head", nn.Linear(3, 1))]))
    with pytest.raises(UnregisteredLayerError, match="different state entries.*encoder.weight"):
        named.save(tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


def test_non_json_metadata_is_refused(tmp_path):
    with pytest.raises(TypeError, match="metadata"):
        _model().save(tmp_path / "m.npz", when=object())
    with pytest.raises(TypeError, match="arrays"):
        _model().save(tmp_path / "m.npz", table=np.zeros(3))
    with pytest.raises(TypeError, match="seed"):
        _model().save(tmp_path / "m.npz", seed="zero")
    assert not (tmp_path / "m.npz").exists()


def test_object_arrays_are_refused_at_save(tmp_path):
    with pytest.raises(TypeError, match="object"):
        bio.save_checkpoint(tmp_path / "c.npz", _model(), bad=np.array([None, 1], dtype=object))
    assert not (tmp_path / "c.npz").exists()


# ---------------------------------------------------------------------------- atomic writes
def _no_temp_files(directory):
    return [name for name in os.listdir(directory) if name.startswith(".tmp-")] == []


@pytest.mark.parametrize("where", ["fsync", "replace", "serialise"])
def test_failed_write_keeps_the_previous_file(where, ext, tmp_path, monkeypatch):
    path = tmp_path / f"m.{ext}"
    old = _model()
    old.save(path, version="old")
    old_bytes = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full (simulated)")

    if where == "fsync":      # the temp file has been written, not yet synced
        monkeypatch.setattr(storage.os, "fsync", boom)
    elif where == "replace":  # the temp file is complete, the rename fails
        monkeypatch.setattr(storage.os, "replace", boom)
    elif ext == "npz":
        monkeypatch.setattr(storage.np, "savez", boom)
    else:
        monkeypatch.setattr(_container.safetensors_numpy(), "save", boom)
    new = nn.Sequential(nn.Linear(3, 4, rng=5), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2, rng=6))
    with pytest.raises(OSError, match="simulated"):
        new.save(path, version="new")
    with pytest.raises(OSError, match="simulated"):
        bio.save_checkpoint(path, new, epoch=9)
    monkeypatch.undo()
    assert path.read_bytes() == old_bytes
    assert bio.load_metadata(path)["metadata"] == {"version": "old"}
    assert _no_temp_files(tmp_path)
