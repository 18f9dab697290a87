"""Conv1d / Conv2d: finite-difference gradients, dtypes, init, config, bad input."""

import itertools
import json

import numpy as np
import pytest

import backprop as bp
from backprop.autograd.ops.conv import conv, conv1d, conv2d
from backprop.inspect import gradcheck
from backprop.nn.conv import Conv1d, Conv2d
from backprop.nn.registry import LAYERS, build_layer, layer_config

F64 = np.float64


def conv_grid():
    """(ndim, stride, padding, dilation, groups, bias) over the option grid; 'same' needs stride 1."""
    for ndim, stride, padding, dilation, groups, bias in itertools.product(
            (1, 2), (1, 2), (0, 1, "same"), (1, 2), (1, 2), (True, False)):
        if padding == "same" and stride != 1:
            continue
        yield ndim, stride, padding, dilation, groups, bias


def make_layer(ndim, in_channels, out_channels, kernel, rng, **options):
    cls = Conv1d if ndim == 1 else Conv2d
    return cls(in_channels, out_channels, kernel, rng=rng, dtype=F64, **options)


@pytest.mark.parametrize("ndim,stride,padding,dilation,groups,bias", list(conv_grid()))
def test_conv_gradcheck(ndim, stride, padding, dilation, groups, bias, rng):
    # Even kernel along the last axis so 'same' needs asymmetric padding.
    kernel = (2,) if ndim == 1 else (3, 2)
    spatial = (7,) if ndim == 1 else (5, 6)
    layer = make_layer(ndim, 2, 4, kernel, rng, stride=stride, padding=padding, dilation=dilation,
                       groups=groups, bias=bias)
    x = bp.tensor(rng.normal(size=(2, 2) + spatial), requires_grad=True)
    params = [layer.weight] + ([layer.bias] if bias else [])

    def fn(x_, w_, *b_):
        return conv(x_, w_, b_[0] if b_ else None, stride, padding, dilation, groups)

    assert gradcheck(fn, [x] + params)
    if padding == "same":
        assert layer(x).shape[2:] == spatial


def test_gradcheck_catches_wrong_backward(rng, monkeypatch):
    """The tests above can fail: a backward that drops a kernel offset is caught."""
    from backprop.autograd.ops import conv as conv_ops
    from backprop.inspect.gradcheck import GradcheckError

    original = conv_ops.ConvNd.backward

    def broken(self, g):
        gx, gw, *rest = original(self, g)
        gw = gw.copy()
        gw[..., 0] = 0
        return (gx, gw, *rest)

    monkeypatch.setattr(conv_ops.ConvNd, "backward", broken)
    x = bp.tensor(rng.normal(size=(1, 1, 5)), requires_grad=True)
    w = bp.tensor(rng.normal(size=(2, 1, 3)), requires_grad=True)
    with pytest.raises(GradcheckError):
        gradcheck(lambda a, b: conv1d(a, b), [x, w])


def test_conv_only_needed_gradients(rng):
    x = bp.tensor(rng.normal(size=(2, 3, 6, 6)))  # input needs no gradient
    layer = Conv2d(3, 4, 3, rng=rng, dtype=F64)
    layer(x).sum().backward()
    assert x.grad is None
    assert layer.weight.grad.shape == (4, 3, 3, 3) and layer.bias.grad.shape == (4,)
    np.testing.assert_allclose(layer.bias.grad, np.full(4, 2 * 4 * 4))


