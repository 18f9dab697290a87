"""RNN / GRU / LSTM: finite-difference gradients (BPTT), shapes, errors, dtype, clipping."""

import json

import numpy as np
import pytest

import backprop as bp
from backprop.autograd.ops import recurrent as R
from backprop.inspect import gradcheck
from backprop.inspect.gradcheck import GradcheckError
from backprop.nn.recurrent import GRU, LSTM, RNN
from backprop.nn.registry import build_layer
from backprop.nn.module import layer_config

F64 = np.float64

LAYERS = {
    "rnn_tanh": lambda **kw: RNN(nonlinearity="tanh", **kw),
    "rnn_relu": lambda **kw: RNN(nonlinearity="relu", **kw),
    "gru": lambda **kw: GRU(**kw),
    "lstm": lambda **kw: LSTM(**kw),
}


def make_inputs(model, length, batch, rng, with_state):
    shape = (batch, length, model.input_size) if model.batch_first else (length, batch, model.input_size)
    x = bp.tensor(rng.normal(size=shape), dtype=F64, requires_grad=True)
    if not with_state:
        return x, None, []
    state_shape = (model.num_layers, batch, model.hidden_size)
    states = [bp.tensor(rng.normal(size=state_shape), dtype=F64, requires_grad=True)
              for _ in range(2 if isinstance(model, LSTM) else 1)]
    hx = tuple(states) if isinstance(model, LSTM) else states[0]
    return x, hx, states


def flat_outputs(model, x, hx):
    out, state = model(x, hx)
    return (out, *state) if isinstance(state, tuple) else (out, state)


@pytest.mark.parametrize("kind", sorted(LAYERS))
@pytest.mark.parametrize("length", [1, 2, 5])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_gradcheck_inputs_states_and_parameters(kind, length, num_layers, with_state, batch_first):
    rng = np.random.default_rng(length * 100 + num_layers * 10 + with_state * 2 + batch_first)
    model = LAYERS[kind](input_size=2, hidden_size=3, num_layers=num_layers, batch_first=batch_first,
                         rng=rng, dtype=F64)
    x, hx, states = make_inputs(model, length, 2, rng, with_state)
    params = list(model.parameters())
    # fn ignores its arguments: gradcheck perturbs the very tensors the model reads (x, the
    # states, the Parameters) in place, so this checks d(outputs)/d(every one of them).
    assert gradcheck(lambda *_: flat_outputs(model, x, hx), [x, *states, *params])


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_gradcheck_without_bias_and_longer_sequence(kind, rng):
    model = LAYERS[kind](input_size=3, hidden_size=4, num_layers=2, bias=False, rng=rng, dtype=F64)
    assert "bias_ih_l0" not in dict(model.named_parameters())
    x, hx, states = make_inputs(model, 8, 3, rng, True)
    assert gradcheck(lambda *_: flat_outputs(model, x, hx), [x, *states, *model.parameters()])


def test_gradcheck_catches_a_wrong_fused_backward(monkeypatch, rng):
    """The finite-difference test must fail when a fused backward is wrong (here: dW_ih off by 1 %)."""
    original = R.GRUSequence.backward

    def broken(self, g):
        grads = list(original(self, g))
        grads[2] = grads[2] * 1.01  # weight_ih gradient off by 1 %
        return tuple(grads)

    monkeypatch.setattr(R.GRUSequence, "backward", broken)
    model = GRU(2, 3, rng=rng, dtype=F64)
    x, hx, states = make_inputs(model, 3, 2, rng, False)
    with pytest.raises(GradcheckError):
        gradcheck(lambda *_: flat_outputs(model, x, hx), [x, *model.parameters()])


@pytest.mark.parametrize("kind", sorted(LAYERS))
@pytest.mark.parametrize("batch_first", [False, True])
def test_shapes_and_final_state_is_last_output(kind, batch_first, rng):
    model = LAYERS[kind](input_size=3, hidden_size=5, num_layers=2, batch_first=batch_first, rng=rng)
    x = rng.normal(size=(4, 7, 3) if batch_first else (7, 4, 3)).astype(np.float32)
    out, state = model(x)
    h_n = state[0] if kind == "lstm" else state
    assert out.shape == ((4, 7, 5) if batch_first else (7, 4, 5))
    assert h_n.shape == (2, 4, 5)
    last = out.data[:, -1] if batch_first else out.data[-1]
    np.testing.assert_array_equal(h_n.data[-1], last)
    if kind == "lstm":
        assert state[1].shape == (2, 4, 5)


def test_float32_stays_float32(rng):
    for model in (RNN(2, 3, rng=rng), GRU(2, 3, num_layers=2, rng=rng), LSTM(2, 3, rng=rng)):
        x = bp.tensor(rng.normal(size=(4, 2, 2)).astype(np.float32), requires_grad=True)
        out, state = model(x)
        states = state if isinstance(state, tuple) else (state,)
        assert out.dtype == np.float32 and all(s.dtype == np.float32 for s in states)
        (out.sum() + sum(s.sum() for s in states)).backward()
        assert x.grad.dtype == np.float32
        assert all(p.grad.dtype == np.float32 for p in model.parameters())


