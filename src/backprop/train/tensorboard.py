"""``TensorBoard``: a callback that writes a run's scalars, histograms and text for TensorBoard.

Optional extra: ``pip install 'backprop[tensorboard]'`` (tensorboardX — no TensorFlow or
PyTorch needed).  View with ``tensorboard --logdir <log_dir>``.

What is written (step = the 0-based epoch, as in ``History.epoch``)
--------------------------------------------------------------------
scalars, every epoch
    Every numeric key of the epoch's logs under its own name: ``loss``, ``val_loss``,
    each metric and ``val_`` metric, ``lr``, ``grad_norm``, and any per-layer keys other
    callbacks or the gradient-flow monitor put in the logs (``grad_norm/<layer>``).
histograms, every ``histogram_freq`` epochs (epochs 0, f, 2f, ...)
    ``weights/<param name>``, ``gradients/<param name>`` (the gradients of the epoch's
    last training batch: ``fit`` leaves them on the parameters) and
    ``activations/<module name>`` for every leaf module, from one of two sources:

    * ``activation_data`` given (a few input samples): one extra forward pass of them in
      eval mode under ``no_grad`` at each histogram epoch, with forward hooks on the leaf
      modules for that pass only.  Deterministic and comparable from epoch to epoch; it
      draws no random numbers and leaves BatchNorm statistics alone.
    * otherwise the *last training batch* of a histogram epoch: hooks are put on the leaf
      modules in ``on_batch_begin`` of batch ``steps_per_epoch - 1`` and removed right
      after it; they keep a reference to each output (no copy, no extra pass) and ignore
      eval-mode calls (validation).  This needs ``fit`` to run that batch through the
      modules: the compiled fast path ``fit`` uses for plain dense stacks
      (:mod:`backprop.fastpath`) never calls them, so such runs get no activation
      histograms unless ``activation_data`` is given.  No hook is present when training
      begins, so this callback never switches the fast path off.
text, once
    ``model/summary``: ``model.summary(input_shape)`` with the input shape from the
    ``input_shape`` argument, ``activation_data``, a first layer with ``in_features``,
    or the last training batch seen by the hooks; else ``repr(model)``.  Written at the
    end of the first epoch.
hyperparameters, at train end
    ``add_hparams`` with the trainer's ``params`` (plus ``optimizer.<name>`` for the
    first parameter group's hyperparameters) and the final value of each logged key as
    ``hparam/<key>`` (tensorboardX writes these to the ``hparams`` sub-directory), and
    the same table as Markdown text under ``hparams/text``.

The writer is flushed after every epoch and closed in ``on_train_end`` (which ``fit``
calls however training ended, a divergence included).  On ``fit(..., resume=True)``
events at or after the resumed epoch are purged (``purge_step``), so a crashed run's
unfinished epoch does not show up twice.
"""

from __future__ import annotations

import math
import numbers
import os
import time

import numpy as np

from .callbacks import Callback

__all__ = ["TensorBoard", "MISSING_MESSAGE"]

MISSING_MESSAGE = "the TensorBoard callback needs the optional dependency: pip install 'backprop[tensorboard]'"


def _import_summary_writer():
    """tensorboardX's SummaryWriter, or ImportError naming the ``[tensorboard]`` extra."""
    try:
        from tensorboardX import SummaryWriter
    except ImportError as exc:
        raise ImportError(MISSING_MESSAGE) from exc
    return SummaryWriter


def _is_leaf(module) -> bool:
    return not any(True for _ in module.children())


def _hparam_value(value):
    """A value ``add_hparams`` accepts (bool, int, float, str)."""
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if value is None:
        return "None"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _finite_values(array):
    values = np.asarray(array, dtype=np.float64).reshape(-1)
    return values[np.isfinite(values)]


