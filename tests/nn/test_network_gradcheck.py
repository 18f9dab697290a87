"""Whole-network finite-difference checks (float64, central differences) over all parameters.

Oracle: ``backprop.inspect.gradcheck`` (central differences, eps 1e-6) — independent of the
analytic backward passes of the layers.
"""

import numpy as np
import pytest

import backprop as bp
from backprop import nn
from backprop.inspect import gradcheck

F64 = np.float64

ACTIVATIONS = [nn.Sigmoid, nn.Tanh, nn.ReLU, lambda: nn.LeakyReLU(0.1), lambda: nn.ELU(0.7), nn.GELU,
               nn.Softplus, nn.Softmax, nn.LogSoftmax, nn.Identity]


def check_model(model, x, y, rng=0):
    """gradcheck of the MSE loss of ``model`` w.r.t. the input and every parameter."""
    x = bp.tensor(x, dtype=F64, requires_grad=True)
    params = list(model.parameters())
    assert params and all(p.dtype == F64 for p in params)

    def loss_fn(x, *_):
        return ((model(x) - y) ** 2).mean()

    assert gradcheck(loss_fn, [x, *params], rng=rng)


@pytest.mark.parametrize("activation", ACTIVATIONS,
                         ids=["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus",
                              "softmax", "log_softmax", "identity"])
def test_three_layer_network_every_activation(activation, rng):
    model = nn.Sequential(nn.Linear(4, 5, rng=rng, dtype=F64), activation(),
                          nn.Linear(5, 3, rng=rng, dtype=F64), activation(),
                          nn.Linear(3, 2, rng=rng, dtype=F64))
    x = rng.normal(size=(6, 4))
    check_model(model, x, rng.normal(size=(6, 2)))


def test_dropout_with_fixed_mask(rng):
    dropout = nn.Dropout(0.4)
    model = nn.Sequential(nn.Linear(4, 6, rng=rng, dtype=F64), nn.Tanh(), dropout,
                          nn.Linear(6, 2, rng=rng, dtype=F64))
    mask = (rng.random((5, 6)) > 0.4).astype(F64)
    dropout.set_mask(mask)
    check_model(model, rng.normal(size=(5, 4)), rng.normal(size=(5, 2)))
    np.testing.assert_array_equal(dropout.last_mask, mask)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)])
def test_batchnorm_train_mode(shape, rng):
    bn = nn.BatchNorm1d(3, dtype=F64)
    bn.weight.data[...] = rng.normal(size=3)
    bn.bias.data[...] = rng.normal(size=3)
    model = nn.Sequential(bn, nn.Tanh())
    check_model(model, rng.normal(size=shape), rng.normal(size=shape))


def test_batchnorm_in_a_network(rng):
    model = nn.Sequential(nn.Linear(4, 5, rng=rng, dtype=F64), nn.BatchNorm1d(5, dtype=F64), nn.ReLU(),
                          nn.Linear(5, 2, rng=rng, dtype=F64))
    model[1].weight.data[...] = rng.uniform(0.5, 1.5, size=5)
    check_model(model, rng.normal(size=(8, 4)), rng.normal(size=(8, 2)))


def test_batchnorm_eval_mode(rng):
    bn = nn.BatchNorm1d(3, dtype=F64)
    bn.running_mean[...] = rng.normal(size=3)
    bn.running_var[...] = rng.uniform(0.5, 2, size=3)
    bn.weight.data[...] = rng.normal(size=3)
    bn.eval()
    check_model(nn.Sequential(bn, nn.Sigmoid()), rng.normal(size=(5, 3)), rng.normal(size=(5, 3)))


def test_batchnorm_identical_rows_no_nan(rng):
    bn = nn.BatchNorm1d(3, dtype=F64)
    bn.weight.data[...] = [1.5, -0.5, 2.0]
    bn.bias.data[...] = [0.1, 0.2, 0.3]
    x = np.tile(rng.normal(size=(1, 3)), (4, 1))
    out = bn(bp.tensor(x, dtype=F64, requires_grad=True))
    assert np.all(np.isfinite(out.data))
    np.testing.assert_allclose(out.data, np.tile([0.1, 0.2, 0.3], (4, 1)), atol=1e-6)
    check_model(nn.Sequential(bn, nn.Tanh()), x, rng.normal(size=(4, 3)))


def test_batchnorm2d(rng):
    bn = nn.BatchNorm2d(2, dtype=F64)
    bn.weight.data[...] = [0.7, 1.3]
    check_model(nn.Sequential(bn, nn.Tanh()), rng.normal(size=(3, 2, 2, 3)), rng.normal(size=(3, 2, 2, 3)))


def test_residual(rng):
    block = nn.Sequential(nn.Linear(4, 6, rng=rng, dtype=F64), nn.Tanh(), nn.Linear(6, 4, rng=rng, dtype=F64))
    model = nn.Sequential(nn.Residual(block), nn.Sigmoid(), nn.Linear(4, 2, rng=rng, dtype=F64))
    check_model(model, rng.normal(size=(5, 4)), rng.normal(size=(5, 2)))


def test_gradcheck_catches_a_wrong_batchnorm_backward(rng, monkeypatch):
    """The oracle has teeth: dropping the mean term of the closed form must fail."""
    from backprop.autograd.ops import normalization
    from backprop.inspect import GradcheckError

    def wrong_backward(self, g):
        gx = g * self.gamma.reshape(self.inv_std.shape) * self.inv_std
        return gx, (g * self.x_hat).sum(axis=self.axes), g.sum(axis=self.axes)

    monkeypatch.setattr(normalization.BatchNorm, "backward", wrong_backward)
    bn = nn.BatchNorm1d(3, dtype=F64)
    with pytest.raises(GradcheckError):
        check_model(nn.Sequential(bn, nn.Tanh()), rng.normal(size=(6, 3)), rng.normal(size=(6, 3)))
