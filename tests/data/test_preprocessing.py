"""Standardizer, MinMaxScaler and one_hot against hand-computed values."""

import json

import numpy as np
import pytest

from backprop.data import MinMaxScaler, Standardizer, one_hot

# Column 0: 1, 3, 5 -> mean 3, population std sqrt(8/3). Column 1 constant.
TABLE = np.array([[1.0, 10.0], [3.0, 10.0], [5.0, 10.0]])


def test_standardizer_hand_computed():
    s = Standardizer().fit(TABLE)
    assert s.mean_.tolist() == [3.0, 10.0]
    assert np.allclose(s.scale_, [np.sqrt(8 / 3), 1.0])
    out = s.transform(TABLE)
    c = 2 / np.sqrt(8 / 3)
    assert np.allclose(out, [[-c, 0.0], [0.0, 0.0], [c, 0.0]])
    assert out.dtype == np.float64  # float input keeps its dtype


def test_standardizer_zero_mean_unit_std_and_inverse():
    X = np.random.default_rng(0).normal(5.0, 3.0, size=(200, 4)).astype(np.float32)
    s = Standardizer()
    Z = s.fit_transform(X)
    assert Z.dtype == np.float32
    assert np.allclose(Z.mean(axis=0), 0.0, atol=1e-5)
    assert np.allclose(Z.std(axis=0), 1.0, atol=1e-5)
    assert np.allclose(s.inverse_transform(Z), X, atol=1e-5)


def test_standardizer_constant_column_is_only_centred():
    X = np.array([[0.1, 2.0], [0.1, 4.0]], dtype=np.float32)
    s = Standardizer().fit(X)
    assert s.scale_[0] == 1.0
    assert np.all(s.transform(X)[:, 0] == 0.0)
    # Small but non-constant columns are still scaled to unit std.
    tiny = np.array([[1e-9], [3e-9]])
    assert np.allclose(Standardizer().fit_transform(tiny).ravel(), [-1.0, 1.0])


def test_integer_input_becomes_float32():
    out = Standardizer().fit_transform(np.array([[1, 2], [3, 4]]))
    assert out.dtype == np.float32 and out.tolist() == [[-1, -1], [1, 1]]


def test_standardizer_per_pixel_on_images():
    X = np.random.default_rng(1).random((10, 1, 3, 3))
    s = Standardizer().fit(X)
    assert s.mean_.shape == (1, 3, 3)
    assert np.allclose(s.transform(X).mean(axis=0), 0.0)


@pytest.mark.parametrize("cls", [Standardizer, MinMaxScaler])
def test_state_dict_round_trips_through_json(cls):
    X = np.random.default_rng(2).normal(size=(20, 3))
    scaler = cls().fit(X)
    state = json.loads(json.dumps(scaler.state_dict()))
    assert state["type"] == cls.__name__
    restored = cls.from_state(state)
    new = np.random.default_rng(3).normal(size=(5, 3))
    assert np.array_equal(restored.transform(new), scaler.transform(new))
    assert np.array_equal(restored.inverse_transform(new), scaler.inverse_transform(new))


def test_from_state_wrong_type_and_missing_keys():
    state = Standardizer().fit(TABLE).state_dict()
    with pytest.raises(ValueError, match="saved by 'Standardizer'"):
        MinMaxScaler.from_state(state)
    with pytest.raises(ValueError, match="missing key"):
        Standardizer.from_state({"mean_": [0.0]})


def test_minmax_hand_computed_and_custom_range():
    m = MinMaxScaler().fit(TABLE)
    assert m.transform(TABLE).tolist() == [[0.0, 0.0], [0.5, 0.0], [1.0, 0.0]]  # constant -> low
    m = MinMaxScaler(feature_range=(-1.0, 1.0)).fit(TABLE)
    assert m.transform(TABLE)[:, 0].tolist() == [-1.0, 0.0, 1.0]
    assert m.transform(np.array([[7.0, 10.0]])).tolist() == [[2.0, -1.0]]  # not clipped
    assert np.allclose(m.inverse_transform(m.transform(TABLE)), TABLE)


def test_minmax_invalid_range():
    with pytest.raises(ValueError, match="feature_range"):
        MinMaxScaler(feature_range=(1.0, 0.0))


@pytest.mark.parametrize("cls", [Standardizer, MinMaxScaler])
def test_scaler_input_validation(cls):
    with pytest.raises(ValueError, match="not fitted"):
        cls().transform(TABLE)
    with pytest.raises(ValueError, match="not fitted"):
        cls().state_dict()
    with pytest.raises(ValueError, match="empty"):
        cls().fit(np.zeros((0, 2)))
    with pytest.raises(ValueError, match=r"NaN or Inf .* index \(1, 0\)"):
        cls().fit(np.array([[1.0, 2.0], [np.nan, 3.0]]))
    with pytest.raises(ValueError, match="NaN or Inf"):
        cls().fit(TABLE).transform(np.array([[np.inf, 1.0]]))
    with pytest.raises(ValueError, match=r"feature shape \(3,\) .* \(2,\)"):
        cls().fit(TABLE).transform(np.zeros((1, 3)))
    with pytest.raises(TypeError, match="numbers"):
        cls().fit(np.array([["a", "b"]]))


def test_one_hot_hand_computed():
    out = one_hot([2, 0, 1, 2])
    assert out.dtype == np.float32
    assert out.tolist() == [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]]
    wide = one_hot(np.array([1]), n_classes=4, dtype=np.float64)
    assert wide.dtype == np.float64 and wide.tolist() == [[0, 1, 0, 0]]


def test_one_hot_properties():
    y = np.random.default_rng(0).integers(0, 7, size=100)
    out = one_hot(y, n_classes=7)
    assert np.all(out.sum(axis=1) == 1)
    assert np.array_equal(out.argmax(axis=1), y)


def test_one_hot_accepts_integer_valued_floats_and_empty_with_n_classes():
    assert one_hot(np.array([1.0, 0.0])).tolist() == [[0, 1], [1, 0]]
    assert one_hot(np.array([], dtype=np.int64), n_classes=3).shape == (0, 3)


@pytest.mark.parametrize("y, kwargs, match", [
    ([0, 3], {"n_classes": 3}, r"0\.\.2 .* found 3"),
    ([-1, 0], {}, "found -1"),
    ([0.5, 1.0], {}, "integer class labels"),
    ([np.nan, 1.0], {}, "integer class labels"),
    ([[0, 1]], {}, "1-D"),
    ([], {}, "pass n_classes"),
    ([0, 1], {"n_classes": 0}, "n_classes"),
])
def test_one_hot_errors(y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        one_hot(np.asarray(y), **kwargs)
