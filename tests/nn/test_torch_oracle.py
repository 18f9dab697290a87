"""PyTorch as the oracle (float64): same weights and inputs give the same outputs and gradients."""

import pytest

import backprop as bp
from backprop import nn

from . import torch_helpers
from .torch_helpers import F64, copy_params, torch

pytestmark = pytest.mark.torch

RTOL = 1e-10


def rel_close(ours, theirs, rtol=RTOL):
    torch_helpers.rel_close(ours, theirs, rtol)


def compare(ours, theirs, x, rng):
    """Forward, then backward of sum(out * w) in both; compare output, input and param grads."""
    return torch_helpers.compare(ours, theirs, x, rng, rtol=RTOL)


ACTIVATION_PAIRS = {
    "sigmoid": (nn.Sigmoid, torch.nn.Sigmoid),
    "tanh": (nn.Tanh, torch.nn.Tanh),
    "relu": (nn.ReLU, torch.nn.ReLU),
    "leaky_relu": (lambda: nn.LeakyReLU(0.2), lambda: torch.nn.LeakyReLU(0.2)),
    "elu": (lambda: nn.ELU(0.8), lambda: torch.nn.ELU(0.8)),
    "gelu": (nn.GELU, lambda: torch.nn.GELU(approximate="tanh")),
    "softplus": (nn.Softplus, torch.nn.Softplus),
    "softmax": (lambda: nn.Softmax(-1), lambda: torch.nn.Softmax(-1)),
    "softmax_axis0": (lambda: nn.Softmax(0), lambda: torch.nn.Softmax(0)),
    "log_softmax": (lambda: nn.LogSoftmax(-1), lambda: torch.nn.LogSoftmax(-1)),
}


@pytest.mark.parametrize("name", sorted(ACTIVATION_PAIRS))
def test_activation(name, rng):
    ours, theirs = ACTIVATION_PAIRS[name]
    x = rng.normal(scale=3, size=(7, 5))
    x[0, 0] = 0.0  # the kink: ReLU-family derivatives at 0 must agree with PyTorch's choice
    compare(ours(), theirs(), x, rng)


@pytest.mark.parametrize("bias", [True, False])
def test_linear(bias, rng):
    ours = nn.Linear(5, 3, bias=bias, rng=rng, dtype=F64)
    theirs = torch.nn.Linear(5, 3, bias=bias, dtype=torch.float64)
    compare(ours, theirs, rng.normal(size=(4, 5)), rng)
    compare(nn.Linear(5, 3, rng=rng, dtype=F64), torch.nn.Linear(5, 3, dtype=torch.float64),
            rng.normal(size=(2, 4, 5)), rng)


def test_dropout_matches_torch_given_the_same_mask(rng):
    ours = nn.Dropout(0.3)
    x = rng.normal(size=(6, 4))
    out = ours(bp.tensor(x, dtype=F64))
    mask = ours.last_mask
    # torch's dropout is x * mask / (1 - p): reproduce with the same mask.
    expected = torch.from_numpy(x) * torch.from_numpy(mask) / (1 - 0.3)
    rel_close(out.data, expected.numpy())
    ours.eval()
    torch_eval = torch.nn.Dropout(0.3).eval()
    rel_close(ours(bp.tensor(x, dtype=F64)).data, torch_eval(torch.from_numpy(x)).numpy())


