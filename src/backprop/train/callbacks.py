"""Callbacks: small objects that :func:`~backprop.train.fit` calls at fixed points of training.

Protocol
--------
Subclass :class:`Callback` and override any of these (all optional):

=================================  ==========================================================
``set_context(trainer)``           called first; stores ``self.trainer`` and ``self.model``
``on_train_begin(logs)``           before the first epoch (also on a resumed run)
``on_epoch_begin(epoch, logs)``    ``epoch`` is 0-based
``on_batch_begin(batch, logs)``    before the forward pass
``on_batch_end(batch, logs)``      after the optimizer step; ``logs`` has ``loss``, ``size``,
                                   ``grad_norm``, ``lr``
``on_epoch_end(epoch, logs)``      after validation; ``logs`` has everything the History
                                   records for the epoch (already appended to it)
``on_train_end(logs)``             always, however training ended (also after a divergence)
``state_dict()`` / ``load_state_dict(state)``
                                   what must survive a crash: saved in every checkpoint of
                                   ``fit(..., checkpoint_dir=...)``; on ``resume=True`` the
                                   state is loaded *after* ``on_train_begin``.  Plain
                                   numbers, strings, lists, dicts and ndarrays only.
=================================  ==========================================================

To stop training, call ``self.trainer.stop(reason, message)`` (or set
``self.trainer.stop_training = True``): the current epoch is finished and recorded, and
then training ends.

The ``trainer`` (a :class:`~backprop.train.Trainer`) exposes ``model``, ``optimizer``,
``scheduler``, ``history``, ``params``, ``epoch``, ``global_step``, ``metrics``,
``log_keys`` (the keys each epoch will log), ``resumed`` and ``stop_training``.
"""

from __future__ import annotations

import csv
import inspect
import io
import math
import os
import warnings

import numpy as np

from .storage import atomic_save_npz, atomic_write_text

__all__ = ["Callback", "CallbackList", "EarlyStopping", "ModelCheckpoint", "TerminateOnNaN", "CSVLogger",
           "LearningRateScheduler", "LambdaCallback"]


