"""Train/test and train/validation splits, stratified for class labels."""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._validation import as_rng, check_array, check_no_nan, check_same_length, is_integer_labels

__all__ = ["train_test_split", "stratified_split"]


def _n_test(test_size, n_samples: int, where: str, name: str) -> int:
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise TypeError(f"{where}: {name} must be a float in (0, 1) or an int count, got {test_size!r}")
    if isinstance(test_size, numbers.Integral):
        n_test = int(test_size)
    else:
        if not 0.0 < test_size < 1.0:
            raise ValueError(
                f"{where}: {name} as a fraction must be in (0, 1), got {test_size}; "
                "pass e.g. 0.2, or an int for a count of samples"
            )
        n_test = math.ceil(test_size * n_samples)
    if not 1 <= n_test <= n_samples - 1:
        raise ValueError(
            f"{where}: {name}={test_size} gives {n_test} held-out and {n_samples - n_test} "
            f"training samples out of {n_samples}; both parts need at least one sample"
        )
    return n_test


def _stratified_counts(class_sizes: np.ndarray, n_test: int) -> np.ndarray:
    """Split ``n_test`` over classes in proportion to their sizes (largest remainder)."""
    # Integer arithmetic: floor(n_test * n_k / n) and its remainder, exactly.
    counts, remainder = np.divmod(n_test * class_sizes, class_sizes.sum())
    # Stable sort: ties go to the lower class index, so the result is deterministic.
    order = np.argsort(-remainder, kind="stable")
    counts[order[: n_test - counts.sum()]] += 1
    return counts


def _split_indices(y: np.ndarray, n_test: int, stratify: bool, gen: np.random.Generator):
    n_samples = y.shape[0]
    if not (stratify and is_integer_labels(y)):
        order = gen.permutation(n_samples)
        return order[n_test:], order[:n_test]
    classes, inverse = np.unique(y, return_inverse=True)
    inverse = inverse.reshape(-1)
    counts = _stratified_counts(np.bincount(inverse, minlength=classes.size), n_test)
    train, test = [], []
    for k in range(classes.size):
        members = gen.permutation(np.flatnonzero(inverse == k))
        test.append(members[: counts[k]])
        train.append(members[counts[k]:])
    # Shuffle again so the parts are not grouped by class.
    return gen.permutation(np.concatenate(train)), gen.permutation(np.concatenate(test))


def _prepare(X, y, where):
    x = check_array(X, "X", where)
    labels = check_array(y, "y", where)
    check_same_length(x, labels, where)
    check_no_nan(x, "X", where)
    check_no_nan(labels, "y", where)
    return x, labels


def train_test_split(X, y, test_size=0.2, *, stratify: bool = True, rng=None):
    """Split arrays into random train and test parts.

    Parameters
    ----------
    X : array-like, shape (n_samples, ...)
    y : array-like, shape (n_samples, ...)
    test_size : float or int, default 0.2
        A fraction in ``(0, 1)`` (the test part gets ``ceil(test_size * n_samples)``
        samples) or an absolute count. Both parts must be non-empty.
    stratify : bool, default True
        When ``y`` is 1-D integer (or bool) class labels, keep each class's
        proportion in both parts (per-class test counts are the proportional
        share rounded by the largest-remainder rule, summing exactly to the
        test size). Float or multi-dimensional ``y`` (regression, one-hot) is
        split at random whatever this flag says.
    rng : None, int or numpy.random.Generator
        Same seed, same split.

    Returns
    -------
    X_train, X_test, y_train, y_test : numpy.ndarray
        In scikit-learn's order; rows are shuffled within each part.
    """
    where = "train_test_split"
    x, labels = _prepare(X, y, where)
    n_test = _n_test(test_size, x.shape[0], where, "test_size")
    train, test = _split_indices(labels, n_test, stratify, as_rng(rng, where))
    return x[train], x[test], labels[train], labels[test]


def stratified_split(X, y, validation_fraction=0.1, rng=None):
    """Hold out a validation part, stratified by class when ``y`` holds integer labels.

    The training loop's helper; the same rules as :func:`train_test_split` with
    ``stratify=True``, returned in the loaders' pair layout.

    Parameters
    ----------
    X, y : array-like with the same number of samples
    validation_fraction : float or int, default 0.1
        Fraction in ``(0, 1)`` or count of samples held out.
    rng : None, int or numpy.random.Generator

    Returns
    -------
    (X_train, y_train), (X_val, y_val)
    """
    where = "stratified_split"
    x, labels = _prepare(X, y, where)
    n_val = _n_test(validation_fraction, x.shape[0], where, "validation_fraction")
    train, val = _split_indices(labels, n_val, True, as_rng(rng, where))
    return (x[train], labels[train]), (x[val], labels[val])
