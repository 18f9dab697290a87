"""BatchIterator: coverage per epoch, batch sizes, reshuffling, errors."""

import numpy as np
import pytest

from backprop.data import BatchIterator


def data(n=10):
    X = np.arange(n * 2, dtype=np.float32).reshape(n, 2)  # row i = [2i, 2i+1]
    y = np.arange(n)
    return X, y


@pytest.mark.parametrize("batch_size", [1, 3, 4, 10, 25])
def test_every_sample_exactly_once_per_epoch(batch_size):
    X, y = data(10)
    batches = BatchIterator(X, y, batch_size=batch_size, rng=0)
    for _ in range(3):
        seen = np.concatenate([yb for _, yb in batches])
        assert np.array_equal(np.sort(seen), np.arange(10))


@pytest.mark.parametrize("n, batch_size, drop_last, sizes", [
    (10, 1, False, [1] * 10),           # stochastic
    (10, 10, False, [10]),              # full batch
    (10, 25, False, [10]),              # larger than n: one full batch
    (10, 4, False, [4, 4, 2]),          # mini-batch with a remainder
    (10, 4, True, [4, 4]),
    (12, 4, True, [4, 4, 4]),
])
def test_len_and_batch_sizes(n, batch_size, drop_last, sizes):
    X, y = data(n)
    batches = BatchIterator(X, y, batch_size=batch_size, drop_last=drop_last, rng=0)
    assert len(batches) == len(sizes)
    assert [len(xb) for xb, _ in batches] == sizes


def test_x_and_y_rows_stay_aligned():
    X, y = data(17)
    for xb, yb in BatchIterator(X, y, batch_size=5, rng=3):
        assert np.array_equal(xb[:, 0], 2 * yb)


def test_new_permutation_each_epoch_and_reproducible_by_seed():
    X, y = data(50)
    first = BatchIterator(X, y, batch_size=50, rng=0)
    second = BatchIterator(X, y, batch_size=50, rng=0)
    epochs_a = [next(iter(first))[1] for _ in range(3)]
    epochs_b = [next(iter(second))[1] for _ in range(3)]
    assert not np.array_equal(epochs_a[0], epochs_a[1])
    assert all(np.array_equal(a, b) for a, b in zip(epochs_a, epochs_b))


def test_no_shuffle_keeps_order_and_uses_views():
    X, y = data(5)
    batches = list(BatchIterator(X, y, batch_size=2, shuffle=False))
    assert [yb.tolist() for _, yb in batches] == [[0, 1], [2, 3], [4]]
    assert np.shares_memory(batches[0][0], X)


def test_without_y_yields_arrays():
    X, _ = data(6)
    batches = list(BatchIterator(X, batch_size=4, shuffle=False))
    assert len(batches) == 2 and isinstance(batches[0], np.ndarray)
    assert np.array_equal(np.concatenate(batches), X)


def test_drop_last_skips_only_the_remainder():
    X, y = data(10)
    seen = np.concatenate([yb for _, yb in BatchIterator(X, y, batch_size=3, drop_last=True, rng=0)])
    assert len(seen) == 9 and len(np.unique(seen)) == 9


def test_global_random_state_untouched():
    np.random.seed(1)
    before = np.random.get_state()[1].copy()
    X, y = data(10)
    list(BatchIterator(X, y, batch_size=3))
    assert np.array_equal(np.random.get_state()[1], before)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"batch_size": 0}, ValueError, "batch_size must be >= 1, got 0"),
    ({"batch_size": -3}, ValueError, "batch_size"),
    ({"batch_size": 11, "drop_last": True}, ValueError, "batch_size=11 is larger than n_samples=10"),
    ({"batch_size": 2.0}, TypeError, "batch_size"),
    ({"batch_size": True}, TypeError, "batch_size"),
    ({"rng": "x"}, TypeError, "rng"),
])
def test_bad_arguments(kwargs, error, match):
    X, y = data(10)
    with pytest.raises(error, match=match):
        BatchIterator(X, y, **kwargs)


def test_input_validation():
    X, y = data(10)
    with pytest.raises(ValueError, match="same number of samples"):
        BatchIterator(X, y[:8])
    with pytest.raises(ValueError, match="empty"):
        BatchIterator(X[:0])
