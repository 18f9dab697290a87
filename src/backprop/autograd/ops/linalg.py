"""Matrix products: ``matmul`` (1-D, 2-D, batched) and the fused dense-layer op ``linear``."""

from __future__ import annotations

import numpy as np

from ..broadcast import unbroadcast
from ..function import Function


class MatMul(Function):
    """z = a @ b with NumPy's rules for 1-D and batched operands.

    Notes
    -----
    For 2-D operands, dL/da = g bᵀ and dL/db = aᵀ g.  A 1-D ``a`` is treated as a row
    (1, k), a 1-D ``b`` as a column (k, 1); the gradients are computed in that 2-D form and
    reshaped back.  Batch axes that were broadcast are summed away.
    """

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul needs tensors of at least 1 dimension, got shapes {a.shape} and {b.shape}")
        if a.shape[-1] != b.shape[0 if b.ndim == 1 else -2]:
            inner_b = b.shape[0 if b.ndim == 1 else -2]
            raise ValueError(
                f"matmul: shapes {a.shape} and {b.shape} do not align: the last dimension of the "
                f"first ({a.shape[-1]}) must equal the {'first' if b.ndim == 1 else 'second-to-last'} "
                f"dimension of the second ({inner_b})"
            )
        self.a, self.b = a, b
        try:
            z = a @ b
        except ValueError:
            raise ValueError(f"matmul: batch dimensions of shapes {a.shape} and {b.shape} do not broadcast") from None
        return z

    def backward(self, g):
        a, b = self.a, self.b
        needs_a, needs_b = self.needs_input_grad
        if a.ndim <= 2 and b.ndim == 2 and g.ndim == a.ndim:
            ga = g @ b.T if needs_a else None
            gb = (np.outer(a, g) if a.ndim == 1 else a.T @ g) if needs_b else None
            return ga, gb
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g.reshape(np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2]) + (a2.shape[-2], b2.shape[-1]))
        ga = gb = None
        if needs_a:
            ga = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if needs_b:
            gb = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape)
        return ga, gb


def matmul(a, b):
    return MatMul.apply(a, b)


class Linear(Function):
    """Fused dense layer z = x Wᵀ + b, whose backward is the seeds' equations BP2–BP4.

    Notes
    -----
    The seeds write one sample as a column: z = W a + b with W of shape (out, in).  With a
    batch of samples in the *rows* of x (shape (n, in)) the same layer is z = x Wᵀ + b.
    Given δ = dL/dz (shape (n, out)):

    * BP3/BP4 (parameter gradients):  dL/dW = δᵀ x  (the sum over samples of δ aᵀ),
      dL/db = Σ_rows δ;
    * BP2 (error sent to the previous layer, before its activation's derivative):
      dL/dx = δ W — skipped when nobody needs it (e.g. for the network's input).

    Inputs with more than two axes (..., in) are treated as a batch of rows.
    """

    def forward(self, x, weight, bias=None):
        if x.shape[-1] != weight.shape[1]:
            raise ValueError(
                f"linear: input has {x.shape[-1]} features (shape {x.shape}) but the weight "
                f"expects {weight.shape[1]} (weight shape {weight.shape})"
            )
        self.x, self.weight, self.has_bias = x, weight, bias is not None
        z = x @ weight.T
        if bias is not None:
            z += bias
        return z

    def backward(self, delta):
        needs = self.needs_input_grad
        x, weight = self.x, self.weight
        gx = delta @ weight if needs[0] else None
        if x.ndim == 2:
            x_rows, delta_rows = x, delta
        else:
            x_rows, delta_rows = x.reshape(-1, x.shape[-1]), delta.reshape(-1, delta.shape[-1])
        gw = delta_rows.T @ x_rows if needs[1] else None
        if self.has_bias:
            gb = delta_rows.sum(axis=0) if needs[2] else None
            return gx, gw, gb
        return gx, gw


def linear(x, weight, bias=None):
    """z = x Wᵀ + b in one fused op (see :class:`Linear`)."""
    if bias is None:
        return Linear.apply(x, weight)
    return Linear.apply(x, weight, bias)
