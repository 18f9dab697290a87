"""Explicit randomness: every function that draws takes a Generator or a seed.

The library never touches NumPy's global random state (DESIGN.md section 3); this one
function turns what a user passes as ``rng`` into a ``numpy.random.Generator``.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_generator"]


def as_generator(rng=None, where: str = "rng") -> np.random.Generator:
    """Turn ``rng`` into a ``np.random.Generator`` without touching global state.

    Parameters
    ----------
    rng : None, int or numpy.random.Generator
        ``None`` gives a fresh generator seeded from the operating system, a non-negative
        int is used as a seed, a Generator is used as is (and advanced).
    where : str
        Name of the caller, used in the error message.
    """
    if rng is None or isinstance(rng, np.random.Generator):
        return np.random.default_rng(rng)
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(
                f"{where}: rng must be a non-negative seed or a numpy.random.Generator, "
                f"got {rng}; pass e.g. rng=0"
            )
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{where}: rng must be None, an int seed or a numpy.random.Generator, "
        f"got {type(rng).__name__}; pass e.g. rng=0 or rng=np.random.default_rng(0) "
        "(the legacy np.random.RandomState and the global np.random state are not used)"
    )
