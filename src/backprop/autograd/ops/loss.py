"""Fused loss primitives: each computes the reduced loss and its gradient in one node.

Why fused?  Stability and speed.  Cross-entropy from logits must never form ``log(softmax)``
(it overflows for logits of magnitude 1e4), and its gradient is simply
``softmax(z) - q`` (q the target distribution), far cheaper than differentiating through
log-softmax, a gather and a mean.  The pointwise regression losses are fused too, so that a
loss is one graph node whatever its reduction and weighting.

The ops here do the math only; :mod:`backprop.nn.functional` validates user input (shapes,
dtypes, class ranges, NaN) and prepares the arrays passed as attributes.

Reduction and weights (shared by every op)
------------------------------------------
With elementwise (or per-sample) losses l_i and optional sample weights s_i (broadcast over
the trailing axes of l):

* ``'none'``: s_i l_i, elementwise;
* ``'sum'``:  Σ s_i l_i;
* ``'mean'``: Σ s_i l_i / Σ s_i  (the plain mean when there are no sample weights).

Backward spreads the upstream g back: ∂L/∂l_i = g s_i (/ Σ s_i for ``'mean'``).
"""

from __future__ import annotations

import numpy as np

from ..function import Function


class _ReducedLoss(Function):
    """Shared bookkeeping: reduce an elementwise loss and spread g back over it."""

    def _reduce(self, l, reduction, sample_weight, denominator):
        """Apply the sample weights and the reduction; remember what backward needs.

        ``sample_weight`` is None or an array broadcastable to ``l`` (trailing axes of size 1);
        ``denominator`` is the Python float Σ s_i over all elements (used by ``'mean'``).
        """
        self.reduction = reduction
        self.sample_weight = sample_weight
        if sample_weight is not None:
            l = l * sample_weight
        if reduction == "none":
            return l
        total = l.sum()
        if reduction == "sum":
            return total
        self.denominator = denominator if sample_weight is not None else l.size
        return total / self.denominator

    def _spread(self, g):
        """∂L/∂l_i, broadcastable to the elementwise loss's shape."""
        if self.reduction == "mean":
            g = g / self.denominator
        if self.sample_weight is not None:
            g = g * self.sample_weight
        return g


# ---------------------------------------------------------------------------------------
# Pointwise regression losses of the difference d = prediction - target
# ---------------------------------------------------------------------------------------
class _PointwiseLoss(_ReducedLoss):
    """l = f(d) with d = prediction - target; ∂l/∂prediction = f'(d) = -∂l/∂target."""

    def forward(self, prediction, target, reduction="mean", sample_weight=None, denominator=1.0, **params):
        self.d = prediction - target
        self.params = params
        return self._reduce(self._value(self.d, **params), reduction, sample_weight, denominator)

    def backward(self, g):
        grad = self._spread(g) * self._derivative(self.d, **self.params)
        needs_prediction, needs_target = self.needs_input_grad
        return (grad if needs_prediction else None), (-grad if needs_target else None)


class SquaredError(_PointwiseLoss):
    """l = d²;  ∂l/∂prediction = 2d.  (PyTorch's MSELoss: no ½.)"""

    @staticmethod
    def _value(d):
        return d * d

    @staticmethod
    def _derivative(d):
        return 2 * d


class AbsoluteError(_PointwiseLoss):
    """l = |d|;  ∂l/∂prediction = sign(d), 0 at d = 0 (PyTorch's subgradient)."""

    @staticmethod
    def _value(d):
        return np.abs(d)

    @staticmethod
    def _derivative(d):
        return np.sign(d)


class Huber(_PointwiseLoss):
    """l = ½d² for |d| <= δ, δ(|d| - ½δ) otherwise;  ∂l/∂prediction = clip(d, -δ, δ)."""

    @staticmethod
    def _value(d, delta):
        abs_d = np.abs(d)
        return np.where(abs_d <= delta, 0.5 * d * d, delta * (abs_d - 0.5 * delta))

    @staticmethod
    def _derivative(d, delta):
        return np.clip(d, -delta, delta)


class SmoothL1(_PointwiseLoss):
    """l = ½d²/β for |d| < β, |d| - ½β otherwise (β = 0: |d|);  l = Huber_β / β.

    ∂l/∂prediction = d/β for |d| < β, sign(d) otherwise.
    """

    @staticmethod
    def _value(d, beta):
        abs_d = np.abs(d)
        if beta == 0:
            return abs_d
        return np.where(abs_d < beta, (0.5 / beta) * d * d, abs_d - 0.5 * beta)

    @staticmethod
    def _derivative(d, beta):
        if beta == 0:
            return np.sign(d)
        return np.clip(d * (1.0 / beta), -1.0, 1.0)


# ---------------------------------------------------------------------------------------
# Binary cross-entropy
# ---------------------------------------------------------------------------------------
_LOG_FLOOR = -100.0  # PyTorch clamps log(p) at -100 so that p = 0 or 1 gives a finite loss
# PyTorch's floor on p(1 - p) in the backward; it is the float32 number nearest 1e-12
# (9.99999996e-13) even in float64, kept here so gradients at p = 0 or 1 agree to the last digit.
_BCE_EPSILON = float(np.float32(1e-12))


