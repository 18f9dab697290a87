"""Layer behaviour and bad input: Linear, Dropout, BatchNorm, Residual, Flatten, activations."""

import numpy as np
import pytest

import backprop as bp
from backprop import nn


def test_linear_shapes_and_default_init(rng):
    layer = nn.Linear(64, 32, rng=rng)
    assert layer.weight.shape == (32, 64) and layer.bias.shape == (32,)
    assert layer.weight.dtype == np.float32
    bound = 1 / np.sqrt(64)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.9 * bound  # uniform over the whole range
    assert nn.Linear(3, 2, bias=False).bias is None
    assert [n for n, _ in nn.Linear(3, 2, bias=False).named_parameters()] == ["weight"]
    he = nn.Linear(3, 2, init="he_normal", rng=0)
    np.testing.assert_array_equal(he.bias.data, 0)
    custom = nn.Linear(3, 2, init=lambda shape, rng, dtype: np.full(shape, 0.5, dtype))
    np.testing.assert_array_equal(custom.weight.data, 0.5)


def test_linear_same_seed_same_weights():
    a, b = nn.Linear(5, 3, rng=7), nn.Linear(5, 3, rng=7)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)


def test_linear_wrong_features_names_layer_expected_and_got(rng):
    layer = nn.Linear(64, 32, rng=rng)
    with pytest.raises(ValueError, match=r"Linear\(64 -> 32\) expected input with 64 features \(last axis\), "
                                         r"got shape \(8, 10\)"):
        layer(np.zeros((8, 10)))
    with pytest.raises(ValueError, match="positive integer"):
        nn.Linear(0, 3)
    with pytest.raises(ValueError, match="unknown initializer"):
        nn.Linear(2, 3, init="magic")


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, float("nan")])
def test_dropout_rejects_p_outside_unit_interval(p):
    with pytest.raises(ValueError, match=r"Dropout: p must be a probability in \[0, 1\)"):
        nn.Dropout(p)


def test_dropout_train_and_eval():
    layer = nn.Dropout(0.25, rng=0)
    x = np.ones((200, 500), dtype=np.float32)
    out = layer(x).data
    kept = layer.last_mask.astype(bool)
    np.testing.assert_allclose(out[kept], 1 / 0.75)
    assert np.all(out[~kept] == 0)
    assert abs(kept.mean() - 0.75) < 0.01  # 100,000 Bernoulli draws
    assert out.dtype == np.float32
    # Different masks on different calls; identical masks for identical seeds.
    assert not np.array_equal(layer(x).data, out)
    np.testing.assert_array_equal(nn.Dropout(0.25, rng=0)(x).data, out)
    layer.eval()
    assert layer(x).data is x or np.array_equal(layer(x).data, x)
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).data, x)


def test_dropout_gradient_uses_the_mask():
    layer = nn.Dropout(0.5, rng=3)
    x = bp.tensor(np.ones((4, 6)), dtype=np.float64, requires_grad=True)
    layer(x).sum().backward()
    np.testing.assert_array_equal(x.grad, layer.last_mask * 2.0)


def test_batchnorm_batch_of_one_in_training_is_an_error():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\) needs more than one value per channel"):
        bn(np.zeros((1, 3)))
    assert int(bn.num_batches_tracked) == 0
    bn.eval()
    np.testing.assert_allclose(bn(np.ones((1, 3))).data, 1 / np.sqrt(1 + 1e-5), rtol=1e-6)


def test_batchnorm_bad_shapes():
    with pytest.raises(ValueError, match=r"expected 3 channels \(axis 1\), got shape \(4, 5\)"):
        nn.BatchNorm1d(3)(np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"expects \(N, C\) or \(N, C, L\) input"):
        nn.BatchNorm1d(3)(np.zeros((4, 3, 2, 2)))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        nn.BatchNorm2d(3)(np.zeros((4, 3)))


def test_batchnorm_normalizes_and_tracks_running_stats(rng):
    bn = nn.BatchNorm1d(4, dtype=np.float64)
    x = rng.normal(loc=3, scale=2, size=(50, 4))
    out = bn(x).data
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=0), 1, rtol=1e-4)
    np.testing.assert_allclose(bn.running_mean, 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * x.var(axis=0, ddof=1))
    assert int(bn.num_batches_tracked) == 1


