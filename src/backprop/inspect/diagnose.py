"""Health report: plain-language findings about a training run or a network, with the numbers.

``diagnose(history)`` reads a :class:`~backprop.train.History` (per-layer statistics when
it was trained with ``fit(..., monitor=True)``; the loss curves always).
``diagnose(model, X, y)`` runs one forward/backward pass on a batch and measures the
per-layer gradient norms and activation statistics at that point.

=====================  ========================================================  =========
code                   rule (defaults)                                           severity
=====================  ========================================================  =========
vanishing_gradients    first layer's grad norm / last layer's < 1e-3             error
exploding_gradients    that ratio > 1e3, or the global grad norm > 1e3 or grew   error
                       more than 100x over the run
vanishing_gradients_   a recurrent layer's time_grad_ratio ||dL/dx_1|| /       error
through_time           ||dL/dx_T|| (first time step's input gradient over the
                       last's, see backprop.inspect.monitor) < 1e-3
exploding_gradients_   that ratio > 1e3                                          error
through_time
dead_relus             > 50% of a layer's ReLU units output 0 for a whole batch  warning
saturation             > 50% of a layer's sigmoid/tanh outputs saturated         warning
lr_too_high            NaN/divergence, final loss > first loss, the loss         error
                       oscillating (most differences change sign, swings > 10%
                       of the loss), or update ratio ‖Δw‖/‖w‖ > 1
lr_too_low             median update ratio < 1e-5 while the loss moved < 5%      warning
overfitting            validation loss rising >= 3 epochs past its minimum       warning
                       while the training loss kept falling
=====================  ========================================================  =========

Each finding carries the cure the seeds name (ReLU, He init, batch norm, residual
connections, clipping, a lower learning rate, dropout, weight decay, early stopping;
gated cells and truncated backpropagation through time for recurrent layers).

The through-time rules need the per-step input gradients of RNN/GRU/LSTM layers: a
History has them as ``time_grad_ratio/<layer>`` when it was trained with
``fit(..., monitor=True)``; ``diagnose(model, X, y)`` measures them on its batch (the
recurrent layers' inputs are made to require grad for that pass).  The ratio is
meaningful when the loss reads the last steps (a sequence classifier); with a loss on
every step each input also gets a direct gradient and the ratio stays near 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["diagnose", "Report", "Finding", "CURES"]

CURES = {
    "vanishing_gradients": "use ReLU activations with He initialization, add batch normalization, or add "
                           "residual (skip) connections",
    "exploding_gradients": "clip gradients (fit(..., clip_grad_norm=1.0)), lower the learning rate, use a "
                           "smaller (Xavier/He) initialization, weight regularization or batch normalization",
    "vanishing_gradients_through_time": "use a gated cell (GRU or LSTM; for an LSTM a forget-gate bias of 1 or "
                                        "more), shorter sequences or truncated backpropagation through time, "
                                        "or an initialization of weight_hh that keeps its spectral radius "
                                        "near 1 (orthogonal)",
    "exploding_gradients_through_time": "clip gradients (fit(..., clip_grad_norm=1.0)), scale weight_hh down "
                                        "(spectral radius below 1, e.g. orthogonal x 0.9), lower the learning "
                                        "rate, use a gated cell (GRU/LSTM), or shorter sequences / truncated "
                                        "backpropagation through time",
    "dead_relus": "lower the learning rate, use He initialization with zero biases, or LeakyReLU",
    "saturation": "use ReLU in hidden layers, Xavier initialization for sigmoid/tanh, batch normalization, "
                  "and standardize the inputs",
    "lr_too_high": "lower the learning rate (try 10x smaller) or clip gradients",
    "lr_too_low": "raise the learning rate (try 10x larger) or use an adaptive optimizer such as Adam",
    "overfitting": "add dropout or weight decay, use early stopping (EarlyStopping(patience=...)), or get "
                   "more data",
}

_TITLES = {
    "vanishing_gradients": "vanishing gradients",
    "exploding_gradients": "exploding gradients",
    "vanishing_gradients_through_time": "vanishing gradients through time",
    "exploding_gradients_through_time": "exploding gradients through time",
    "dead_relus": "dead ReLUs",
    "saturation": "saturated units",
    "lr_too_high": "learning rate too high",
    "lr_too_low": "learning rate too low",
    "overfitting": "overfitting",
}


@dataclass
class Finding:
    """One problem found: ``code`` (a key of :data:`CURES`), ``severity`` ('warning' or
    'error'), a plain-language ``message`` with the number behind it, that number
    (``value``) and the ``cure``."""

    code: str
    severity: str
    message: str
    value: float
    cure: str

    @property
    def title(self) -> str:
        return _TITLES.get(self.code, self.code)

    def __str__(self) -> str:
        return f"[{self.severity}] {self.message}\n    cure: {self.cure}"


@dataclass
class Report:
    """The result of :func:`diagnose`.

    Attributes
    ----------
    findings : list of Finding
    layers : dict
        ``{layer: {stat: value}}`` the report was based on (the last epoch of a history,
        or the measured batch of a model).
    source : str
        ``"history"`` or ``"model"``.
    """

    findings: list = field(default_factory=list)
    layers: dict = field(default_factory=dict)
    source: str = "history"

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.findings

    @property
    def codes(self) -> list:
        return [f.code for f in self.findings]

    def __contains__(self, code: str) -> bool:
        return code in self.codes

    def __str__(self) -> str:
        head = f"health report ({self.source}"
        head += f", {len(self.layers)} monitored layers)" if self.layers else ")"
        if not self.findings:
            return head + ": no problems found"
        lines = [f"{head}: {len(self.findings)} finding(s)"]
        lines += [f"- {f}" for f in self.findings]
        return "\n".join(lines)


def _finite(values):
    a = np.asarray(values, dtype=np.float64).reshape(-1)
    return a[np.isfinite(a)]


def _fmt(v: float) -> str:
    return f"{v:.2g}" if abs(v) >= 1e-3 and abs(v) < 1e4 else f"{v:.1e}"


# ---------------------------------------------------------------------------------------------- layer rules
def _layers_over(layers: dict, key: str, threshold: float) -> tuple[dict, str | None]:
    """``{layer: row[key]}`` for the layers whose finite ``key`` exceeds ``threshold``, and the worst one."""
    values = {n: row.get(key, math.nan) for n, row in layers.items()}
    over = {n: v for n, v in values.items() if math.isfinite(v) and v > threshold}
    return over, (max(over, key=over.get) if over else None)


def _layer_findings(layers: dict, where: str, thresholds: dict) -> list:
    findings = []
    names = [n for n, row in layers.items() if math.isfinite(row.get("grad_norm", math.nan))]
    if len(names) >= 2:
        first, last = layers[names[0]]["grad_norm"], layers[names[-1]]["grad_norm"]
        if last > 0:
            ratio = first / last
            if ratio < thresholds["vanishing_ratio"]:
                findings.append(Finding(
                    "vanishing_gradients", "error",
                    f"vanishing gradients: the first layer's ({names[0]}) gradient norm is {_fmt(first)}, "
                    f"{ratio:.1e} times the last layer's ({names[-1]}: {_fmt(last)}){where}; the early layers "
                    "barely learn", ratio, CURES["vanishing_gradients"]))
            elif ratio > thresholds["exploding_ratio"]:
                findings.append(Finding(
                    "exploding_gradients", "error",
                    f"exploding gradients: the first layer's ({names[0]}) gradient norm is {_fmt(first)}, "
                    f"{ratio:.1e} times the last layer's ({names[-1]}: {_fmt(last)}){where}", ratio,
                    CURES["exploding_gradients"]))
    dead, worst = _layers_over(layers, "dead_frac", thresholds["dead"])
    if dead:
        findings.append(Finding(
            "dead_relus", "warning",
            f"dead ReLUs: {dead[worst]:.0%} of the units after layer {worst} output 0 for every sample of the "
            f"batch{where} ({len(dead)} layer(s) over {thresholds['dead']:.0%})", dead[worst], CURES["dead_relus"]))
    sat, worst = _layers_over(layers, "saturated_frac", thresholds["saturated"])
    if sat:
        findings.append(Finding(
            "saturation", "warning",
            f"saturated units: {sat[worst]:.0%} of the sigmoid/tanh outputs after layer {worst} are saturated "
            f"(within 0.01 of their limits){where}, so their derivative is near 0 ({len(sat)} layer(s) over "
            f"{thresholds['saturated']:.0%})", sat[worst], CURES["saturation"]))
    return findings


def _time_findings(layers: dict, where, thresholds: dict) -> list:
    """Vanishing/exploding gradients through time from the recurrent layers' ``time_grad_ratio``.

    ``where`` is the text saying where the numbers come from: one string, or one per layer.
    """
    at = where if isinstance(where, dict) else {n: where for n in layers}
    ratios = {n: row["time_grad_ratio"] for n, row in layers.items()
              if not math.isnan(row.get("time_grad_ratio", math.nan))}
    findings = []
    low = {n: v for n, v in ratios.items() if v < thresholds["time_vanishing_ratio"]}
    if low:
        worst = min(low, key=low.get)
        findings.append(Finding(
            "vanishing_gradients_through_time", "error",
            f"vanishing gradients through time: in recurrent layer {worst} the gradient reaching the first "
            f"time step's input is {low[worst]:.1e} times the last step's (||dL/dx_1|| / ||dL/dx_T||){at[worst]}; "
            "the layer cannot learn from what happened early in the sequence", low[worst],
            CURES["vanishing_gradients_through_time"]))
    high = {n: v for n, v in ratios.items() if v > thresholds["time_exploding_ratio"]}
    if high:
        worst = max(high, key=high.get)
        findings.append(Finding(
            "exploding_gradients_through_time", "error",
            f"exploding gradients through time: in recurrent layer {worst} the gradient reaching the first "
            f"time step's input is {high[worst]:.1e} times the last step's (||dL/dx_1|| / ||dL/dx_T||){at[worst]}",
            high[worst], CURES["exploding_gradients_through_time"]))
    return findings


def _history_time_ratios(history) -> dict:
    """``{layer: (epoch, ratio)}``: each recurrent layer's last recorded (non-NaN) ``time_grad_ratio``."""
    from .monitor import TIME_STATS
    found = {}
    for key, column in history.history.items():
        stat, sep, layer = key.partition("/")
        if sep and stat in TIME_STATS:
            values = [(i, float(v)) for i, v in enumerate(column) if not math.isnan(float(v))]
            if values:
                found[layer] = values[-1]
    return found


