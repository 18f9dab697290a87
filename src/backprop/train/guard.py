"""Divergence guard: stop (or raise) at the first NaN/Inf, leaving the model at finite weights.

Design (sound and cheap)
------------------------
Per batch, in the order the loop does it:

1. **Buffers** (BatchNorm running statistics) are copied into preallocated arrays before
   the forward pass and checked finite after it.  They are per-feature vectors, tiny next
   to the weight matrices, and a forward pass on exploding activations can poison them
   (a variance overflowing to inf) while its output and loss stay finite.
2. **Loss** — a Python float: ``math.isfinite``.
3. **Gradients** — the global gradient norm is computed anyway (it is logged); a
   non-finite norm means a non-finite gradient (or a sum of squares that overflowed, which
   :func:`grad_norm` tells apart and recomputes in float64).  Either check failing means
   the optimizer is **not stepped**: the weights are still those of the previous batch,
   which were checked finite.
4. **Weights after the step** — finite gradients and a finite lr still can overflow
   (``w - lr*g`` beyond float32's 3.4e38).  Each parameter is checked with one
   ``np.sum(w, dtype=float64)`` — a single read pass, no temporary array — whose result is
   finite exactly when every element is (a float64 sum of float32 values cannot
   overflow).  This is O(parameters) per batch while forward+backward is
   O(batch_size × parameters), so it is cheap.  On failure the weights are restored from
   the snapshot taken when the epoch began (one copy per *epoch*, not per batch: this
   case is rare, and copying every weight every batch would double the optimizer's
   memory traffic for nothing).

When something is non-finite, :func:`diagnose` names the culprit: the first parameter
(``named_parameters`` order) with a non-finite gradient, or — for a non-finite loss —
the first module whose output is non-finite, found by re-running the batch's forward
pass with hooks (only on this failure path; rng and buffer states are restored after).
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor

__all__ = ["DivergenceError", "grad_norm", "first_nonfinite_grad", "nonfinite_weights", "nonfinite_buffer",
           "diagnose_activations",
           "divergence_message", "BufferBackup", "module_generators"]


class DivergenceError(RuntimeError):
    """Training produced a NaN/Inf loss, gradient or weight (``fit(..., on_nonfinite='raise')``).

    Attributes
    ----------
    epoch, batch : int
        Where it happened (0-based).
    kind : str
        ``"loss"``, ``"buffer"``, ``"gradient"`` or ``"weights"``.
    layer : str or None
        Dotted name of the first parameter or module found non-finite.
    """

    def __init__(self, message: str, *, epoch: int, batch: int, kind: str, layer: str | None):
        super().__init__(message)
        self.epoch, self.batch, self.kind, self.layer = epoch, batch, kind, layer


def grad_norm(params) -> float:
    """Global L2 norm of the gradients of ``params`` (those with ``grad`` None are skipped).

    Uses ``np.dot`` in the gradients' dtype (fast); if that overflows while every
    element is finite, recomputes in float64, so ``inf``/``nan`` means a non-finite
    gradient, not a large one.
    """
    total = 0.0
    grads = [p.grad for p in params if p.grad is not None]
    with np.errstate(over="ignore", invalid="ignore"):
        for g in grads:
            flat = g.ravel()
            total += float(np.dot(flat, flat))
    if math.isfinite(total):
        return math.sqrt(total)
    if all(np.isfinite(g).all() for g in grads):
        total = sum(float(np.dot(f, f)) for f in (g.ravel().astype(np.float64) for g in grads))
        return math.sqrt(total)
    return math.nan


def first_nonfinite_grad(named_params) -> str | None:
    """Name of the first parameter whose gradient holds a NaN/Inf."""
    for name, p in named_params:
        if p.grad is not None and not np.isfinite(p.grad).all():
            return name
    return None


def nonfinite_weights(named_params) -> str | None:
    """Name of the first parameter with a NaN/Inf weight (one float64 sum per parameter)."""
    for name, p in named_params:
        if not math.isfinite(float(np.sum(p.data, dtype=np.float64))):
            return name
    return None


def nonfinite_buffer(model) -> str | None:
    """Name of the first floating-point buffer (running statistics) holding a NaN/Inf."""
    for name, buf in model.named_buffers():
        if buf.dtype.kind == "f" and not math.isfinite(float(np.sum(buf, dtype=np.float64))):
            return name
    return None


def module_generators(model) -> dict:
    """Every ``np.random.Generator`` held by a module attribute: ``"<module>.<attr>" -> Generator``.

    Dropout keeps its own ``rng``; saving these makes a resumed run draw the same masks.
    """
    found = {}
    for module_name, module in model.named_modules():
        for attr, value in sorted(vars(module).items()):
            if isinstance(value, np.random.Generator):
                found[f"{module_name}.{attr}" if module_name else attr] = value
    return found


class BufferBackup:
    """Preallocated copy of a model's buffers, refreshed before each forward pass."""

    def __init__(self, model):
        self.targets = []
        for module in model.modules():
            for name, buf in module._buffers.items():
                if buf is not None:
                    self.targets.append((module, name, np.array(buf, copy=True)))

    def save(self) -> None:
        for module, name, copy in self.targets:
            current = module._buffers[name]
            if current is None or current.shape != copy.shape or current.dtype != copy.dtype:
                raise RuntimeError(f"buffer '{name}' of {type(module).__name__} changed shape or dtype "
                                   "during training")
            np.copyto(copy, current)

    def restore(self) -> None:
        for module, name, copy in self.targets:
            module._buffers[name][...] = copy


