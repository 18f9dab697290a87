"""PyTorch as the oracle for MaxPool/AvgPool 1d/2d and GlobalAvgPool (float64)."""

import itertools

import numpy as np
import pytest

import backprop as bp
from backprop.nn.pooling import AvgPool1d, AvgPool2d, GlobalAvgPool, MaxPool1d, MaxPool2d

from .torch_helpers import compare, one_torch_thread, rel_close, torch  # noqa: F401  (autouse fixture)

pytestmark = pytest.mark.torch


PAIRS = {
    ("max", 1): (MaxPool1d, torch.nn.MaxPool1d), ("max", 2): (MaxPool2d, torch.nn.MaxPool2d),
    ("avg", 1): (AvgPool1d, torch.nn.AvgPool1d), ("avg", 2): (AvgPool2d, torch.nn.AvgPool2d),
}
GRID = [c for c in itertools.product(("max", "avg"), (1, 2), (2, 3, (3, 2)), (None, 1, 2), (0, 1))
        if not (c[1] == 1 and isinstance(c[2], tuple))]


@pytest.mark.parametrize("kind,ndim,kernel,stride,padding", GRID)
def test_pool_matches_torch(kind, ndim, kernel, stride, padding, rng):
    ours_cls, theirs_cls = PAIRS[kind, ndim]
    options = dict(stride=stride, padding=padding)
    shape = (3, 4, 11) if ndim == 1 else (3, 4, 9, 8)
    compare(ours_cls(kernel, **options), theirs_cls(kernel, **options), rng.normal(size=shape), rng)


@pytest.mark.parametrize("ndim", [1, 2])
def test_max_pool_ties_match_torch(ndim, rng):
    """Rounded inputs have many ties: the gradient goes to the same (first) element as in torch."""
    shape = (2, 3) + (10,) * ndim
    x = np.round(rng.normal(size=shape))
    ours_cls, theirs_cls = PAIRS["max", ndim]
    compare(ours_cls(3, stride=2, padding=1), theirs_cls(3, stride=2, padding=1), x, rng)
    compare(ours_cls(2), theirs_cls(2), x, rng)


@pytest.mark.parametrize("ndim", [1, 2])
def test_avg_pool_exclude_pad_matches_torch(ndim, rng):
    ours_cls, theirs_cls = PAIRS["avg", ndim]
    shape = (2, 3) + (9,) * ndim
    compare(ours_cls(3, stride=2, padding=1, count_include_pad=False),
            theirs_cls(3, stride=2, padding=1, count_include_pad=False), rng.normal(size=shape), rng)


@pytest.mark.parametrize("ndim", [1, 2])
def test_global_avg_pool_matches_adaptive_avg_pool(ndim, rng):
    theirs = torch.nn.AdaptiveAvgPool1d(1) if ndim == 1 else torch.nn.AdaptiveAvgPool2d(1)
    shape = (3, 5) + (7,) * ndim
    compare(GlobalAvgPool(), theirs, rng.normal(size=shape), rng, reshape_theirs=(3, 5))


@pytest.mark.parametrize("stride", [None, 1])
def test_max_pool_nan_propagates_like_torch(stride, rng):
    x = rng.normal(size=(1, 2, 6, 6))
    x[0, 0, 1, 1] = x[0, 1, 4, 3] = np.nan
    xb = bp.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    out_b, out_t = MaxPool2d(2, stride=stride)(xb), torch.nn.MaxPool2d(2, stride=stride)(xt)
    np.testing.assert_array_equal(out_b.data, out_t.detach().numpy())  # NaNs in the same places
    w = rng.normal(size=out_b.shape)
    (out_b * w).sum().backward()
    (out_t * torch.from_numpy(w)).sum().backward()
    rel_close(xb.grad, xt.grad.numpy())
