"""load_digits: the bundled UCI handwritten-digits set."""

from importlib import resources

import numpy as np
import pytest

from backprop.data import load_digits

# Class counts of the 1,797-sample UCI test set (optdigits.tes), as documented by UCI
# and scikit-learn.
CLASS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]

# The first image (a zero), row by row, as printed by sklearn.datasets.load_digits().images[0].
FIRST_IMAGE = [
    [0, 0, 5, 13, 9, 1, 0, 0],
    [0, 0, 13, 15, 10, 15, 5, 0],
    [0, 3, 15, 2, 0, 11, 8, 0],
    [0, 4, 12, 0, 0, 8, 8, 0],
    [0, 5, 8, 0, 0, 9, 8, 0],
    [0, 4, 11, 0, 1, 12, 7, 0],
    [0, 2, 14, 5, 10, 12, 0, 0],
    [0, 0, 6, 13, 10, 0, 0, 0],
]


def test_shapes_dtypes_and_value_range():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16
    assert np.array_equal(X, np.round(X))  # integer pixel counts
    assert set(np.unique(y)) == set(range(10))


def test_class_counts_match_uci():
    _, y = load_digits()
    counts = np.bincount(y, minlength=10)
    assert counts.tolist() == CLASS_COUNTS
    assert counts.sum() == 1797
    assert counts[0] == 178


def test_known_samples():
    X, y = load_digits()
    assert y[:10].tolist() == list(range(10))  # the set starts 0, 1, ..., 9
    assert np.array_equal(X[0].reshape(8, 8), np.array(FIRST_IMAGE, dtype=np.float32))
    assert X[0].sum() == 294


def test_as_images_is_channels_first_view_of_same_pixels():
    X_flat, y_flat = load_digits()
    X_img, y_img = load_digits(as_images=True)
    assert X_img.shape == (1797, 1, 8, 8) and X_img.dtype == np.float32
    assert np.array_equal(X_img.reshape(1797, 64), X_flat)
    assert np.array_equal(y_img, y_flat)


def test_each_call_returns_fresh_arrays():
    X, y = load_digits()
    X[:] = -1
    y[:] = -1
    X2, y2 = load_digits()
    assert X2.min() == 0 and y2.min() == 0


def test_bundled_file_is_plain_uint8_and_loads_without_pickle():
    source = resources.files("backprop.data").joinpath("digits.npz")
    with source.open("rb") as fh, np.load(fh, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["images", "labels"]
        assert archive["images"].dtype == np.uint8 and archive["images"].shape == (1797, 8, 8)
        assert archive["labels"].dtype == np.uint8 and archive["labels"].shape == (1797,)


def test_licence_file_ships_with_attribution():
    text = resources.files("backprop.data").joinpath("DIGITS_LICENSE.txt").read_text("utf-8")
    assert "Alpaydin" in text and "Kaynak" in text
    assert "CC BY 4.0" in text
    assert "1,797" in text


def test_identical_to_scikit_learn_copy():
    datasets = pytest.importorskip("sklearn.datasets")
    X_ref, y_ref = datasets.load_digits(return_X_y=True)
    X, y = load_digits()
    assert np.array_equal(X, X_ref.astype(np.float32))
    assert np.array_equal(y, y_ref)