def diagnose_activations(model, x_batch):
    """Re-run the forward pass and find where the activations broke.

    Returns
    -------
    (name, problem) or (None, None)
        ``name`` is ``"<dotted name> (<Class>)"`` of the first module whose output is
        non-finite (``problem="non-finite"``) or, when every output is finite, of the first
        whose largest magnitude exceeds the square root of the dtype's maximum — where a
        squared-error loss overflows (``problem="exploded"``, e.g. 1.8e19 in float32).

    Runs in the model's current mode under ``no_grad``; module generators and buffers
    are restored afterwards, so the diagnosis changes nothing.
    """
    non_finite, exploded = [], []
    names = {id(m): name for name, m in model.named_modules()}

    def hook(module, inputs, output):
        data = getattr(output, "data", output)
        if non_finite or not isinstance(data, np.ndarray) or data.dtype.kind != "f" or data.size == 0:
            return
        label = f"{names[id(module)]} ({type(module).__name__})"
        if not np.isfinite(data).all():
            non_finite.append(label)
        elif not exploded and np.abs(data).max() > math.sqrt(np.finfo(data.dtype).max):
            exploded.append(label)

    gens = module_generators(model)
    states = {k: g.bit_generator.state for k, g in gens.items()}
    backup = BufferBackup(model)
    handles = [m.register_forward_hook(hook) for name, m in model.named_modules() if name]
    try:
        with no_grad(), np.errstate(all="ignore"):
            model(Tensor(x_batch))
    except Exception:  # the diagnosis must never mask the real problem
        pass
    finally:
        for h in handles:
            h.remove()
        backup.restore()
        for key, state in states.items():
            gens[key].bit_generator.state = state
    if non_finite:
        return non_finite[0], "non-finite"
    if exploded:
        return exploded[0], "exploded"
    return None, None


def divergence_message(kind: str, layer: str | None, epoch: int, batch: int, value: float | None,
                       lr: float | None, clipping: float | None, restored: str, problem: str | None = None) -> str:
    """The user-facing explanation, naming the layer and what to try."""
    where = f"epoch {epoch + 1}, batch {batch + 1}"
    if kind == "loss":
        what = f"the loss became {value}"
        if problem == "non-finite":
            what += f"; the first layer whose output went non-finite is layer {layer}"
        elif problem == "exploded":
            what += (f"; every layer's output was finite, but the output of layer {layer} exploded in magnitude "
                     "(the weights are growing without bound)")
        else:
            what += " while every layer's output was finite (look at the loss: e.g. log of 0 or targets out of range)"
    elif kind == "gradient":
        what = f"the gradient of parameter '{layer}' became non-finite (global gradient norm {value})"
    elif kind == "buffer":
        what = (f"the running statistic '{layer}' became non-finite in the forward pass (the layer's inputs "
                "overflowed)")
    else:
        what = f"the optimizer step made parameter '{layer}' non-finite"
    advice = [f"lower the learning rate (it was {lr:g})" if lr is not None else "lower the learning rate"]
    advice.append(f"clip gradients harder (clip_grad_norm was {clipping:g})" if clipping
                  else "clip gradients, e.g. fit(..., clip_grad_norm=1.0)")
    advice.append("standardize the inputs")
    return (f"Training diverged at {where}: {what}. The model was left at {restored}. "
            f"Try to {', '.join(advice[:-1])} or {advice[-1]}.")