class Callback:
    """Base class of callbacks (see the module notes for the protocol)."""

    trainer = None
    model = None

    def set_context(self, trainer) -> None:
        self.trainer = trainer
        self.model = trainer.model

    def on_train_begin(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_batch_begin(self, batch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_train_end(self, logs=None): ...

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``."""

    _HOOKS = ("on_train_begin", "on_epoch_begin", "on_batch_begin", "on_batch_end", "on_epoch_end", "on_train_end")

    def __init__(self, **hooks):
        for name, fn in hooks.items():
            if name not in self._HOOKS:
                raise TypeError(f"LambdaCallback: unknown hook {name!r}; known: {', '.join(self._HOOKS)}")
            setattr(self, name, fn)


class CallbackList:
    """Calls every callback in order; keys callback states by position and class for checkpoints."""

    def __init__(self, callbacks):
        if isinstance(callbacks, Callback):
            callbacks = [callbacks]
        self.callbacks = list(callbacks or ())
        for i, cb in enumerate(self.callbacks):
            if not isinstance(cb, Callback):
                raise TypeError(f"fit: callbacks[{i}] must be a backprop.train.Callback, got {type(cb).__name__}")

    def __iter__(self):
        return iter(self.callbacks)

    def call(self, hook: str, *args) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def state_dict(self) -> dict:
        return {f"{i}:{type(cb).__name__}": cb.state_dict() for i, cb in enumerate(self.callbacks)}

    def load_state_dict(self, state: dict) -> None:
        """Load each callback's saved state; stateless callbacks may be added or left out on resume."""
        expected = {f"{i}:{type(cb).__name__}": cb for i, cb in enumerate(self.callbacks)}
        missing = [k for k, cb in expected.items() if k not in state and cb.state_dict()]
        unmatched = [k for k, v in state.items() if k not in expected and v]
        if missing or unmatched:
            raise ValueError(f"resume: the checkpoint holds callback states {sorted(k for k, v in state.items() if v)} "
                             f"but fit was given {list(expected)}; pass the same stateful callbacks, in the same "
                             "order, as the interrupted run")
        for key, cb in expected.items():
            if key in state:
                cb.load_state_dict(state[key])


def _resolve_mode(mode: str, monitor: str, trainer, owner: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    base = monitor[4:] if monitor.startswith("val_") else monitor
    for metric in getattr(trainer, "metrics", ()) or ():
        if getattr(metric, "name", None) == base:
            return "max" if getattr(metric, "greater_is_better", True) else "min"
    return "max" if ("acc" in base or base in ("r2", "auc")) else "min"


def _check_monitor(monitor: str, trainer, owner: str) -> None:
    keys = getattr(trainer, "log_keys", None)
    if keys is not None and monitor not in keys:
        hint = " (pass validation_data or validation_split to fit)" if monitor.startswith("val_") else ""
        raise ValueError(f"{owner}: monitor={monitor!r} is not logged by this run{hint}; "
                         f"logged keys: {', '.join(keys)}")


class _Monitor:
    """Shared 'is this better?' logic of EarlyStopping and ModelCheckpoint."""

    def _setup_monitor(self, owner: str):
        _check_monitor(self.monitor, self.trainer, owner)
        self.mode_ = _resolve_mode(self.mode, self.monitor, self.trainer, owner)

    def _improved(self, current: float, best: float | None) -> bool:
        if current is None or not math.isfinite(current):
            return False
        if best is None:
            return True
        if self.mode_ == "min":
            return current < best - self.min_delta
        return current > best + self.min_delta


class EarlyStopping(_Monitor, Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs; restore the best weights.

    Parameters
    ----------
    monitor : str
        A history key, e.g. ``"val_loss"`` or ``"val_accuracy"``.
    patience : int
        Epochs without improvement tolerated before stopping (>= 0).
    min_delta : float
        An improvement must be larger than this (>= 0).
    mode : {'auto', 'min', 'max'}
        ``'auto'`` maximizes accuracy-like metrics and minimizes the rest.
    restore_best_weights : bool
        At the end of training — **whatever ended it**: patience, the last epoch, another
        callback, or a divergence — load the weights (and buffers) of the best epoch.
    start_from_epoch : int
        Epochs to wait before counting a lack of improvement.

    Attributes
    ----------
    best : float or None
    best_epoch : int or None
        0-based epoch of the best value.
    stopped_epoch : int or None
        Epoch at which patience ran out.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0, mode: str = "auto",
                 restore_best_weights: bool = True, start_from_epoch: int = 0):
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an integer >= 0, got {patience!r}")
        if not isinstance(min_delta, (int, float)) or not min_delta >= 0:
            raise ValueError(f"EarlyStopping: min_delta must be a number >= 0, got {min_delta!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor, self.patience, self.min_delta, self.mode = monitor, int(patience), float(min_delta), mode
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = int(start_from_epoch)
        self._reset()

    def _reset(self):
        self.best, self.best_epoch, self.stopped_epoch, self.wait = None, None, None, 0
        self.best_weights = None
        self.restored = False

    def on_train_begin(self, logs=None):
        self._setup_monitor("EarlyStopping")
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"EarlyStopping: {self.monitor!r} is missing from the epoch's logs", stacklevel=2)
            return
        if self._improved(current, self.best):
            self.best, self.best_epoch, self.wait = float(current), int(epoch), 0
            if self.restore_best_weights:
                self.best_weights = self.model.state_dict()
            return
        if epoch < self.start_from_epoch:
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = int(epoch)
            self.trainer.stop("early_stopping",
                              f"EarlyStopping: {self.monitor} did not improve for {self.wait} epochs; "
                              f"best {self.best:.6g} at epoch {self.best_epoch + 1 if self.best_epoch is not None else '-'}")

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)
            self.restored = True

    def state_dict(self) -> dict:
        return {"best": self.best, "best_epoch": self.best_epoch, "stopped_epoch": self.stopped_epoch,
                "wait": self.wait, "best_weights": dict(self.best_weights) if self.best_weights is not None else None}

    def load_state_dict(self, state: dict) -> None:
        self.best = None if state["best"] is None else float(state["best"])
        self.best_epoch, self.stopped_epoch = state["best_epoch"], state["stopped_epoch"]
        self.wait = int(state["wait"])
        weights = state["best_weights"]
        self.best_weights = None if weights is None else {k: np.array(v) for k, v in weights.items()}


class ModelCheckpoint(_Monitor, Callback):
    """Save the model's state dict (``.npz``, atomically, no pickle) after epochs.

    Parameters
    ----------
    dirpath : path
        Directory for the files (created if missing).
    filename : str
        Format string with ``{epoch}`` (1-based) and any log key, e.g.
        ``"epoch{epoch:03d}-{val_loss:.3f}.npz"``.  Default ``"best.npz"`` with
        ``save_best_only`` else ``"epoch{epoch:03d}.npz"``.
    monitor : str
        Key compared when ``save_best_only``.
    save_best_only : bool
        Save only when ``monitor`` improves.
    mode : {'auto', 'min', 'max'}
    min_delta : float

    Attributes
    ----------
    best : float or None
    last_saved : str or None
        Path of the latest file written.

    Notes
    -----
    Load a file with ``model.load_state_dict(dict(np.load(path, allow_pickle=False)))``.
    """

    def __init__(self, dirpath, filename: str | None = None, monitor: str = "val_loss", save_best_only: bool = False,
                 mode: str = "auto", min_delta: float = 0.0):
        self.dirpath = os.fspath(dirpath)
        self.save_best_only = bool(save_best_only)
        self.filename = filename or ("best.npz" if self.save_best_only else "epoch{epoch:03d}.npz")
        self.monitor, self.mode, self.min_delta = monitor, mode, float(min_delta)
        self.best = None
        self.last_saved = None

    def on_train_begin(self, logs=None):
        if self.save_best_only:
            self._setup_monitor("ModelCheckpoint")
        self.best = None
        os.makedirs(self.dirpath, exist_ok=True)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.save_best_only:
            current = logs.get(self.monitor)
            if not self._improved(current, self.best):
                return
            self.best = float(current)
        path = os.path.join(self.dirpath, self.filename.format(epoch=epoch + 1, **logs))
        atomic_save_npz(path, self.model.state_dict())
        self.last_saved = path

    def state_dict(self) -> dict:
        return {"best": self.best, "last_saved": self.last_saved}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.last_saved = state["best"], state["last_saved"]


class TerminateOnNaN(Callback):
    """Stop training when a batch loss (or an epoch's logged value) is NaN or infinite.

    ``fit`` already guards every batch (see ``on_nonfinite``); this callback is for
    values the guard does not see, such as a non-finite ``val_loss``.
    """

    def on_batch_end(self, batch, logs=None):
        value = (logs or {}).get("loss")
        if value is not None and not math.isfinite(value):
            self.trainer.stop("divergence", f"TerminateOnNaN: batch {batch + 1} had loss {value}")

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            if key in ("lr",):
                continue
            if isinstance(value, float) and not math.isfinite(value):
                self.trainer.stop("divergence", f"TerminateOnNaN: {key} is {value} after epoch {epoch + 1}")
                return


class CSVLogger(Callback):
    """Write the history to a CSV file after every epoch.

    The whole file is rewritten atomically each epoch (temp file + ``os.replace``), so it
    is never half-written, and after a crash and ``resume=True`` it holds exactly the
    checkpointed epochs plus the new ones (no duplicated rows).

    Parameters
    ----------
    path : path
    separator : str
    append : bool
        Keep the rows already in the file (from an earlier run) above the new ones.
    """

    def __init__(self, path, separator: str = ",", append: bool = False):
        self.path = os.fspath(path)
        self.separator = separator
        self.append = bool(append)
        self._prefix = ""

    def on_train_begin(self, logs=None):
        self._prefix = ""
        if self.append and os.path.exists(self.path):
            with open(self.path, encoding="utf-8") as f:
                self._prefix = f.read()
            if self._prefix and not self._prefix.endswith("\n"):
                self._prefix += "\n"

    def on_epoch_end(self, epoch, logs=None):
        history = self.trainer.history
        keys = list(history.history)
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=self.separator, lineterminator="\n")
        header = self.separator.join(["epoch", *keys])
        if not self._prefix or not self._prefix.startswith(header + "\n"):
            writer.writerow(["epoch", *keys])
        for i, e in enumerate(history.epoch):
            writer.writerow([e, *(repr(history.history[k][i]) for k in keys)])
        atomic_write_text(self.path, self._prefix + buffer.getvalue())

    def state_dict(self) -> dict:
        return {"prefix": self._prefix}

    def load_state_dict(self, state: dict) -> None:
        self._prefix = state["prefix"]


class LearningRateScheduler(Callback):
    """Set the learning rate from a function of the epoch, or step a schedule object.

    Parameters
    ----------
    schedule : callable or LRScheduler
        * ``fn(epoch) -> lr`` or ``fn(epoch, lr) -> lr`` (Keras's form): called at the
          beginning of each epoch; the result is written to every parameter group.
        * An object with ``step()`` (a ``backprop.optim`` schedule): stepped at the end
          of each epoch (or batch, with ``interval='batch'``); ``ReduceLROnPlateau``
          gets ``logs[monitor]``.  Its state is checkpointed.
    interval : {'epoch', 'batch'}
    monitor : str
        Key passed to a schedule whose ``step`` takes a metric.
    """

    def __init__(self, schedule, interval: str = "epoch", monitor: str = "val_loss"):
        if interval not in ("epoch", "batch"):
            raise ValueError(f"LearningRateScheduler: interval must be 'epoch' or 'batch', got {interval!r}")
        self.is_object = hasattr(schedule, "step") and hasattr(schedule, "state_dict")
        if not self.is_object and not callable(schedule):
            raise TypeError("LearningRateScheduler: schedule must be a function of the epoch or a schedule object "
                            f"with step() and state_dict(), got {type(schedule).__name__}")
        self.schedule, self.interval, self.monitor = schedule, interval, monitor
        self._n_args = 1
        if not self.is_object:
            try:
                params = [p for p in inspect.signature(schedule).parameters.values()
                          if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
                self._n_args = 2 if len(params) >= 2 else 1
            except (TypeError, ValueError):
                self._n_args = 2
        self._takes_metric = self.is_object and "metric" in inspect.signature(schedule.step).parameters

    def on_epoch_begin(self, epoch, logs=None):
        if self.is_object:
            return
        groups = self.trainer.optimizer.param_groups
        lr = self.schedule(epoch, groups[0]["lr"]) if self._n_args == 2 else self.schedule(epoch)
        lr = float(lr)
        if not math.isfinite(lr) or lr < 0:
            raise ValueError(f"LearningRateScheduler: the schedule returned lr={lr} for epoch {epoch}; "
                             "it must be a finite number >= 0")
        for group in groups:
            group["lr"] = lr

    def _step(self, logs):
        if self._takes_metric:
            self.schedule.step((logs or {}).get(self.monitor, math.nan))
        else:
            self.schedule.step()

    def on_batch_end(self, batch, logs=None):
        if self.is_object and self.interval == "batch":
            self._step(logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.is_object and self.interval == "epoch":
            self._step(logs)

    def state_dict(self) -> dict:
        return {"schedule": self.schedule.state_dict()} if self.is_object else {}

    def load_state_dict(self, state: dict) -> None:
        if self.is_object and state.get("schedule") is not None:
            self.schedule.load_state_dict(state["schedule"])