# ---------------------------------------------------------------------------------------------- history rules
def _last_finite_row(layers_hist: dict) -> tuple[dict, int]:
    """``{layer: {stat: value}}`` at the last epoch where the gradient norms are finite."""
    n = max((len(v) for row in layers_hist.values() for v in row.values()), default=0)
    for epoch in range(n - 1, -1, -1):
        row = {name: {s: (float(v[epoch]) if epoch < len(v) else math.nan) for s, v in stats.items()}
               for name, stats in layers_hist.items()}
        if any(math.isfinite(r.get("grad_norm", math.nan)) for r in row.values()):
            return row, epoch
    return {}, -1


def _loss_findings(history, t: dict) -> list:
    findings = []
    h = history.history
    loss = np.asarray(h.get("loss", []), dtype=np.float64)
    layers_hist = getattr(history, "layers", {}) or {}
    # ---- learning rate too high
    reason = None
    value = math.nan
    if history.stopped_reason == "divergence" or (loss.size and not np.all(np.isfinite(loss))):
        reason = "training diverged (the loss or the gradients became NaN/Inf)"
        value = math.inf
    fl = _finite(loss)
    if reason is None and fl.size >= 2 and fl[-1] > fl[0] * (1 + t["rise"]):
        reason = f"the loss rose from {_fmt(fl[0])} to {_fmt(fl[-1])}"
        value = fl[-1] / fl[0] if fl[0] else math.inf
    if reason is None and fl.size >= 5:
        d = np.diff(fl)
        d = d[d != 0]
        if d.size >= 4:
            changes = float(np.mean(np.sign(d[1:]) != np.sign(d[:-1])))
            swing = float(np.median(np.abs(d)) / max(np.median(np.abs(fl)), 1e-12))
            if changes >= t["oscillation_changes"] and swing > t["oscillation_swing"]:
                reason = (f"the loss oscillates: {changes:.0%} of its epoch-to-epoch changes flip sign, with "
                          f"typical swings of {swing:.0%} of the loss")
                value = changes
    if reason is None and layers_hist:
        ups = [v for row in layers_hist.values() for v in _finite(row.get("update_ratio", []))]
        if ups and float(np.median(ups)) > t["update_high"]:
            value = float(np.median(ups))
            reason = f"each step changes the weights by {_fmt(value)} of their size (healthy: about 1e-3)"
    if reason is not None:
        lr = h.get("lr", [math.nan])
        lr_text = f" (lr={_fmt(lr[0])})" if lr and math.isfinite(lr[0]) else ""
        findings.append(Finding("lr_too_high", "error", f"learning rate too high{lr_text}: {reason}", value,
                                CURES["lr_too_high"]))
    # ---- learning rate too low
    if reason is None and layers_hist and fl.size >= 2:
        ups = [v for row in layers_hist.values() for v in _finite(row.get("update_ratio", []))]
        progress = abs(fl[0] - fl[-1]) / max(abs(fl[0]), 1e-12)
        if ups and float(np.median(ups)) < t["update_low"] and progress < t["progress"]:
            value = float(np.median(ups))
            findings.append(Finding(
                "lr_too_low", "warning",
                f"learning rate too low: the median update ratio ||dw||/||w|| is {_fmt(value)} (healthy: about "
                f"1e-3) and the loss moved only {progress:.1%} ({_fmt(fl[0])} -> {_fmt(fl[-1])})", value,
                CURES["lr_too_low"]))
    # ---- overfitting
    val = np.asarray(h.get("val_loss", []), dtype=np.float64)
    if val.size >= t["overfit_epochs"] + 2 and np.all(np.isfinite(val)) and loss.size == val.size:
        best = int(np.argmin(val))
        rising = val.size - 1 - best
        if (rising >= t["overfit_epochs"] and val[-1] > val[best] * (1 + t["overfit_rise"])
                and loss[-1] < loss[best]):
            findings.append(Finding(
                "overfitting", "warning",
                f"overfitting: the validation loss has risen for {rising} epochs, from {_fmt(val[best])} at epoch "
                f"{best + 1} to {_fmt(val[-1])}, while the training loss fell from {_fmt(loss[best])} to "
                f"{_fmt(loss[-1])}", float(val[-1] / val[best]) if val[best] else math.inf, CURES["overfitting"]))
    # ---- exploding (global norm)
    gn = _finite(h.get("grad_norm", []))
    if gn.size:
        if gn.max() > t["grad_norm_high"]:
            findings.append(Finding(
                "exploding_gradients", "error",
                f"exploding gradients: the global gradient norm reached {_fmt(gn.max())}", float(gn.max()),
                CURES["exploding_gradients"]))
        elif gn.size >= 3 and gn[0] > 0 and gn[-1] / gn[0] > t["grad_growth"]:
            findings.append(Finding(
                "exploding_gradients", "error",
                f"exploding gradients: the global gradient norm grew {gn[-1] / gn[0]:.0f}x, from {_fmt(gn[0])} "
                f"to {_fmt(gn[-1])}", float(gn[-1] / gn[0]), CURES["exploding_gradients"]))
    return findings


