"""``Tensor``: an ndarray that remembers how it was computed, so it can be differentiated.

A tensor holds ``data`` (a NumPy array), ``grad`` (an array of the same shape once
``backward`` has reached it, else None), ``requires_grad``, and ``_ctx``, the
:class:`~backprop.autograd.function.Function` node that produced it (None for leaves).
Every operator below calls a primitive op; the graph of ``_ctx`` links is what
:meth:`Tensor.backward` walks in reverse.
"""

from __future__ import annotations

import numpy as np

from .grad_mode import _GradMode

_FLOAT_KINDS = "f"


def _to_array(data, dtype) -> np.ndarray:
    """Convert user data to an ndarray following the dtype policy.

    Python numbers and nested lists become float32 (like PyTorch's default); arrays keep
    their dtype unless ``dtype`` is given; non-numeric data is a TypeError.
    """
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray):
        arr = data
    else:
        try:
            arr = np.asarray(data)
        except (ValueError, TypeError) as exc:
            raise TypeError(f"cannot make a tensor from {type(data).__name__}: {exc}") from None
        if dtype is None and arr.dtype.kind in "biu" and not isinstance(data, (np.generic,)):
            # Python ints and lists of Python numbers default to float32, as in PyTorch.
            if arr.dtype.kind != "b":
                arr = arr.astype(np.float32)
        elif dtype is None and arr.dtype == np.float64 and not isinstance(data, np.generic):
            arr = arr.astype(np.float32)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"tensor data must be numeric (bool, integer or floating point), got dtype "
            f"{arr.dtype} from {type(data).__name__}; convert strings/objects to numbers first"
        )
    if dtype is not None:
        arr = arr.astype(np.dtype(dtype), copy=False)
    return arr