def test_float64_input_to_float32_model_is_a_clear_error(rng):
    model = GRU(1, 4, rng=rng)
    with pytest.raises(TypeError, match="float32 parameters but got a float64 input"):
        model(bp.tensor(np.zeros((3, 2, 1)), dtype=F64, requires_grad=True))
    out, _ = model(np.zeros((3, 2, 1)))  # raw float64 data is converted to the model's dtype
    assert out.dtype == np.float32


def test_parameter_names_shapes_and_init_bounds():
    model = LSTM(3, 8, num_layers=2, rng=0)
    shapes = {name: p.shape for name, p in model.named_parameters()}
    assert list(shapes) == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                            "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"]
    assert shapes["weight_ih_l0"] == (32, 3) and shapes["weight_hh_l0"] == (32, 8)
    assert shapes["weight_ih_l1"] == (32, 8) and shapes["bias_hh_l1"] == (32,)
    assert GRU(2, 4, rng=0).weight_ih_l0.shape == (12, 2)
    assert RNN(2, 4, rng=0).weight_hh_l0.shape == (4, 4)
    bound = 1 / np.sqrt(8)
    for p in model.parameters():
        assert np.all(np.abs(p.data) <= bound) and p.data.std() > bound / 3


def test_init_uses_the_explicit_rng_only():
    state = np.random.get_state()
    a, b, c = GRU(2, 5, rng=7), GRU(2, 5, rng=7), GRU(2, 5, rng=8)
    assert np.random.get_state()[1].tolist() == state[1].tolist()
    np.testing.assert_array_equal(a.weight_hh_l0.data, b.weight_hh_l0.data)
    assert not np.array_equal(a.weight_hh_l0.data, c.weight_hh_l0.data)


def test_gru_equations_by_hand(rng):
    """One step of PyTorch's GRU (gates r, z, n; r inside the candidate) written out."""
    model = GRU(2, 3, rng=rng, dtype=F64)
    x, h = rng.normal(size=(1, 4, 2)), rng.normal(size=(1, 4, 3))
    out, _ = model(x, h)
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    gi = x[0] @ model.weight_ih_l0.data.T + model.bias_ih_l0.data
    gh = h[0] @ model.weight_hh_l0.data.T + model.bias_hh_l0.data
    r, z = sig(gi[:, :3] + gh[:, :3]), sig(gi[:, 3:6] + gh[:, 3:6])
    n = np.tanh(gi[:, 6:] + r * gh[:, 6:])
    np.testing.assert_allclose(out.data[0], (1 - z) * n + z * h[0], rtol=1e-13, atol=1e-14)


