"""The model zoo: output shapes, overfitting a tiny batch, PyTorch state dicts, save/load."""

import numpy as np
import pytest

import backprop
from backprop import models, nn
from backprop.io import load_model
from backprop.models import SequenceClassifier, build_model
from backprop.optim import Adam

ONE_D = [(40,), (1, 40)]
NAMES = ["logistic", "mlp", "cnn", "gru", "lstm", "rnn"]


def _input(shape, n=5, seed=0):
    return np.random.default_rng(seed).standard_normal((n,) + tuple(shape)).astype(np.float32)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", ONE_D)
def test_output_shape_1d(name, shape):
    if name == "cnn" and len(shape) == 1:
        with pytest.raises(ValueError, match="channel"):
            build_model(name, shape, 10, rng=0)
        return
    model = build_model(name, shape, 10, rng=0)
    assert model(_input(shape)).shape == (5, 10)


@pytest.mark.parametrize("name", ["logistic", "mlp", "cnn"])
def test_output_shape_2d(name):
    shape = (1, 28, 28)
    model = build_model(name, shape, 7, rng=0)
    assert model(_input(shape)).shape == (5, 7)


def test_2d_cnn_architecture():
    model = models.cnn((3, 28, 28), 10, rng=0)
    kinds = [type(layer).__name__ for layer in model]
    assert kinds == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear", "ReLU",
                     "Linear"]
    assert model[0].weight.shape == (16, 3, 3, 3) and model[3].weight.shape == (32, 16, 3, 3)
    assert model[7].weight.shape == (128, 32 * 7 * 7)


def test_1d_cnn_is_the_papers():
    model = models.cnn((1, 40), 10, rng=0)
    convs = [layer for layer in model if isinstance(layer, nn.Conv1d)]
    assert len(convs) == 3 and all(c.weight.shape[0] == 25 for c in convs)
    assert [c.weight.shape[-1] for c in convs] == [5, 3, 3]
    assert model[-1].weight.shape == (10, 125)  # 40 -> 19 -> 10 -> 5 positions, 25 channels
    wide = models.cnn((1, 40), 10, channels=64, kernel_size=5, rng=0)
    assert wide[-1].weight.shape == (10, 64 * 4)


def test_sequence_input_layouts_agree():
    model = models.gru((1, 40), 10, hidden_size=8, rng=0)
    x = _input((40,))
    np.testing.assert_allclose(model(x).data, model(x[:, None, :]).data, rtol=1e-6)
    multi = SequenceClassifier("gru", input_size=3, hidden_size=4, n_classes=2, channels_first=False, rng=0)
    assert multi(_input((7, 3))).shape == (5, 2)
    with pytest.raises(ValueError, match="input_size"):
        multi(_input((7,)))


@pytest.mark.parametrize("bad", [dict(name="cnn", shape=(2, 2, 2, 2)), dict(name="gru", shape=(1, 8, 8)),
                                 dict(name="mlp", shape=(0,))])
def test_bad_shapes(bad):
    with pytest.raises(ValueError):
        build_model(bad["name"], bad["shape"], 10)


def test_bad_options():
    with pytest.raises(ValueError, match="unknown model"):
        build_model("transformer", (40,), 10)
    with pytest.raises(ValueError, match="n_classes"):
        build_model("mlp", (40,), 1)
    with pytest.raises(ValueError, match="activation"):
        models.mlp((40,), 10, activation="swish")
    with pytest.raises(ValueError, match="dropout"):
        models.mlp((40,), 10, dropout=1.0)


def test_same_seed_same_weights():
    a, b = build_model("mlp", (40,), 10, rng=3), build_model("mlp", (40,), 10, seed=3)
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def _overfit(model, x, y, steps=60, lr=1e-2):
    loss_fn = nn.CrossEntropyLoss()
    optimizer = Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.data))
    return losses


@pytest.mark.parametrize("name,shape,options", [
    ("logistic", (40,), {}), ("logistic", (1, 8, 8), {}),
    ("mlp", (40,), {}), ("mlp", (1, 8, 8), {"batch_norm": True, "dropout": 0.1}),
    ("cnn", (1, 40), {}), ("cnn", (1, 12, 12), {}),
    ("gru", (40,), {"hidden_size": 16}), ("lstm", (1, 40), {"hidden_size": 16}), ("rnn", (40,), {"hidden_size": 16}),
])
def test_overfits_20_samples(name, shape, options):
    x = _input(shape, n=20, seed=1)
    y = np.arange(20) % 4
    model = build_model(name, shape, 4, rng=0, **options)
    recurrent = name in ("gru", "lstm", "rnn")
    losses = _overfit(model, x, y, steps=100 if recurrent else 60, lr=5e-3 if recurrent else 1e-2)
    assert losses[-1] < 0.3 * losses[0], losses[::10]
    model.eval()
    assert (model(x).data.argmax(axis=1) == y).mean() >= 0.9


@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_sequence_classifier_loads_a_torch_state_dict(cell):
    torch = pytest.importorskip("torch")
    hidden, n_classes = 6, 3
    torch_cell = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM, "rnn": torch.nn.RNN}[cell]

    class TorchSequenceClassifier(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = torch_cell(1, hidden, batch_first=True)
            self.head = torch.nn.Linear(hidden, n_classes)

        def forward(self, x):                      # x: (N, 1, L), Conv1d's layout
            _, h_n = self.rnn(x.transpose(1, 2))
            h_n = h_n[0] if isinstance(h_n, tuple) else h_n
            return self.head(h_n[-1])

    torch.manual_seed(0)
    reference = TorchSequenceClassifier().double()
    ours = build_model(cell, (1, 12), n_classes, hidden_size=hidden, rng=1, dtype=np.float64)
    assert set(ours.state_dict()) == set(reference.state_dict())
    ours.load_state_dict(reference.state_dict())
    x = np.random.default_rng(2).standard_normal((4, 1, 12))
    expected = reference(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours(x).data, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,shape,options", [
    ("logistic", (40,), {}), ("mlp", (1, 8, 8), {"batch_norm": True, "dropout": 0.2}),
    ("cnn", (1, 40), {}), ("cnn", (1, 12, 12), {}),
    ("gru", (1, 40), {"hidden_size": 8}), ("lstm", (40,), {"hidden_size": 8}),
    ("rnn", (40,), {"hidden_size": 8, "nonlinearity": "relu", "num_layers": 2}),
])
def test_save_load_round_trip(tmp_path, name, shape, options):
    model = build_model(name, shape, 5, rng=0, **options)
    x = _input(shape, n=6)
    if options.get("batch_norm"):  # move the running statistics off their defaults
        model(x)
    model.eval()
    expected = model(x).data
    path = model.save(tmp_path / f"{name}.npz")
    loaded = load_model(path)
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(loaded(x).data, expected)
    np.testing.assert_array_equal(backprop.load(path)(x).data, expected)


def test_sequence_classifier_config_and_summary():
    model = models.lstm((1, 40), 10, hidden_size=12, num_layers=2, rng=0)
    config = model.get_config()
    assert config["cell"] == "lstm" and config["hidden_size"] == 12 and config["num_layers"] == 2
    assert nn.LAYERS["SequenceClassifier"] is SequenceClassifier
    rebuilt = nn.build_layer({"class": "SequenceClassifier", "config": config})
    assert set(rebuilt.state_dict()) == set(model.state_dict())
    text = model.summary((1, 40))
    assert "SequenceClassifier" in str(text) or "LSTM" in str(text)
