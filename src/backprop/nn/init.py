"""Weight initializers: functions of a shape that return a new array.

Every initializer has the signature ``init(shape, rng=None, dtype=np.float32, **options)``
and draws from ``rng`` — a :class:`numpy.random.Generator` or an int seed — never from
NumPy's global random state (``None`` means a fresh, unseeded Generator).  The same
seed gives the same array.  In-place forms for Parameters: :func:`init_`.

Fans follow PyTorch's rule: for a weight of shape ``(out, in, *kernel)``,
``fan_in = in * prod(kernel)`` and ``fan_out = out * prod(kernel)`` (a Linear weight is
``(out_features, in_features)``).

=================  ==========================================  ===========================
name               distribution                                use with
=================  ==========================================  ===========================
xavier_uniform     U(-l, l), l = gain·sqrt(6/(fan_in+fan_out))  tanh, sigmoid (Glorot 2010)
xavier_normal      N(0, s²), s = gain·sqrt(2/(fan_in+fan_out))  tanh, sigmoid
he_uniform         U(-l, l), l = sqrt(6/fan_in)                 ReLU family (He 2015)
he_normal          N(0, s²), s = sqrt(2/fan_in)                 ReLU family
lecun_normal       N(0, s²), s = sqrt(1/fan_in)                 SELU, linear
orthogonal         gain · a (semi-)orthogonal matrix            deep / recurrent nets
=================  ==========================================  ===========================

``glorot_*`` and ``kaiming_*`` are aliases of ``xavier_*`` and ``he_*``.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..rng import as_generator  # re-exported: layers take `rng` through it


def _shape(shape) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)


def compute_fans(shape) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight shape, computed as PyTorch does.

    ``(out, in, *kernel)`` gives ``(in * receptive, out * receptive)`` with
    ``receptive = prod(kernel)``.  A 1-D shape ``(n,)`` gives ``(n, n)``.
    """
    shape = _shape(shape)
    if len(shape) == 0:
        raise ValueError("fans are undefined for a scalar shape ()")
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def zeros(shape, rng=None, dtype=np.float32) -> np.ndarray:
    """All zeros (biases). As the only weight init it leaves hidden units identical forever."""
    return np.zeros(_shape(shape), dtype=dtype)


def ones(shape, rng=None, dtype=np.float32) -> np.ndarray:
    """All ones (BatchNorm's γ)."""
    return np.ones(_shape(shape), dtype=dtype)


def constant(shape, value: float = 0.0, rng=None, dtype=np.float32) -> np.ndarray:
    """Every element equal to ``value``."""
    return np.full(_shape(shape), value, dtype=dtype)


def uniform(shape, a: float = 0.0, b: float = 1.0, rng=None, dtype=np.float32) -> np.ndarray:
    """Independent draws from U(a, b)."""
    if not b > a:
        raise ValueError(f"uniform initializer needs a < b, got a={a}, b={b}")
    return as_generator(rng).uniform(a, b, size=_shape(shape)).astype(dtype, copy=False)


def normal(shape, mean: float = 0.0, std: float = 1.0, rng=None, dtype=np.float32) -> np.ndarray:
    """Independent draws from N(mean, std²)."""
    if std < 0:
        raise ValueError(f"normal initializer needs std >= 0, got {std}")
    return as_generator(rng).normal(mean, std, size=_shape(shape)).astype(dtype, copy=False)


def xavier_uniform(shape, rng=None, dtype=np.float32, gain: float = 1.0) -> np.ndarray:
    """Glorot uniform: U(-l, l) with l = gain·sqrt(6/(fan_in + fan_out)); variance 2/(fan_in+fan_out)."""
    fan_in, fan_out = compute_fans(shape)
    limit = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform(shape, -limit, limit, rng=rng, dtype=dtype)


def xavier_normal(shape, rng=None, dtype=np.float32, gain: float = 1.0) -> np.ndarray:
    """Glorot normal: N(0, s²) with s = gain·sqrt(2/(fan_in + fan_out))."""
    fan_in, fan_out = compute_fans(shape)
    return normal(shape, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng=rng, dtype=dtype)


def he_uniform(shape, rng=None, dtype=np.float32) -> np.ndarray:
    """He/Kaiming uniform for ReLU: U(-l, l) with l = sqrt(6/fan_in); variance 2/fan_in."""
    fan_in, _ = compute_fans(shape)
    limit = math.sqrt(6.0 / fan_in)
    return uniform(shape, -limit, limit, rng=rng, dtype=dtype)


