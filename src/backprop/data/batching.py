"""Mini-batch iteration for the training loop."""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import as_rng, check_array, check_same_length

__all__ = ["BatchIterator"]


class BatchIterator:
    """Iterate over ``(X, y)`` in batches, reshuffled every epoch.

    ``batch_size=1`` gives stochastic gradient descent, ``batch_size=n_samples``
    full-batch gradient descent, anything between mini-batches. Iterating the
    object again starts a new epoch; with ``shuffle=True`` each epoch draws a
    new permutation from the iterator's own ``rng``, so a seed fixes the whole
    sequence of epochs. Every sample appears exactly once per epoch (except the
    ``n_samples % batch_size`` left over when ``drop_last=True``).

    Parameters
    ----------
    X : array-like, shape (n_samples, ...)
    y : array-like, shape (n_samples, ...), optional
    batch_size : int, default 32
        At least 1. Larger than ``n_samples`` gives one full batch, unless
        ``drop_last=True`` (then no batch could be formed: an error).
    shuffle : bool, default True
        ``False`` yields samples in order (batches are views, not copies).
    drop_last : bool, default False
        Skip the final, smaller batch.
    rng : None, int or numpy.random.Generator
        Source of the per-epoch permutations.

    Yields
    ------
    (X_batch, y_batch) when ``y`` is given, else ``X_batch`` alone.

    Examples
    --------
    >>> X = np.arange(10.0).reshape(5, 2); y = np.arange(5)
    >>> batches = BatchIterator(X, y, batch_size=2, shuffle=False)
    >>> len(batches), [yb.tolist() for _, yb in batches]
    (3, [[0, 1], [2, 3], [4]])
    """

    def __init__(self, X, y=None, batch_size: int = 32, *, shuffle: bool = True,
                 drop_last: bool = False, rng=None):
        where = "BatchIterator"
        self.X = check_array(X, "X", where)
        self.y = None
        if y is not None:
            self.y = check_array(y, "y", where)
            check_same_length(self.X, self.y, where)
        self.n_samples = self.X.shape[0]
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
            raise TypeError(
                f"{where}: batch_size must be an int >= 1, got {batch_size!r} "
                f"({type(batch_size).__name__})"
            )
        if batch_size <= 0:
            raise ValueError(
                f"{where}: batch_size must be >= 1, got {batch_size}; use 1 for stochastic, "
                f"{self.n_samples} (n_samples) for full-batch gradient descent"
            )
        if drop_last and batch_size > self.n_samples:
            raise ValueError(
                f"{where}: batch_size={batch_size} is larger than n_samples={self.n_samples} "
                "with drop_last=True, so every epoch would be empty; lower batch_size or "
                "set drop_last=False"
            )
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.rng = as_rng(rng, where)

    def __len__(self) -> int:
        """Number of batches per epoch."""
        if self.drop_last:
            return self.n_samples // self.batch_size
        return -(-self.n_samples // self.batch_size)

    def __iter__(self):
        order = self.rng.permutation(self.n_samples) if self.shuffle else None
        for b in range(len(self)):
            start = b * self.batch_size
            stop = min(start + self.batch_size, self.n_samples)
            index = slice(start, stop) if order is None else order[start:stop]
            if self.y is None:
                yield self.X[index]
            else:
                yield self.X[index], self.y[index]

    def __repr__(self) -> str:
        return (
            f"BatchIterator(n_samples={self.n_samples}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}, batches={len(self)})"
        )
