"""Gradient-flow monitor: per-layer gradient, weight, update and activation statistics.

``fit(..., monitor=True)`` (or ``monitor=Monitor(model, every=N)``) records, for every
*parametrized leaf module* (a module that owns parameters directly: Linear, Conv,
BatchNorm, RNN/GRU/LSTM; named as in ``model.named_modules()``), these statistics:

=================  ==========================================================================
stat               meaning
=================  ==========================================================================
``grad_norm``      L2 norm of the gradient of the layer's weights (every parameter whose name
                   does not start with ``bias``), before clipping
``bias_grad_norm`` L2 norm of the gradient of its bias parameters (NaN without a bias)
``weight_norm``    L2 norm of the weights after the optimizer step
``update_ratio``   ‖Δw‖ / ‖w‖ of the optimizer step (healthy: around 1e-3)
``act_mean``       mean of the layer's activation: the output of the activation module that
                   follows it (ReLU, Sigmoid, Tanh, ...) or, without one, its own output
``act_std``        standard deviation of the same
``dead_frac``      fraction of ReLU units whose output is 0 for every sample of the batch
                   (NaN when no ReLU follows the layer)
``saturated_frac`` fraction of sigmoid/tanh outputs that are saturated: |tanh| > 0.99,
                   sigmoid < 0.01 or > 0.99 (NaN when no sigmoid/tanh follows the layer)
=================  ==========================================================================

Recurrent layers (RNN, GRU, LSTM): gradients through time
    ``time_grad_ratio`` = ‖∂L/∂x_1‖ / ‖∂L/∂x_T‖, recorded for recurrent layers only.
    ``x_t`` is the layer's *input* at time step t (for a multi-layer stack, the input of
    its first layer), and ‖·‖ the L2 norm over the batch and the features of that step.
    ∂L/∂x_t = δ_t Wᵢₕ (for an Elman RNN; the gates' δ for GRU/LSTM) carries the whole
    backpropagation through time: δ_t holds ∂L/∂h_t summed over every later step through
    the recurrence, so when the loss reads the last hidden state (a sequence classifier)
    the ratio is how much of the gradient survives T − 1 steps back.  Far below 1
    (< 1e-3): vanishing gradients through time — the first steps cannot influence
    learning; far above 1 (> 1e3): exploding.  With a loss on *every* step (a sequence
    loss) each x_t also gets a direct gradient from its own step's output, so the ratio
    stays near 1 even when long-range gradients vanish: read the per-step norms there.

    To get ∂L/∂x_t even when the layer reads raw data (which never requires grad), on a
    captured batch the layer's input is replaced, for that one forward, by a copy that
    requires grad (or, when it already requires grad, by an identity node on it), and a
    tensor hook on it takes the per-step norms during backward.  The values the network
    computes do not change; the cost is the input-gradient product of that layer on the
    captured batch.  Only the first call of a layer per captured batch is probed.

    Per captured batch the monitor record of the layer also holds
    ``"input_grad_per_step"`` (‖∂L/∂x_t‖ for t = 1..T) and, when the gradient reaches the
    layer's ``output`` tensor (not only ``h_n``), ``"output_grad_per_step"``
    (‖∂L/∂output_t‖: the gradient arriving from the layers above, without the recurrence),
    both lists of floats.  An epoch's ``time_grad_ratio`` is the *geometric* mean of its
    captured batches' ratios (the ratios span orders of magnitude).  Sequences of one
    step give NaN.

Where the numbers go
    ``history.history["<stat>/<layer>"]`` — one float per epoch (flat keys, so CSV,
    TensorBoard and :func:`backprop.plot.gradient_flow` read them), and the same numbers
    as ``history.layers[layer][stat]`` (a view built from the flat keys).

Cost
    Statistics are taken on *one* batch per epoch (the last full batch) — or every
    ``every`` batches; the values of an epoch are then the mean over its captured
    batches.  On the other batches the forward hooks return at once and nothing is
    copied.  On a captured batch the norms are a few ``np.vdot`` calls and the weights
    are copied once (for the update ratio).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["Monitor", "STATS", "TIME_STATS", "layer_stat_key", "parametrized_layers"]

STATS = ("grad_norm", "bias_grad_norm", "weight_norm", "update_ratio", "act_mean", "act_std", "dead_frac",
         "saturated_frac")
# recorded for recurrent layers only (a NaN column for every Linear would be noise)
TIME_STATS = ("time_grad_ratio",)

_SAT_LOW, _SAT_HIGH = 0.01, 0.99


def layer_stat_key(stat: str, layer: str) -> str:
    """The flat History key of ``stat`` for ``layer``: ``"<stat>/<layer>"``."""
    return f"{stat}/{layer}"


def _activation_kind(module) -> str | None:
    """``"relu"``, ``"sigmoid"``, ``"tanh"``, ``"other"`` (another activation) or None (not an activation)."""
    from ..nn import activations as act
    if isinstance(module, act.ReLU):
        return "relu"
    if isinstance(module, act.Sigmoid):
        return "sigmoid"
    if isinstance(module, act.Tanh):
        return "tanh"
    if isinstance(module, act.Softmax):  # output layers: probabilities, not hidden units
        return None
    if isinstance(module, act._Activation):
        return "other"
    return None


def parametrized_layers(model):
    """``[(name, module, activation_module_or_None), ...]`` in ``named_modules`` order.

    A layer is a module owning at least one parameter itself.  The activation of a layer
    is the first activation module that comes after it (before the next layer) in the
    depth-first module order — the order a Sequential runs them in.
    """
    layers, last = [], None
    for name, module in model.named_modules():
        if any(p is not None for p in module._parameters.values()):
            entry = [name or type(module).__name__, module, None]
            layers.append(entry)
            last = entry
        elif last is not None and last[2] is None and _activation_kind(module) is not None:
            last[2] = module
    return [tuple(entry) for entry in layers]


def _is_recurrent(module) -> bool:
    from ..nn.recurrent import _RecurrentBase
    return isinstance(module, _RecurrentBase)


def _per_step_norms(g, time_axis: int) -> list:
    """‖g_t‖ over every axis but ``time_axis``, in float64 (float32 squares of tiny gradients underflow)."""
    g = np.asarray(g, dtype=np.float64)
    other = tuple(a for a in range(g.ndim) if a != time_axis)
    return [float(v) for v in np.sqrt(np.sum(g * g, axis=other))]


def _first_over_last(norms) -> float:
    if len(norms) < 2:
        return math.nan
    first, last = norms[0], norms[-1]
    if not (math.isfinite(first) and math.isfinite(last)):
        return math.nan
    if last == 0:
        return math.nan if first == 0 else math.inf
    return first / last


def _geometric_mean(values) -> float:
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return math.nan
    zero, inf = any(v == 0 for v in values), any(math.isinf(v) for v in values)
    if zero or inf:
        return math.nan if zero and inf else (0.0 if zero else math.inf)
    return math.exp(sum(math.log(v) for v in values) / len(values))


def _array(output):
    if isinstance(output, (tuple, list)):
        output = output[0]
    return np.asarray(getattr(output, "data", output))


def _sq(a) -> float:
    # np.vdot flattens; float64 accumulation keeps float32 sums of many squares accurate enough
    return float(np.vdot(a, a)) if a.size else 0.0


class _Layer:
    __slots__ = ("name", "module", "activation", "kind", "weights", "biases", "acc", "count", "before",
                 "out_stats", "act_stats", "last", "recurrent", "steps", "ratios")

    def __init__(self, name, module, activation):
        self.name, self.module, self.activation = name, module, activation
        self.kind = _activation_kind(activation) if activation is not None else None
        params = [(n, p) for n, p in module._parameters.items() if p is not None and p.requires_grad]
        self.biases = [p for n, p in params if n.startswith("bias")]
        self.weights = [p for n, p in params if not n.startswith("bias")] or self.biases
        self.acc = {}
        self.count = {}
        self.before = None
        self.out_stats = None
        self.act_stats = None
        self.last = {}
        self.recurrent = _is_recurrent(module)
        self.steps = {}  # per-step gradient norms of the captured batch (recurrent layers)
        self.ratios = []  # time_grad_ratio of each captured batch of the epoch

    def add(self, stat, value):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return
        self.last[stat] = value
        self.acc[stat] = self.acc.get(stat, 0.0) + value
        self.count[stat] = self.count.get(stat, 0) + 1


class Monitor:
    """Per-layer gradient-flow statistics of ``model`` during training.

    Parameters
    ----------
    model : Module
    every : int or None
        None (default): capture one batch per epoch (the last full-size batch).  An int N:
        capture every N-th batch (batches N-1, 2N-1, ...); an epoch's values are the means
        over its captured batches.

    Use with ``fit(model, ..., monitor=True)`` (which builds ``Monitor(model)``) or
    ``fit(..., monitor=Monitor(model, every=10))``.  By hand::

        mon = Monitor(model)
        mon.begin_epoch(n_batches)
        for i, (xb, yb) in enumerate(batches):
            mon.begin_batch(i, xb.shape[0])
            loss = loss_fn(model(Tensor(xb)), yb); model.zero_grad(); loss.backward()
            mon.after_backward(); optimizer.step(); mon.after_step()
        stats = mon.end_epoch()   # {layer: {stat: value}}
        mon.remove()

    Attributes
    ----------
    layers : list of str
        Names of the monitored layers, input side first.
    records : list of dict
        One ``{"epoch", "batch", layer: {stat: value}}`` entry per captured batch.
    """

    def __init__(self, model, every: int | None = None):
        if not hasattr(model, "named_modules"):
            raise TypeError(f"Monitor: model must be a backprop.nn.Module, got {type(model).__name__}")
        if every is not None and (isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1):
            raise ValueError(f"Monitor: every must be None (one batch per epoch) or a positive int, got {every!r}")
        self.model = model
        self.every = None if every is None else int(every)
        self._layers = [_Layer(*entry) for entry in parametrized_layers(model)]
        self.layers = [layer.name for layer in self._layers]
        self.records: list[dict] = []
        self.capturing = False
        self.epoch = -1
        self._n_batches = 0
        self._batch = 0
        self._capture_batch = None
        self._handles = []
        for layer in self._layers:
            self._handles.append(layer.module.register_forward_hook(self._out_hook(layer)))
            if layer.activation is not None:
                self._handles.append(layer.activation.register_forward_hook(self._act_hook(layer)))

    # ------------------------------------------------------------------ hooks
    def _out_hook(self, layer):
        def hook(module, inputs, output):
            if self.capturing:
                a = _array(output)
                layer.out_stats = (float(a.mean()), float(a.std())) if a.size else (math.nan, math.nan)
                if layer.recurrent and "output_grad_per_step" not in layer.steps:
                    out = output[0] if isinstance(output, (tuple, list)) else output
                    if getattr(out, "requires_grad", False):
                        axis = 1 if module.batch_first else 0
                        layer.steps["output_grad_per_step"] = None  # probed: a second call is not
                        out.register_hook(lambda g: layer.steps.__setitem__(
                            "output_grad_per_step", _per_step_norms(g, axis)))
        return hook

    def _arm_time_probes(self) -> None:
        """Make each recurrent layer's next forward read an input whose gradient we can hook."""
        for layer in self._layers:
            # an instance-level forward already there is either our armed probe or the user's own: keep it
            if layer.recurrent and "forward" not in layer.module.__dict__:
                layer.module.__dict__["forward"] = self._time_probe(layer)

    def _disarm_time_probes(self) -> None:
        for layer in self._layers:
            if layer.recurrent:
                probe = layer.module.__dict__.get("forward")
                if getattr(probe, "_monitor", None) is self:
                    del layer.module.__dict__["forward"]

    def _time_probe(self, layer):
        module = layer.module
        original = type(module).forward

        def forward(x, *args, **kwargs):
            del module.__dict__["forward"]  # one probe per captured batch; later calls run as usual
            from ..autograd.tensor import Tensor
            from ..nn.layers import as_input_tensor
            x = as_input_tensor(x, module.weight_ih_l0.dtype, type(module).__name__)
            if x.requires_grad:
                probe = x.reshape(x.shape)  # an identity node: exactly the gradient that enters this layer
            elif x.dtype.kind == "f":
                probe = Tensor(x.data, requires_grad=True)  # raw data: a leaf only for this measurement
            else:
                return original(module, x, *args, **kwargs)  # let the layer raise its own dtype error
            axis = 1 if module.batch_first else 0
            probe.register_hook(lambda g: layer.steps.__setitem__("input_grad_per_step", _per_step_norms(g, axis)))
            return original(module, probe, *args, **kwargs)

        forward._monitor = self
        return forward

    def _act_hook(self, layer):
        def hook(module, inputs, output):
            if not self.capturing:
                return
            a = _array(output)
            if not a.size:
                return
            dead = sat = math.nan
            if layer.kind == "relu":
                alive = (a > 0).reshape(a.shape[0], -1).any(axis=0) if a.ndim > 1 else (a > 0).any(keepdims=True)
                dead = 1.0 - float(alive.mean())
            elif layer.kind == "sigmoid":
                sat = float(np.mean((a < _SAT_LOW) | (a > _SAT_HIGH)))
            elif layer.kind == "tanh":
                sat = float(np.mean(np.abs(a) > _SAT_HIGH))
            layer.act_stats = (float(a.mean()), float(a.std()), dead, sat)
        return hook

    # ------------------------------------------------------------------ training-loop protocol
    def begin_epoch(self, n_batches: int, last_batch_size: int | None = None, batch_size: int | None = None,
                    epoch: int | None = None) -> None:
        """Start an epoch of ``n_batches`` batches (the capture batch is chosen here)."""
        self.epoch = self.epoch + 1 if epoch is None else int(epoch)
        self._n_batches = int(n_batches)
        capture = self._n_batches - 1
        # a tiny remainder batch (say 1 sample) would make every ReLU look dead: use the one before
        if (capture > 0 and last_batch_size is not None and batch_size is not None
                and last_batch_size < batch_size // 2):
            capture -= 1
        self._capture_batch = capture
        for layer in self._layers:
            layer.acc, layer.count, layer.ratios = {}, {}, []

    def begin_batch(self, batch: int, size: int | None = None) -> bool:
        """Decide whether this batch is captured (returns the decision); call before the forward pass."""
        self._batch = int(batch)
        if self.every is not None:
            self.capturing = (self._batch + 1) % self.every == 0
        else:
            self.capturing = self._batch == self._capture_batch
        if self.capturing:
            for layer in self._layers:
                layer.out_stats = layer.act_stats = None
                layer.last, layer.steps = {}, {}
            self._arm_time_probes()
        else:
            self._disarm_time_probes()
        return self.capturing

    def after_backward(self) -> None:
        """Read the gradient norms and copy the weights (for the update ratio); before clipping/stepping."""
        if not self.capturing:
            return
        self._disarm_time_probes()
        for layer in self._layers:
            if layer.recurrent:
                ratio = _first_over_last(layer.steps.get("input_grad_per_step") or ())
                if not math.isnan(ratio):
                    layer.ratios.append(ratio)
                    layer.last["time_grad_ratio"] = ratio
            g = [p.grad for p in layer.weights if p.grad is not None]
            layer.before = [p.data.copy() for p in layer.weights]
            layer.add("grad_norm", math.sqrt(sum(_sq(x) for x in g)) if g else math.nan)
            gb = [p.grad for p in layer.biases if p.grad is not None]
            if layer.biases and layer.weights is not layer.biases:
                layer.add("bias_grad_norm", math.sqrt(sum(_sq(x) for x in gb)) if gb else math.nan)

    def after_step(self) -> None:
        """Weight norms, update ratios and activation statistics of the captured batch."""
        if not self.capturing:
            return
        record = {"epoch": self.epoch, "batch": self._batch}
        for layer in self._layers:
            w_sq = sum(_sq(p.data) for p in layer.weights)
            layer.add("weight_norm", math.sqrt(w_sq))
            if layer.before is not None:
                before_sq = sum(_sq(b) for b in layer.before)
                delta_sq = sum(_sq(p.data - b) for p, b in zip(layer.weights, layer.before))
                layer.add("update_ratio", math.sqrt(delta_sq) / math.sqrt(before_sq) if before_sq > 0 else math.nan)
                layer.before = None
            self._add_activation_stats(layer)
            record[layer.name] = dict(layer.last)
            record[layer.name].update({k: v for k, v in layer.steps.items() if v is not None})
        self.records.append(record)
        self.capturing = False

    def _add_activation_stats(self, layer):
        if layer.act_stats is not None:
            mean, std, dead, sat = layer.act_stats
            layer.add("act_mean", mean)
            layer.add("act_std", std)
            layer.add("dead_frac", dead)
            layer.add("saturated_frac", sat)
        elif layer.out_stats is not None:
            layer.add("act_mean", layer.out_stats[0])
            layer.add("act_std", layer.out_stats[1])
        layer.out_stats = layer.act_stats = None

    def capture_now(self) -> None:
        """Capture the next forward/backward regardless of the schedule (used by :func:`diagnose`)."""
        self.capturing = True
        for layer in self._layers:
            layer.out_stats = layer.act_stats = None
            layer.acc, layer.count, layer.last, layer.steps, layer.ratios = {}, {}, {}, {}, []
        self._arm_time_probes()

    def end_epoch(self) -> dict:
        """``{layer: {stat: value}}`` for the epoch: the mean over its captured batches (NaN if none)."""
        self._disarm_time_probes()
        if self.capturing:  # captured a forward/backward but no step came (diagnose, or a stop)
            for layer in self._layers:
                self._add_activation_stats(layer)
                layer.before = None
            self.capturing = False
        stats = {}
        for layer in self._layers:
            stats[layer.name] = {s: (layer.acc[s] / layer.count[s]) if layer.count.get(s) else math.nan
                                 for s in STATS}
            if layer.recurrent:
                stats[layer.name]["time_grad_ratio"] = _geometric_mean(layer.ratios)
        return stats

    @staticmethod
    def flat(stats: dict) -> dict:
        """``{"<stat>/<layer>": value}`` of an :meth:`end_epoch` result (the History keys)."""
        return {layer_stat_key(stat, name): value for name, row in stats.items() for stat, value in row.items()}

    def remove(self) -> None:
        """Unregister every hook (the model is as before)."""
        for handle in self._handles:
            handle.remove()
        self._handles = []
        self._disarm_time_probes()
        self.capturing = False

    def __repr__(self) -> str:
        return f"Monitor(layers={self.layers}, every={self.every})"
