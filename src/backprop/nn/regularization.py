"""Weight penalties as differentiable Tensors, to add to a loss.

Convention: these functions return the bare sums — ``l2_penalty = Σ w²`` and
``l1_penalty = Σ |w|`` — with no λ and no ½.  Two common ways to use them:

* ``loss = data_loss + 0.5 * lam * l2_penalty(model)`` has gradient ``lam * w`` from the
  penalty, the same as ``SGD(..., weight_decay=lam)`` (PyTorch's and this library's
  convention) — the textbook "½λΣw²" form;
* ``loss = data_loss + lam * l2_penalty(model)`` (Keras' ``l2(lam)``) gives ``2·lam·w``.

By default only weights are penalized: parameters whose name ends in ``bias`` and 1-D
parameters (BatchNorm's γ and β) are excluded, since shrinking them does not reduce
capacity and can hurt.
"""

from __future__ import annotations

from ..autograd.ops import elementwise as _E


def penalized_parameters(model, include_bias: bool = False):
    """``(name, Parameter)`` pairs a penalty covers: weights only unless ``include_bias``."""
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        if not include_bias and (name.split(".")[-1].endswith("bias") or param.ndim <= 1):
            continue
        yield name, param


def _total(terms, model):
    total = None
    for term in terms:
        total = term if total is None else total + term
    if total is None:
        raise ValueError(f"{type(model).__name__} has no parameters to penalize "
                         "(pass include_bias=True to include biases and 1-D parameters)")
    return total


def l2_penalty(model, include_bias: bool = False):
    """Σ w² over the model's weights, as a scalar Tensor (gradient 2w).

    See the module docstring for the ½λ vs λ conventions.
    """
    return _total(((p * p).sum() for _, p in penalized_parameters(model, include_bias)), model)


def l1_penalty(model, include_bias: bool = False):
    """Σ |w| over the model's weights, as a scalar Tensor (gradient sign(w), 0 at w = 0)."""
    return _total((_E.Abs.apply(p).sum() for _, p in penalized_parameters(model, include_bias)), model)


__all__ = ["l2_penalty", "l1_penalty", "penalized_parameters"]