class TensorBoard(Callback):
    """Write TensorBoard event files during :func:`~backprop.train.fit` (see the module notes).

    Parameters
    ----------
    log_dir : path
        Directory of the event files (created if missing).
    histogram_freq : int
        Write weight/gradient/activation histograms every this many epochs (epochs 0,
        ``histogram_freq``, ...); 0 turns histograms off.
    write_graph_text : bool
        Write the model summary as text (``model/summary``).
    input_shape : tuple of int, optional
        Shape of one sample, for ``model.summary``.
    activation_data : array_like, optional
        A few input samples (``(n, ...)``, e.g. ``X[:256]``) whose activations are
        histogrammed; by default the last training batch's (see the notes).
    activations : bool
        Write activation histograms at all.

    Raises
    ------
    ImportError
        When tensorboardX is not installed (raised by the constructor, before training).
    ValueError
        A bad ``histogram_freq``.
    """

    def __init__(self, log_dir, histogram_freq: int = 1, write_graph_text: bool = True, input_shape=None,
                 activation_data=None, activations: bool = True):
        self._SummaryWriter = _import_summary_writer()
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, (int, np.integer)) \
                or histogram_freq < 0:
            raise ValueError(f"TensorBoard: histogram_freq must be an integer >= 0 (0 = no histograms), "
                             f"got {histogram_freq!r}")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = int(histogram_freq)
        self.write_graph_text = bool(write_graph_text)
        self.input_shape = None if input_shape is None else tuple(int(d) for d in np.atleast_1d(input_shape))
        self.activation_data = None
        if activation_data is not None:
            data = np.asarray(getattr(activation_data, "data", activation_data))
            if data.ndim < 1 or data.shape[0] == 0:
                raise ValueError(f"TensorBoard: activation_data must hold at least one sample (shape (n, ...)), "
                                 f"got shape {data.shape}")
            self.activation_data = data
        self.activations = bool(activations)
        self.writer = None
        self._hooks = []
        self._captured = {}
        self._summary_written = False

    # ------------------------------------------------------------------ helpers
    def _histogram_epoch(self, epoch) -> bool:
        return self.histogram_freq > 0 and epoch % self.histogram_freq == 0

    def _steps_per_epoch(self):
        params = getattr(self.trainer, "params", None) or {}
        steps = params.get("steps_per_epoch")
        return int(steps) if isinstance(steps, (int, np.integer)) and steps > 0 else None

    def _wants_batch_hooks(self, epoch) -> bool:
        """Hook the training batch: for activations (no activation_data) or to learn the input shape."""
        want_activations = (self.activations and self.activation_data is None and self._histogram_epoch(epoch))
        want_shape = not self._summary_written and self.input_shape is None
        return want_activations or want_shape

    def _add_hooks(self, training_only: bool):
        if self._hooks or self.model is None:
            return

        def capture_input(module, inputs, output):
            shape = getattr(inputs[0], "shape", None) if inputs else None
            if (module.training or not training_only) and shape is not None and len(shape) >= 1 \
                    and self.input_shape is None:
                self.input_shape = tuple(int(d) for d in shape[1:])
        self._hooks.append(self.model.register_forward_hook(capture_input))
        if not self.activations:
            return
        for name, module in self.model.named_modules():
            if not _is_leaf(module):
                continue
            label = name or type(module).__name__

            def hook(mod, inputs, output, label=label):
                if mod.training or not training_only:  # skip validation passes (eval mode)
                    self._captured[label] = output
            self._hooks.append(module.register_forward_hook(hook))

    def _remove_hooks(self):
        for handle in self._hooks:
            handle.remove()
        self._hooks = []

    def _infer_input_shape(self):
        if self.input_shape is not None:
            return
        if self.activation_data is not None:
            self.input_shape = tuple(self.activation_data.shape[1:])
            return
        leaves = [m for _, m in self.model.named_modules() if _is_leaf(m)]
        first = leaves[0] if leaves else None
        if first is not None and isinstance(getattr(first, "in_features", None), (int, np.integer)):
            self.input_shape = (int(first.in_features),)

    def _sample_activations(self):
        """Leaf outputs for ``activation_data``: one eval-mode, no_grad forward pass, modes restored."""
        from ..autograd.grad_mode import no_grad
        from ..autograd.tensor import Tensor
        dtype = next((p.data.dtype for p in self.model.parameters() if p.data.dtype.kind == "f"), None)
        x = self.activation_data if dtype is None else self.activation_data.astype(dtype, copy=False)
        modes = [(m, m.training) for m in self.model.modules()]
        self._add_hooks(training_only=False)
        try:
            self.model.eval()
            with no_grad():
                self.model(Tensor(x))
        finally:
            self._remove_hooks()
            for module, training in modes:
                object.__setattr__(module, "training", training)

    # ------------------------------------------------------------------ callback hooks
    def on_train_begin(self, logs=None):
        os.makedirs(self.log_dir, exist_ok=True)
        purge_step = None
        if getattr(self.trainer, "resumed", False):
            purge_step = len(getattr(self.trainer.history, "epoch", ()) or ())
        # tensorboardX names files by the second; a nanosecond suffix keeps two runs started
        # within one second (a quick resume) from overwriting each other, and in order
        suffix = f".{time.time_ns()}"
        self.writer = self._SummaryWriter(logdir=self.log_dir, purge_step=purge_step, filename_suffix=suffix)
        self._captured = {}
        self._summary_written = not self.write_graph_text
        if self.model is not None and not self._summary_written:
            self._infer_input_shape()

    def on_epoch_begin(self, epoch, logs=None):
        self._captured = {}
        if self._steps_per_epoch() is None and self._wants_batch_hooks(epoch):
            self._add_hooks(training_only=True)  # batch count unknown: keep the last training batch's

    def on_batch_begin(self, batch, logs=None):
        steps = self._steps_per_epoch()
        if steps is not None and batch == steps - 1 and self._wants_batch_hooks(getattr(self.trainer, "epoch", 0)):
            self._add_hooks(training_only=True)

    def on_batch_end(self, batch, logs=None):
        if self._steps_per_epoch() is not None:
            self._remove_hooks()

    def on_epoch_end(self, epoch, logs=None):
        self._remove_hooks()
        if self.writer is None:
            return
        if not self._summary_written:
            self._write_summary()
        for key, value in (logs or {}).items():
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                continue
            self.writer.add_scalar(key, float(value), epoch)
        if self._histogram_epoch(epoch):
            if self.activations and self.activation_data is not None:
                self._captured = {}
                self._sample_activations()
            self._write_histograms(epoch)
        self._captured = {}
        self.writer.flush()

    def on_train_end(self, logs=None):
        self._remove_hooks()
        self._captured = {}
        if self.writer is None:
            return
        try:
            self._write_hparams()
        finally:
            self.writer.flush()
            self.writer.close()
            self.writer = None

    # ------------------------------------------------------------------ writers
    def _write_histograms(self, epoch):
        for name, param in self.model.named_parameters():
            self._histogram(f"weights/{name}", param.data, epoch)
            if param.grad is not None:
                self._histogram(f"gradients/{name}", param.grad, epoch)
        if self.activations:
            for name, output in self._captured.items():
                self._histogram(f"activations/{name}", getattr(output, "data", output), epoch)

    def _histogram(self, tag, array, step):
        values = _finite_values(array)  # tensorboardX cannot bin NaN/Inf
        if values.size:
            self.writer.add_histogram(tag, values, step)

    def _summary_text(self) -> str:
        text = None
        if self.input_shape is not None and hasattr(self.model, "summary"):
            try:
                text = self.model.summary(self.input_shape, print_fn=None)
            except Exception as exc:  # a model summary cannot trace: fall back to its repr
                text = f"{self.model!r}\n\n(model.summary failed: {type(exc).__name__}: {exc})"
        if text is None:
            text = repr(self.model)
        # four-space indent: a Markdown code block, so the table keeps its columns in TensorBoard
        return "\n".join("    " + line for line in text.splitlines())

    def _write_summary(self):
        if self.writer is None or self.model is None:
            return
        self._summary_written = True
        self.writer.add_text("model/summary", self._summary_text(), 0)

    def _hparams(self) -> dict:
        params = dict(getattr(self.trainer, "params", None) or {})
        hparams = {str(k): _hparam_value(v) for k, v in params.items()}
        optimizer = getattr(self.trainer, "optimizer", None)
        groups = getattr(optimizer, "param_groups", None)
        if groups:
            for key, value in groups[0].items():
                if key != "params":
                    hparams[f"optimizer.{key}"] = _hparam_value(value)
        return hparams

    def _write_hparams(self):
        hparams = self._hparams()
        if not hparams:
            return
        history = getattr(getattr(self.trainer, "history", None), "history", None) or {}
        metrics = {}
        for key, values in history.items():
            finite = [float(v) for v in values if isinstance(v, numbers.Real) and math.isfinite(v)]
            if finite:
                metrics[f"hparam/{key}"] = finite[-1]
        table = "| hyperparameter | value |\n|---|---|\n" + "\n".join(
            f"| {k} | {v} |" for k, v in hparams.items())
        self.writer.add_text("hparams/text", table, 0)
        self.writer.add_hparams(hparams, metrics, name="hparams")
