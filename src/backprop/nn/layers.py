"""Core layers: Linear (dense), Dropout, Residual, Flatten, Identity.

BatchNorm lives in :mod:`backprop.nn.normalization`.
"""

from __future__ import annotations

import numpy as np

from ..autograd.ops.linalg import linear
from ..autograd.tensor import Tensor
from . import init as _init
from .module import Module, Parameter, layer_config


def as_input_tensor(x, dtype=None, layer: str = "layer") -> Tensor:
    """Wrap raw arrays as (constant) Tensors in the layer's dtype; check Tensor dtypes.

    Raw arrays, lists and constant Tensors (``requires_grad=False``) are converted to the
    layer's dtype (data often arrives as float64 or integers).  A Tensor that requires grad
    and has another floating dtype is an error rather than a silent, graph-recorded cast.
    """
    if isinstance(x, Tensor):
        if dtype is not None and x.dtype != dtype and x.dtype.kind == "f" and x.requires_grad:
            raise TypeError(
                f"{layer} has {np.dtype(dtype).name} parameters but got a {x.dtype.name} input; convert "
                f"the input (x.astype(np.{np.dtype(dtype).name})) or the model (model.to(np.{x.dtype.name}))")
        if dtype is not None and x.dtype != dtype:
            return Tensor(x.data.astype(dtype))
        return x
    return Tensor(np.asarray(x, dtype=dtype) if dtype is not None else np.asarray(x))


def _dtype_name(dtype) -> str:
    return np.dtype(dtype).name


class Linear(Module):
    """Fully connected (dense) layer z = x Wᵀ + b.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool
        Learn an additive bias b (default True).
    init : str or callable
        Weight initializer: ``"auto"`` (default) is PyTorch's default,
        W, b ~ U(-1/sqrt(in_features), 1/sqrt(in_features)); any name known to
        :func:`backprop.nn.init.get_initializer` (``"he_uniform"`` for ReLU nets,
        ``"xavier_uniform"`` for tanh/sigmoid, ...) or a callable
        ``(shape, rng, dtype) -> array``.  With anything but ``"auto"`` the bias starts at 0.
    rng : numpy.random.Generator or int, optional
        Source of the initial weights (NumPy's global state is never used).
    dtype : dtype
        float32 (default) or float64.

    Attributes
    ----------
    weight : Parameter, shape (out_features, in_features)
    bias : Parameter, shape (out_features,), or None

    Notes
    -----
    The seeds write one sample as a column vector: z = W a + b.  Here a batch of samples
    sits in the rows of x, shape (n_samples, in_features), so the layer computes
    z = x Wᵀ + b (shape (n_samples, out_features)) with the fused ``linear`` op.  Its
    backward is the seeds' equations, with δ = dL/dz:

    * BP2: dL/dx = δ W (the error passed to the previous layer, before that layer's
      activation derivative is applied);
    * BP3: dL/db = Σ_samples δ;
    * BP4: dL/dW = δᵀ x (the sum over samples of δ aᵀ).

    Inputs with more axes (..., in_features) are treated as a batch of rows.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, init="auto",
                 rng=None, dtype=np.float32):
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Linear: {name} must be a positive integer, got {value!r}")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Linear: dtype must be a floating-point type, got {dtype}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.dtype, self.init = dtype, init
        rng = _init.as_generator(rng)
        shape = (self.out_features, self.in_features)
        if isinstance(init, str) and init == "auto":
            bound = 1.0 / np.sqrt(self.in_features)
            self.weight = Parameter(_init.uniform(shape, -bound, bound, rng=rng, dtype=dtype))
            self.bias = Parameter(_init.uniform((self.out_features,), -bound, bound, rng=rng, dtype=dtype)) \
                if bias else None
        else:
            values = np.asarray(_init.get_initializer(init)(shape, rng=rng, dtype=dtype), dtype=dtype)
            if values.shape != shape:
                raise ValueError(f"{self._name()}: initializer returned shape {values.shape}, expected {shape}")
            self.weight = Parameter(values)
            self.bias = Parameter(np.zeros(self.out_features, dtype=dtype)) if bias else None
        if not bias:
            self.register_parameter("bias", None)

    def _name(self) -> str:
        return f"Linear({self.in_features} -> {self.out_features})"

    def forward(self, x):
        x = as_input_tensor(x, self.weight.dtype, self._name())
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"{self._name()} expected input with {self.in_features} features (last axis), got shape "
                f"{x.shape}; check the previous layer's output size or the data's number of columns")
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"

    def get_config(self) -> dict:
        # A callable initializer cannot be written to JSON; a rebuilt model gets its weights
        # from the state dict anyway, so "auto" is recorded in its place.
        init = self.init if isinstance(self.init, str) else "auto"
        return {"in_features": self.in_features, "out_features": self.out_features,
                "bias": self.bias is not None, "init": init, "dtype": _dtype_name(self.dtype)}


Dense = Linear


class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability p and scale by 1/(1-p).

    Parameters
    ----------
    p : float
        Drop probability, 0 <= p < 1.
    rng : numpy.random.Generator or int, optional
        The layer's own random source for masks.

    Attributes
    ----------
    last_mask : ndarray or None
        The keep mask (0/1, input's dtype, unscaled) of the last training forward pass.
    fixed_mask : ndarray or None
        If set (see :meth:`set_mask`), used instead of a random mask — for tests and
        finite-difference checks.

    Notes
    -----
    Training: y = x ⊙ m / (1 − p) with m_i ~ Bernoulli(1 − p), so E[y] = x and evaluation
    needs no rescaling; dL/dx = g ⊙ m / (1 − p).  Evaluation: y = x.
    """

    def __init__(self, p: float = 0.5, rng=None):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)) or not 0 <= p < 1:
            raise ValueError(f"Dropout: p must be a probability in [0, 1), got {p!r} "
                             "(p is the fraction of units dropped; p=1 would drop everything)")
        self.p = float(p)
        self.rng = _init.as_generator(rng)
        self.last_mask = None
        self.fixed_mask = None

    def set_mask(self, mask) -> None:
        """Use ``mask`` (0/1 keep mask, broadcastable to the input) in every training pass; None to undo."""
        self.fixed_mask = None if mask is None else np.asarray(mask)

    def scaled_mask(self, shape, dtype) -> np.ndarray | None:
        """The training-mode multiplier m / (1 − p) for an input of ``shape`` (None if p = 0).

        Draws the keep mask m from the layer's rng (or uses the fixed mask) and records it
        in ``last_mask``; the compiled training step calls this too, so both paths draw the
        same numbers.
        """
        if self.p == 0 and self.fixed_mask is None:
            return None
        if self.fixed_mask is not None:
            mask = self.fixed_mask.astype(dtype, copy=False)
        else:
            mask = (self.rng.random(shape) >= self.p).astype(dtype)
        self.last_mask = mask
        return mask * np.asarray(1.0 / (1.0 - self.p), dtype=dtype)

    def forward(self, x):
        x = as_input_tensor(x, layer="Dropout")
        if not self.training:
            return x
        scale = self.scaled_mask(x.shape, x.dtype)
        return x if scale is None else x * Tensor(scale)

    def extra_repr(self) -> str:
        return f"p={self.p}"

    def get_config(self) -> dict:
        return {"p": self.p}


