"""Fused whole-sequence recurrent layers: one graph node per layer, BPTT in a NumPy loop.

Each op takes a whole sequence ``x`` (L, N, in) and runs one layer of an Elman RNN, a GRU
or an LSTM over it.  Forward computes the input projection of *all* time steps with one
matrix product, ``x Wᵢₕᵀ + b`` over (L·N, in) rows, then loops over time for the
recurrent part only.  Backward is backpropagation through time: a loop over the steps in
reverse that carries dL/dh (and dL/dc) backwards, storing the pre-activation gradients of
every step, after which the weight gradients are again single matrix products over all
L·N rows.  The loops run over time, never over batch items.

Weights, biases and gate order are PyTorch's (``torch.nn.RNN/GRU/LSTM``), so a PyTorch
state dict gives identical results:

* RNN:  h' = act(x Wᵢₕᵀ + bᵢₕ + h Wₕₕᵀ + bₕₕ), act = tanh or relu;
* GRU (gates r, z, n):  r = σ(x Wᵢᵣᵀ + bᵢᵣ + h Wₕᵣᵀ + bₕᵣ),  z likewise,
  n = tanh(x Wᵢₙᵀ + bᵢₙ + r ⊙ (h Wₕₙᵀ + bₕₙ)),  h' = (1 − z) ⊙ n + z ⊙ h;
* LSTM (gates i, f, g, o):  c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c').

The ops are internal building blocks of :mod:`backprop.nn.recurrent`; their outputs are
the per-step hidden states (L, N, H) — for the LSTM packed with the final cell state as
an extra step, (L + 1, N, H), so that one node can hand out both.
"""

from __future__ import annotations

import numpy as np

from ..function import Function


