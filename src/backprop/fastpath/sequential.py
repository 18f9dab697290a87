"""A compiled training step for ``Sequential`` stacks: the seeds' four equations, written out.

For a plain stack of dense layers the autograd engine's bookkeeping (one graph node per op,
a topological sort per step) costs more than the arithmetic on small networks.  This module
recognises such a stack and runs forward and backward directly in NumPy:

* forward:  z[l] = a[l-1] W[l]ᵀ + b[l],  a[l] = f(z[l])      (batch in rows)
* BP1:      δ[L] = ∂loss/∂z[L]  (fused with the loss: softmax - onehot, σ(z) - y, 2(a - y)/n)
* BP2:      δ[l] = (δ[l+1] W[l+1]) ⊙ f'(z[l]), with f' computed from the saved output a[l]
* BP3/BP4:  ∂L/∂W[l] = δ[l]ᵀ a[l-1],  ∂L/∂b[l] = Σ_rows δ[l]

It writes ``.grad`` of every parameter, exactly as ``loss.backward()`` would (tests compare
both to 1e-6 relative), never computes the gradient of the network's input, and, once
the parameters are laid out flat (:func:`share_flat_parameters`), writes the gradients into
the same buffers every step.  Anything it does not recognise makes
:func:`compile_step` return None, and the caller uses the general engine.
"""

from __future__ import annotations

import numpy as np

from ..nn.activations import LeakyReLU, ReLU, Sigmoid, Tanh
from ..nn.layers import Dropout, Flatten, Identity, Linear
from ..nn.losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from ..nn.module import Sequential
from ..optim.flat import flatten_parameters


class _Dense:
    """One Linear layer followed by an optional elementwise activation and dropout."""

    __slots__ = ("linear", "weight", "bias", "activation", "slope", "dropouts", "grad_w", "grad_b")

    def __init__(self, linear):
        self.linear = linear
        # The Parameter objects, looked up once (Module attribute access is slow).
        self.weight = linear.weight
        self.bias = linear.bias
        self.activation = None  # None, "relu", "leaky_relu", "sigmoid", "tanh"
        self.slope = 0.0
        self.dropouts = []
        self.grad_w = None
        self.grad_b = None


def _plan(model) -> list | None:
    """Group the model's layers into _Dense blocks, or None if the model is not a plain stack."""
    if type(model) is not Sequential:
        return None
    blocks: list[_Dense] = []
    for layer in model:
        kind = type(layer)
        if kind is Linear:
            blocks.append(_Dense(layer))
            continue
        if kind in (Identity,):
            continue
        if kind is Flatten and layer.start_axis == 1 and not blocks:
            continue
        if not blocks:
            return None
        block = blocks[-1]
        if kind is Dropout:
            block.dropouts.append(layer)
            continue
        if block.activation is not None or block.dropouts:
            return None  # two activations in a row, or an activation after dropout: use autograd
        if kind is ReLU:
            block.activation = "relu"
        elif kind is LeakyReLU:
            block.activation, block.slope = "leaky_relu", layer.negative_slope
        elif kind is Sigmoid:
            block.activation = "sigmoid"
        elif kind is Tanh:
            block.activation = "tanh"
        else:
            return None
    return blocks or None


def _loss_kind(loss_fn) -> str | None:
    kind = type(loss_fn)
    if kind is CrossEntropyLoss:
        plain = (loss_fn.weight is None and loss_fn.label_smoothing == 0 and loss_fn.reduction == "mean")
        return "cross_entropy" if plain else None
    if kind is MSELoss and loss_fn.reduction == "mean":
        return "mse"
    if kind is BCEWithLogitsLoss and loss_fn.reduction == "mean" and loss_fn.weight is None \
            and loss_fn.pos_weight is None:
        return "bce_with_logits"
    return None


