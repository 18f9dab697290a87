"""train_test_split and stratified_split: sizes, partitions, class proportions, determinism."""

import numpy as np
import pytest

from backprop.data import stratified_split, train_test_split


def indexed(n, labels=None):
    """X whose first column is the row index, so a split can be traced back."""
    X = np.column_stack([np.arange(n), np.zeros(n)]).astype(np.float32)
    y = np.arange(n) % 3 if labels is None else np.asarray(labels)
    return X, y


@pytest.mark.parametrize("n, test_size, n_test", [(10, 0.2, 2), (11, 0.2, 3), (10, 4, 4), (3, 0.5, 2)])
def test_sizes(n, test_size, n_test):
    X, y = indexed(n)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, rng=0)
    assert len(X_test) == len(y_test) == n_test  # ceil(test_size * n) for fractions
    assert len(X_train) == len(y_train) == n - n_test


@pytest.mark.parametrize("stratify", [True, False])
def test_partition_and_alignment(stratify):
    X, y = indexed(50)
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=stratify, rng=1)
    ids_train, ids_test = X_train[:, 0].astype(int), X_test[:, 0].astype(int)
    assert np.array_equal(np.sort(np.concatenate([ids_train, ids_test])), np.arange(50))
    assert np.array_equal(y_train, ids_train % 3) and np.array_equal(y_test, ids_test % 3)


def test_stratified_counts_exact():
    y = np.repeat([0, 1, 2], [60, 30, 10])
    X, _ = indexed(100)
    _, _, y_train, y_test = train_test_split(X, y, test_size=0.2, rng=0)
    assert np.bincount(y_test).tolist() == [12, 6, 2]
    assert np.bincount(y_train).tolist() == [48, 24, 8]


def test_stratified_largest_remainder_rounding():
    # Sizes 5, 3, 2 with 3 test samples: exact shares 1.5, 0.9, 0.6 -> floors 1, 0, 0,
    # the two leftover samples go to the largest remainders (0.9, 0.6) -> 1, 1, 1.
    y = np.repeat([0, 1, 2], [5, 3, 2])
    X, _ = indexed(10)
    _, _, _, y_test = train_test_split(X, y, test_size=3, rng=0)
    assert np.bincount(y_test, minlength=3).tolist() == [1, 1, 1]


def test_non_contiguous_labels_stratify_by_value():
    y = np.array([7, 7, 7, 7, 9, 9, 9, 9, 9, 9])
    X, _ = indexed(10)
    _, _, _, y_test = train_test_split(X, y, test_size=0.5, rng=0)
    assert sorted(y_test.tolist()) == [7, 7, 9, 9, 9]


def test_parts_are_shuffled_not_grouped_by_class():
    y = np.repeat([0, 1], 50)
    X, _ = indexed(100)
    _, _, y_train, _ = train_test_split(X, y, rng=0)
    assert not np.array_equal(y_train, np.sort(y_train))


def test_deterministic_by_seed():
    X, y = indexed(40)
    a = train_test_split(X, y, rng=5)
    b = train_test_split(X, y, rng=np.random.default_rng(5))
    c = train_test_split(X, y, rng=6)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a[1], c[1])


def test_float_targets_split_at_random():
    X, _ = indexed(20)
    y = np.linspace(0.0, 1.0, 20).reshape(-1, 1)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, rng=0)
    assert y_test.shape == (5, 1)
    assert np.allclose(y_test.ravel(), X_test[:, 0] / 19)


def test_global_random_state_untouched():
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    X, y = indexed(30)
    train_test_split(X, y)
    stratified_split(X, y, 0.2)
    assert np.array_equal(np.random.get_state()[1], before)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"test_size": 0.0}, ValueError, r"in \(0, 1\)"),
    ({"test_size": 1.0}, ValueError, r"in \(0, 1\)"),
    ({"test_size": 10}, ValueError, "both parts"),
    ({"test_size": 0}, ValueError, "both parts"),
    ({"test_size": "0.2"}, TypeError, "test_size"),
])
def test_bad_test_size(kwargs, error, match):
    X, y = indexed(10)
    with pytest.raises(error, match=match):
        train_test_split(X, y, **kwargs)


def test_input_validation():
    X, y = indexed(10)
    with pytest.raises(ValueError, match=r"same number of samples .*X.shape=\(10, 2\) and y.shape=\(9,\)"):
        train_test_split(X, y[:9])
    with pytest.raises(ValueError, match="empty"):
        train_test_split(X[:0], y[:0])
    bad = X.copy()
    bad[4, 1] = np.nan
    with pytest.raises(ValueError, match=r"NaN .* index \(4, 1\)"):
        train_test_split(bad, y)


def test_stratified_split_pairs_and_proportions():
    y = np.repeat([0, 1], [80, 20])
    X, _ = indexed(100)
    (X_train, y_train), (X_val, y_val) = stratified_split(X, y, 0.1, rng=0)
    assert len(X_val) == 10 and len(X_train) == 90
    assert np.bincount(y_val).tolist() == [8, 2]
    assert np.array_equal(y_val, y[X_val[:, 0].astype(int)])
    with pytest.raises(ValueError, match="validation_fraction"):
        stratified_split(X, y, 1.5)
