"""MNIST-1D (Greydanus & Kobak, 2020), generated locally by the optional ``mnist1d`` package.

Ten 1-D "digit" templates of length 12, padded, sheared, scaled, translated, smoothed with
correlated noise and sampled at 40 points.  The default arguments give 4,000 training and
1,000 test sequences; a linear model reaches ~32 % test accuracy, a small CNN ~94 %.

The generator is the package's own :func:`mnist1d.data.make_dataset` (never
``get_dataset``, which downloads and unpickles a file).  It seeds NumPy's and Python's
global random states; :func:`load_mnist1d` saves both before and restores them after, so
calling it leaves no trace on the caller's randomness.
"""

from __future__ import annotations

import random

import numpy as np

__all__ = ["load_mnist1d", "MNIST1D_PAPER_ACCURACY"]

_MISSING = "MNIST-1D needs the optional dependency: pip install 'backprop[mnist1d]'"

#: Test accuracies reported in the MNIST-1D paper (Greydanus & Kobak, 2020, table 1).
MNIST1D_PAPER_ACCURACY = {"logistic": 0.32, "mlp": 0.68, "cnn": 0.94, "gru": 0.91, "human": 0.96}


def _import_mnist1d():
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as exc:
        raise ImportError(_MISSING) from exc
    return get_dataset_args, make_dataset


def load_mnist1d(*, seed: int = 42, as_images: bool = False):
    """Generate the MNIST-1D dataset.

    Parameters
    ----------
    seed : int
        The generator's seed (42 is the dataset's default: the published numbers use it).
    as_images : bool
        Return inputs of shape ``(N, 1, 40)`` (one channel, channels-first, for ``Conv1d``)
        instead of ``(N, 40)``.

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        ``X`` float32, ``(4000, 40)`` and ``(1000, 40)`` by default (already centred and scaled
        to unit standard deviation by the generator); ``y`` int64 labels 0-9.

    Raises
    ------
    ImportError
        Without the ``mnist1d`` package (``pip install 'backprop[mnist1d]'``).

    Examples
    --------
    >>> from backprop.data import load_mnist1d               # doctest: +SKIP
    >>> (X, y), (X_test, y_test) = load_mnist1d()            # doctest: +SKIP
    >>> X.shape, X_test.shape                                 # doctest: +SKIP
    ((4000, 40), (1000, 40))
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"load_mnist1d: seed must be a non-negative integer, got {seed!r}")
    get_dataset_args, make_dataset = _import_mnist1d()
    args = get_dataset_args()
    args.seed = int(seed)
    # the package calls np.random.seed / random.seed: keep the caller's global states intact
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    x_train = np.ascontiguousarray(data["x"], dtype=np.float32)
    x_test = np.ascontiguousarray(data["x_test"], dtype=np.float32)
    y_train = np.asarray(data["y"], dtype=np.int64)
    y_test = np.asarray(data["y_test"], dtype=np.int64)
    if as_images:
        x_train, x_test = x_train[:, None, :], x_test[:, None, :]
    return (x_train, y_train), (x_test, y_test)