def test_conv_matches_direct_loop(rng):
    """A slow, obvious definition (loops) as a second, torch-free reference."""
    x = rng.normal(size=(2, 4, 6, 5))
    w = rng.normal(size=(6, 2, 3, 2))
    b = rng.normal(size=6)
    stride, pad, dil, groups = (2, 1), (1, 2), (1, 2), 2
    y = conv2d(bp.tensor(x), bp.tensor(w), bp.tensor(b), stride, pad, dil, groups).data
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    expected = np.zeros_like(y)
    for n, o, i, j in itertools.product(*(range(s) for s in y.shape)):
        gi = o // (6 // groups)
        chans = slice(gi * 2, gi * 2 + 2)
        patch = xp[n, chans, i * stride[0]:i * stride[0] + dil[0] * 2 + 1:dil[0],
                   j * stride[1]:j * stride[1] + dil[1] * 1 + 1:dil[1]]
        expected[n, o, i, j] = np.sum(patch * w[o]) + b[o]
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cls,shape", [(Conv1d, (3, 2, 9)), (Conv2d, (3, 2, 7, 6))])
def test_float32_in_float32_out(cls, shape, rng):
    layer = cls(2, 4, 3, padding=1, groups=2, rng=rng)
    x = bp.tensor(rng.normal(size=shape).astype(np.float32), requires_grad=True)
    y = layer(x)
    assert y.dtype == np.float32
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    assert layer.weight.grad.dtype == np.float32 and layer.bias.grad.dtype == np.float32
    # Raw float64 arrays are converted to the layer's dtype.
    assert layer(rng.normal(size=shape)).dtype == np.float32


def test_float64_tensor_into_float32_layer_is_an_error(rng):
    with pytest.raises(TypeError, match="float32 parameters"):
        Conv2d(1, 2, 3, rng=rng)(bp.tensor(np.zeros((1, 1, 5, 5)), requires_grad=True))


