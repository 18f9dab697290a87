"""The training loop: :func:`fit`, :func:`evaluate`, :func:`predict`.

One batch, in order (see :mod:`backprop.train.guard` for why this order is safe)::

    buffers saved -> forward -> loss (finite?) -> zero_grad -> backward
      -> grad norm (finite?) -> clip -> optimizer.step -> weights finite? -> scheduler (per batch)

One epoch: ``on_epoch_begin`` -> batches -> training logs (loss averaged over samples,
metrics on the epoch's outputs, mean grad norm, lr) -> validation (:func:`evaluate`)
-> ``History.append`` -> ``on_epoch_end`` -> scheduler (per epoch) -> checkpoint.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..data.batching import BatchIterator
from ..fastpath import compile_step
from ..fastpath.sequential import share_flat_parameters
from . import guard
from .callbacks import CallbackList
from .checkpoint import load_checkpoint, remove_stale_temp_files, save_checkpoint  # noqa: F401  (importable here)
from .divergence import Diverged as _Diverged
from .divergence import handle_divergence as _handle_divergence
from .divergence import restore_weights as _restore  # noqa: F401  (importable here)
from .divergence import snapshot_weights as _snapshot
from .history import History
from .inputs import (ModeGuard, check_fraction, check_int, check_lr, check_xy, model_dtype,
                     probe_targets)
from .metrics import metric_name, resolve_metrics
from .progress import ProgressDisplay
from .resume import open_run, prepare_checkpoint_dir, restore_run
from .resume import save_run as _save

__all__ = ["fit", "evaluate", "predict", "Trainer"]


class Trainer:
    """The training state that callbacks see (``callback.trainer``).

    Attributes
    ----------
    model, optimizer, scheduler, loss
    metrics : list
        Resolved metric objects.
    history : History
    params : dict
        Settings of the run (also ``history.params``).
    epoch : int
        Current 0-based epoch.
    global_step : int
        Optimizer steps taken so far (all epochs).
    log_keys : list of str
        The keys every epoch logs.
    resumed : bool
        True when this run continued from a checkpoint.
    stop_training : bool
        Set (or call :meth:`stop`) to end training after the current epoch.
    monitor : bool
        The ``monitor`` flag given to ``fit`` (the gradient-flow monitor hooks in here).
    """

    def __init__(self, model, optimizer, scheduler, loss, metrics, history, params, monitor=False):
        self.model, self.optimizer, self.scheduler, self.loss = model, optimizer, scheduler, loss
        self.metrics, self.history, self.params = metrics, history, params
        self.monitor = monitor
        self.epoch = 0
        self.global_step = 0
        self.log_keys: list[str] = []
        self.resumed = False
        self.stop_training = False
        self.stop_reason: str | None = None
        self.stop_message: str | None = None

    def stop(self, reason: str = "callback", message: str | None = None) -> None:
        """Ask training to end after the current epoch (the first reason given is kept)."""
        if not self.stop_training:
            self.stop_reason, self.stop_message = reason, message
        self.stop_training = True


# ---------------------------------------------------------------------------------------------- helpers
def _resolve_loss(loss, where="fit"):
    if loss is None:
        raise ValueError(f"{where}: loss is required (a loss module, a callable or a name like 'cross_entropy')")
    if isinstance(loss, str):
        from ..nn.losses import get_loss
        return get_loss(loss)
    if not callable(loss):
        raise TypeError(f"{where}: loss must be a loss module, a callable or a name, got {type(loss).__name__}")
    return loss


def _resolve_optimizer(optimizer, model, lr, where="fit"):
    from ..optim import Optimizer, get_optimizer
    if isinstance(optimizer, str):
        kwargs = {} if lr is None else {"lr": lr}
        try:
            return get_optimizer(optimizer, model.parameters(), **kwargs)
        except TypeError as exc:
            if lr is None and "lr" in str(exc):
                raise ValueError(f"{where}: optimizer {optimizer!r} needs a learning rate: pass lr=...") from exc
            raise
    if isinstance(optimizer, Optimizer) or (hasattr(optimizer, "step") and hasattr(optimizer, "param_groups")):
        if lr is not None:
            raise ValueError(f"{where}: lr is only used when optimizer is a name; set the learning rate on the "
                             f"optimizer instance instead (got lr={lr})")
        for i, group in enumerate(optimizer.param_groups):
            group_lr = group.get("lr")
            if group_lr is None or not math.isfinite(group_lr) or group_lr < 0:
                raise ValueError(f"{where}: optimizer parameter group {i} has lr={group_lr!r}; the learning rate "
                                 "must be a finite number >= 0")
        return optimizer
    raise TypeError(f"{where}: optimizer must be a backprop.optim.Optimizer or a name like 'adam', "
                    f"got {type(optimizer).__name__}")


def _scheduler_per_batch(scheduler, interval) -> bool:
    if interval is not None:
        if interval not in ("epoch", "batch"):
            raise ValueError(f"fit: scheduler_interval must be 'epoch' or 'batch', got {interval!r}")
        return interval == "batch"
    explicit = getattr(scheduler, "interval", None)
    if explicit in ("epoch", "batch"):
        return explicit == "batch"
    if getattr(scheduler, "step_per_batch", False):
        return True
    return type(scheduler).__name__ == "OneCycleLR"  # documented as a per-batch schedule


def _takes_metric(scheduler) -> bool:
    import inspect
    try:
        return "metric" in inspect.signature(scheduler.step).parameters
    except (TypeError, ValueError):
        return False


def _loss_reduction_is_sum(loss_fn) -> bool:
    return getattr(loss_fn, "reduction", "mean") == "sum"


def _compute_metrics(metrics, outputs, targets, prefix=""):
    if not metrics:
        return {}
    y_pred = np.concatenate(outputs) if len(outputs) > 1 else outputs[0]
    y_true = np.concatenate(targets) if len(targets) > 1 else targets[0]
    return {prefix + metric_name(m): float(m(y_pred, y_true)) for m in metrics}


def _first_lr(optimizer):
    return float(optimizer.param_groups[0]["lr"])


# ---------------------------------------------------------------------------------------------- evaluate / predict
def predict(model, X, batch_size: int = 32) -> np.ndarray:
    """Model outputs for ``X``, batch by batch, in eval mode under ``no_grad``.

    Every module's previous mode (train/eval) is restored afterwards, and no graph is
    recorded.  ``X`` is cast to the model's parameter dtype.

    Returns
    -------
    ndarray of shape (n_samples, ...)
    """
    batch_size = check_int(batch_size, "batch_size", "predict")
    x, _ = check_xy(X, None, "predict", dtype=model_dtype(model), y_required=False)
    outputs = []
    with ModeGuard(model, False), no_grad():
        for start in range(0, x.shape[0], batch_size):
            out = model(Tensor(x[start:start + batch_size]))
            outputs.append(np.asarray(getattr(out, "data", out)))
    return np.concatenate(outputs)


def evaluate(model, X, y, loss=None, metrics=("accuracy",), batch_size: int = 32) -> dict:
    """Loss and metrics of ``model`` on ``(X, y)`` in eval mode under ``no_grad``.

    Parameters
    ----------
    loss : loss module, callable, name or None
        None skips the loss.
    metrics : sequence of names or callables
    batch_size : int

    Returns
    -------
    dict
        ``{"loss": ..., <metric name>: ...}``; the loss is the sample-weighted mean of the
        batch losses (their sum for ``reduction='sum'``).  Modes are restored afterwards.
    """
    batch_size = check_int(batch_size, "batch_size", "evaluate")
    loss_fn = _resolve_loss(loss, "evaluate") if loss is not None else None
    x, y = check_xy(X, y, "evaluate", dtype=model_dtype(model))
    if loss_fn is not None:
        y = probe_targets(model, loss_fn, x[:batch_size], y, "evaluate")
    from_logits = type(loss_fn).__name__ == "BCEWithLogitsLoss"
    return _evaluate(model, x, y, loss_fn, resolve_metrics(metrics, from_logits), batch_size)


def _evaluate(model, x, y, loss_fn, metrics, batch_size, prefix=""):
    total, outputs, targets = 0.0, [], []
    with ModeGuard(model, False), no_grad(), np.errstate(all="ignore"):
        for start in range(0, x.shape[0], batch_size):
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            out = model(Tensor(xb))
            if loss_fn is not None:
                value = float(np.asarray(getattr(loss_fn(out, yb), "data", np.nan)))
                total += value if _loss_reduction_is_sum(loss_fn) else value * xb.shape[0]
            outputs.append(np.asarray(getattr(out, "data", out)))
            targets.append(yb)
    logs = {}
    if loss_fn is not None:
        logs[prefix + "loss"] = total if _loss_reduction_is_sum(loss_fn) else total / x.shape[0]
    logs.update(_compute_metrics(metrics, outputs, targets, prefix))
    return logs


# ---------------------------------------------------------------------------------------------- fit
def fit(model, X, y, *, loss, optimizer, epochs: int, batch_size: int = 32, lr: float | None = None,
        validation_data=None, validation_split: float = 0.0, metrics=("accuracy",), callbacks=(),
        clip_grad_norm: float | None = None, seed: int | None = None, verbose: int = 1, shuffle: bool = True,
        drop_last: bool = False, scheduler=None, scheduler_interval: str | None = None, checkpoint_dir=None,
        resume: bool = False, keep_checkpoints: int = 2, on_nonfinite: str = "stop", monitor: bool = False,
        file=None) -> History:
    """Train ``model`` on ``(X, y)`` with mini-batch gradient descent.

    Parameters
    ----------
    model : Module
    X : array_like, shape (n_samples, ...)
        Cast once to the model's parameter dtype; NaN/Inf is an error.
    y : array_like, shape (n_samples, ...)
        Integer labels for CrossEntropy/NLL (checked against the number of output units
        before training), targets of the output's shape otherwise (a 1-D ``y`` with a
        one-column output is reshaped to a column).
    loss : loss module, callable ``loss(output, target) -> Tensor`` or name (``get_loss``)
    optimizer : Optimizer or name
        A name builds ``get_optimizer(name, model.parameters(), lr=lr)``.
    epochs : int
        Total number of epochs; with ``resume=True``, training continues up to it.
    batch_size : int
        ``1`` (SGD) up to ``n_samples`` (full batch); larger than the data gives one batch,
        unless ``drop_last``.
    lr : float, optional
        Learning rate for a named optimizer (>= 0).
    validation_data : (X_val, y_val), optional
    validation_split : float in [0, 1)
        Fraction of ``(X, y)`` held out (stratified for integer labels, seeded by ``seed``).
    metrics : sequence of names or callables
        See :mod:`backprop.train.metrics`.
    callbacks : sequence of Callback
    clip_grad_norm : float, optional
        Rescale the gradients to at most this global L2 norm.
    seed : int, optional
        Seeds the shuffling and the validation split (never the global NumPy state).
    verbose : {0, 1, 2}
        Progress output (see :mod:`backprop.train.progress`).
    shuffle, drop_last : bool
    scheduler : LR schedule, optional
        Stepped once per epoch, or once per batch when ``scheduler_interval='batch'``, when
        it has ``interval='batch'`` / ``step_per_batch=True``, or for ``OneCycleLR``.  A
        schedule whose ``step`` takes a ``metric`` (``ReduceLROnPlateau``) gets ``val_loss``
        (``loss`` without validation data).
    checkpoint_dir : path, optional
        Write a complete, crash-safe checkpoint after every epoch (see
        :mod:`backprop.train.checkpoint`).
    resume : bool
        Continue from the latest complete checkpoint in ``checkpoint_dir`` (start fresh if
        there is none).  Build the model, optimizer, scheduler and callbacks as for the
        first run; the result is bit-identical to an uninterrupted run.
    keep_checkpoints : int
        Complete checkpoints kept on disk (>= 1).
    on_nonfinite : {'stop', 'raise'}
        On a NaN/Inf loss, gradient or weight: end training (``history.stopped_reason ==
        'divergence'``) or raise :class:`DivergenceError` — in both cases after leaving the
        model at finite weights and calling ``on_train_end``.
    monitor : bool or Monitor
        Record per-layer gradient-flow statistics (:class:`backprop.inspect.Monitor`; pass
        an instance for ``every=N`` batches) as ``history["<stat>/<layer>"]`` and
        ``history.layers[layer][stat]``.  Training then runs on the autograd engine path.
    file : file-like, optional
        Progress output; ``sys.stdout`` by default.

    Returns
    -------
    History

    Raises
    ------
    ValueError, TypeError
        On bad input, before any training, naming the argument.
    DivergenceError
        With ``on_nonfinite='raise'``.
    """
    where = "fit"
    # ---- arguments that need no data
    epochs = check_int(epochs, "epochs", where)
    batch_size = check_int(batch_size, "batch_size", where)
    validation_split = check_fraction(validation_split, "validation_split", where)
    lr = check_lr(lr, where)
    if on_nonfinite not in ("stop", "raise"):
        raise ValueError(f"{where}: on_nonfinite must be 'stop' or 'raise', got {on_nonfinite!r}")
    if verbose not in (0, 1, 2):
        raise ValueError(f"{where}: verbose must be 0, 1 or 2, got {verbose!r}")
    if clip_grad_norm is not None and (isinstance(clip_grad_norm, bool) or not clip_grad_norm > 0):
        raise ValueError(f"{where}: clip_grad_norm must be a number > 0 or None, got {clip_grad_norm!r}")
    if validation_data is not None and validation_split:
        raise ValueError(f"{where}: give validation_data or validation_split, not both")
    if resume and checkpoint_dir is None:
        raise ValueError(f"{where}: resume=True needs checkpoint_dir (the directory to resume from)")
    keep_checkpoints = check_int(keep_checkpoints, "keep_checkpoints", where)
    if not hasattr(model, "parameters") or not hasattr(model, "named_parameters"):
        raise TypeError(f"{where}: model must be a backprop.nn.Module, got {type(model).__name__}")
    named_params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not named_params:
        raise ValueError(f"{where}: model has no trainable parameters, so the optimizer would have nothing "
                         "to update")
    loss_fn = _resolve_loss(loss, where)
    optimizer = _resolve_optimizer(optimizer, model, lr, where)
    per_batch_schedule = scheduler is not None and _scheduler_per_batch(scheduler, scheduler_interval)
    callback_list = CallbackList(callbacks)

    checkpoint, entropy = open_run(checkpoint_dir, resume, seed, where)
    split_seq, shuffle_seq = np.random.SeedSequence(entropy).spawn(2)

    # ---- data
    dtype = model_dtype(model)
    x, y = check_xy(X, y, where, dtype=dtype)
    x_val = y_val = None
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError(f"{where}: validation_data must be a pair (X_val, y_val)")
        x_val, y_val = check_xy(validation_data[0], validation_data[1], where, "validation_data[0]",
                                "validation_data[1]", dtype=dtype)
    elif validation_split:
        n_val = math.ceil(validation_split * x.shape[0])
        if n_val >= x.shape[0]:
            raise ValueError(f"{where}: validation_split={validation_split} leaves no training samples out of "
                             f"{x.shape[0]}")
        from ..data.splits import stratified_split
        (x, y), (x_val, y_val) = stratified_split(x, y, n_val, rng=np.random.default_rng(split_seq))
    if drop_last and batch_size > x.shape[0]:
        raise ValueError(f"{where}: batch_size={batch_size} is larger than the {x.shape[0]} training samples "
                         "with drop_last=True, so no batch could be formed; lower batch_size or set drop_last=False")
    y = probe_targets(model, loss_fn, x[:batch_size], y, where, "y")
    if x_val is not None:
        y_val = probe_targets(model, loss_fn, x_val[:batch_size], y_val, where, "validation_data[1]")
    shuffle_rng = np.random.default_rng(shuffle_seq)
    batches = BatchIterator(x, y, batch_size, shuffle=shuffle, drop_last=drop_last, rng=shuffle_rng)

    from_logits = type(loss_fn).__name__ == "BCEWithLogitsLoss"
    metric_objs = resolve_metrics(metrics, from_logits)
    names = [metric_name(m) for m in metric_objs]
    log_keys = ["loss", *names]
    if x_val is not None:
        log_keys += ["val_loss", *("val_" + n for n in names)]
    log_keys += ["lr", "grad_norm"]

    params = {"epochs": epochs, "batch_size": batch_size, "steps_per_epoch": len(batches), "n_samples": x.shape[0],
              "n_val_samples": 0 if x_val is None else x_val.shape[0], "metrics": names,
              "loss": type(loss_fn).__name__ if not isinstance(loss, str) else loss,
              "optimizer": type(optimizer).__name__, "seed": entropy, "shuffle": bool(shuffle),
              "drop_last": bool(drop_last), "clip_grad_norm": clip_grad_norm, "on_nonfinite": on_nonfinite,
              "monitor": bool(monitor), "scheduler": type(scheduler).__name__ if scheduler is not None else None,
              "scheduler_interval": ("batch" if per_batch_schedule else "epoch") if scheduler is not None else None}
    history = History(params)
    trainer = Trainer(model, optimizer, scheduler, loss_fn, metric_objs, history, params, monitor=bool(monitor))
    trainer.log_keys = log_keys
    # The gradient-flow monitor (backprop.inspect.monitor): hooks that only act on its capture batches.
    grad_monitor = None
    if monitor:
        from ..inspect.monitor import Monitor
        grad_monitor = monitor if isinstance(monitor, Monitor) else Monitor(model)
    trainer.gradient_monitor = grad_monitor
    last_batch_size = batch_size if drop_last or x.shape[0] % batch_size == 0 else x.shape[0] % batch_size
    generators = guard.module_generators(model)
    start_epoch = 0
    if checkpoint is not None:
        start_epoch = restore_run(checkpoint, trainer, shuffle_rng, generators, x.shape[0], batch_size,
                                  checkpoint_dir, where)
    if checkpoint_dir is not None:
        prepare_checkpoint_dir(checkpoint_dir)

    for cb in callback_list:
        cb.set_context(trainer)
    callback_list.call("on_train_begin", {})
    if checkpoint is not None:
        callback_list.load_state_dict(checkpoint["callbacks"])

    progress = ProgressDisplay(verbose, file)
    # Plain dense stacks train through the compiled step (the seeds' four equations in
    # NumPy); the monitor needs the engine's per-layer hooks, so it keeps the general path.
    compiled = None if monitor else compile_step(model, loss_fn, input_ndim=x.ndim)
    if compiled is not None and hasattr(optimizer, "attach_flat"):
        share_flat_parameters(model, compiled, optimizer)
    param_list = [p for _, p in named_params]
    buffer_backup = guard.BufferBackup(model)
    has_buffers = bool(buffer_backup.targets)
    diverged = None
    try:
        for epoch in range(start_epoch, epochs):
            if trainer.stop_training:
                break
            trainer.epoch = epoch
            callback_list.call("on_epoch_begin", epoch, {})
            epoch_lr = _first_lr(optimizer)
            snapshot = _snapshot(param_list)  # one copy per epoch: see guard's notes
            model.train()
            progress.begin_epoch(epoch, epochs, len(batches))
            if grad_monitor is not None:
                grad_monitor.begin_epoch(len(batches), last_batch_size, batch_size, epoch)
            total_loss, seen, norms, outputs, targets = 0.0, 0, [], [], []
            for batch, (xb, yb) in enumerate(batches):
                callback_list.call("on_batch_begin", batch, {"size": xb.shape[0]})
                if has_buffers:
                    buffer_backup.save()
                if grad_monitor is not None:
                    grad_monitor.begin_batch(batch, xb.shape[0])
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    if compiled is not None:
                        # Same gradients as the engine path (tests/fastpath), less overhead.
                        optimizer.zero_grad()
                        model.zero_grad()
                        loss_value = compiled(xb, yb)
                        out_data = compiled.last_output
                        if not math.isfinite(loss_value):
                            raise _Diverged("loss", None, batch, loss_value) from None
                    else:
                        out = model(Tensor(xb))
                        loss_t = loss_fn(out, yb)
                        out_data = out.data
                        loss_value = float(np.asarray(loss_t.data))
                        if not math.isfinite(loss_value):
                            raise _Diverged("loss", None, batch, loss_value) from None
                        if has_buffers and (bad := guard.nonfinite_buffer(model)) is not None:
                            raise _Diverged("buffer", bad, batch)
                        optimizer.zero_grad()
                        model.zero_grad()
                        loss_t.backward()
                        if grad_monitor is not None:
                            grad_monitor.after_backward()
                    norm = guard.grad_norm(param_list)
                    if not math.isfinite(norm):
                        raise _Diverged("gradient", guard.first_nonfinite_grad(named_params), batch, norm)
                    if clip_grad_norm is not None and norm > clip_grad_norm:
                        from ..optim import clip_grad_norm as _clip
                        _clip(param_list, clip_grad_norm)
                    optimizer.step()
                    bad = guard.nonfinite_weights(named_params)
                    if bad is not None:
                        raise _Diverged("weights", bad, batch)
                    if grad_monitor is not None:
                        grad_monitor.after_step()
                trainer.global_step += 1
                if per_batch_schedule:
                    scheduler.step()
                n = xb.shape[0]
                total_loss += loss_value if _loss_reduction_is_sum(loss_fn) else loss_value * n
                seen += n
                norms.append(norm)
                if metric_objs:
                    outputs.append(np.asarray(out_data))
                    targets.append(yb)
                progress.end_batch(batch, loss_value, n)
                callback_list.call("on_batch_end", batch, {"batch": batch, "size": n, "loss": loss_value,
                                                           "grad_norm": norm, "lr": _first_lr(optimizer)})
                if trainer.stop_training:
                    break
            logs = {"loss": total_loss if _loss_reduction_is_sum(loss_fn) else total_loss / max(seen, 1)}
            if metric_objs and outputs:
                logs.update(_compute_metrics(metric_objs, outputs, targets))
            if x_val is not None:
                logs.update(_evaluate(model, x_val, y_val, loss_fn, metric_objs, batch_size, prefix="val_"))
            logs["lr"] = epoch_lr
            logs["grad_norm"] = float(np.mean(norms)) if norms else math.nan
            layer_logs = grad_monitor.flat(grad_monitor.end_epoch()) if grad_monitor is not None else {}
            history.append(epoch, {**logs, **layer_logs})
            progress.end_epoch(epoch, logs)
            logs.update(layer_logs)  # callbacks (CSV, TensorBoard) see "<stat>/<layer>" too
            callback_list.call("on_epoch_end", epoch, logs)
            if scheduler is not None and not per_batch_schedule:
                if _takes_metric(scheduler):
                    scheduler.step(logs.get("val_loss", logs["loss"]))
                else:
                    scheduler.step()
            if checkpoint_dir is not None:
                _save(checkpoint_dir, keep_checkpoints, epoch + 1, trainer, callback_list, shuffle_rng,
                      generators, entropy, x.shape[0], batch_size)
    except _Diverged as event:
        diverged = _handle_divergence(event, trainer, model, named_params, param_list, snapshot, buffer_backup,
                                      has_buffers, xb, optimizer, clip_grad_norm)
        progress.message(diverged.args[0])
    finally:
        progress.close()
        if grad_monitor is not None and grad_monitor is not monitor:
            grad_monitor.remove()
    if trainer.stop_training:
        history.stopped_reason = trainer.stop_reason or "callback"
        history.stop_message = trainer.stop_message
        if trainer.stop_reason == "early_stopping" and trainer.stop_message and diverged is None:
            progress.message(trainer.stop_message)
    callback_list.call("on_train_end", {"stopped_reason": history.stopped_reason})
    if diverged is not None and on_nonfinite == "raise":
        raise diverged
    return history