class Residual(Module):
    """Skip connection y = x + block(x) (He et al. 2016).

    Notes
    -----
    dL/dx = g + (dblock/dx)ᵀ g: the identity path carries the gradient past the block
    unchanged, which keeps deep networks trainable.  The block must keep the shape.
    """

    def __init__(self, block: Module):
        super().__init__()
        if not isinstance(block, Module):
            raise TypeError(f"Residual needs a Module as its block, got {type(block).__name__}")
        self.block = block

    def forward(self, x):
        x = as_input_tensor(x, layer="Residual")
        y = self.block(x)
        if isinstance(y, Tensor) and y.dtype != x.dtype and not x.requires_grad:
            x = Tensor(x.data.astype(y.dtype))  # constant data: follow the block's dtype
        if y.shape != x.shape:
            raise ValueError(
                f"Residual: the block {type(self.block).__name__} changed the shape from {x.shape} to "
                f"{y.shape}; x + block(x) needs equal shapes (make the block's output size match its input)")
        return x + y

    def get_config(self) -> dict:
        return {"block": layer_config(self.block)}

    @classmethod
    def from_config(cls, config: dict) -> "Residual":
        from .registry import build_layer
        return cls(build_layer(config["block"]))


class Flatten(Module):
    """Reshape (N, d1, d2, ...) to (N, d1·d2·...) — all axes from ``start_axis`` on become one."""

    def __init__(self, start_axis: int = 1):
        super().__init__()
        self.start_axis = int(start_axis)

    def forward(self, x):
        return as_input_tensor(x, layer="Flatten").flatten(self.start_axis)

    def extra_repr(self) -> str:
        return f"start_axis={self.start_axis}"

    def get_config(self) -> dict:
        return {"start_axis": self.start_axis}


class Identity(Module):
    """y = x (a placeholder layer)."""

    def forward(self, x):
        return as_input_tensor(x, layer="Identity")


__all__ = ["Linear", "Dense", "Dropout", "Residual", "Flatten", "Identity", "as_input_tensor"]