def test_lstm_equations_by_hand(rng):
    model = LSTM(2, 3, rng=rng, dtype=F64)
    x, h, c = rng.normal(size=(1, 4, 2)), rng.normal(size=(1, 4, 3)), rng.normal(size=(1, 4, 3))
    out, (h_n, c_n) = model(x, (h, c))
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    a = (x[0] @ model.weight_ih_l0.data.T + model.bias_ih_l0.data
         + h[0] @ model.weight_hh_l0.data.T + model.bias_hh_l0.data)
    i, f, g, o = sig(a[:, :3]), sig(a[:, 3:6]), np.tanh(a[:, 6:9]), sig(a[:, 9:])
    c1 = f * c[0] + i * g
    np.testing.assert_allclose(c_n.data[0], c1, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(h_n.data[0], o * np.tanh(c1), rtol=1e-13, atol=1e-14)


def test_exploding_gradients_are_bounded_by_clipping():
    from backprop.optim import clip_grad_norm

    model = RNN(1, 4, nonlinearity="relu", rng=0, dtype=F64)
    model.weight_hh_l0.data[...] = 2.0 * np.eye(4)  # |dh_t/dh_{t-1}| ~ 2: grows like 2^L
    model.bias_ih_l0.data[...] = 1.0
    x = np.ones((60, 2, 1))
    out, h_n = model(x)
    (out * out).sum().backward()
    norm_before = np.sqrt(sum(np.sum(p.grad ** 2) for p in model.parameters()))
    assert norm_before > 1e15  # exploded
    max_norm = 1.0
    returned = clip_grad_norm(model.parameters(), max_norm)
    assert returned == pytest.approx(norm_before, rel=1e-9)
    norm_after = np.sqrt(sum(np.sum(p.grad ** 2) for p in model.parameters()))
    assert norm_after <= max_norm + 1e-6
    assert all(np.all(np.isfinite(p.grad)) for p in model.parameters())


def test_wrong_feature_size_error_names_layer_and_shapes():
    model = GRU(1, 32, batch_first=True, rng=0)
    with pytest.raises(ValueError) as err:
        model(np.zeros((100, 40, 3), dtype=np.float32))
    assert str(err.value).startswith(
        "GRU(input_size=1, hidden_size=32) expected input with 1 features (last axis), got shape (100, 40, 3)")


@pytest.mark.parametrize("shape", [(40, 1), (2, 3, 4, 1), ()])
def test_wrong_rank_is_an_error(shape):
    with pytest.raises(ValueError, match=r"LSTM\(input_size=1, hidden_size=2\) expected a 3-D input"):
        LSTM(1, 2, rng=0)(np.zeros(shape, dtype=np.float32))


def test_empty_sequence_is_an_error():
    with pytest.raises(ValueError, match="empty input"):
        RNN(1, 2, rng=0)(np.zeros((0, 3, 1), dtype=np.float32))


def test_initial_state_of_wrong_shape_is_an_error():
    model = GRU(1, 4, num_layers=2, rng=0)
    x = np.zeros((5, 3, 1), dtype=np.float32)
    with pytest.raises(ValueError, match=r"expected h0 of shape .* = \(2, 3, 4\), got shape \(1, 3, 4\)"):
        model(x, np.zeros((1, 3, 4), dtype=np.float32))
    lstm = LSTM(1, 4, rng=0)
    with pytest.raises(ValueError, match=r"expected c0 of shape .* = \(1, 3, 4\), got shape \(1, 2, 4\)"):
        lstm(x, (np.zeros((1, 3, 4), np.float32), np.zeros((1, 2, 4), np.float32)))
    with pytest.raises(TypeError, match=r"pair \(h0, c0\)"):
        lstm(x, np.zeros((1, 3, 4), np.float32))
    with pytest.raises(TypeError, match="only LSTM"):
        model(x, (np.zeros((2, 3, 4), np.float32),))


@pytest.mark.parametrize("kwargs, match", [
    ({"input_size": 0, "hidden_size": 2}, "input_size must be a positive integer"),
    ({"input_size": 1, "hidden_size": 2.5}, "hidden_size must be a positive integer"),
    ({"input_size": 1, "hidden_size": 2, "num_layers": 0}, "num_layers"),
    ({"input_size": 1, "hidden_size": 2, "dropout": 1.0}, "dropout"),
    ({"input_size": 1, "hidden_size": 2, "nonlinearity": "sigmoid"}, "nonlinearity"),
])
def test_invalid_constructor_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RNN(**kwargs)


def test_get_config_round_trip_through_json(rng):
    for model in (RNN(2, 3, num_layers=2, nonlinearity="relu", batch_first=True, rng=rng),
                  GRU(1, 6, bias=False, rng=rng), LSTM(3, 4, dropout=0.2, num_layers=2, rng=rng, dtype=F64)):
        rebuilt = build_layer(json.loads(json.dumps(layer_config(model))))
        assert type(rebuilt) is type(model) and rebuilt.get_config() == model.get_config()
        rebuilt.load_state_dict(model.state_dict())
        x = rng.normal(size=(3, 2, model.input_size))
        model.eval(), rebuilt.eval()
        np.testing.assert_array_equal(rebuilt(x)[0].data, model(x)[0].data)


def test_dropout_between_layers_only_in_training(rng):
    model = GRU(2, 4, num_layers=2, dropout=0.5, rng=rng, dtype=F64)
    x = rng.normal(size=(6, 3, 2))
    model.eval()
    a, b = model(x)[0].data, model(x)[0].data
    np.testing.assert_array_equal(a, b)
    model.train()
    c = model(x)[0].data
    assert not np.allclose(a, c)
    single = GRU(2, 4, dropout=0.5, rng=0, dtype=F64)  # one layer: nothing to drop between
    np.testing.assert_array_equal(single(x)[0].data, single.eval()(x)[0].data)


def test_no_grad_forward_records_nothing(rng):
    model = LSTM(2, 3, rng=rng)
    with bp.no_grad():
        out, (h_n, c_n) = model(rng.normal(size=(4, 2, 2)).astype(np.float32))
    assert not out.requires_grad and out.grad_fn is None and not c_n.requires_grad


def test_gru_learns_to_remember_the_first_input(rng):
    """BPTT end to end: a GRU + linear readout learns to output x_0 after 6 steps."""
    from backprop import nn
    from backprop.optim import Adam

    gru, head = GRU(1, 8, batch_first=True, rng=rng), nn.Linear(8, 1, rng=rng)
    params = list(gru.parameters()) + list(head.parameters())
    x = rng.uniform(-1, 1, size=(64, 6, 1)).astype(np.float32)
    target = x[:, 0, :]
    optimizer = Adam(params, lr=0.03)
    losses = []
    for _ in range(150):
        _, h_n = gru(x)
        err = head(h_n[0]) - target
        loss = (err * err).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.01 * losses[0], (losses[0], losses[-1])


@pytest.mark.parametrize("kind", sorted(LAYERS))
@pytest.mark.parametrize("dtype", [np.float32, F64])
def test_saturating_inputs_stay_finite_without_warnings(kind, dtype, rng):
    """Gate pre-activations of ±1e4: sigmoid must saturate to 0/1 without overflow warnings."""
    model = LAYERS[kind](input_size=2, hidden_size=3, rng=rng, dtype=dtype)
    x = bp.tensor((rng.choice([-1e4, 1e4], size=(5, 2, 2))).astype(dtype), requires_grad=True)
    out, state = model(x)
    out.sum().backward()
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(x.grad))
    assert all(np.all(np.isfinite(p.grad)) for p in model.parameters())