class CompiledStep:
    """Forward + backward of a supported ``Sequential`` and loss; call it as ``step(X, y)``.

    Returns the loss as a Python float and leaves ∂loss/∂θ in every parameter's ``.grad``
    (added to an existing ``.grad``, PyTorch's accumulation rule).  The optimizer step is the
    caller's, so every optimizer works unchanged.
    """

    def __init__(self, model, blocks: list, loss_kind: str, flatten_input: bool = False):
        self.model = model
        self.blocks = blocks
        self.loss_kind = loss_kind
        #: True when the model starts with Flatten(start_axis=1): inputs are flattened here.
        self.flatten_input = flatten_input
        self.has_sigmoid = any(block.activation == "sigmoid" for block in blocks)
        #: The network's output for the last batch (for metrics), before the loss.
        self.last_output = None

    def attach_flat(self, layout) -> None:
        """Write gradients into the flat gradient views of ``layout`` (no allocation).

        Together with :meth:`backprop.optim.Optimizer.attach_flat` this lets the optimizer
        update all parameters in one call.  The arrays are reused every step, so a
        gradient kept from an earlier step is overwritten by the next one.
        """
        views = {id(p): g for p, g in zip(layout.params, layout.grad_views)}
        for block in self.blocks:
            layer = block.linear
            block.grad_w = views.get(id(layer.weight))
            block.grad_b = views.get(id(layer.bias)) if layer.bias is not None else None

    def __call__(self, X: np.ndarray, y: np.ndarray) -> float:
        if self.has_sigmoid:
            with np.errstate(over="ignore"):  # e^-z may overflow to inf: 1/(1+inf) = 0 is right
                return self._forward_backward(X, y)
        return self._forward_backward(X, y)

    def _forward_backward(self, X: np.ndarray, y: np.ndarray) -> float:
        blocks = self.blocks
        training = self.model.training
        a = X
        if X.ndim != 2:
            if not self.flatten_input:
                raise ValueError(f"the compiled step of {type(self.model).__name__} takes 2-D input "
                                 f"(samples, features), got shape {X.shape}")
            a = X.reshape(X.shape[0], -1)  # the model's leading Flatten(start_axis=1)
        inputs = []          # a[l-1] for each block: needed by BP3
        outputs = []         # a[l] after activation: its derivative is a function of it
        masks = []           # dropout keep-masks, already scaled by 1/(1-p)
        for block in blocks:
            inputs.append(a)
            z = a @ block.weight.data.T
            if block.bias is not None:
                z += block.bias.data
            act = block.activation
            if act == "relu":
                np.maximum(z, 0, out=z)
            elif act == "sigmoid":
                np.negative(z, out=z)      # σ(z) = 1 / (1 + e^-z), in place
                np.exp(z, out=z)
                z += 1
                np.reciprocal(z, out=z)
            elif act == "tanh":
                np.tanh(z, out=z)
            elif act == "leaky_relu":
                z = np.where(z > 0, z, z * np.asarray(block.slope, dtype=z.dtype))
            outputs.append(z)
            scale = None
            if training:
                for dropout in block.dropouts:
                    mask = dropout.scaled_mask(z.shape, z.dtype)
                    if mask is not None:
                        scale = mask if scale is None else scale * mask
            if scale is not None:
                z = z * scale
            masks.append(scale)
            a = z
        self.last_output = a
        loss, delta = _loss_and_delta(self.loss_kind, a, y)
        # δ is always an array this step made (the loss's or a fresh matmul's), so the
        # activation derivatives multiply into it in place.
        for index in range(len(blocks) - 1, -1, -1):
            block = blocks[index]
            if masks[index] is not None:
                delta *= masks[index]
            act = block.activation
            out = outputs[index]
            if act == "relu":
                np.multiply(delta, out > 0, out=delta)
            elif act == "sigmoid":
                delta *= out * (1 - out)
            elif act == "tanh":
                delta *= 1 - out * out
            elif act == "leaky_relu":
                delta = np.where(out > 0, delta, delta * np.asarray(block.slope, dtype=delta.dtype))
            a_prev = inputs[index]
            weight, bias = block.weight, block.bias
            if weight.grad is None and block.grad_w is not None:
                weight.grad = np.matmul(delta.T, a_prev, out=block.grad_w)     # BP3
            else:
                _store_grad(weight, delta.T @ a_prev)
            if bias is not None:
                if bias.grad is None and block.grad_b is not None:
                    bias.grad = np.add.reduce(delta, axis=0, out=block.grad_b)  # BP4
                else:
                    _store_grad(bias, delta.sum(axis=0))
            if index:
                delta = delta @ weight.data                                    # BP2 (not for the input)
        return loss


def _store_grad(param, grad: np.ndarray) -> None:
    if param.grad is None:
        param.grad = grad
    else:
        param.grad = param.grad + grad


_ROWS: dict[int, np.ndarray] = {}


def _row_indices(n: int) -> np.ndarray:
    """np.arange(n), kept per batch size (every step of an epoch asks for the same one)."""
    rows = _ROWS.get(n)
    if rows is None:
        rows = _ROWS[n] = np.arange(n)
        rows.flags.writeable = False
    return rows