@pytest.mark.parametrize("cls,torch_cls,shape", [
    (nn.BatchNorm1d, torch.nn.BatchNorm1d, (8, 3)),
    (nn.BatchNorm1d, torch.nn.BatchNorm1d, (4, 3, 5)),
    (nn.BatchNorm2d, torch.nn.BatchNorm2d, (3, 3, 4, 2)),
])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_train_steps_and_running_stats(cls, torch_cls, shape, momentum, rng):
    ours = cls(3, momentum=momentum, dtype=F64)
    theirs = torch_cls(3, momentum=momentum, dtype=torch.float64)
    ours.weight.data[...] = rng.normal(size=3)
    ours.bias.data[...] = rng.normal(size=3)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.data))
        theirs.bias.copy_(torch.from_numpy(ours.bias.data))
    for _ in range(5):
        ours.zero_grad()
        theirs.zero_grad()
        x = rng.normal(loc=2.0, scale=3.0, size=shape)
        xt = torch.tensor(x, requires_grad=True)
        xb = bp.tensor(x, dtype=F64, requires_grad=True)
        out_t, out_b = theirs(xt), ours(xb)
        rel_close(out_b.data, out_t.detach().numpy())
        w = rng.normal(size=shape)
        (out_t * torch.from_numpy(w)).sum().backward()
        (out_b * w).sum().backward()
        rel_close(xb.grad, xt.grad.numpy())
        rel_close(ours.weight.grad, theirs.weight.grad.numpy())
        rel_close(ours.bias.grad, theirs.bias.grad.numpy())
    rel_close(ours.running_mean, theirs.running_mean.numpy())
    rel_close(ours.running_var, theirs.running_var.numpy())
    assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked) == 5
    # Evaluation mode uses the running statistics.
    ours.eval()
    theirs.eval()
    copy_params(ours, theirs)
    compare(ours, theirs, rng.normal(size=shape), rng)


def test_batchnorm_without_affine_or_running_stats(rng):
    ours = nn.BatchNorm1d(3, affine=False, track_running_stats=False, dtype=F64)
    theirs = torch.nn.BatchNorm1d(3, affine=False, track_running_stats=False, dtype=torch.float64)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == []
    compare(ours, theirs, rng.normal(size=(6, 3)), rng)
    ours.eval()
    theirs.eval()
    compare(ours, theirs, rng.normal(size=(6, 3)), rng)


def test_flatten_identity_residual(rng):
    compare(nn.Flatten(), torch.nn.Flatten(), rng.normal(size=(3, 2, 4)), rng)
    compare(nn.Identity(), torch.nn.Identity(), rng.normal(size=(3, 2)), rng)

    class TorchResidual(torch.nn.Module):
        def __init__(self, block):
            super().__init__()
            self.block = block

        def forward(self, x):
            return x + self.block(x)

    ours = nn.Residual(nn.Sequential(nn.Linear(4, 4, rng=rng, dtype=F64), nn.Tanh()))
    theirs = TorchResidual(torch.nn.Sequential(torch.nn.Linear(4, 4, dtype=torch.float64), torch.nn.Tanh()))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    compare(ours, theirs, rng.normal(size=(5, 4)), rng)


def make_pair(rng):
    ours = nn.Sequential(nn.Linear(4, 6, rng=rng, dtype=F64), nn.BatchNorm1d(6, dtype=F64), nn.ReLU(),
                         nn.Dropout(0.5), nn.Linear(6, 2, rng=rng, dtype=F64))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(),
                                 torch.nn.Dropout(0.5), torch.nn.Linear(6, 2)).double()
    return ours, theirs


def test_state_dict_keys_and_shapes_equal_torch(rng):
    ours, theirs = make_pair(rng)
    ours_state, torch_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(torch_state)
    for key in torch_state:
        assert ours_state[key].shape == tuple(torch_state[key].shape), key
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]


def test_torch_state_dict_loads_and_gives_identical_outputs(rng):
    ours, theirs = make_pair(rng)
    theirs.train()
    with torch.no_grad():  # give the running statistics non-trivial values
        for _ in range(3):
            theirs(torch.from_numpy(rng.normal(size=(10, 4))))
    theirs.eval()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    ours.eval()
    assert int(ours[1].num_batches_tracked) == 3
    x = rng.normal(size=(5, 4))
    rel_close(ours(x).data, theirs(torch.from_numpy(x)).detach().numpy())
    # torch tensors themselves are accepted too (via np.asarray / .detach()).
    ours.load_state_dict(dict(theirs.state_dict()))
    ours.load_state_dict(dict(theirs.named_parameters()), strict=False)
    rel_close(ours(x).data, theirs(torch.from_numpy(x)).detach().numpy())
