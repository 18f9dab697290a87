"""Small in-place array helpers shared by the optimizers' update functions."""

from __future__ import annotations

import numpy as np

__all__ = ["effective_grad", "lerp_"]


def effective_grad(w, g, weight_decay: float, maximize: bool) -> np.ndarray:
    """Return ``±g + weight_decay * w`` without touching ``g`` (a copy only if needed)."""
    if not maximize and weight_decay == 0:
        return g
    d = np.negative(g) if maximize else g.copy()
    if weight_decay != 0:
        d += weight_decay * w
    return d


def lerp_(a: np.ndarray, b: np.ndarray, weight: float) -> None:
    r"""``a <- a + weight * (b - a)`` in place, evaluated the way ``torch.lerp`` is.

    PyTorch switches to ``b - (b - a)(1 - weight)`` for ``weight >= 0.5`` (more accurate
    there); following it keeps results within rounding of ``torch.optim``.
    """
    diff = np.subtract(b, a)
    if weight < 0.5:
        diff *= weight
        a += diff
    else:
        diff *= 1.0 - weight
        np.subtract(b, diff, out=a)
