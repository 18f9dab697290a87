"""Finite-difference verification of analytic gradients (the test behind every op).

The check compares the engine's vector-Jacobian products with central differences

    ∂f/∂x_i ≈ (f(x + ε e_i) - f(x - ε e_i)) / (2ε),

whose error is O(ε²) plus rounding of order (machine epsilon)/ε.  In float64 with ε = 1e-6
that is about 1e-10; in float32 the rounding term alone is about 1e-1 relative, so float32
inputs are refused.
"""

from __future__ import annotations

import numpy as np

from ..autograd.api import grad as autograd_grad
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor


class GradcheckError(AssertionError):
    """Raised when an analytic gradient disagrees with finite differences."""


def _as_output_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              max_full_elements: int = 64, n_projections: int = 8, rng=0) -> bool:
    """Check the gradients of ``fn`` at ``inputs`` against central finite differences.

    Parameters
    ----------
    fn : callable
        ``fn(*inputs)`` returning a Tensor (or a tuple of Tensors).
    inputs : Tensor or sequence of Tensor
        Points at which to check. Inputs with ``requires_grad=True`` are checked; they must be
        float64.
    eps, atol, rtol : float
        Step and tolerances (PyTorch's figures): an element fails when
        ``|analytic - numeric| > atol + rtol * |numeric|``.
    max_full_elements : int
        Inputs up to this many elements get the full Jacobian, one finite difference per
        element; larger inputs are checked along ``n_projections`` random directions v by
        comparing ⟨∇, v⟩ with (f(x + εv) - f(x - εv)) / 2ε.
    rng : int or numpy.random.Generator
        Source of the random output weights and projection directions.

    Returns
    -------
    bool
        True when every checked gradient agrees.

    Raises
    ------
    GradcheckError
        Naming the input, the worst element, the analytic and the numeric value.
    TypeError
        If an input that requires grad is not float64.
    """
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    rng = np.random.default_rng(rng)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck needs at least one input with requires_grad=True")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(
                f"gradcheck input {i} is {inputs[i].dtype}; finite differences need float64 "
                "(in float32 the rounding error of a difference quotient is ~1e-1 relative, far "
                "above any useful tolerance): create the inputs with dtype=np.float64"
            )

    outputs = _as_output_list(fn(*inputs))
    # Reduce all outputs to one scalar with random weights: one backward pass checks a random
    # combination of every output's Jacobian rows.
    weights = [rng.standard_normal(out.shape) for out in outputs]

    def scalar_value() -> float:
        with no_grad():
            outs = _as_output_list(fn(*inputs))
        return float(sum(np.sum(o.data * w) for o, w in zip(outs, weights)))

    differentiable = [(o, w) for o, w in zip(outputs, weights) if o.requires_grad]
    if not differentiable:
        raise GradcheckError("no output of fn depends on an input that requires grad")
    analytic = autograd_grad([o for o, _ in differentiable], [inputs[i] for i in checked],
                             grad_outputs=[w.astype(o.dtype) for o, w in differentiable])

    for position, i in enumerate(checked):
        x = inputs[i].data
        a_grad = analytic[position]
        if x.size <= max_full_elements:
            numeric = central_differences(scalar_value, x, eps)
            _compare(a_grad, numeric, i, atol, rtol, x.shape)
        else:
            for _ in range(n_projections):
                direction = rng.standard_normal(x.shape)
                original = x.copy()
                x += eps * direction
                f_plus = scalar_value()
                x[...] = original - eps * direction
                f_minus = scalar_value()
                x[...] = original
                numeric = (f_plus - f_minus) / (2 * eps)
                projected = float(np.sum(a_grad * direction))
                _compare(np.array([projected]), np.array([numeric]), i, atol, rtol, None)
    return True


def central_differences(f, x: np.ndarray, eps: float) -> np.ndarray:
    """∂f/∂x by central differences, one element at a time: (f(x + εe_k) - f(x - εe_k)) / 2ε.

    ``f`` takes no arguments and reads ``x``, which is perturbed in place (through a flat
    view) and restored after each element. Returns a float64 array of ``x``'s shape.
    """
    numeric = np.zeros(x.shape, dtype=np.float64)
    flat = x.reshape(-1)  # a view: perturbing it perturbs x
    if not np.shares_memory(flat, x):
        raise ValueError("central_differences needs a contiguous array to perturb in place")
    out = numeric.reshape(-1)
    for k in range(flat.size):
        original = flat[k]
        flat[k] = original + eps
        f_plus = f()
        flat[k] = original - eps
        f_minus = f()
        flat[k] = original
        out[k] = (f_plus - f_minus) / (2 * eps)
    return numeric


def _compare(analytic, numeric, index, atol, rtol, shape):
    error = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    if not np.all(np.isfinite(analytic)) or np.any(error > 0):
        worst = int(np.nanargmax(np.where(np.isfinite(analytic), error, np.inf)))
        where = (f"element {np.unravel_index(worst, shape)}" if shape is not None
                 else "a random projection")
        raise GradcheckError(
            f"gradient of input {index} is wrong at {where}: analytic "
            f"{analytic.reshape(-1)[worst]:.10g}, numeric {numeric.reshape(-1)[worst]:.10g} "
            f"(|difference| {abs(analytic.reshape(-1)[worst] - numeric.reshape(-1)[worst]):.3g} > "
            f"atol {atol} + rtol {rtol} * |numeric|)"
        )