def test_batchnorm_identical_rows_give_beta_not_nan():
    bn = nn.BatchNorm1d(2, dtype=np.float64)
    bn.bias.data[...] = [0.5, -1.0]
    out = bn(np.full((5, 2), 3.7))
    assert np.all(np.isfinite(out.data))
    np.testing.assert_allclose(out.data, np.tile([0.5, -1.0], (5, 1)), atol=1e-6)


def test_residual_shape_mismatch_names_the_shapes(rng):
    block = nn.Linear(4, 3, rng=rng)
    with pytest.raises(ValueError, match=r"Residual: the block Linear changed the shape from \(2, 4\) to \(2, 3\)"):
        nn.Residual(block)(np.zeros((2, 4)))
    layer = nn.Linear(4, 4, rng=rng)
    x = rng.normal(size=(2, 4)).astype(np.float32)
    np.testing.assert_allclose(nn.Residual(layer)(x).data, x + layer(x).data)


def test_flatten_and_identity(rng):
    x = rng.normal(size=(2, 3, 4))
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0)(x).shape == (24,)
    np.testing.assert_array_equal(nn.Identity()(x).data, x)


@pytest.mark.parametrize("name,cls", [("sigmoid", nn.Sigmoid), ("tanh", nn.Tanh), ("relu", nn.ReLU),
                                      ("leaky_relu", nn.LeakyReLU), ("elu", nn.ELU), ("gelu", nn.GELU),
                                      ("softmax", nn.Softmax), ("identity", nn.Identity),
                                      ("linear", nn.Identity), ("softplus", nn.Softplus)])
def test_get_activation(name, cls):
    assert type(nn.get_activation(name)) is cls
    assert type(nn.get_activation(name.upper())) is cls


def test_get_activation_errors_and_options():
    with pytest.raises(ValueError, match="unknown activation 'swishy'"):
        nn.get_activation("swishy")
    assert nn.get_activation("leaky_relu", negative_slope=0.3).negative_slope == 0.3


def test_activation_values_and_ranges():
    z = np.array([-50.0, -1.0, 0.0, 1.0, 50.0])
    assert np.all((nn.Sigmoid()(z).data >= 0) & (nn.Sigmoid()(z).data <= 1))
    np.testing.assert_array_equal(nn.ReLU()(z).data, [0, 0, 0, 1, 50])
    np.testing.assert_allclose(nn.LeakyReLU(0.1)(z).data, [-5, -0.1, 0, 1, 50])
    np.testing.assert_allclose(nn.ELU(2.0)(z).data[:2], [-2.0, 2 * (np.exp(-1) - 1)])
    np.testing.assert_allclose(nn.Softmax()(z[None]).data.sum(), 1.0)
    # ReLU's derivative at 0 is 0 (documented).
    x = bp.tensor(z, dtype=np.float64, requires_grad=True)
    nn.ReLU()(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 0, 0, 1, 1])


def test_zero_initialization_keeps_hidden_units_identical(rng):
    """The symmetry problem: with all weights equal, every hidden unit gets the same update."""
    model = nn.Sequential(nn.Linear(3, 5, init="zeros", dtype=np.float64), nn.Tanh(),
                          nn.Linear(5, 1, init="zeros", dtype=np.float64))
    x = rng.normal(size=(16, 3))
    y = rng.normal(size=(16, 1))
    for _ in range(10):
        model.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.5 * p.grad
    w1, b1, w2 = model[0].weight.data, model[0].bias.data, model[2].weight.data
    assert np.any(w2 != 0) or np.any(w1 != 0) or model[2].bias.data[0] != 0  # it did train
    np.testing.assert_array_equal(w1, np.tile(w1[:1], (5, 1)))  # all rows (units) equal
    np.testing.assert_array_equal(b1, b1[0])
    np.testing.assert_array_equal(w2, w2[:, :1] * np.ones((1, 5)))
    hidden = model[1](model[0](x)).data
    np.testing.assert_array_equal(hidden, np.tile(hidden[:, :1], (1, 5)))
