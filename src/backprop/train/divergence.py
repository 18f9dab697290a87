"""What :func:`~backprop.train.fit` does once the guard finds a NaN/Inf.

:mod:`backprop.train.guard` holds the checks and the diagnosis (and the design notes: why
the order of the checks is safe and why one weight snapshot per epoch is enough); this
module holds the loop's side of it: the epoch's weight snapshot, :class:`Diverged` (raised
inside the batch loop to leave it at once) and :func:`handle_divergence`, which puts the
model back at finite values and builds the :class:`~backprop.train.DivergenceError`.
"""

from __future__ import annotations

from . import guard

__all__ = ["Diverged", "snapshot_weights", "restore_weights", "handle_divergence"]


class Diverged(Exception):
    """Raised by the batch loop at the first non-finite loss, buffer, gradient or weight."""

    def __init__(self, kind, layer, batch, value=None):
        super().__init__(kind)
        self.kind, self.layer, self.batch, self.value = kind, layer, batch, value


def snapshot_weights(params):
    """A copy of every parameter's values (taken when an epoch begins)."""
    return [p.data.copy() for p in params]


def restore_weights(params, snapshot):
    """Write a :func:`snapshot_weights` copy back into the parameters, in place."""
    for p, w in zip(params, snapshot):
        p.data[...] = w


def handle_divergence(event, trainer, model, named_params, param_list, snapshot, buffer_backup, has_buffers,
                      xb, optimizer, clip):
    """Put the model back at finite values, name the culprit, record the stop; return the DivergenceError."""
    kind, layer, batch = event.kind, event.layer, event.batch
    if has_buffers:
        buffer_backup.restore()  # the failed forward may have fed NaN into running statistics
    value = event.value
    if kind == "weights":
        restore_weights(param_list, snapshot)
        restored = f"the weights it had when epoch {trainer.epoch + 1} began (all finite)"
    else:
        restored = "its weights and statistics from before this batch (all finite; the optimizer did not step)"
    problem = None
    if kind == "loss":
        layer, problem = guard.diagnose_activations(model, xb)
    for p in param_list:
        p.grad = None
    message = guard.divergence_message(kind, layer, trainer.epoch, batch, value,
                                       float(optimizer.param_groups[0]["lr"]), clip, restored, problem)
    trainer.stop("divergence", message)
    return guard.DivergenceError(message, epoch=trainer.epoch, batch=batch, kind=kind, layer=layer)