class BinaryCrossEntropy(_ReducedLoss):
    """l = -w [y log p + (1 - y) log(1 - p)], each log clamped to >= -100 (PyTorch).

    ∂l/∂p = w (p - y) / max(p(1 - p), 1e-12)  (PyTorch's formula, finite at p = 0 and 1).
    The target y and rescaling weight w are constants (attributes).
    """

    def forward(self, p, target, weight=None, reduction="mean", sample_weight=None, denominator=1.0):
        self.p, self.y, self.w = p, target, weight
        with np.errstate(divide="ignore"):  # log(0) = -inf, clamped just below
            log_p = np.maximum(np.log(p), _LOG_FLOOR)
            log_1mp = np.maximum(np.log1p(-p), _LOG_FLOOR)
        # PyTorch's arrangement (y - 1) log(1 - p) - y log p: exact when y is 0 or 1 (no
        # cancellation of two large logs when p is close to y).
        l = (target - 1) * log_1mp - target * log_p
        if weight is not None:
            l = l * weight
        return self._reduce(l, reduction, sample_weight, denominator)

    def backward(self, g):
        p = self.p
        grad = self._spread(g) * (p - self.y) / np.maximum(p * (1 - p), _BCE_EPSILON)
        if self.w is not None:
            grad = grad * self.w
        return (grad,)


class BinaryCrossEntropyWithLogits(_ReducedLoss):
    """Binary cross-entropy of σ(z), computed from the logit z without forming σ(z).

    l = w [(1 - y) z + λ softplus(-z)],  λ = 1 + (pos_weight - 1) y,
    softplus(-z) = max(-z, 0) + log(1 + e^{-|z|})  (finite for any z);
    without pos_weight this is max(z, 0) - z y + log(1 + e^{-|z|}).

    ∂l/∂z = w [(1 - y) - λ (1 - σ(z))],  = w (σ(z) - y) without pos_weight.
    """

    def forward(self, z, target, weight=None, pos_weight=None, reduction="mean", sample_weight=None,
                denominator=1.0):
        self.z, self.y, self.w = z, target, weight
        self.e = np.exp(-np.abs(z))  # e^{-|z|} in (0, 1]: σ(z) without overflow
        softplus_neg = np.maximum(-z, 0) + np.log1p(self.e)
        if pos_weight is None:
            self.lam = None
            l = (1 - target) * z + softplus_neg
        else:
            self.lam = 1 + (pos_weight - 1) * target
            l = (1 - target) * z + self.lam * softplus_neg
        if weight is not None:
            l = l * weight
        return self._reduce(l, reduction, sample_weight, denominator)

    def backward(self, g):
        z, e, y = self.z, self.e, self.y
        sigma = np.where(z >= 0, 1, e) / (1 + e)
        local = sigma - y if self.lam is None else (1 - y) - self.lam * (1 - sigma)
        grad = self._spread(g) * local
        if self.w is not None:
            grad = grad * self.w
        return (grad,)


# ---------------------------------------------------------------------------------------
# Class losses: cross-entropy from logits and NLL from log-probabilities
# ---------------------------------------------------------------------------------------
def _to_rows(x):
    """(N, C, d1, ...) -> (N·d1·..., C) with the class axis last; (C,) -> (1, C)."""
    if x.ndim == 1:
        return x[None, :]
    if x.ndim == 2:
        return x
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _from_rows(grad, shape):
    """Inverse of :func:`_to_rows`."""
    if len(shape) == 1:
        return grad[0]
    if len(shape) == 2:
        return grad
    return np.moveaxis(grad.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],)), -1, 1)


class _ClassLoss(Function):
    """Per-row losses l_i over rows i of (M, C), reduced like PyTorch's NLL family.

    ``r`` (M,) is the per-row factor (sample weight, 0 for ignored rows) or None for all ones.
    ``'mean'`` divides by ``denominator`` (Σ r_i w_{y_i} for index targets, Σ r_i for
    probability targets); a zero denominator gives NaN, as in PyTorch.
    """

    def _reduce_rows(self, l, r, reduction, denominator, out_shape):
        self.r, self.reduction, self.denominator = r, reduction, denominator
        if r is not None:
            l = l * r
        if reduction == "none":
            return l.reshape(out_shape)
        total = l.sum()
        if reduction == "sum":
            return total
        if denominator == 0:
            return np.full((), np.nan, dtype=l.dtype)
        return total / denominator

    def _row_coefficients(self, g):
        """G_i = ∂L/∂l_i: a scalar (0-d array) or an (M,) array."""
        if self.reduction == "none":
            g = g.reshape(-1)
        elif self.reduction == "mean":
            g = g / self.denominator if self.denominator != 0 else g * 0
        return g if self.r is None else g * self.r


