"""Shared pieces of the io tests: the two containers, and a machine without safetensors."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import backprop.io._container as container_module

# Layers that other modules register when imported (conv, pooling, recurrent, embedding):
# import whichever exist so that the registry holds everything the library has.
for _name in ("conv", "pooling", "recurrent", "embedding"):
    try:
        importlib.import_module(f"backprop.nn.{_name}")
    except ImportError:
        pass


@pytest.fixture
def no_safetensors(monkeypatch):
    """Simulate an install without the optional safetensors package."""
    monkeypatch.setattr(container_module, "safetensors_numpy", lambda: None)


@pytest.fixture(params=["safetensors", "npz"])
def ext(request, monkeypatch):
    """The file extension under test; the npz path runs with safetensors hidden, as on a bare install."""
    if request.param == "safetensors":
        pytest.importorskip("safetensors")
    else:
        monkeypatch.setattr(container_module, "safetensors_numpy", lambda: None)
    return request.param


def outputs(value):
    """Flatten a forward result (Tensor, or nested tuples of Tensors) into a list of ndarrays."""
    if isinstance(value, (tuple, list)):
        return [a for v in value for a in outputs(v)]
    return [np.asarray(getattr(value, "data", value))]


def assert_same_outputs(a, b):
    xs, ys = outputs(a), outputs(b)
    assert len(xs) == len(ys)
    for x, y in zip(xs, ys):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(x, y)


def assert_same_state(m1, m2):
    s1, s2 = m1.state_dict(), m2.state_dict()
    assert list(s1) == list(s2)
    for key in s1:
        assert s1[key].dtype == s2[key].dtype, key
        assert s1[key].shape == s2[key].shape, key
        np.testing.assert_array_equal(s1[key], s2[key], err_msg=key)