def _sigmoid(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """σ(z) = 1/(1 + e^-z), written into ``out``.

    e^-z overflows to inf for z < -88 (float32), giving the correct limit 0; callers run
    inside ``np.errstate(over="ignore")`` so that this is not a warning.  (np.exp is about
    twice as fast as np.tanh, which dominates a small recurrent step.)
    """
    np.negative(z, out=out)
    np.exp(out, out=out)
    out += 1
    np.reciprocal(out, out=out)
    return out


def _tanh(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """tanh(z) = 2σ(2z) − 1 = 2/(1 + e^-2z) − 1, written into ``out`` (may be ``z``).

    Same overflow behaviour as :func:`_sigmoid`.  NumPy's exp is 2-3x faster than its tanh;
    the price is an absolute (not relative) rounding error of a few ulps near z = 0, far
    below anything a recurrent layer can notice.
    """
    np.multiply(z, -2.0, out=out)
    np.exp(out, out=out)
    out += 1
    np.divide(2.0, out, out=out)
    out -= 1
    return out


class _RecurrentSequence(Function):
    """Shared plumbing: input projection before the loop, weight gradients after BPTT.

    Inputs are ``x, h0, [c0], w_ih, w_hh, [b_ih, b_hh]``; ``n_states`` says how many
    initial states (1, or 2 for the LSTM) come after ``x``.
    """

    n_states = 1

    def _unpack(self, arrays):
        k = self.n_states
        x, states, params = arrays[0], arrays[1:1 + k], arrays[1 + k:]
        if len(params) not in (2, 4):
            raise ValueError(f"{self.name}: expected w_ih, w_hh and optionally b_ih, b_hh, got {len(params)} arrays")
        w_ih, w_hh = params[0], params[1]
        b_ih, b_hh = (params[2], params[3]) if len(params) == 4 else (None, None)
        length, batch, n_in = x.shape
        hidden = w_hh.shape[1]
        if w_ih.shape != (self.gates * hidden, n_in) or w_hh.shape != (self.gates * hidden, hidden):
            raise ValueError(f"{self.name}: weight shapes {w_ih.shape}, {w_hh.shape} do not fit input "
                             f"{x.shape} and {self.gates} gates of size {hidden}")
        for s in states:
            if s.shape != (batch, hidden):
                raise ValueError(f"{self.name}: initial state has shape {s.shape}, expected {(batch, hidden)}")
        self.has_bias = b_ih is not None
        return x, states, w_ih, w_hh, b_ih, b_hh

    @staticmethod
    def _project(x, w_ih, bias):
        """x Wᵢₕᵀ + b for every time step at once: (L, N, in) -> (L, N, gates·H)."""
        length, batch, n_in = x.shape
        gx = x.reshape(length * batch, n_in) @ w_ih.T
        if bias is not None:
            gx += bias
        return gx.reshape(length, batch, -1)

    def _gradients(self, d_state0, dgx, dgh):
        """Assemble (dx, dstates..., dW_ih, dW_hh, [db_ih, db_hh]) from the per-step δs.

        ``dgx`` is dL/d(input projection) and ``dgh`` dL/d(recurrent projection), both
        (L, N, gates·H); they differ only for the GRU's candidate gate.
        """
        needs = self.needs_input_grad
        x, h_prev, w_ih = self.x, self.h_prev, self.w_ih
        length, batch, n_in = x.shape
        rows = length * batch
        dgx_rows = dgx.reshape(rows, -1)
        dgh_rows = dgx_rows if dgh is dgx else dgh.reshape(rows, -1)
        dx = (dgx_rows @ w_ih).reshape(x.shape) if needs[0] else None
        k = 1 + self.n_states
        dw_ih = dgx_rows.T @ x.reshape(rows, n_in) if needs[k] else None
        dw_hh = dgh_rows.T @ h_prev.reshape(rows, -1) if needs[k + 1] else None
        grads = (dx, *[d if need else None for d, need in zip(d_state0, needs[1:k])], dw_ih, dw_hh)
        if self.has_bias:
            db_ih = dgx_rows.sum(axis=0) if needs[k + 2] else None
            db_hh = dgh_rows.sum(axis=0) if needs[k + 3] else None
            grads += (db_ih, db_hh)
        return grads


class RNNSequence(_RecurrentSequence):
    """One Elman RNN layer over a sequence: h_t = act(x_t Wᵢₕᵀ + bᵢₕ + h_{t-1} Wₕₕᵀ + bₕₕ).

    Notes
    -----
    Backward (BPTT), with dL/dh_t = g_t + (carried from step t + 1):
    δ_t = dL/dh_t ⊙ act'(·) (1 − h_t² for tanh, [h_t > 0] for relu);
    dL/dh_{t-1} (carried) = δ_t Wₕₕ;  dL/dWᵢₕ = Σ_t δ_tᵀ x_t;  dL/dWₕₕ = Σ_t δ_tᵀ h_{t-1};
    dL/dbᵢₕ = dL/dbₕₕ = Σ δ_t;  dL/dx_t = δ_t Wᵢₕ.
    """

    gates = 1

    def forward(self, *arrays, nonlinearity="tanh"):
        x, (h0,), w_ih, w_hh, b_ih, b_hh = self._unpack(arrays)
        bias = None if b_ih is None else b_ih + b_hh
        gx = self._project(x, w_ih, bias)
        length = x.shape[0]
        hs = np.empty((length + 1,) + h0.shape, dtype=x.dtype)
        hs[0] = h0
        w_hh_t = w_hh.T
        relu = nonlinearity == "relu"
        with np.errstate(over="ignore"):
            self._loop(length, gx, hs, w_hh_t, relu)
        self.x, self.w_ih, self.w_hh, self.hs, self.h_prev, self.relu = x, w_ih, w_hh, hs, hs[:-1], relu
        return hs[1:]

    @staticmethod
    def _loop(length, gx, hs, w_hh_t, relu):
        for t in range(length):
            z = hs[t + 1]
            np.matmul(hs[t], w_hh_t, out=z)
            z += gx[t]
            if relu:
                np.maximum(z, 0, out=z)
            else:
                _tanh(z, z)

    def backward(self, g):
        hs, w_hh = self.hs, self.w_hh
        length = g.shape[0]
        delta = np.empty(g.shape, dtype=g.dtype)
        dh = g[length - 1].copy()
        for t in range(length - 1, -1, -1):
            h = hs[t + 1]
            d = delta[t]
            if self.relu:
                np.multiply(dh, h > 0, out=d)
            else:
                np.multiply(h, h, out=d)
                np.subtract(1, d, out=d)
                d *= dh
            dh = d @ w_hh
            if t > 0:
                dh += g[t - 1]
        return self._gradients((dh,), delta, delta)


class GRUSequence(_RecurrentSequence):
    """One GRU layer over a sequence (PyTorch's equations, gates r, z, n).

    Notes
    -----
    With aᵣ, a_z the gate pre-activations, gₙ = h Wₕₙᵀ + bₕₙ and aₙ = xWᵢₙᵀ + bᵢₙ + r ⊙ gₙ:
    given dL/dh' (g_t plus what step t + 1 carries back),

    * δₙ = dL/dh' ⊙ (1 − z) ⊙ (1 − n²);  δ_z = dL/dh' ⊙ (h − n) ⊙ z(1 − z);
      δᵣ = δₙ ⊙ gₙ ⊙ r(1 − r);
    * the input projection receives (δᵣ, δ_z, δₙ), the recurrent one (δᵣ, δ_z, r ⊙ δₙ);
    * dL/dh (carried) = dL/dh' ⊙ z + (δᵣ, δ_z, r ⊙ δₙ) Wₕₕ.
    """

    gates = 3

    def forward(self, *arrays):
        x, (h0,), w_ih, w_hh, b_ih, b_hh = self._unpack(arrays)
        gx = self._project(x, w_ih, b_ih)
        length, batch, _ = x.shape
        hidden = h0.shape[1]
        hs = np.empty((length + 1, batch, hidden), dtype=x.dtype)
        hs[0] = h0
        rz = np.empty((length, batch, 2 * hidden), dtype=x.dtype)
        n = np.empty((length, batch, hidden), dtype=x.dtype)
        gn = np.empty((length, batch, hidden), dtype=x.dtype)
        gh = np.empty((batch, 3 * hidden), dtype=x.dtype)
        w_hh_t = w_hh.T
        with np.errstate(over="ignore"):
            self._loop(length, gx, hs, rz, n, gn, gh, w_hh_t, b_hh, hidden)
        self.x, self.w_ih, self.w_hh, self.hs, self.h_prev = x, w_ih, w_hh, hs, hs[:-1]
        self.rz, self.n, self.gn = rz, n, gn
        return hs[1:]

    @staticmethod
    def _loop(length, gx, hs, rz, n, gn, gh, w_hh_t, b_hh, hidden):
        two = 2 * hidden
        for t in range(length):
            np.matmul(hs[t], w_hh_t, out=gh)
            if b_hh is not None:
                gh += b_hh
            rz_t, n_t, h = rz[t], n[t], hs[t + 1]
            np.add(gx[t, :, :two], gh[:, :two], out=rz_t)
            _sigmoid(rz_t, rz_t)
            gn[t] = gh[:, two:]
            np.multiply(rz_t[:, :hidden], gn[t], out=n_t)
            n_t += gx[t, :, two:]
            _tanh(n_t, n_t)
            # h' = (1 - z) n + z h = n + z (h - n)
            np.subtract(hs[t], n_t, out=h)
            h *= rz_t[:, hidden:]
            h += n_t

    def backward(self, g):
        hs, w_hh, rz, n, gn = self.hs, self.w_hh, self.rz, self.n, self.gn
        length, batch, hidden = g.shape
        two = 2 * hidden
        dgx = np.empty((length, batch, 3 * hidden), dtype=g.dtype)
        dgh = np.empty_like(dgx)
        tmp = np.empty((batch, hidden), dtype=g.dtype)
        dh = g[length - 1].copy()
        for t in range(length - 1, -1, -1):
            r, z, n_t = rz[t, :, :hidden], rz[t, :, hidden:], n[t]
            d_x, d_h = dgx[t], dgh[t]
            d_r, d_z, d_n = d_x[:, :hidden], d_x[:, hidden:two], d_x[:, two:]
            # δₙ = dh (1 - z)(1 - n²)
            np.multiply(n_t, n_t, out=d_n)
            np.subtract(1, d_n, out=d_n)
            np.subtract(1, z, out=tmp)
            d_n *= tmp
            d_n *= dh
            # δ_z = dh (h - n) z (1 - z)  (tmp still holds 1 - z)
            np.subtract(hs[t], n_t, out=d_z)
            d_z *= dh
            d_z *= z
            d_z *= tmp
            # δᵣ = δₙ gₙ r (1 - r)
            np.subtract(1, r, out=tmp)
            np.multiply(d_n, gn[t], out=d_r)
            d_r *= r
            d_r *= tmp
            d_h[:, :two] = d_x[:, :two]
            np.multiply(d_n, r, out=d_h[:, two:])
            dh *= z
            dh += d_h @ w_hh
            if t > 0:
                dh += g[t - 1]
        return self._gradients((dh,), dgx, dgh)


class LSTMSequence(_RecurrentSequence):
    """One LSTM layer over a sequence (PyTorch's equations, gates i, f, g, o).

    The output packs the hidden states h_1..h_L and the final cell state c_L:
    shape (L + 1, N, H), rows 0..L-1 the h's, row L the c.

    Notes
    -----
    Given dL/dh_t and dL/dc_t (each g_t plus what step t + 1 carries back), with
    τ = tanh(c_t): dL/dc_t += dL/dh_t ⊙ o ⊙ (1 − τ²), then the pre-activation gradients
    δᵢ = dc ⊙ g ⊙ i(1 − i), δ_f = dc ⊙ c_{t-1} ⊙ f(1 − f), δ_g = dc ⊙ i ⊙ (1 − g²),
    δₒ = dh ⊙ τ ⊙ o(1 − o); carried back: dL/dc_{t-1} = dc ⊙ f, dL/dh_{t-1} = δ Wₕₕ.
    """

    gates = 4
    n_states = 2

    def forward(self, *arrays):
        x, (h0, c0), w_ih, w_hh, b_ih, b_hh = self._unpack(arrays)
        bias = None if b_ih is None else b_ih + b_hh
        gx = self._project(x, w_ih, bias)
        length, batch, _ = x.shape
        hidden = h0.shape[1]
        dtype = x.dtype
        hs = np.empty((length + 1, batch, hidden), dtype=dtype)
        cs = np.empty((length + 1, batch, hidden), dtype=dtype)
        hs[0], cs[0] = h0, c0
        acts = np.empty((length, batch, 4 * hidden), dtype=dtype)
        tanh_c = np.empty((length, batch, hidden), dtype=dtype)
        tmp = np.empty((batch, hidden), dtype=dtype)
        w_hh_t = w_hh.T
        sl_g = slice(2 * hidden, 3 * hidden)
        with np.errstate(over="ignore"):
            self._loop(length, gx, hs, cs, acts, tanh_c, tmp, w_hh_t, sl_g, hidden)
        self.x, self.w_ih, self.w_hh, self.hs, self.h_prev = x, w_ih, w_hh, hs, hs[:-1]
        self.cs, self.acts, self.tanh_c = cs, acts, tanh_c
        out = np.empty((length + 1, batch, hidden), dtype=dtype)
        out[:length] = hs[1:]
        out[length] = cs[length]
        return out

    @staticmethod
    def _loop(length, gx, hs, cs, acts, tanh_c, tmp, w_hh_t, sl_g, hidden):
        for t in range(length):
            a = acts[t]
            np.matmul(hs[t], w_hh_t, out=a)
            a += gx[t]
            g_pre = a[:, sl_g].copy()
            _sigmoid(a, a)  # all four, then the cell candidate g is overwritten with tanh
            _tanh(g_pre, a[:, sl_g])
            i, f, gg, o = a[:, :hidden], a[:, hidden:2 * hidden], a[:, sl_g], a[:, 3 * hidden:]
            c = cs[t + 1]
            np.multiply(f, cs[t], out=c)
            np.multiply(i, gg, out=tmp)
            c += tmp
            _tanh(c, tanh_c[t])
            np.multiply(o, tanh_c[t], out=hs[t + 1])

    def backward(self, g):
        cs, acts, tanh_c, w_hh = self.cs, self.acts, self.tanh_c, self.w_hh
        length = g.shape[0] - 1
        batch, hidden = g.shape[1], g.shape[2]
        delta = np.empty((length, batch, 4 * hidden), dtype=g.dtype)
        tmp = np.empty((batch, hidden), dtype=g.dtype)
        dh = g[length - 1].copy()
        dc = g[length].copy()
        for t in range(length - 1, -1, -1):
            a, d, tau = acts[t], delta[t], tanh_c[t]
            i, f, gg, o = a[:, :hidden], a[:, hidden:2 * hidden], a[:, 2 * hidden:3 * hidden], a[:, 3 * hidden:]
            d_i, d_f, d_g, d_o = d[:, :hidden], d[:, hidden:2 * hidden], d[:, 2 * hidden:3 * hidden], d[:, 3 * hidden:]
            # δₒ = dh τ o (1 - o)
            np.subtract(1, o, out=tmp)
            np.multiply(dh, tau, out=d_o)
            d_o *= o
            d_o *= tmp
            # dc += dh o (1 - τ²)
            np.multiply(tau, tau, out=tmp)
            np.subtract(1, tmp, out=tmp)
            tmp *= o
            tmp *= dh
            dc += tmp
            # δᵢ = dc g i (1 - i)
            np.subtract(1, i, out=tmp)
            np.multiply(dc, gg, out=d_i)
            d_i *= i
            d_i *= tmp
            # δ_f = dc c_{t-1} f (1 - f)
            np.subtract(1, f, out=tmp)
            np.multiply(dc, cs[t], out=d_f)
            d_f *= f
            d_f *= tmp
            # δ_g = dc i (1 - g²)
            np.multiply(gg, gg, out=tmp)
            np.subtract(1, tmp, out=tmp)
            np.multiply(dc, i, out=d_g)
            d_g *= tmp
            dc *= f
            dh = d @ w_hh
            if t > 0:
                dh += g[t - 1]
        return self._gradients((dh, dc), delta, delta)


def rnn_sequence(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity: str = "tanh"):
    """All hidden states (L, N, H) of one RNN layer (see :class:`RNNSequence`)."""
    params = (w_ih, w_hh) if b_ih is None else (w_ih, w_hh, b_ih, b_hh)
    return RNNSequence.apply(x, h0, *params, nonlinearity=nonlinearity)


def gru_sequence(x, h0, w_ih, w_hh, b_ih=None, b_hh=None):
    """All hidden states (L, N, H) of one GRU layer (see :class:`GRUSequence`)."""
    params = (w_ih, w_hh) if b_ih is None else (w_ih, w_hh, b_ih, b_hh)
    return GRUSequence.apply(x, h0, *params)


def lstm_sequence(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None):
    """Hidden states and final cell state packed as (L + 1, N, H) (see :class:`LSTMSequence`)."""
    params = (w_ih, w_hh) if b_ih is None else (w_ih, w_hh, b_ih, b_hh)
    return LSTMSequence.apply(x, h0, c0, *params)
