"""The compiled Sequential step leaves the same gradients as the autograd engine."""

import numpy as np
import pytest

import backprop.nn as nn
from backprop.fastpath import compile_step, make_train_step
from backprop.optim import SGD, Adam, RMSprop

ACTIVATIONS = [nn.ReLU, nn.Sigmoid, nn.Tanh, lambda: nn.LeakyReLU(0.1)]
LOSSES = [("cross_entropy", nn.CrossEntropyLoss), ("mse", nn.MSELoss), ("bce_with_logits", nn.BCEWithLogitsLoss)]


def _model(sizes, activation, dtype, dropout=0.0, seed=0):
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(fan_in, fan_out, rng=seed + i, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(activation())
            if dropout:
                layers.append(nn.Dropout(dropout, rng=100 + i))
    return nn.Sequential(*layers)


def _targets(kind, n, n_out, rng, dtype):
    if kind == "cross_entropy":
        return rng.integers(0, n_out, size=n)
    if kind == "bce_with_logits":
        return rng.integers(0, 2, size=(n, n_out)).astype(dtype)
    return rng.standard_normal((n, n_out)).astype(dtype)


def _relative_error(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


@pytest.mark.parametrize("dtype,tolerance", [(np.float32, 1e-6), (np.float64, 1e-12)])
@pytest.mark.parametrize("loss_name,loss_cls", LOSSES, ids=[name for name, _ in LOSSES])
@pytest.mark.parametrize("activation", ACTIVATIONS, ids=["relu", "sigmoid", "tanh", "leaky_relu"])
def test_same_loss_and_gradients_as_autograd(dtype, tolerance, loss_name, loss_cls, activation):
    rng = np.random.default_rng(3)
    sizes = (7, 6, 5, 3)
    X = rng.standard_normal((11, sizes[0])).astype(dtype)
    y = _targets(loss_name, 11, sizes[-1], rng, dtype)
    model = _model(sizes, activation, dtype)
    loss_fn = loss_cls()
    step = compile_step(model, loss_fn)
    assert step is not None
    fast_loss = step(X, y)
    fast = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    reference = loss_fn(model(X), y)
    reference.backward()
    assert fast_loss == pytest.approx(reference.item(), rel=tolerance)
    for (name, p), g in zip(model.named_parameters(), fast):
        assert g.dtype == dtype, name
        # float32 rounding differs between the two orders of operations; 1e-6 of the largest entry
        assert _relative_error(g, p.grad) <= max(tolerance, 1e-6 if dtype == np.float32 else tolerance), name


def test_dropout_draws_the_same_masks_as_the_module():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((9, 5))
    y = rng.integers(0, 3, size=9)
    fast_model = _model((5, 8, 3), nn.ReLU, np.float64, dropout=0.3)
    slow_model = _model((5, 8, 3), nn.ReLU, np.float64, dropout=0.3)
    step = compile_step(fast_model, nn.CrossEntropyLoss())
    for _ in range(3):
        fast_model.zero_grad()
        slow_model.zero_grad()
        step(X, y)
        nn.CrossEntropyLoss()(slow_model(X), y).backward()
        for p, q in zip(fast_model.parameters(), slow_model.parameters()):
            np.testing.assert_allclose(p.grad, q.grad, rtol=1e-12, atol=1e-15)


def test_gradients_accumulate_like_backward():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((4, 3)), rng.integers(0, 2, size=4)
    model = _model((3, 4, 2), nn.Tanh, np.float64)
    step = compile_step(model, nn.CrossEntropyLoss())
    step(X, y)
    once = [p.grad.copy() for p in model.parameters()]
    step(X, y)
    for p, g in zip(model.parameters(), once):
        np.testing.assert_allclose(p.grad, 2 * g)


@pytest.mark.parametrize("model_factory,loss_fn", [
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2)), nn.CrossEntropyLoss()),
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.Sigmoid()), nn.BCELoss()),
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)), nn.CrossEntropyLoss(label_smoothing=0.1)),
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.ReLU(), nn.Linear(4, 2)), nn.CrossEntropyLoss()),
], ids=["batchnorm", "sigmoid_output", "label_smoothing", "double_activation"])
def test_unsupported_models_fall_back_to_autograd(model_factory, loss_fn):
    model = model_factory()
    assert compile_step(model, loss_fn) is None
    step = make_train_step(model, loss_fn, SGD(model.parameters(), lr=0.1))
    assert step.compiled is False


@pytest.mark.parametrize("optimizer_cls", [lambda p: SGD(p, lr=0.05, momentum=0.9), lambda p: Adam(p, lr=1e-2),
                                           lambda p: RMSprop(p, lr=1e-2, centered=True)])
def test_float32_training_never_creates_float64(optimizer_cls):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((16, 8)).astype(np.float32)
    y = rng.integers(0, 4, size=16)
    for compiled in (True, False):
        model = _model((8, 16, 4), nn.ReLU, np.float32)
        optimizer = optimizer_cls(model.parameters())
        step = make_train_step(model, nn.CrossEntropyLoss(), optimizer)
        if not compiled:  # force the engine path by using a loss the compiler does not know
            step = make_train_step(model, lambda out, target: nn.CrossEntropyLoss()(out, target), optimizer)
        assert step.compiled is compiled
        for _ in range(3):
            assert np.isfinite(step(X, y))
        arrays = [p.data for p in model.parameters()] + [p.grad for p in model.parameters()]
        for state in optimizer.state_dict()["state"].values():
            arrays += [v for v in state.values() if isinstance(v, np.ndarray)]
        assert arrays and all(a.dtype == np.float32 for a in arrays if a.dtype.kind == "f")


def test_training_with_compiled_step_matches_engine_training():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((32, 6))
    y = rng.integers(0, 3, size=32)
    results = []
    for use_compiled in (True, False):
        model = _model((6, 10, 3), nn.ReLU, np.float64)
        optimizer = Adam(model.parameters(), lr=1e-2)
        loss_fn = nn.CrossEntropyLoss() if use_compiled else (lambda o, t: nn.CrossEntropyLoss()(o, t))
        step = make_train_step(model, loss_fn, optimizer)
        for _ in range(20):
            step(X, y)
        results.append([p.data.copy() for p in model.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_leading_flatten_takes_images_and_other_ranks_fall_back():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((6, 1, 2, 3))
    y = rng.integers(0, 2, size=6)
    model = nn.Sequential(nn.Flatten(), nn.Linear(6, 4, rng=0, dtype=np.float64), nn.ReLU(),
                          nn.Linear(4, 2, rng=1, dtype=np.float64))
    step = compile_step(model, nn.CrossEntropyLoss(), input_ndim=X.ndim)
    loss = step(X, y)
    fast = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    reference = nn.CrossEntropyLoss()(model(X), y)
    reference.backward()
    assert loss == pytest.approx(reference.item(), rel=1e-12)
    for p, g in zip(model.parameters(), fast):
        np.testing.assert_allclose(g, p.grad, rtol=1e-12)
    plain = nn.Sequential(nn.Linear(3, 2))
    assert compile_step(plain, nn.MSELoss(), input_ndim=3) is None
    with pytest.raises(ValueError, match="2-D input"):
        compile_step(plain, nn.MSELoss())(np.ones((2, 4, 3), np.float32), np.ones((2, 4, 2), np.float32))
