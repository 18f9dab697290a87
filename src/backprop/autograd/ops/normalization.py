"""Batch normalization as one fused op with the closed-form backward."""

from __future__ import annotations

import numpy as np

from ..function import Function


def _channel_shape(ndim: int, n_channels: int) -> tuple[int, ...]:
    """Shape that broadcasts a per-channel vector against (N, C, ...) data."""
    return (1, n_channels) + (1,) * (ndim - 2)


class BatchNorm(Function):
    """y = γ x̂ + β with x̂ = (x − μ) / sqrt(σ² + ε), per channel (axis 1).

    Parameters (attributes of ``apply``)
    ------------------------------------
    mean, var : ndarray (C,)
        μ and the *biased* σ² to normalize with: the batch statistics over ``axes`` in
        training (then μ and σ² are functions of x and backward accounts for it), or the
        running statistics in evaluation (then they are constants).
    axes : tuple of int
        The reduction axes: every axis but the channel axis 1.
    eps : float
    batch_stats : bool
        True when ``mean``/``var`` were computed from this ``x``.

    Notes
    -----
    With m = number of elements per channel, ĝ = g γ and s = 1/sqrt(σ² + ε), the closed
    form of the backward pass through the batch statistics is

        dL/dx = (s / m) (m ĝ − Σ ĝ − x̂ Σ (ĝ x̂)),   dL/dγ = Σ g x̂,   dL/dβ = Σ g,

    sums over ``axes``; with running statistics dL/dx = ĝ s.  Where σ² + ε is 0 (only
    possible with eps = 0 and a constant channel), s is taken as 0 so x̂ = 0, not NaN.
    """

    def forward(self, x, gamma=None, beta=None, *, mean, var, axes, eps, batch_stats):
        shape = _channel_shape(x.ndim, x.shape[1])
        std = np.sqrt(var + eps)
        inv_std = np.divide(1, std, out=np.zeros_like(std), where=std > 0).astype(x.dtype, copy=False)
        inv_std = inv_std.reshape(shape)
        x_hat = (x - mean.astype(x.dtype, copy=False).reshape(shape)) * inv_std
        self.x_hat, self.inv_std, self.gamma = x_hat, inv_std, gamma
        self.axes, self.batch_stats = axes, batch_stats
        if gamma is None:
            return x_hat
        return x_hat * gamma.reshape(shape) + beta.reshape(shape)

    def backward(self, g):
        x_hat, inv_std, axes = self.x_hat, self.inv_std, self.axes
        needs = self.needs_input_grad
        g_hat = g if self.gamma is None else g * self.gamma.reshape(inv_std.shape)
        gx = None
        if needs[0]:
            if self.batch_stats:
                m = g.size // x_hat.shape[1]
                sum_g = g_hat.sum(axis=axes, keepdims=True)
                sum_gx = (g_hat * x_hat).sum(axis=axes, keepdims=True)
                gx = (inv_std / m) * (m * g_hat - sum_g - x_hat * sum_gx)
            else:
                gx = g_hat * inv_std
        if self.gamma is None:
            return (gx,)
        g_gamma = (g * x_hat).sum(axis=axes) if needs[1] else None
        g_beta = g.sum(axis=axes) if needs[2] else None
        return gx, g_gamma, g_beta


def batch_norm(x, gamma, beta, *, mean, var, axes, eps, batch_stats):
    """Function form of :class:`BatchNorm` (``gamma``/``beta`` both None for no affine)."""
    attrs = dict(mean=mean, var=var, axes=tuple(axes), eps=eps, batch_stats=batch_stats)
    if gamma is None:
        return BatchNorm.apply(x, **attrs)
    return BatchNorm.apply(x, gamma, beta, **attrs)