class CrossEntropy(_ClassLoss):
    """Cross-entropy from logits: log-softmax and negative log-likelihood in one op.

    Rows i of the logits z (class axis 1 moved last), p_i = softmax(z_i), log p_i = z_i - m_i
    - log Σ_c e^{z_ic - m_i} with m_i = max_c z_ic (stable for any magnitude).

    *Index targets* y_i, class weights w (ones if None), label smoothing ε:
        l_i = (1 - ε) w_{y_i} (-log p_{i y_i}) + (ε / C) Σ_c w_c (-log p_ic)
        ∂l_i/∂z_ic = p_ic [(1 - ε) w_{y_i} + ε W / C] - (1 - ε) w_{y_i} [c = y_i] - (ε / C) w_c,
        W = Σ_c w_c;  ``'mean'`` divides by Σ_i r_i w_{y_i} (PyTorch, also with smoothing).

    *Probability targets* q_i (rows of the logits' shape):
        Q_ic = w_c [(1 - ε) q_ic + ε / C],  l_i = -Σ_c Q_ic log p_ic,
        ∂l_i/∂z_ic = p_ic Σ_c Q_ic - Q_ic;  ``'mean'`` divides by Σ_i r_i (N·d1·... if r is None).

    Backward is softmax minus the (weighted) target distribution, scaled by ∂L/∂l_i.
    """

    def forward(self, z, target, probabilities=False, weight=None, r=None, label_smoothing=0.0,
                reduction="mean", denominator=1.0):
        self.shape = z.shape
        z2 = _to_rows(z)
        n_rows, n_classes = z2.shape
        eps = float(label_smoothing)
        self.eps, self.w, self.probabilities = eps, weight, probabilities
        shifted = z2 - z2.max(axis=1, keepdims=True)
        if probabilities:
            q = _to_rows(target)
            if eps:
                q = q * (1 - eps) + eps / n_classes
            if weight is not None:
                q = q * weight
            self.q = q
            self.q_sum = q.sum(axis=1)
            cross = np.einsum("ij,ij->i", q, shifted)  # Σ_c Q_ic (z_ic - m_i), no temporary
        else:
            y = target.reshape(-1)
            self.y = y
            rows = np.arange(n_rows)
            nll = -shifted[rows, y]  # becomes -log p_{i y_i} once log Σ e is added
            if eps:
                smooth = -(shifted.sum(axis=1) if weight is None else shifted @ weight)
        e = np.exp(shifted, out=shifted)  # shifted is ours: reuse its memory for e^{z - m}
        s = e.sum(axis=1)
        log_s = np.log(s)
        self.e, self.s = e, s
        if probabilities:
            l = log_s * self.q_sum - cross
        else:
            nll += log_s
            if weight is not None:
                self.w_y = weight[y]
                nll *= self.w_y
            if eps:
                total_w = float(n_classes) if weight is None else float(weight.sum())
                smooth += total_w * log_s
                l = (1 - eps) * nll + (eps / n_classes) * smooth
            else:
                l = nll
        out_shape = () if z.ndim == 1 else (z.shape[0],) + z.shape[2:]
        return self._reduce_rows(l, r, reduction, denominator, out_shape)

    def backward(self, g):
        G = self._row_coefficients(g)
        G_col = G[:, None] if G.ndim else G
        e, s, eps = self.e, self.s, self.eps
        n_classes = e.shape[1]
        if self.probabilities:
            grad = e * (G * self.q_sum / s)[:, None]
            grad -= G_col * self.q
            return (_from_rows(grad, self.shape),)
        w = self.w
        # Coefficient of the true class's one-hot term: G_i (1 - ε) w_{y_i}.
        hot = G * (1 - eps) if w is None else G * (1 - eps) * self.w_y
        if eps:
            total_w = float(n_classes) if w is None else float(w.sum())
            coefficient = hot + G * (eps * total_w / n_classes)
        else:
            coefficient = hot
        grad = e * (coefficient / s)[:, None]
        grad[np.arange(e.shape[0]), self.y] -= hot
        if eps:
            uniform = (eps / n_classes) if w is None else (eps / n_classes) * w
            grad -= G_col * uniform
        return (_from_rows(grad, self.shape),)


class NLL(_ClassLoss):
    """Negative log-likelihood on log-probabilities x: l_i = -w_{y_i} x_{i y_i}.

    ∂l_i/∂x_ic = -w_{y_i} [c = y_i];  ``'mean'`` divides by Σ_i r_i w_{y_i} (PyTorch).
    """

    def forward(self, x, target, weight=None, r=None, reduction="mean", denominator=1.0):
        self.shape = x.shape
        x2 = _to_rows(x)
        self.y = y = target.reshape(-1)
        self.w_y = None if weight is None else weight[y]
        l = -x2[np.arange(x2.shape[0]), y]
        if weight is not None:
            l = l * self.w_y
        out_shape = () if x.ndim == 1 else (x.shape[0],) + x.shape[2:]
        self.dtype, self.rows_shape = x.dtype, x2.shape
        return self._reduce_rows(l, r, reduction, denominator, out_shape)

    def backward(self, g):
        G = self._row_coefficients(g)
        grad = np.zeros(self.rows_shape, dtype=self.dtype)
        grad[np.arange(self.rows_shape[0]), self.y] = -G if self.w_y is None else -G * self.w_y
        return (_from_rows(grad, self.shape),)
