"""Losses without PyTorch: finite differences, stability, dtype, the seeds' value, bad input."""

import numpy as np
import pytest

import backprop as bp
from backprop.autograd.ops import loss as loss_ops
from backprop.inspect.gradcheck import gradcheck
from backprop.nn import functional as F
from backprop.nn import losses as L
from backprop.nn.module import Module

REDUCTIONS = ["mean", "sum", "none"]


def t64(a, requires_grad=True):
    return bp.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# ----------------------------------------------------------------------------- finite differences
def _regression_case(rng):
    x = rng.standard_normal((4, 3))
    y = x + rng.choice([-1.0, 1.0], size=x.shape) * rng.uniform(0.1, 2.5, size=x.shape)  # away from kinks
    return x, y


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("fn", [
    F.mse_loss, F.l1_loss,
    lambda a, y, **k: F.huber_loss(a, y, delta=0.7, **k),
    lambda a, y, **k: F.smooth_l1_loss(a, y, beta=0.6, **k),
], ids=["mse", "l1", "huber", "smooth_l1"])
def test_regression_gradcheck(fn, reduction, rng):
    x, y = _regression_case(rng)
    # |d| stays 0.1 away from the kinks at 0 and at δ = 0.7 / β = 0.6.
    d = np.abs(x - y)
    assert np.all(np.abs(d - 0.7) > 1e-3) and np.all(np.abs(d - 0.6) > 1e-3)
    s = rng.uniform(0.5, 2.0, size=4)
    assert gradcheck(lambda a, t: fn(a, t, reduction=reduction), [t64(x), t64(y)])
    assert gradcheck(lambda a: fn(a, y, reduction=reduction, sample_weight=s), [t64(x)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_gradcheck(reduction, rng):
    p = rng.uniform(0.05, 0.95, size=(3, 4))
    y = rng.uniform(size=(3, 4))
    w = rng.uniform(0.5, 2, size=(4,))
    s = rng.uniform(0.5, 2, size=3)
    assert gradcheck(lambda a: F.binary_cross_entropy(a, y, weight=w, reduction=reduction, sample_weight=s),
                     [t64(p)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_gradcheck(reduction, rng):
    z = rng.standard_normal((3, 4)) * 3
    y = rng.uniform(size=(3, 4))
    pw = rng.uniform(0.5, 3, size=(4,))
    s = rng.uniform(0.5, 2, size=3)
    assert gradcheck(lambda a: F.binary_cross_entropy_with_logits(a, y, reduction=reduction), [t64(z)])
    assert gradcheck(lambda a: F.binary_cross_entropy_with_logits(
        a, y, weight=pw[::-1], pos_weight=pw, reduction=reduction, sample_weight=s), [t64(z)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5, 4), (2, 4, 3), (4,)], ids=["NC", "NCL", "C"])
def test_cross_entropy_gradcheck(shape, reduction, rng):
    z = rng.standard_normal(shape) * 2
    n_classes = shape[1] if len(shape) > 1 else shape[0]
    sample_shape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
    y = rng.integers(0, n_classes, size=sample_shape)
    w = rng.uniform(0.5, 2, size=n_classes)
    q = rng.dirichlet(np.ones(n_classes), size=sample_shape)
    q = np.moveaxis(q, -1, 1) if len(shape) > 1 else q
    s = rng.uniform(0.5, 2, size=sample_shape)
    assert gradcheck(lambda a: F.cross_entropy(a, y, reduction=reduction), [t64(z)])
    assert gradcheck(lambda a: F.cross_entropy(a, y, weight=w, label_smoothing=0.2, reduction=reduction,
                                               sample_weight=s), [t64(z)])
    assert gradcheck(lambda a: F.cross_entropy(a, q, weight=w, label_smoothing=0.1, reduction=reduction,
                                               sample_weight=s), [t64(z)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_ignore_index_gradcheck_and_zero_gradient(reduction, rng):
    z = rng.standard_normal((5, 3))
    y = np.array([0, -100, 2, 1, -100])
    assert gradcheck(lambda a: F.cross_entropy(a, y, weight=[1.0, 2.0, 0.5], label_smoothing=0.3,
                                               reduction=reduction), [t64(z)])
    x = t64(z)
    out = F.cross_entropy(x, y, reduction=reduction)
    out.backward(np.ones(out.shape))
    assert np.all(x.grad[[1, 4]] == 0)
    if reduction == "none":
        assert np.all(out.data[[1, 4]] == 0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_gradcheck(reduction, rng):
    x = np.log(rng.dirichlet(np.ones(4), size=5))
    y = np.array([0, 3, -100, 1, 1])
    assert gradcheck(lambda a: F.nll_loss(a, y, weight=[1.0, 0.5, 2.0, 3.0], reduction=reduction,
                                          sample_weight=np.arange(1.0, 6.0)), [t64(x)])


def test_gradcheck_catches_a_wrong_backward(rng, monkeypatch):
    """The finite-difference tests above would notice a broken fused backward."""
    z, y = rng.standard_normal((4, 3)), rng.integers(0, 3, size=4)
    original = loss_ops.CrossEntropy.backward
    monkeypatch.setattr(loss_ops.CrossEntropy, "backward", lambda self, g: (original(self, g)[0] * 1.01,))
    with pytest.raises(AssertionError):
        gradcheck(lambda a: F.cross_entropy(a, y), [t64(z)])


# ----------------------------------------------------------------------------- values
def test_uniform_logits_give_ln_c():
    for n_classes in (2, 10):
        z = t64(np.zeros((8, n_classes)))
        loss = L.CrossEntropyLoss()(z, np.arange(8) % n_classes)
        assert loss.item() == pytest.approx(np.log(n_classes), rel=1e-15)
    assert L.CrossEntropyLoss()(bp.tensor(np.zeros((3, 10), np.float32)), [1, 2, 3]).item() == \
        pytest.approx(np.log(10), rel=1e-6)


def test_cross_entropy_gradient_is_softmax_minus_one_hot(rng):
    z = rng.standard_normal((4, 6))
    y = np.array([5, 0, 2, 2])
    x = t64(z)
    loss = F.cross_entropy(x, y, reduction="sum")
    assert loss.grad_fn.name == "CrossEntropy" and loss.grad_fn.parents == (x,)  # one fused node
    loss.backward()
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(x.grad, p - np.eye(6)[y], rtol=1e-12, atol=1e-15)


def test_seed_quadratic_cost():
    """The seeds' ½(y - a)² with a = 0.67718683, y = 0.7 is 0.00026022; gradient a - y."""
    a = t64([0.67718683])
    loss = 0.5 * L.MSELoss(reduction="sum")(a, [0.7])
    assert loss.item() == pytest.approx(0.00026022, abs=1e-8)
    loss.backward()
    np.testing.assert_allclose(a.grad, [0.67718683 - 0.7], rtol=1e-12)


def test_mse_is_mean_of_squares():
    x = t64([[1.0, 2.0], [3.0, 4.0]])
    assert F.mse_loss(x, [[0.0, 0.0], [1.0, 1.0]]).item() == pytest.approx((1 + 4 + 4 + 9) / 4)
    np.testing.assert_array_equal(F.mse_loss(x, np.zeros((2, 2)), reduction="none").data, [[1, 4], [9, 16]])


def test_sample_weight_sklearn_semantics():
    x = t64([1.0, 2.0, 3.0])
    s = np.array([1.0, 0.0, 3.0])
    # Σ s_i l_i / Σ s_i with l = (1, 4, 9)
    assert F.mse_loss(x, np.zeros(3), sample_weight=s).item() == pytest.approx((1 + 27) / 4)
    assert F.mse_loss(x, np.zeros(3), sample_weight=s, reduction="sum").item() == pytest.approx(28)
    np.testing.assert_allclose(F.mse_loss(x, np.zeros(3), sample_weight=s, reduction="none").data, [1, 0, 27])
    # Multi-output: weights broadcast over outputs; all-ones weights change nothing.
    x2 = t64([[1.0, 3.0], [2.0, 2.0]])
    assert F.l1_loss(x2, np.zeros((2, 2)), sample_weight=[1, 3]).item() == pytest.approx((4 + 3 * 4) / 8)
    assert F.l1_loss(x2, np.zeros((2, 2)), sample_weight=[1, 1]).item() == F.l1_loss(x2, np.zeros((2, 2))).item()


# ----------------------------------------------------------------------------- stability
def test_cross_entropy_huge_logits_finite():
    z = t64([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4]])
    y = np.array([1, 2, 0])
    loss = F.cross_entropy(z, y, label_smoothing=0.1)
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(z.grad))
    # -log p_1 for row 0 is exactly 2e4 (before smoothing): check the unsmoothed value too.
    assert F.cross_entropy(z, y, reduction="none").data[0] == pytest.approx(2e4)
    z32 = bp.tensor(np.array([[1e4, -1e4]], np.float32), requires_grad=True)
    out = F.cross_entropy(z32, [1])
    out.backward()
    assert np.isfinite(out.item()) and np.all(np.isfinite(z32.grad))


def test_bce_with_logits_huge_logits_finite():
    z = t64([1e4, -1e4, 1e4, -1e4])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(z, y, reduction="none", pos_weight=[2.0, 2.0, 2.0, 2.0])
    loss.sum().backward()
    np.testing.assert_allclose(loss.data, [0, 0, 1e4, 2e4])
    np.testing.assert_allclose(z.grad, [0, 0, 1, -2])


def test_bce_probabilities_0_and_1_finite():
    p = t64([0.0, 1.0, 0.0, 1.0])
    loss = F.binary_cross_entropy(p, [0.0, 1.0, 1.0, 0.0], reduction="none")
    np.testing.assert_allclose(loss.data, [0, 0, 100, 100])  # log clamped at -100
    loss.sum().backward()
    assert np.all(np.isfinite(p.grad))


# ----------------------------------------------------------------------------- dtype
@pytest.mark.parametrize("fn, target", [
    (F.mse_loss, np.zeros((4, 3))), (F.l1_loss, np.zeros((4, 3))), (F.huber_loss, np.zeros((4, 3))),
    (F.smooth_l1_loss, np.zeros((4, 3))), (F.binary_cross_entropy_with_logits, np.full((4, 3), 0.5)),
    (lambda x, y, **k: F.binary_cross_entropy(x.sigmoid(), y, **k), np.full((4, 3), 0.5)),
    (F.cross_entropy, np.array([0, 1, 2, 1])), (F.cross_entropy, np.eye(3)[[0, 1, 2, 1]]),
    (lambda x, y, **k: F.cross_entropy(x, y, weight=np.ones(3), label_smoothing=0.1, **k), np.array([0, 1, 2, 1])),
    (lambda x, y, **k: F.nll_loss(x.log_softmax(axis=1), y, **k), np.array([0, 1, 2, 1])),
])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_float32_in_float32_out(fn, target, reduction, rng):
    """float32 predictions give a float32 loss, and the fused backward itself returns float32."""
    x = bp.tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    out = fn(x, target, reduction=reduction, sample_weight=np.ones(4))
    assert out.dtype == np.float32
    g = np.ones(out.shape, np.float32)
    direct = out.grad_fn.backward(g)[0]
    assert direct.dtype == np.float32
    out.backward(g)
    assert x.grad.dtype == np.float32


# ----------------------------------------------------------------------------- modules, registry
def test_losses_are_modules():
    for cls in (L.MSELoss, L.L1Loss, L.HuberLoss, L.SmoothL1Loss, L.BCELoss, L.BCEWithLogitsLoss,
                L.CrossEntropyLoss, L.NLLLoss):
        loss = cls(reduction="sum")
        assert isinstance(loss, Module) and loss.reduction == "sum"
        assert list(loss.parameters()) == []
        assert type(loss)(**loss.get_config()).get_config() == loss.get_config()


def test_class_weight_is_a_buffer():
    loss = L.CrossEntropyLoss(weight=[1.0, 2.0, 3.0], label_smoothing=0.1)
    np.testing.assert_array_equal(loss.state_dict()["weight"], [1, 2, 3])
    assert "label_smoothing=0.1" in repr(loss)
    assert loss.get_config() == {"weight": [1.0, 2.0, 3.0], "ignore_index": -100, "reduction": "mean",
                                 "label_smoothing": 0.1}


@pytest.mark.parametrize("name, cls", [
    ("mse", L.MSELoss), ("bce", L.BCELoss), ("bce_with_logits", L.BCEWithLogitsLoss),
    ("cross_entropy", L.CrossEntropyLoss), ("categorical_crossentropy", L.CrossEntropyLoss),
    ("nll", L.NLLLoss), ("huber", L.HuberLoss), ("l1", L.L1Loss), ("mae", L.L1Loss),
    ("smooth_l1", L.SmoothL1Loss), ("CrossEntropyLoss", L.CrossEntropyLoss), ("MSE", L.MSELoss),
])
def test_get_loss(name, cls):
    assert type(L.get_loss(name)) is cls


def test_get_loss_kwargs_and_errors():
    assert L.get_loss("huber", delta=2.0).delta == 2.0
    existing = L.MSELoss()
    assert L.get_loss(existing) is existing
    with pytest.raises(ValueError, match="unknown loss 'hinge'.*known names:.*cross_entropy"):
        L.get_loss("hinge")


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("make", [
    lambda r: L.MSELoss(reduction=r), lambda r: L.CrossEntropyLoss(reduction=r),
    lambda r: L.BCEWithLogitsLoss(reduction=r), lambda r: L.HuberLoss(reduction=r),
])
def test_invalid_reduction(make):
    with pytest.raises(ValueError, match=r"reduction must be 'mean', 'sum' or 'none', got 'average'"):
        make("average")
    with pytest.raises(ValueError, match="reduction must be"):
        F.cross_entropy(t64(np.zeros((2, 3))), [0, 1], reduction=None)


def test_prediction_target_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"MSELoss: prediction \(input\) shape \(4, 1\) and target shape "
                                         r"\(4,\) differ.*reshape the target to \(4, 1\)"):
        L.MSELoss()(t64(np.zeros((4, 1))), np.zeros(4))
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits: .*\(3, 2\).*\(2, 3\)"):
        F.binary_cross_entropy_with_logits(t64(np.zeros((3, 2))), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: target shape \(5,\) does not fit input shape "
                                         r"\(4, 3\): expected integer class indices of shape \(4,\)"):
        L.CrossEntropyLoss()(t64(np.zeros((4, 3))), np.zeros(5, dtype=int))


def test_class_index_out_of_range_names_value_and_c():
    with pytest.raises(ValueError, match=r"target class index 3 is out of range \[0, 3\)"):
        F.cross_entropy(t64(np.zeros((4, 3))), [0, 1, 3, 2])
    with pytest.raises(ValueError, match=r"NLLLoss: target class index -1 is out of range \[0, 3\)"):
        L.NLLLoss()(t64(np.zeros((2, 3))), [-1, 0])
    with pytest.raises(ValueError, match=r"index -5 is out of range"):
        F.cross_entropy(t64(np.zeros((2, 3))), [-100, -5])  # -100 is ignored, -5 is not


def test_float_targets_where_indices_expected():
    with pytest.raises(TypeError, match=r"class-index targets must be integers, got dtype float64.*astype\(np.int64\)"):
        F.cross_entropy(t64(np.zeros((3, 4))), np.array([0.0, 1.0, 2.0]))
    with pytest.raises(TypeError, match="must be integers"):
        F.nll_loss(t64(np.zeros((3, 4))), np.array([0.0, 1.0, 2.0]))
    with pytest.raises(TypeError, match="must be integer class indices"):
        F.nll_loss(t64(np.zeros((3, 4))), np.eye(4)[:3])
    with pytest.raises(ValueError, match=r"integer target of the input's shape \(3, 4\).*one-hot"):
        F.cross_entropy(t64(np.zeros((3, 4))), np.eye(4, dtype=int)[:3])


def test_nan_in_targets():
    with pytest.raises(ValueError, match=r"mse_loss: the target contains a non-finite value \(nan\) at index \(1, 0\)"):
        F.mse_loss(t64(np.zeros((2, 2))), [[0.0, 0.0], [np.nan, 0.0]])
    with pytest.raises(ValueError, match="non-finite"):
        F.cross_entropy(t64(np.zeros((2, 2))), [[0.5, 0.5], [np.nan, 0.5]])
    with pytest.raises(ValueError, match="non-finite"):
        F.binary_cross_entropy_with_logits(t64(np.zeros(2)), [np.nan, 0.0])


def test_bce_input_must_be_probabilities():
    with pytest.raises(ValueError, match=r"BCELoss: the input must be probabilities in \[0, 1\], got values "
                                         r"from -0.5 to 2.0.*BCEWithLogitsLoss"):
        L.BCELoss()(t64([-0.5, 2.0]), [0.0, 1.0])
    with pytest.raises(ValueError, match=r"target values must lie in \[0, 1\]"):
        F.binary_cross_entropy(t64([0.5, 0.5]), [0.0, 2.0])


def test_sample_weight_errors():
    x = t64(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"sample_weight shape \(2,\) does not match.*shape \(3,\)"):
        F.mse_loss(x, np.zeros((3, 2)), sample_weight=[1.0, 2.0])
    with pytest.raises(ValueError, match="non-negative"):
        F.mse_loss(x, np.zeros((3, 2)), sample_weight=[1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match="sums to zero"):
        F.l1_loss(x, np.zeros((3, 2)), sample_weight=[0, 0, 0])


def test_option_errors():
    with pytest.raises(ValueError, match="HuberLoss: delta must be finite and > 0, got 0"):
        L.HuberLoss(delta=0)
    with pytest.raises(ValueError, match="label_smoothing must be a number in"):
        L.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"class weight must have shape \(3,\)"):
        F.cross_entropy(t64(np.zeros((2, 3))), [0, 1], weight=[1.0, 2.0])
    with pytest.raises(ValueError, match="ignore_index is not supported for probability"):
        F.cross_entropy(t64(np.zeros((2, 3))), np.full((2, 3), 1 / 3), ignore_index=0)
    with pytest.raises(TypeError, match="prediction \\(input\\) must be floating point"):
        F.mse_loss(bp.tensor(np.zeros(3, dtype=np.int64)), np.zeros(3))
    with pytest.raises(ValueError, match="empty"):
        F.mse_loss(t64(np.zeros((0, 2))), np.zeros((0, 2)))


def test_targets_are_constants_and_never_modified(rng):
    z = rng.standard_normal((3, 4))
    q = rng.dirichlet(np.ones(4), size=3)
    q_copy, z_copy = q.copy(), z.copy()
    target = bp.tensor(q, requires_grad=True)  # e.g. a teacher's soft labels
    x = t64(z)
    F.cross_entropy(x, target, label_smoothing=0.1).backward()
    assert target.grad is None
    np.testing.assert_array_equal(q, q_copy)
    np.testing.assert_array_equal(x.data, z_copy)