def _loss_and_delta(kind: str, out: np.ndarray, y: np.ndarray):
    """The loss value and BP1's δ[L] = ∂loss/∂z[L], fused (the output layer is linear)."""
    n = out.shape[0]
    if kind == "cross_entropy":
        # log-softmax + NLL:  loss = mean(logsumexp(z) - z_y);  δ = (softmax(z) - onehot(y)) / n
        shifted = out - out.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        rows = _row_indices(n)
        loss = float(np.log(total).sum() - shifted[rows, y].sum()) / n
        exp /= total
        exp[rows, y] -= 1
        exp *= np.asarray(1.0 / n, dtype=out.dtype)
        return loss, exp
    if kind == "mse":
        diff = out - y
        loss = float(np.vdot(diff, diff)) / diff.size
        diff *= np.asarray(2.0 / diff.size, dtype=out.dtype)
        return loss, diff
    # bce_with_logits: max(z,0) - z y + log(1 + e^-|z|);  δ = (σ(z) - y) / size
    y = y.astype(out.dtype, copy=False)
    e = np.exp(-np.abs(out))                    # e^-|z| in (0, 1]: never overflows
    per_element = np.maximum(out, 0)
    per_element -= out * y
    per_element += np.log1p(e)
    loss = float(np.add.reduce(per_element, axis=None)) / out.size
    # σ(z) = 1/(1+e^-|z|) for z >= 0 and e^-|z|/(1+e^-|z|) for z < 0
    sigma = np.where(out >= 0, 1, e)
    sigma /= 1 + e
    sigma -= y
    sigma *= np.asarray(1.0 / out.size, dtype=out.dtype)
    return loss, sigma


def _has_hooks(model) -> bool:
    if any(module._forward_hooks for module in model.modules()):
        return True
    return any(p._hooks for p in model.parameters())


def _starts_with_flatten(model) -> bool:
    for layer in model:
        if type(layer) is Identity:
            continue
        return type(layer) is Flatten and layer.start_axis == 1
    return False


def compile_step(model, loss_fn, input_ndim: int | None = None) -> CompiledStep | None:
    """Return a :class:`CompiledStep` for ``model`` and ``loss_fn``, or None if unsupported.

    Supported: ``Sequential`` of ``Linear`` layers, each optionally followed by one of ReLU,
    LeakyReLU, Sigmoid, Tanh and then Dropout (Identity anywhere, Flatten first), ending in a
    Linear output trained with CrossEntropyLoss (class indices, no weights or smoothing),
    MSELoss or BCEWithLogitsLoss (mean reduction), with no forward hooks on any module and
    no gradient hooks on any parameter (those need the engine's tensors). ``input_ndim``
    (the number of axes of X, samples included) rules out inputs it cannot take: anything
    but 2-D needs the model to start with ``Flatten(start_axis=1)``.
    """
    if _has_hooks(model):
        return None  # hooks observe the engine's tensors; the compiled step has none to show
    blocks = _plan(model)
    if blocks is None:
        return None
    if blocks[-1].activation is not None or blocks[-1].dropouts:
        return None  # the loss fusion assumes a linear output layer (logits)
    kind = _loss_kind(loss_fn)
    if kind is None:
        return None
    flatten_input = _starts_with_flatten(model)
    if input_ndim is not None and input_ndim != 2 and not flatten_input:
        return None  # e.g. Linear over the last axis of (N, L, F): the engine handles it
    return CompiledStep(model, blocks, kind, flatten_input)


def share_flat_parameters(model, compiled, optimizer) -> bool:
    """Lay the model's parameters end to end so the optimizer updates them in one call.

    Only when the optimizer has one group holding exactly the model's parameters (else
    nothing changes). Values, gradients and results are unchanged; see
    :mod:`backprop.optim.flat`.
    """
    params = list(model.parameters())
    groups = getattr(optimizer, "param_groups", None)
    if not groups or len(groups) != 1 or len(groups[0]["params"]) != len(params) \
            or any(p is not q for p, q in zip(groups[0]["params"], params)):
        return False
    layout = flatten_parameters(params)
    if layout is None:
        return False
    compiled.attach_flat(layout)
    optimizer.attach_flat(layout)
    return True


def make_train_step(model, loss_fn, optimizer):
    """Return ``step(X, y) -> float``: zero grads, forward, backward, optimizer step.

    Uses :class:`CompiledStep` when the model and loss are supported, the autograd engine
    otherwise; both leave identical gradients, so the choice never changes results beyond
    floating-point rounding.
    """
    compiled = compile_step(model, loss_fn)
    if compiled is not None:
        share_flat_parameters(model, compiled, optimizer)

        def step(X, y):
            optimizer.zero_grad()
            loss = compiled(X, y)
            optimizer.step()
            return loss
    else:
        def step(X, y):
            optimizer.zero_grad()
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.step()
            return loss.item()
    step.compiled = compiled is not None
    return step
