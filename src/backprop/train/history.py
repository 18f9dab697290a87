"""``History``: what :func:`~backprop.train.fit` returns — one list entry per finished epoch."""

from __future__ import annotations

import csv
import io
import math

from .storage import atomic_write_text

__all__ = ["History"]

#: why training ended (``History.stopped_reason``)
STOP_REASONS = ("completed", "early_stopping", "callback", "divergence")


class History:
    """Per-epoch record of a training run.

    Attributes
    ----------
    history : dict of str to list of float
        ``loss``, ``val_loss``, each metric and ``val_`` metric, ``lr`` (learning rate
        of the first parameter group, as set when the epoch began) and ``grad_norm``
        (global L2 norm of the gradients before clipping, averaged over the epoch's
        batches).  Every list has one entry per finished epoch; ``val_*`` keys exist
        only when there is validation data.
    epoch : list of int
        The (0-based) index of each recorded epoch.
    params : dict
        The settings of the run (epochs, batch_size, steps_per_epoch, n_samples, seed,
        optimizer, loss, metrics, monitor, ...).
    stopped_reason : str
        ``"completed"`` (all epochs ran), ``"early_stopping"``, ``"callback"`` (another
        callback set ``stop_training``) or ``"divergence"`` (a NaN/Inf loss, gradient or
        weight).
    stop_message : str or None
        Human-readable detail of the stop (the divergence message, ...).
    """

    def __init__(self, params: dict | None = None):
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.params: dict = dict(params or {})
        self.stopped_reason: str = "completed"
        self.stop_message: str | None = None

    @property
    def stopped_early(self) -> bool:
        """True when training ended before running all its epochs."""
        return self.stopped_reason != "completed"

    def append(self, epoch: int, logs: dict) -> None:
        """Record the logs of a finished epoch (keys seen for the first time are back-filled with NaN)."""
        n_before = len(self.epoch)
        self.epoch.append(int(epoch))
        for key, value in logs.items():
            column = self.history.setdefault(key, [math.nan] * n_before)
            column.append(float(value))
        for key, column in self.history.items():
            if len(column) < len(self.epoch):
                column.append(math.nan)

    @property
    def layers(self) -> dict:
        """Per-layer monitor statistics ``{layer: {stat: [value per epoch]}}`` (empty without a monitor).

        A view of the flat ``"<stat>/<layer>"`` keys that ``fit(..., monitor=True)`` records
        (see :mod:`backprop.inspect.monitor` for the statistics).
        """
        from ..inspect.monitor import STATS, TIME_STATS
        layers: dict = {}
        for key, column in self.history.items():
            stat, sep, layer = key.partition("/")
            if sep and (stat in STATS or stat in TIME_STATS):
                layers.setdefault(layer, {})[stat] = column
        return layers

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __contains__(self, key: str) -> bool:
        return key in self.history

    def __len__(self) -> int:
        return len(self.epoch)

    # ------------------------------------------------------------------ serialization
    def to_dict(self) -> dict:
        """Plain, JSON-able dict (``from_dict`` rebuilds the History)."""
        return {"history": {k: list(v) for k, v in self.history.items()}, "epoch": list(self.epoch),
                "params": dict(self.params), "stopped_reason": self.stopped_reason,
                "stop_message": self.stop_message}

    @classmethod
    def from_dict(cls, state: dict) -> "History":
        h = cls(state.get("params"))
        h.history = {k: [float(x) for x in v] for k, v in state["history"].items()}
        h.epoch = [int(e) for e in state["epoch"]]
        h.stopped_reason = state.get("stopped_reason", "completed")
        h.stop_message = state.get("stop_message")
        return h

    def to_csv_string(self, separator: str = ",") -> str:
        """The history as CSV text: an ``epoch`` column, then one column per key."""
        keys = list(self.history)
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=separator, lineterminator="\n")
        writer.writerow(["epoch", *keys])
        for i, epoch in enumerate(self.epoch):
            writer.writerow([epoch, *(repr(self.history[k][i]) for k in keys)])
        return buffer.getvalue()

    def to_csv(self, path, separator: str = ",") -> None:
        """Write :meth:`to_csv_string` to ``path`` atomically (temp file + ``os.replace``)."""
        atomic_write_text(path, self.to_csv_string(separator))

    def __repr__(self) -> str:
        return (f"History(epochs={len(self.epoch)}, keys={list(self.history)}, "
                f"stopped_reason={self.stopped_reason!r})")