# ---------------------------------------------------------------------------------------------- model probe
def _probe(model, X, y, loss, batch_size):
    from ..autograd.tensor import Tensor
    from ..train.inputs import check_xy, model_dtype
    from .monitor import Monitor
    x, y_arr = check_xy(X, y, "diagnose", dtype=model_dtype(model), y_required=True)
    x, y_arr = x[:batch_size], y_arr[:batch_size]
    if loss is None:
        loss = "cross_entropy" if np.issubdtype(np.asarray(y_arr).dtype, np.integer) else "mse"
    if isinstance(loss, str):
        from ..nn.losses import get_loss
        loss = get_loss(loss)
    if loss.__class__.__name__ in ("MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss") and y_arr.ndim == 1:
        y_arr = y_arr.reshape(-1, 1)
    monitor = Monitor(model)
    was_training = model.training
    saved = {n: (p.grad.copy() if p.grad is not None else None) for n, p in model.named_parameters()}
    try:
        model.train()
        monitor.capture_now()
        out = model(Tensor(x))
        value = loss(out, y_arr)
        model.zero_grad()
        value.backward()
        monitor.after_backward()
        stats = monitor.end_epoch()
    finally:
        monitor.remove()
        model.train(was_training)
        for n, p in model.named_parameters():
            p.grad = saved.get(n)
    for layer in monitor._layers:  # no optimizer step here: no update ratio, the current weight norm
        row = stats[layer.name]
        row.pop("update_ratio", None)
        row["weight_norm"] = math.sqrt(sum(float(np.vdot(p.data, p.data)) for p in layer.weights))
    return stats


