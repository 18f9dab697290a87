"""Batch normalization layers (Ioffe & Szegedy 2015) over the fused ``BatchNorm`` op."""

from __future__ import annotations

import numpy as np

from ..autograd.ops.normalization import batch_norm
from .layers import as_input_tensor
from .module import Module, Parameter


class _BatchNorm(Module):
    """Shared implementation; subclasses fix the accepted input ranks."""

    _ranks: tuple[int, ...] = ()
    _shapes_text = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, dtype=np.float32):
        super().__init__()
        name = type(self).__name__
        if not isinstance(num_features, (int, np.integer)) or isinstance(num_features, bool) or num_features <= 0:
            raise ValueError(f"{name}: num_features must be a positive integer, got {num_features!r}")
        if not eps > 0:
            raise ValueError(f"{name}: eps must be > 0 (it keeps 1/sqrt(var + eps) finite), got {eps!r}")
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"{name}: momentum must be in [0, 1] or None (cumulative average), got {momentum!r}")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{name}: dtype must be a floating-point type, got {dtype}")
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), momentum
        self.affine, self.track_running_stats, self.dtype = bool(affine), bool(track_running_stats), dtype
        if self.affine:
            self.weight = Parameter(np.ones(self.num_features, dtype=dtype))
            self.bias = Parameter(np.zeros(self.num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(self.num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(self.num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean[...] = 0
            self.running_var[...] = 1
            self.num_batches_tracked[...] = 0

    def _check_input(self, x) -> None:
        name = type(self).__name__
        if x.ndim not in self._ranks:
            raise ValueError(f"{name}({self.num_features}) expects {self._shapes_text} input, got shape {x.shape}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{name}({self.num_features}) expected {self.num_features} channels (axis 1), "
                             f"got shape {x.shape}")

    def forward(self, x):
        param_dtype = self.weight.dtype if self.affine else self.dtype
        x = as_input_tensor(x, param_dtype, type(self).__name__)
        self._check_input(x)
        axes = (0,) + tuple(range(2, x.ndim))
        use_batch_stats = self.training or not self.track_running_stats
        if use_batch_stats:
            m = x.size // self.num_features
            if m <= 1:
                raise ValueError(
                    f"{type(self).__name__}({self.num_features}) needs more than one value per channel in "
                    f"training mode to compute a batch variance, got input shape {x.shape}; use a batch of "
                    "at least 2 samples, or call model.eval() to use the running statistics")
            data = x.data
            mean = data.mean(axis=axes)
            var = ((data - mean.reshape((1, -1) + (1,) * (x.ndim - 2))) ** 2).mean(axis=axes)
            if self.training and self.track_running_stats:
                self._update_running_stats(mean, var, m)
        else:
            mean, var = self.running_mean, self.running_var
        gamma = self.weight if self.affine else None
        beta = self.bias if self.affine else None
        return batch_norm(x, gamma, beta, mean=mean, var=var, axes=axes, eps=self.eps,
                          batch_stats=use_batch_stats)

    def _update_running_stats(self, mean, var, m) -> None:
        """PyTorch's rule: running = (1 − momentum)·running + momentum·batch, unbiased variance."""
        self.num_batches_tracked += 1
        momentum = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        unbiased_var = var * (m / (m - 1))
        dtype = self.running_mean.dtype
        self.running_mean[...] = ((1 - momentum) * self.running_mean + momentum * mean).astype(dtype)
        self.running_var[...] = ((1 - momentum) * self.running_var + momentum * unbiased_var).astype(dtype)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")

    def get_config(self) -> dict:
        return {"num_features": self.num_features, "eps": self.eps, "momentum": self.momentum,
                "affine": self.affine, "track_running_stats": self.track_running_stats,
                "dtype": self.dtype.name}


class BatchNorm1d(_BatchNorm):
    """Batch normalization over (N, C) or (N, C, L) inputs, per feature/channel C.

    Parameters
    ----------
    num_features : int
        C.
    eps : float
        Added to the variance before the square root (default 1e-5).
    momentum : float or None
        Weight of the new batch in the running statistics (default 0.1); None gives the
        cumulative average over all batches seen.
    affine : bool
        Learn γ (``weight``, starts at 1) and β (``bias``, starts at 0).
    track_running_stats : bool
        Keep ``running_mean``, ``running_var`` and ``num_batches_tracked`` buffers and use
        them in evaluation mode; if False, batch statistics are always used.
    dtype : dtype

    Notes
    -----
    Training: μ and σ² are the mean and the *biased* variance (divide by m, the number of
    values per channel) of the batch; y = γ (x − μ)/sqrt(σ² + ε) + β.  The running
    statistics are updated as in PyTorch, with the *unbiased* variance (divide by m − 1):
    running ← (1 − momentum)·running + momentum·batch.  Evaluation: μ, σ² are the running
    statistics.  The backward pass is one fused op with the closed form

        dL/dx = (γ / (m σ)) (m g − Σ g − x̂ Σ (g x̂)),  σ = sqrt(σ² + ε),

    and dL/dγ = Σ g x̂, dL/dβ = Σ g.  A channel whose values are all equal has σ² = 0, so
    x̂ = 0 and y = β (no NaN).  A training batch with one value per channel is an error.
    """

    _ranks = (2, 3)
    _shapes_text = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization over (N, C, H, W) inputs, per channel; see :class:`BatchNorm1d`."""

    _ranks = (4,)
    _shapes_text = "(N, C, H, W)"


__all__ = ["BatchNorm1d", "BatchNorm2d"]
