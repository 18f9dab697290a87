"""PyTorch as the oracle for Conv1d/Conv2d (float64) and for loading a torch CNN's state dict."""

import itertools

import numpy as np
import pytest

from backprop.nn import Flatten, Linear, ReLU, Sequential
from backprop.nn.conv import Conv1d, Conv2d
from backprop.nn.pooling import MaxPool2d

from .torch_helpers import F64, compare, one_torch_thread, rel_close, torch  # noqa: F401  (autouse fixture)

pytestmark = pytest.mark.torch


GRID = [c for c in itertools.product((1, 2), (0, 1, "same"), (1, 2), (1, 2), (True, False))
        if not (c[1] == "same" and c[0] != 1)]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("stride,padding,dilation,groups,bias", GRID)
def test_conv1d_matches_torch(stride, padding, dilation, groups, bias, rng):
    options = dict(stride=stride, padding=padding, dilation=dilation, groups=groups, bias=bias)
    for kernel in (3, 4):
        ours = Conv1d(4, 6, kernel, rng=rng, dtype=F64, **options)
        theirs = torch.nn.Conv1d(4, 6, kernel, **options).double()
        compare(ours, theirs, rng.normal(size=(3, 4, 13)), rng)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("stride,padding,dilation,groups,bias", GRID)
def test_conv2d_matches_torch(stride, padding, dilation, groups, bias, rng):
    options = dict(stride=stride, padding=padding, dilation=dilation, groups=groups, bias=bias)
    for kernel in (3, (2, 3)):
        ours = Conv2d(4, 6, kernel, rng=rng, dtype=F64, **options)
        theirs = torch.nn.Conv2d(4, 6, kernel, **options).double()
        compare(ours, theirs, rng.normal(size=(2, 4, 9, 8)), rng)


def test_conv2d_mixed_per_axis_options_match_torch(rng):
    options = dict(stride=(2, 1), padding=(0, 2), dilation=(1, 3), groups=4)
    ours = Conv2d(4, 8, (3, 2), rng=rng, dtype=F64, **options)
    theirs = torch.nn.Conv2d(4, 8, (3, 2), **options).double()
    compare(ours, theirs, rng.normal(size=(2, 4, 10, 9)), rng)


def test_default_init_distribution_matches_torch():
    """Same bound as torch's kaiming_uniform(a=√5): the empirical ranges agree."""
    ours = Conv2d(3, 64, 5, rng=0)
    theirs = torch.nn.Conv2d(3, 64, 5)
    for name in ("weight", "bias"):
        a = getattr(ours, name).data
        b = getattr(theirs, name).detach().numpy()
        assert a.shape == b.shape and a.dtype == b.dtype
        bound = 1 / np.sqrt(3 * 25)
        assert np.abs(a).max() <= bound and np.abs(b).max() <= bound
        assert abs(np.abs(a).max() - np.abs(b).max()) < 0.1 * bound


def small_cnns(dtype):
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(4 * 4 * 4, 3))
    ours = Sequential(Conv2d(1, 4, 3, padding=1, rng=1, dtype=dtype), ReLU(), MaxPool2d(2), Flatten(),
                      Linear(4 * 4 * 4, 3, rng=1, dtype=dtype))
    return ours, theirs.to(torch.float64 if dtype == F64 else torch.float32)


@pytest.mark.parametrize("dtype,rtol", [(F64, 1e-12), (np.float32, 1e-5)])
def test_torch_cnn_state_dict_loads_and_gives_same_outputs(dtype, rtol, rng):
    ours, theirs = small_cnns(dtype)
    state = {k: v.numpy() for k, v in theirs.state_dict().items()}
    assert list(state) == list(ours.state_dict())
    ours.load_state_dict(state)
    x = rng.normal(size=(5, 1, 8, 8)).astype(dtype)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    out = ours(x)
    assert out.dtype == dtype
    rel_close(out.data, expected, rtol)


def test_cnn_gradients_match_torch(rng):
    ours, theirs = small_cnns(F64)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    compare(ours, theirs, rng.normal(size=(3, 1, 8, 8)), rng)