_DEFAULTS = {"vanishing_ratio": 1e-3, "exploding_ratio": 1e3, "time_vanishing_ratio": 1e-3,
             "time_exploding_ratio": 1e3, "dead": 0.5, "saturated": 0.5, "rise": 0.0,
             "oscillation_changes": 0.5, "oscillation_swing": 0.1, "update_high": 1.0, "update_low": 1e-5,
             "progress": 0.05, "overfit_epochs": 3, "overfit_rise": 0.01, "grad_norm_high": 1e3,
             "grad_growth": 100.0}


def diagnose(history_or_model, X=None, y=None, *, loss=None, batch_size: int = 256, **thresholds) -> Report:
    """Find common training problems and say what to do about them.

    Parameters
    ----------
    history_or_model : History or Module
        A History (ideally from ``fit(..., monitor=True)``), or a model together with
        ``X`` and ``y``: one forward/backward pass on the first ``batch_size`` samples
        measures per-layer gradient norms and activation statistics, and for recurrent
        layers the per-step input-gradient ratio ``time_grad_ratio`` (gradients the model
        had are restored afterwards; its weights are not changed).
    X, y : array_like, optional
        Data for a model.
    loss : loss module or name, optional
        For a model; default ``cross_entropy`` for integer ``y``, else ``mse``.
    batch_size : int
    **thresholds
        Override a rule's threshold (names and defaults in ``_DEFAULTS``: e.g.
        ``vanishing_ratio=1e-3``, ``dead=0.5``, ``overfit_epochs=3``).

    Returns
    -------
    Report
        ``report.findings`` (list of :class:`Finding`), ``str(report)`` for people.
    """
    unknown = set(thresholds) - set(_DEFAULTS)
    if unknown:
        raise TypeError(f"diagnose: unknown threshold(s) {sorted(unknown)}; known: {sorted(_DEFAULTS)}")
    t = {**_DEFAULTS, **thresholds}
    if hasattr(history_or_model, "named_modules"):
        if X is None or y is None:
            raise ValueError("diagnose: a model needs data: diagnose(model, X, y) runs one forward/backward pass "
                             "on a batch; or pass the History of a fit(..., monitor=True) run")
        layers = _probe(history_or_model, X, y, loss, batch_size)
        findings = _layer_findings(layers, " at this batch", t) + _time_findings(layers, " at this batch", t)
        return Report(findings, layers, "model")
    if not hasattr(history_or_model, "history") or not isinstance(history_or_model.history, dict):
        raise TypeError(f"diagnose: expected a History or a Module, got {type(history_or_model).__name__}")
    history = history_or_model
    layers_hist = getattr(history, "layers", {}) or {}
    layers, epoch = _last_finite_row(layers_hist) if layers_hist else ({}, -1)
    findings = _layer_findings(layers, f" (epoch {epoch + 1})", t) if layers else []
    time_ratios = _history_time_ratios(history)
    for name, (_, ratio) in time_ratios.items():
        layers.setdefault(name, {})["time_grad_ratio"] = ratio
    findings += _time_findings({n: {"time_grad_ratio": r} for n, (_, r) in time_ratios.items()},
                               {n: f" (epoch {e + 1})" for n, (e, _) in time_ratios.items()}, t)
    codes = {f.code for f in findings}
    for f in _loss_findings(history, t):
        if f.code not in codes:
            findings.append(f)
            codes.add(f.code)
    return Report(findings, layers, "history")