def he_normal(shape, rng=None, dtype=np.float32) -> np.ndarray:
    """He/Kaiming normal for ReLU: N(0, s²) with s = sqrt(2/fan_in)."""
    fan_in, _ = compute_fans(shape)
    return normal(shape, 0.0, math.sqrt(2.0 / fan_in), rng=rng, dtype=dtype)


def lecun_uniform(shape, rng=None, dtype=np.float32) -> np.ndarray:
    """LeCun uniform: U(-l, l) with l = sqrt(3/fan_in); variance 1/fan_in."""
    fan_in, _ = compute_fans(shape)
    limit = math.sqrt(3.0 / fan_in)
    return uniform(shape, -limit, limit, rng=rng, dtype=dtype)


def lecun_normal(shape, rng=None, dtype=np.float32) -> np.ndarray:
    """LeCun normal: N(0, s²) with s = sqrt(1/fan_in)."""
    fan_in, _ = compute_fans(shape)
    return normal(shape, 0.0, math.sqrt(1.0 / fan_in), rng=rng, dtype=dtype)


def pytorch_default(shape, rng=None, dtype=np.float32) -> np.ndarray:
    """PyTorch's default for Linear weights *and* biases: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

    For a weight ``(out, in)`` fan_in is ``in``; pass ``(out, in)`` for a bias too (its fan
    is the weight's) and take row 0, or use :func:`uniform` directly.
    """
    fan_in, _ = compute_fans(shape)
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return uniform(shape, -bound, bound, rng=rng, dtype=dtype) if bound > 0 else zeros(shape, dtype=dtype)


def orthogonal(shape, rng=None, dtype=np.float32, gain: float = 1.0) -> np.ndarray:
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al. 2013), as PyTorch builds it.

    The shape is viewed as ``(shape[0], prod(shape[1:]))``; rows (or columns, whichever
    are fewer) are orthonormal.  QR of a Gaussian matrix, with the signs of R's diagonal
    folded into Q so the result is uniformly distributed.
    """
    shape = _shape(shape)
    if len(shape) < 2:
        raise ValueError(f"orthogonal initializer needs at least 2 dimensions, got shape {shape}")
    rows, cols = shape[0], math.prod(shape[1:])
    flat = as_generator(rng).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return (gain * q).reshape(shape).astype(dtype, copy=False)


glorot_uniform = xavier_uniform
glorot_normal = xavier_normal
kaiming_uniform = he_uniform
kaiming_normal = he_normal

INITIALIZERS = {
    "zeros": zeros, "ones": ones, "constant": constant, "uniform": uniform, "normal": normal,
    "xavier_uniform": xavier_uniform, "xavier_normal": xavier_normal,
    "glorot_uniform": glorot_uniform, "glorot_normal": glorot_normal,
    "he_uniform": he_uniform, "he_normal": he_normal,
    "kaiming_uniform": kaiming_uniform, "kaiming_normal": kaiming_normal,
    "lecun_uniform": lecun_uniform, "lecun_normal": lecun_normal,
    "orthogonal": orthogonal, "pytorch_default": pytorch_default,
}


def get_initializer(name_or_callable, **options):
    """Look an initializer up by name (or pass a callable through), binding ``options``.

    Returns a callable ``(shape, rng=None, dtype=np.float32) -> ndarray``.

    >>> init = get_initializer("normal", std=0.01)
    >>> init((2, 3), rng=0).std() < 0.1
    True
    """
    if callable(name_or_callable):
        fn = name_or_callable
    elif isinstance(name_or_callable, str):
        key = name_or_callable.lower()
        if key not in INITIALIZERS:
            raise ValueError(f"unknown initializer {name_or_callable!r}; choose one of {sorted(INITIALIZERS)} "
                             "or pass a callable (shape, rng, dtype) -> array")
        fn = INITIALIZERS[key]
    else:
        raise TypeError(f"initializer must be a name or a callable, got {type(name_or_callable).__name__}")
    return functools.partial(fn, **options) if options else fn


def init_(param, initializer, rng=None, **options):
    """Fill ``param.data`` in place with ``initializer`` (a name or a callable); returns ``param``."""
    fn = get_initializer(initializer, **options)
    values = np.asarray(fn(param.shape, rng=rng, dtype=param.data.dtype))
    if values.shape != param.shape:
        raise ValueError(f"initializer returned shape {values.shape}, parameter has shape {param.shape}")
    param.data[...] = values
    return param


__all__ = ["as_generator", "compute_fans", "zeros", "ones", "constant", "uniform", "normal",
           "xavier_uniform", "xavier_normal", "glorot_uniform", "glorot_normal", "he_uniform",
           "he_normal", "kaiming_uniform", "kaiming_normal", "lecun_uniform", "lecun_normal",
           "orthogonal", "pytorch_default", "INITIALIZERS", "get_initializer", "init_"]