class Tensor:
    """A multi-dimensional array that records operations for reverse-mode differentiation.

    Parameters
    ----------
    data : array_like
        Numbers, nested lists or an ndarray. Python numbers become float32; arrays keep
        their dtype.
    requires_grad : bool
        Record operations on this tensor so that ``backward`` computes ``.grad`` for it.
        Only floating-point tensors can require gradients.
    dtype : dtype, optional
        Convert the data to this dtype.

    Examples
    --------
    >>> import backprop as bp
    >>> x = bp.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    array([2., 4., 6.], dtype=float32)
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_hooks", "_retains_grad", "name", "__weakref__")
    __array_priority__ = 1000  # make ndarray + Tensor call Tensor.__radd__

    def __init__(self, data, requires_grad: bool = False, dtype=None, name: str | None = None):
        self.data = _to_array(data, dtype)
        if requires_grad and self.data.dtype.kind not in _FLOAT_KINDS:
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {self.data.dtype}; "
                "pass dtype=np.float32 (or float64) when creating the tensor"
            )
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._ctx = None
        self._hooks = None
        self._retains_grad = False
        self.name = name

    @classmethod
    def _from_op(cls, data, ctx) -> "Tensor":
        """Wrap an op's output without re-validating it (the hot path of every op)."""
        tensor = object.__new__(cls)
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        tensor.data = data
        tensor.grad = None
        tensor.requires_grad = ctx is not None
        tensor._ctx = ctx
        tensor._hooks = None
        tensor._retains_grad = False
        tensor.name = None
        return tensor

    # ------------------------------------------------------------------ basic properties
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (not by an op that recorded a graph node)."""
        return self._ctx is None

    @property
    def grad_fn(self):
        """The graph node (a Function) that produced this tensor, or None for a leaf."""
        return self._ctx

    def __len__(self) -> int:
        return len(self.data)

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def item(self) -> float:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def detach(self) -> "Tensor":
        """A new leaf tensor sharing the data, cut off from the graph."""
        return Tensor._from_op(self.data, None)

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and dtype != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def astype(self, dtype) -> "Tensor":
        """Convert to another dtype (differentiable between floating-point types)."""
        return _E.Cast.apply(self, dtype=np.dtype(dtype))

    def float(self) -> "Tensor":
        return self.astype(np.float32)

    def double(self) -> "Tensor":
        return self.astype(np.float64)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set ``requires_grad`` in place on a leaf tensor and return it."""
        if requires_grad and self.data.dtype.kind not in _FLOAT_KINDS:
            raise TypeError(f"only floating-point tensors can require gradients, got dtype {self.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> "Tensor":
        """Also store ``.grad`` for this non-leaf tensor during backward."""
        self._retains_grad = True
        return self

    def register_hook(self, hook) -> None:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned array replaces it."""
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)

    def zero_grad(self) -> None:
        self.grad = None

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", prefix="tensor(")
        extras = [f"dtype={self.data.dtype}"]
        if self._ctx is not None:
            extras.append(f"grad_fn={self._ctx.name}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({body}, {', '.join(extras)})"

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; use .any() or .all()"
            )
        return bool(self.data)

    # ------------------------------------------------------------------ differentiation
    def backward(self, grad=None, retain_graph: bool = False) -> None:
        """Compute d(self)/d(leaf) for every leaf that requires grad, adding into ``.grad``.

        Parameters
        ----------
        grad : array_like, optional
            dL/d(self). May be omitted only for a one-element tensor (then 1 is used).
        retain_graph : bool
            Keep the graph so that backward can be called through it again.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a tensor that does not require grad: none of its inputs "
                "had requires_grad=True (or it was computed under no_grad())"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient argument needs a scalar (one-element) output, "
                    f"got shape {self.shape}; reduce it first (e.g. .sum() or .mean()) or pass "
                    "grad=dL/d(output) of that shape"
                )
            g = np.ones_like(self.data)
        else:
            g = _gradient_argument(grad, self, "grad")
        _engine.run_backward([self], [g], retain_graph=retain_graph)

    # ------------------------------------------------------------------ arithmetic operators
    def _wrap(self, other) -> "Tensor":
        if isinstance(other, Tensor):
            return other
        return Tensor._from_op(_function.as_array_like(other, self.data), None)

    def __add__(self, other):
        return _E.Add.apply(self, self._wrap(other))

    def __radd__(self, other):
        return _E.Add.apply(self._wrap(other), self)

    def __sub__(self, other):
        return _E.Sub.apply(self, self._wrap(other))

    def __rsub__(self, other):
        return _E.Sub.apply(self._wrap(other), self)

    def __mul__(self, other):
        return _E.Mul.apply(self, self._wrap(other))

    def __rmul__(self, other):
        return _E.Mul.apply(self._wrap(other), self)

    def __truediv__(self, other):
        return _E.Div.apply(self, self._wrap(other))

    def __rtruediv__(self, other):
        return _E.Div.apply(self._wrap(other), self)

    def __neg__(self):
        return _E.Neg.apply(self)

    def __pos__(self):
        return self

    def __pow__(self, exponent):
        return _E.pow(self, exponent)

    def __rpow__(self, base):
        return _E.pow(self._wrap(base), self)

    def __matmul__(self, other):
        return _L.matmul(self, self._wrap(other))

    def __rmatmul__(self, other):
        return _L.matmul(self._wrap(other), self)

    def __getitem__(self, index):
        return _S.getitem(self, index)

    def __abs__(self):
        return _E.Abs.apply(self)

    # Comparisons return plain boolean tensors (not differentiable).
    def _compare(self, other, ufunc):
        other_data = other.data if isinstance(other, Tensor) else other
        return Tensor._from_op(ufunc(self.data, other_data), None)

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    def __eq__(self, other):  # noqa: D105 - elementwise like NumPy and PyTorch
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    # ------------------------------------------------------------------ op methods
    def exp(self):
        return _E.Exp.apply(self)

    def log(self):
        return _E.Log.apply(self)

    def sqrt(self):
        return _E.Sqrt.apply(self)

    def abs(self):
        return _E.Abs.apply(self)

    def clip(self, min=None, max=None):  # noqa: A002 - NumPy/PyTorch argument names
        return _E.clip(self, min, max)

    clamp = clip

    def maximum(self, other):
        return _E.maximum(self, other)

    def minimum(self, other):
        return _E.minimum(self, other)

    def sum(self, axis=None, keepdims: bool = False):
        return _R.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims: bool = False):
        return _R.Mean.apply(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims: bool = False):
        return _R.Max.apply(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims: bool = False):
        return _R.Min.apply(self, axis=axis, keepdims=keepdims)

    def var(self, axis=None, keepdims: bool = False, ddof: int = 0):
        return _R.var(self, axis=axis, keepdims=keepdims, ddof=ddof)

    def std(self, axis=None, keepdims: bool = False, ddof: int = 0):
        return _R.var(self, axis=axis, keepdims=keepdims, ddof=ddof).sqrt()

    def logsumexp(self, axis=None, keepdims: bool = False):
        return _R.LogSumExp.apply(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis=None):
        return self.data.argmax(axis=axis)

    def argmin(self, axis=None):
        return self.data.argmin(axis=axis)

    def reshape(self, *shape):
        return _S.reshape(self, *shape)

    def flatten(self, start_axis: int = 0):
        return _S.flatten(self, start_axis)

    def transpose(self, *axes):
        return _S.transpose(self, *axes)

    def permute(self, *axes):
        return _S.transpose(self, *axes)

    @property
    def T(self):
        return _S.transpose(self)

    def swapaxes(self, axis1: int, axis2: int):
        return _S.swapaxes(self, axis1, axis2)

    def broadcast_to(self, shape):
        return _S.broadcast_to(self, shape)

    def expand(self, *shape):
        return _S.broadcast_to(self, shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape)

    def squeeze(self, axis=None):
        return _S.squeeze(self, axis)

    def unsqueeze(self, axis: int):
        return _S.unsqueeze(self, axis)

    def pad(self, pad_width, value: float = 0.0):
        return _S.pad(self, pad_width, value)

    def relu(self):
        return _N.ReLU.apply(self)

    def leaky_relu(self, negative_slope: float = 0.01):
        return _N.leaky_relu(self, negative_slope)

    def sigmoid(self):
        return _N.Sigmoid.apply(self)

    def tanh(self):
        return _N.Tanh.apply(self)

    def softmax(self, axis: int = -1):
        return _N.Softmax.apply(self, axis=axis)

    def log_softmax(self, axis: int = -1):
        return _N.LogSoftmax.apply(self, axis=axis)

    def elu(self, alpha: float = 1.0):
        return _N.elu(self, alpha)

    def gelu(self):
        return _N.GELU.apply(self)

    def softplus(self):
        return _N.Softplus.apply(self)


def _gradient_argument(grad, like: Tensor, name: str) -> np.ndarray:
    """Validate and copy a user-supplied output gradient (copy: the engine may store it)."""
    g = grad.data if isinstance(grad, Tensor) else grad
    g = np.array(g, dtype=like.data.dtype, copy=True)
    if g.shape != like.shape:
        raise ValueError(f"{name} must have the output's shape {like.shape}, got shape {g.shape}")
    return g


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """Create a :class:`Tensor` (float32 for Python numbers; arrays keep their dtype)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


# Imported last: the op modules subclass Function, which constructs Tensors.
from . import engine as _engine  # noqa: E402
from . import function as _function  # noqa: E402
from .ops import elementwise as _E  # noqa: E402
from .ops import linalg as _L  # noqa: E402
from .ops import nonlinear as _N  # noqa: E402
from .ops import reduce as _R  # noqa: E402
from .ops import shape as _S  # noqa: E402
