"""MaxPool / AvgPool / GlobalAvgPool: finite differences, tie-breaking, dtypes, config, bad input."""

import itertools
import json

import numpy as np
import pytest

import backprop as bp
from backprop.autograd.ops.pool import avg_pool, global_avg_pool, max_pool
from backprop.inspect import gradcheck
from backprop.nn.pooling import AvgPool1d, AvgPool2d, GlobalAvgPool, MaxPool1d, MaxPool2d
from backprop.nn.registry import LAYERS, build_layer, layer_config

POOLS = {1: (MaxPool1d, AvgPool1d), 2: (MaxPool2d, AvgPool2d)}


def distinct_values(shape, rng):
    """Values at least 0.1 apart (a random permutation): no ties, so max pool is smooth there."""
    size = int(np.prod(shape))
    return (rng.permutation(size).reshape(shape) * 0.1 + rng.uniform(0, 0.01, shape)).astype(np.float64)


GRID = list(itertools.product((1, 2), ("max", "avg"), (2, 3), (None, 1, 2), (0, 1)))


@pytest.mark.parametrize("ndim,kind,kernel,stride,padding", GRID)
def test_pool_gradcheck(ndim, kind, kernel, stride, padding, rng):
    spatial = (7,) if ndim == 1 else (5, 6)
    layer = POOLS[ndim][kind == "avg"](kernel, stride=stride, padding=padding)
    x = bp.tensor(distinct_values((2, 2) + spatial, rng), requires_grad=True)
    assert gradcheck(layer, [x])


@pytest.mark.parametrize("ndim", [1, 2])
def test_avg_pool_exclude_pad_gradcheck(ndim, rng):
    layer = POOLS[ndim][1](3, stride=2, padding=1, count_include_pad=False)
    x = bp.tensor(rng.normal(size=(2, 2) + (6,) * ndim), requires_grad=True)
    assert gradcheck(layer, [x])


def test_global_avg_pool_gradcheck(rng):
    for shape in [(2, 3, 5), (2, 3, 4, 5)]:
        x = bp.tensor(rng.normal(size=shape), requires_grad=True)
        assert gradcheck(GlobalAvgPool(), [x])
        np.testing.assert_allclose(GlobalAvgPool()(x).data, x.data.reshape(2, 3, -1).mean(axis=2))


def test_max_pool_values_and_routing():
    x = np.array([[[[1., 2., 5., 0.],
                    [3., 4., 1., 1.],
                    [0., 0., 2., 2.],
                    [7., 0., 2., 2.]]]])
    xb = bp.tensor(x, requires_grad=True)
    y = MaxPool2d(2)(xb)
    np.testing.assert_array_equal(y.data, [[[[4., 5.], [7., 2.]]]])
    y.backward(np.array([[[[10., 20.], [30., 40.]]]]))
    expected = np.zeros_like(x)
    expected[0, 0, 1, 1], expected[0, 0, 0, 2], expected[0, 0, 3, 0] = 10, 20, 30
    expected[0, 0, 2, 2] = 40  # four tied 2s: the first in row-major window order wins
    np.testing.assert_array_equal(xb.grad, expected)


def test_max_pool_overlapping_windows_accumulate():
    x = bp.tensor(np.array([[[0., 9., 1., 2.]]]), requires_grad=True)
    y = MaxPool1d(2, stride=1)(x)
    np.testing.assert_array_equal(y.data, [[[9., 9., 2.]]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[[0., 2., 0., 1.]]])


def test_max_pool_padding_never_wins():
    x = bp.tensor(-np.ones((1, 1, 3)) * 5, requires_grad=True)
    y = MaxPool1d(2, stride=2, padding=1)(x)
    np.testing.assert_array_equal(y.data, [[[-5., -5.]]])


def test_avg_pool_values():
    x = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
    np.testing.assert_allclose(AvgPool2d(2)(x).data, [[[[2.5, 4.5], [10.5, 12.5]]]])
    # Padding counts as zeros in the divisor by default (PyTorch's count_include_pad=True).
    np.testing.assert_allclose(AvgPool1d(3, stride=3, padding=1)(np.array([[[3., 3., 3., 3.]]])).data, [[[2., 2.]]])
    np.testing.assert_allclose(
        AvgPool1d(3, stride=3, padding=1, count_include_pad=False)(np.array([[[3., 3., 3., 3.]]])).data, [[[3., 3.]]])


@pytest.mark.parametrize("layer,shape", [
    (MaxPool1d(2), (2, 3, 8)), (MaxPool2d(3, stride=2, padding=1), (2, 3, 7, 7)),
    (AvgPool1d(2), (2, 3, 8)), (AvgPool2d(2, padding=1), (2, 3, 7, 7)), (GlobalAvgPool(), (2, 3, 5, 5)),
])
def test_float32_in_float32_out(layer, shape, rng):
    x = bp.tensor(rng.normal(size=shape).astype(np.float32), requires_grad=True)
    y = layer(x)
    assert y.dtype == np.float32
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.shape == shape


def test_functional_api(rng):
    x = bp.tensor(rng.normal(size=(2, 3, 6, 6)))
    np.testing.assert_array_equal(max_pool(x, 2).data, MaxPool2d(2)(x).data)
    np.testing.assert_array_equal(avg_pool(x, 3, 1, 1).data, AvgPool2d(3, 1, 1)(x).data)
    assert global_avg_pool(x).shape == (2, 3)


@pytest.mark.parametrize("layer", [MaxPool1d(3, stride=2, padding=1), MaxPool2d((2, 3)),
                                   AvgPool2d(3, padding=1, count_include_pad=False), AvgPool1d(2, 1),
                                   GlobalAvgPool()])
def test_config_round_trip(layer, rng):
    rebuilt = build_layer(json.loads(json.dumps(layer_config(layer))))
    assert type(rebuilt) is type(layer) and rebuilt.get_config() == layer.get_config()
    x = rng.normal(size=(2, 2, 8) if "1d" in type(layer).__name__ else (2, 2, 8, 8))
    np.testing.assert_array_equal(rebuilt(x).data, layer(x).data)
    assert LAYERS[type(layer).__name__] is type(layer)


def test_default_stride_is_kernel_size():
    assert MaxPool2d(3).stride == (3, 3) and AvgPool1d(4).stride == (4,)
    assert MaxPool2d(2)(np.zeros((1, 1, 28, 28))).shape == (1, 1, 14, 14)


def test_errors():
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=\(2, 2\)\) expects input of shape \(N, C, H, W\), "
                                         r"got \(28, 28\)"):
        MaxPool2d(2)(np.zeros((28, 28)))
    with pytest.raises(ValueError, match=r"AvgPool1d\(kernel_size=\(5,\)\).*larger than the padded input"):
        AvgPool1d(5)(np.zeros((1, 1, 3)))
    with pytest.raises(ValueError, match="padding must be at most half the kernel size"):
        MaxPool2d(2, padding=2)
    with pytest.raises(ValueError, match="kernel_size must be >= 1"):
        AvgPool2d(0)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        MaxPool1d(2, stride=0)
    with pytest.raises(ValueError, match="padding must be >= 0"):
        AvgPool1d(2, padding=-1)
    with pytest.raises(ValueError, match="kernel_size must be an int or a tuple of 2"):
        MaxPool2d((2, 2, 2))
    with pytest.raises(ValueError, match=r"GlobalAvgPool expects input of shape \(N, C, \*spatial\)"):
        GlobalAvgPool()(np.zeros((4, 3)))