def test_default_init_is_pytorch_and_uses_the_given_rng():
    state = np.random.get_state()[1].copy()
    a = Conv2d(4, 8, (3, 5), groups=2, rng=7)
    b = Conv2d(4, 8, (3, 5), groups=2, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # global state untouched
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    bound = 1 / np.sqrt(2 * 3 * 5)  # fan_in = in_channels / groups * kh * kw
    assert a.weight.shape == (8, 2, 3, 5) and a.bias.shape == (8,)
    assert np.abs(a.weight.data).max() <= bound and np.abs(a.weight.data).max() > 0.8 * bound
    assert np.abs(a.bias.data).max() <= bound
    assert a.weight.dtype == np.float32


def test_named_initializer_and_no_bias(rng):
    layer = Conv1d(3, 5, 4, bias=False, init="he_normal", rng=rng, dtype=F64)
    assert layer.bias is None
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    assert layer.weight.dtype == F64 and layer.weight.shape == (5, 3, 4)
    assert list(layer.state_dict()) == ["weight"]
    with_bias = Conv1d(3, 5, 4, init="xavier_uniform", rng=rng)
    np.testing.assert_array_equal(with_bias.bias.data, 0)


@pytest.mark.parametrize("layer", [
    Conv1d(2, 4, 3, stride=2, padding=1, dilation=2, groups=2, bias=False, rng=0),
    Conv2d(3, 6, (3, 1), padding="same", groups=3, init="he_uniform", rng=0, dtype=F64),
    Conv2d(1, 2, 2, padding="valid", rng=0),
])
def test_config_round_trip(layer, rng):
    config = json.loads(json.dumps(layer_config(layer)))
    rebuilt = build_layer(config)
    assert type(rebuilt) is type(layer)
    assert rebuilt.get_config() == layer.get_config()
    rebuilt.load_state_dict(layer.state_dict())
    shape = (2, layer.in_channels) + (7,) * (layer.weight.ndim - 2)
    x = rng.normal(size=shape).astype(layer.weight.dtype)
    np.testing.assert_array_equal(rebuilt(x).data, layer(x).data)


def test_registered():
    assert LAYERS["Conv1d"] is Conv1d and LAYERS["Conv2d"] is Conv2d


def test_output_shapes(rng):
    assert Conv2d(1, 16, 3, padding=1, rng=rng)(np.zeros((4, 1, 28, 28))).shape == (4, 16, 28, 28)
    assert Conv2d(1, 16, 3, stride=2, rng=rng)(np.zeros((4, 1, 28, 28))).shape == (4, 16, 13, 13)
    assert Conv1d(1, 8, 5, padding="same", dilation=3, rng=rng)(np.zeros((2, 1, 40))).shape == (2, 8, 40)
    assert Conv1d(4, 8, 5, rng=rng)(np.zeros((2, 4, 40))).shape == (2, 8, 36)


# ----------------------------------------------------------------------------- bad input


def test_error_wrong_rank_names_layer_and_shapes(rng):
    layer = Conv2d(1, 16, kernel_size=3, rng=rng)
    with pytest.raises(ValueError) as info:
        layer(np.zeros((28, 28, 1), dtype=np.float32))
    assert "Conv2d(1, 16, kernel_size=(3, 3)) expects input of shape (N, C, H, W), got (28, 28, 1)" \
        in str(info.value)
    with pytest.raises(ValueError, match=r"Conv1d\(2, 3, kernel_size=\(3,\)\) expects input of shape \(N, C, L\)"):
        Conv1d(2, 3, 3, rng=rng)(np.zeros((4, 2, 5, 5)))


def test_error_channel_mismatch(rng):
    with pytest.raises(ValueError, match=r"expected 1 input channels .* got 3 .*\(8, 3, 28, 28\)"):
        Conv2d(1, 16, 3, rng=rng)(np.zeros((8, 3, 28, 28)))


def test_error_kernel_larger_than_padded_input(rng):
    with pytest.raises(ValueError, match=r"Conv2d\(1, 2, kernel_size=\(5, 5\)\).*larger than the padded input"):
        Conv2d(1, 2, 5, padding=1, rng=rng)(np.zeros((1, 1, 2, 9)))
    with pytest.raises(ValueError, match="dilation 3"):
        Conv1d(1, 2, 3, dilation=3, rng=rng)(np.zeros((1, 1, 6)))


@pytest.mark.parametrize("kwargs,message", [
    (dict(in_channels=3, out_channels=4, kernel_size=3, groups=2), r"in_channels \(3\) must be divisible by groups \(2\)"),
    (dict(in_channels=4, out_channels=3, kernel_size=3, groups=2), r"out_channels \(3\) must be divisible by groups \(2\)"),
    (dict(in_channels=4, out_channels=4, kernel_size=3, groups=0), "groups must be a positive integer"),
    (dict(in_channels=0, out_channels=4, kernel_size=3), "in_channels must be a positive integer"),
    (dict(in_channels=1, out_channels=4, kernel_size=0), "kernel_size must be >= 1"),
    (dict(in_channels=1, out_channels=4, kernel_size=(3, 3, 3)), "kernel_size must be an int or a tuple of 2"),
    (dict(in_channels=1, out_channels=4, kernel_size=3, stride=0), "stride must be >= 1"),
    (dict(in_channels=1, out_channels=4, kernel_size=3, stride=1.5), "stride must be an int"),
    (dict(in_channels=1, out_channels=4, kernel_size=3, padding=-1), "padding must be >= 0"),
    (dict(in_channels=1, out_channels=4, kernel_size=3, padding="full"), "padding must be an int, a tuple of ints, 'same' or 'valid'"),
    (dict(in_channels=1, out_channels=4, kernel_size=3, padding="same", stride=2), "padding='same' needs stride 1"),
    (dict(in_channels=1, out_channels=4, kernel_size=3, dilation=0), "dilation must be >= 1"),
    (dict(in_channels=1, out_channels=4, kernel_size=3, dtype=np.int32), "dtype must be a floating-point"),
])
def test_error_invalid_constructor_arguments(kwargs, message):
    error = TypeError if "dtype" in kwargs else ValueError
    with pytest.raises(error, match=message):
        Conv2d(**kwargs)


def test_error_in_functional_api(rng):
    x = bp.tensor(np.zeros((1, 3, 5, 5)))
    with pytest.raises(ValueError, match="input has 3 channels"):
        conv2d(x, bp.tensor(np.zeros((4, 2, 3, 3))))
    with pytest.raises(ValueError, match="must have 4 dimensions"):
        conv(bp.tensor(np.zeros((3, 5, 5))), bp.tensor(np.zeros((4, 3, 3, 3))))
    with pytest.raises(ValueError, match="bias must have shape"):
        conv(x, bp.tensor(np.zeros((4, 3, 3, 3))), bp.tensor(np.zeros(3)))
