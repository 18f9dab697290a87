"""Small synthetic datasets for demos, tests and teaching.

Every generator has the form ``name(n_samples, ..., *, noise, rng=None)`` and
returns ``(X, y)`` with ``X`` float32 of shape ``(n_samples, n_features)``.
Classification sets return ``y`` int64 of shape ``(n_samples,)`` with classes
as balanced as ``n_samples`` allows (the first ``n_samples % n_classes``
classes get one extra sample) and rows shuffled; the regression set
(:func:`sine`) returns ``y`` float32 of shape ``(n_samples, 1)``, matching a
network's ``(n_samples, 1)`` output so a loss never broadcasts by accident.

``noise`` is always the standard deviation of Gaussian noise added to each
coordinate of ``X`` (to ``y`` for :func:`sine`); ``noise=0`` gives the exact
geometric shape. ``rng`` is a seed or a ``numpy.random.Generator``; the global
``np.random`` state is never used.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_rng, check_int, check_noise

__all__ = ["xor", "moons", "circles", "spirals", "gaussian_blobs", "sine", "SYNTHETIC"]


def _class_sizes(n_samples: int, n_classes: int) -> np.ndarray:
    sizes = np.full(n_classes, n_samples // n_classes, dtype=np.int64)
    sizes[: n_samples % n_classes] += 1
    return sizes


def _finish(X: np.ndarray, y: np.ndarray, noise: float, rng: np.random.Generator):
    """Add coordinate noise, shuffle rows, cast to the library dtypes."""
    if noise > 0:
        X = X + rng.normal(0.0, noise, size=X.shape)
    order = rng.permutation(X.shape[0])
    return X[order].astype(np.float32), y[order].astype(np.int64)


def xor(n_samples: int = 200, *, noise: float = 0.0, rng=None):
    """Two-class XOR: points uniform in the square ``[-1, 1]^2``.

    The label is 1 when exactly one coordinate is positive, i.e. ``x0 * x1 < 0``,
    so no straight line separates the classes (the classic case for a hidden
    layer). The label is decided before noise is added.

    Parameters
    ----------
    n_samples : int, default 200
    noise : float, default 0.0
        Standard deviation of Gaussian noise added to each coordinate.
    rng : None, int or numpy.random.Generator

    Returns
    -------
    X : float32 array, shape (n_samples, 2)
    y : int64 array, shape (n_samples,), values in {0, 1}
    """
    n_samples = check_int(n_samples, "n_samples", "xor")
    noise = check_noise(noise, "xor")
    gen = as_rng(rng, "xor")
    X = gen.uniform(-1.0, 1.0, size=(n_samples, 2))
    y = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(np.int64)
    return _finish(X, y, noise, gen)


def moons(n_samples: int = 200, *, noise: float = 0.1, rng=None):
    """Two interleaving half circles (scikit-learn's ``make_moons`` geometry).

    Class 0 lies on the upper unit half circle ``(cos t, sin t)``, class 1 on the
    lower one ``(1 - cos t, 0.5 - sin t)``, with ``t`` evenly spaced in ``[0, pi]``.

    Parameters
    ----------
    n_samples : int, default 200
        At least 2 (one per class).
    noise : float, default 0.1
    rng : None, int or numpy.random.Generator

    Returns
    -------
    X : float32 array, shape (n_samples, 2)
    y : int64 array, shape (n_samples,), values in {0, 1}
    """
    n_samples = check_int(n_samples, "n_samples", "moons", minimum=2)
    noise = check_noise(noise, "moons")
    gen = as_rng(rng, "moons")
    n_upper, n_lower = _class_sizes(n_samples, 2)
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n_lower)
    X = np.concatenate([
        np.column_stack([np.cos(t_upper), np.sin(t_upper)]),
        np.column_stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)]),
    ])
    y = np.repeat([0, 1], [n_upper, n_lower])
    return _finish(X, y, noise, gen)


def circles(n_samples: int = 200, *, noise: float = 0.05, factor: float = 0.5, rng=None):
    """Two concentric circles: class 0 of radius 1, class 1 of radius ``factor``.

    Angles are evenly spaced over ``[0, 2*pi)`` on each circle.

    Parameters
    ----------
    n_samples : int, default 200
        At least 2 (one per class).
    noise : float, default 0.05
    factor : float, default 0.5
        Radius of the inner circle, in ``(0, 1)``.
    rng : None, int or numpy.random.Generator

    Returns
    -------
    X : float32 array, shape (n_samples, 2)
    y : int64 array, shape (n_samples,), values in {0, 1}
    """
    n_samples = check_int(n_samples, "n_samples", "circles", minimum=2)
    noise = check_noise(noise, "circles")
    if not (0.0 < float(factor) < 1.0):
        raise ValueError(
            f"circles: factor is the inner circle's radius and must be in (0, 1), got {factor}"
        )
    gen = as_rng(rng, "circles")
    n_outer, n_inner = _class_sizes(n_samples, 2)
    t_outer = np.linspace(0.0, 2 * np.pi, n_outer, endpoint=False)
    t_inner = np.linspace(0.0, 2 * np.pi, n_inner, endpoint=False)
    X = np.concatenate([
        np.column_stack([np.cos(t_outer), np.sin(t_outer)]),
        float(factor) * np.column_stack([np.cos(t_inner), np.sin(t_inner)]),
    ])
    y = np.repeat([0, 1], [n_outer, n_inner])
    return _finish(X, y, noise, gen)


def spirals(n_samples: int = 300, n_classes: int = 3, *, noise: float = 0.05,
            turns: float = 1.0, rng=None):
    """Interleaved spiral arms, one arm per class.

    A point of class ``k`` at radius ``r`` (evenly spaced in ``(0, 1]``) has angle
    ``theta = 2*pi*k / n_classes + 2*pi*turns*r``, i.e. ``X = r (cos theta, sin theta)``;
    each arm is the previous one rotated by ``2*pi / n_classes``.

    Parameters
    ----------
    n_samples : int, default 300
        At least ``n_classes``.
    n_classes : int, default 3
        Number of arms, at least 2.
    noise : float, default 0.05
    turns : float, default 1.0
        How many full revolutions each arm makes from the centre to radius 1.
    rng : None, int or numpy.random.Generator

    Returns
    -------
    X : float32 array, shape (n_samples, 2)
    y : int64 array, shape (n_samples,), values in ``0..n_classes-1``
    """
    n_classes = check_int(n_classes, "n_classes", "spirals", minimum=2)
    n_samples = check_int(n_samples, "n_samples", "spirals", minimum=n_classes)
    noise = check_noise(noise, "spirals")
    if not np.isfinite(turns) or turns <= 0:
        raise ValueError(f"spirals: turns must be finite and > 0, got {turns}")
    gen = as_rng(rng, "spirals")
    parts, labels = [], []
    for k, size in enumerate(_class_sizes(n_samples, n_classes)):
        r = np.arange(1, size + 1) / size
        theta = 2 * np.pi * k / n_classes + 2 * np.pi * float(turns) * r
        parts.append(r[:, None] * np.column_stack([np.cos(theta), np.sin(theta)]))
        labels.append(np.full(size, k))
    return _finish(np.concatenate(parts), np.concatenate(labels), noise, gen)


def gaussian_blobs(n_samples: int = 300, n_classes: int = 3, n_features: int = 2, *,
                   noise: float = 1.0, centers=None, center_box=(-5.0, 5.0), rng=None):
    """Isotropic Gaussian clusters, one per class.

    Parameters
    ----------
    n_samples : int, default 300
        At least ``n_classes``.
    n_classes : int, default 3
    n_features : int, default 2
    noise : float, default 1.0
        Standard deviation of each cluster (per coordinate).
    centers : array-like of shape (n_classes, n_features), optional
        Cluster centres; by default drawn uniformly from ``center_box`` with ``rng``.
    center_box : tuple of float, default (-5.0, 5.0)
        ``(low, high)`` bounds for randomly drawn centres.
    rng : None, int or numpy.random.Generator

    Returns
    -------
    X : float32 array, shape (n_samples, n_features)
    y : int64 array, shape (n_samples,), values in ``0..n_classes-1``
    """
    n_classes = check_int(n_classes, "n_classes", "gaussian_blobs")
    n_features = check_int(n_features, "n_features", "gaussian_blobs")
    n_samples = check_int(n_samples, "n_samples", "gaussian_blobs", minimum=n_classes)
    noise = check_noise(noise, "gaussian_blobs")
    gen = as_rng(rng, "gaussian_blobs")
    if centers is None:
        low, high = center_box
        if not low < high:
            raise ValueError(f"gaussian_blobs: center_box must be (low, high) with low < high, got {center_box}")
        centers = gen.uniform(low, high, size=(n_classes, n_features))
    else:
        centers = np.asarray(centers, dtype=np.float64)
        if centers.shape != (n_classes, n_features):
            raise ValueError(
                f"gaussian_blobs: centers must have shape (n_classes, n_features) = "
                f"({n_classes}, {n_features}), got {centers.shape}"
            )
        if not np.isfinite(centers).all():
            raise ValueError("gaussian_blobs: centers contains NaN or Inf")
    y = np.repeat(np.arange(n_classes), _class_sizes(n_samples, n_classes))
    return _finish(centers[y], y, noise, gen)


def sine(n_samples: int = 200, *, noise: float = 0.1, x_range=(-np.pi, np.pi), rng=None):
    """1-D regression: ``y = sin(x) + noise * N(0, 1)`` with ``x`` uniform in ``x_range``.

    Parameters
    ----------
    n_samples : int, default 200
    noise : float, default 0.1
        Standard deviation of Gaussian noise added to ``y`` (``x`` is exact).
    x_range : tuple of float, default (-pi, pi)
    rng : None, int or numpy.random.Generator

    Returns
    -------
    X : float32 array, shape (n_samples, 1)
    y : float32 array, shape (n_samples, 1)
    """
    n_samples = check_int(n_samples, "n_samples", "sine")
    noise = check_noise(noise, "sine")
    low, high = x_range
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"sine: x_range must be finite (low, high) with low < high, got {x_range}")
    gen = as_rng(rng, "sine")
    x = gen.uniform(low, high, size=(n_samples, 1))
    y = np.sin(x)
    if noise > 0:
        y = y + gen.normal(0.0, noise, size=y.shape)
    return x.astype(np.float32), y.astype(np.float32)


#: Name -> generator, for command lines and examples (``SYNTHETIC["moons"](rng=0)``).
SYNTHETIC = {
    "xor": xor,
    "moons": moons,
    "circles": circles,
    "spirals": spirals,
    "gaussian_blobs": gaussian_blobs,
    "sine": sine,
}
