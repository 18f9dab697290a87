"""PyTorch as the oracle for RNN / GRU / LSTM (float64): a torch state dict loads directly
and gives the same outputs, final states and gradients (inputs, initial states, every parameter)."""

import numpy as np
import pytest

import backprop as bp
from backprop.nn.recurrent import GRU, LSTM, RNN

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

F64 = np.float64
RTOL = 1e-9


def rel_close(ours, theirs, what, rtol=RTOL):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape, what
    scale = max(np.max(np.abs(theirs)), 1e-300)
    error = np.max(np.abs(ours - theirs)) / scale
    assert error <= rtol, f"{what}: relative error {error:.3g}"


PAIRS = {
    "rnn_tanh": (lambda **kw: RNN(nonlinearity="tanh", **kw), lambda **kw: torch.nn.RNN(nonlinearity="tanh", **kw)),
    "rnn_relu": (lambda **kw: RNN(nonlinearity="relu", **kw), lambda **kw: torch.nn.RNN(nonlinearity="relu", **kw)),
    "gru": (GRU, torch.nn.GRU),
    "lstm": (LSTM, torch.nn.LSTM),
}


@pytest.mark.parametrize("kind", sorted(PAIRS))
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_matches_torch(kind, num_layers, batch_first, with_state, bias):
    rng = np.random.default_rng(num_layers * 8 + batch_first * 4 + with_state * 2 + bias)
    ours_cls, torch_cls = PAIRS[kind]
    kw = dict(input_size=3, hidden_size=5, num_layers=num_layers, batch_first=batch_first, bias=bias)
    torch.manual_seed(0)
    theirs = torch_cls(**kw).double()
    ours = ours_cls(**kw, rng=rng, dtype=F64)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert list(ours.state_dict()) == list(theirs.state_dict())

    length, batch = 6, 4
    x = rng.normal(size=(batch, length, 3) if batch_first else (length, batch, 3))
    xb = bp.tensor(x, dtype=F64, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    n_states = 2 if kind == "lstm" else 1
    states = [rng.normal(size=(num_layers, batch, 5)) for _ in range(n_states)]
    sb = [bp.tensor(s, dtype=F64, requires_grad=True) for s in states]
    st = [torch.tensor(s, requires_grad=True) for s in states]
    if with_state:
        hx_b = tuple(sb) if kind == "lstm" else sb[0]
        hx_t = tuple(st) if kind == "lstm" else st[0]
        out_b, state_b = ours(xb, hx_b)
        out_t, state_t = theirs(xt, hx_t)
    else:
        out_b, state_b = ours(xb)
        out_t, state_t = theirs(xt)
    outs_b = [out_b, *(state_b if kind == "lstm" else (state_b,))]
    outs_t = [out_t, *(state_t if kind == "lstm" else (state_t,))]
    for name, ob, ot in zip(["output", "h_n", "c_n"], outs_b, outs_t):
        rel_close(ob.data, ot.detach().numpy(), name)

    weights = [rng.normal(size=o.shape) for o in outs_b]
    sum((o * w).sum() for o, w in zip(outs_b, weights)).backward()
    sum((o * torch.from_numpy(w)).sum() for o, w in zip(outs_t, weights)).backward()
    rel_close(xb.grad, xt.grad.numpy(), "dL/dx")
    if with_state:
        for name, b, t in zip(["dL/dh0", "dL/dc0"], sb, st):
            rel_close(b.grad, t.grad.numpy(), name)
    ours_params = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        rel_close(ours_params[name].grad, p.grad.numpy(), f"dL/d{name}")


def test_mnist1d_shaped_gru_float32_matches_torch_loosely():
    """The benchmark's shape (batch_first, 40 steps, 1 feature) in float32."""
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    theirs = torch.nn.GRU(1, 16, batch_first=True)
    ours = GRU(1, 16, batch_first=True, rng=rng)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = rng.normal(size=(32, 40, 1)).astype(np.float32)
    out_b, h_b = ours(x)
    out_t, h_t = theirs(torch.from_numpy(x))
    assert out_b.dtype == np.float32
    np.testing.assert_allclose(out_b.data, out_t.detach().numpy(), rtol=1e-4, atol=1e-5)
    h_b.sum().backward()
    h_t.sum().backward()
    for name, p in theirs.named_parameters():
        got = getattr(ours, name).grad
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, p.grad.numpy(), rtol=1e-3, atol=1e-4 * np.abs(p.grad.numpy()).max())
