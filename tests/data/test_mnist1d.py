"""load_mnist1d: shapes, dtypes, classes, global random state, the missing-package error."""

import builtins
import random

import numpy as np
import pytest

from backprop.data.mnist1d import load_mnist1d

pytest.importorskip("mnist1d")


@pytest.fixture(scope="module")
def data():
    return load_mnist1d()


def test_default_split_shapes_dtypes_and_classes(data):
    (x, y), (x_test, y_test) = data
    assert x.shape == (4000, 40) and x_test.shape == (1000, 40)
    assert x.dtype == np.float32 and x_test.dtype == np.float32
    assert y.shape == (4000,) and y_test.shape == (1000,)
    assert y.dtype == np.int64 and y_test.dtype == np.int64
    assert set(np.unique(y)) == set(range(10)) and set(np.unique(y_test)) == set(range(10))
    # balanced: 500 per class overall, shuffled before the split
    counts = np.bincount(np.concatenate([y, y_test]), minlength=10)
    assert (counts == 500).all()
    assert np.isfinite(x).all() and np.isfinite(x_test).all()
    # the generator centres and scales the whole dataset to unit standard deviation
    both = np.concatenate([x, x_test])
    assert abs(both.mean()) < 1e-3 and abs(both.std() - 1) < 1e-3


def test_as_images_adds_a_channel_axis(data):
    (x_img, y_img), (xt_img, yt_img) = load_mnist1d(as_images=True)
    (x, y), (x_test, y_test) = data
    assert x_img.shape == (4000, 1, 40) and xt_img.shape == (1000, 1, 40)
    np.testing.assert_array_equal(x_img[:, 0], x)
    np.testing.assert_array_equal(y_img, y)


def test_deterministic_and_seeded(data):
    (x, y), _ = data
    (x2, y2), _ = load_mnist1d(seed=42)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    (x3, _), _ = load_mnist1d(seed=7)
    assert not np.array_equal(x, x3)


def test_global_random_states_are_restored():
    np.random.seed(123)
    random.seed(456)
    expected_np = np.random.get_state()[1].copy()
    py_state = random.getstate()
    load_mnist1d()
    after = np.random.get_state()
    np.testing.assert_array_equal(after[1], expected_np)
    assert random.getstate() == py_state
    # and the next draws are those of the caller's seed
    a = np.random.rand(3)
    np.random.seed(123)
    np.testing.assert_array_equal(a, np.random.rand(3))


def test_bad_seed():
    with pytest.raises(ValueError, match="seed"):
        load_mnist1d(seed=-1)
    with pytest.raises(ValueError, match="seed"):
        load_mnist1d(seed=1.5)


def test_missing_package_gives_a_clear_import_error(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "mnist1d" or name.startswith("mnist1d."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError) as info:
        load_mnist1d()
    assert str(info.value) == "MNIST-1D needs the optional dependency: pip install 'backprop[mnist1d]'"
