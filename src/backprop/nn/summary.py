"""``Module.summary``: a Keras-like table of layers, output shapes and parameter counts."""

from __future__ import annotations

import numpy as np

from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor


def summarize(model, input_shape, dtype=np.float32, batch_size: int = 1, print_fn=print) -> str:
    """Implementation of :meth:`backprop.nn.Module.summary` (see there)."""
    input_shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
    rows, handles = [], []
    names = {id(m): name for name, m in model.named_modules()}

    def record(layer, inputs, output):
        shape = getattr(output, "shape", None)
        shape_text = str(("None",) + tuple(shape[1:])).replace("'", "") if shape is not None else "?"
        n_params = sum(p.size for p in layer._parameters.values() if p is not None)
        rows.append((f"{names[id(layer)]} ({type(layer).__name__})", shape_text, n_params))

    for name, layer in model.named_modules():
        if name:
            handles.append(layer.register_forward_hook(record))
    was_training = model.training
    modes = {id(m): m.training for m in model.modules()}
    try:
        model.eval()
        with no_grad():
            x = Tensor(np.zeros((batch_size,) + input_shape, dtype=dtype))
            out = model(x)
    finally:
        for handle in handles:
            handle.remove()
        for m in model.modules():
            object.__setattr__(m, "training", modes[id(m)])
        object.__setattr__(model, "training", was_training)
    if not rows:  # a single layer (no children): report the model itself
        record(model, (x,), out)
        rows[-1] = (type(model).__name__,) + rows[-1][1:]
    else:  # containers report after their children ran: list in definition order instead
        order = {f"{name} ({type(m).__name__})": k for k, (name, m) in enumerate(model.named_modules())}
        rows.sort(key=lambda row: order.get(row[0], len(order)))
    total = model.num_parameters()
    trainable = model.num_parameters(trainable_only=True)
    headers = ("Layer (type)", "Output Shape", "Param #")
    body = [(n, s, f"{c:,}") for n, s, c in rows]
    widths = [max(len(headers[i]), *(len(r[i]) for r in body)) for i in range(3)]
    line_width = sum(widths) + 6
    fmt = lambda r: f"{r[0]:<{widths[0]}}   {r[1]:<{widths[1]}}   {r[2]:>{widths[2]}}"  # noqa: E731
    out_lines = [f"Model: {type(model).__name__}", "=" * line_width, fmt(headers), "=" * line_width]
    out_lines += [fmt(r) for r in body]
    out_lines += ["=" * line_width,
                  f"Total params: {total:,}",
                  f"Trainable params: {trainable:,}",
                  f"Non-trainable params: {total - trainable:,}",
                  "=" * line_width]
    text = "\n".join(out_lines)
    if print_fn is not None:
        print_fn(text)
    return text
