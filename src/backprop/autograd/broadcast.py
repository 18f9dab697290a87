"""The one place where NumPy broadcasting is reversed.

If the forward pass broadcast an input of shape ``shape`` up to the output's shape, every
input element was used once per copy, so by the multivariate chain rule its gradient is the
*sum* of the upstream gradient over the broadcast axes.  The engine calls
:func:`unbroadcast` on every gradient whose shape differs from its input's; ops never do.
"""

from __future__ import annotations

import numpy as np


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` down to ``shape``, undoing NumPy broadcasting.

    Parameters
    ----------
    grad : ndarray
        Gradient with the broadcast (output) shape.
    shape : tuple of int
        Shape of the input before broadcasting.

    Returns
    -------
    ndarray
        Gradient of shape ``shape`` whose total equals ``grad.sum()``.

    Notes
    -----
    Broadcasting (1) prepends axes until the ranks match and (2) stretches axes of size 1.
    The reverse is (1) summing away the leading axes and (2) summing the stretched axes with
    ``keepdims=True``.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:
        raise ValueError(f"cannot unbroadcast gradient of shape {grad.shape} to larger shape {shape}")
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1 and grad.shape[axis] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    if grad.shape != shape:
        raise ValueError(f"gradient of shape {grad.shape} does not broadcast to input shape {shape}")
    return grad


def broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """Return the broadcast shape or raise a ValueError that names every shape."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        listed = ", ".join(str(tuple(s)) for s in shapes)
        raise ValueError(
            f"shapes {listed} cannot be broadcast together: trailing dimensions must be equal "
            "or 1; reshape one operand (e.g. with .reshape or .unsqueeze)"
        ) from None
