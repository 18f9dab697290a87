"""Every loss × every reduction against PyTorch (float64): same value, same input gradient."""

import numpy as np
import pytest

import backprop as bp
from backprop.nn import functional as F
from backprop.nn import losses as L

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

REDUCTIONS = ["mean", "sum", "none"]
TOL = 1e-10


def rel_diff(ours, theirs) -> float:
    """max |ours - theirs| / max |theirs| (norm-relative, robust where theirs crosses 0)."""
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    assert ours.shape == theirs.shape
    scale = max(float(np.max(np.abs(theirs), initial=0.0)), 1e-300)
    return float(np.max(np.abs(ours - theirs), initial=0.0)) / scale


def run_ours(loss_fn, x: np.ndarray, reduction: str, rng):
    """Value of loss_fn(x) and d(Σ g ⊙ loss)/dx with a random upstream g (for 'none')."""
    xt = bp.tensor(x.copy(), requires_grad=True)
    out = loss_fn(xt)
    g = rng.standard_normal(out.shape) if reduction == "none" else np.ones(out.shape)
    out.backward(g)
    return out.data, xt.grad, g


def run_torch(loss_fn, x: np.ndarray, g: np.ndarray):
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = loss_fn(xt)
    out.backward(torch.tensor(g, dtype=torch.float64))
    return out.detach().numpy(), xt.grad.numpy()


def compare(ours_fn, torch_fn, x, reduction, rng):
    value, grad, g = run_ours(ours_fn, x, reduction, rng)
    t_value, t_grad = run_torch(torch_fn, x, g)
    assert value.dtype == np.float64 and grad.dtype == np.float64
    assert rel_diff(value, t_value) <= TOL, (value, t_value)
    assert rel_diff(grad, t_grad) <= TOL, (grad, t_grad)


def tt(a):
    """numpy -> torch, keeping integer targets as int64 (torch's class-index dtype)."""
    a = np.asarray(a)
    return torch.tensor(a, dtype=torch.int64 if a.dtype.kind in "iu" else torch.float64)


# ----------------------------------------------------------------------------- regression
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, ours, theirs", [
    ("mse", lambda r: L.MSELoss(reduction=r), lambda r: torch.nn.MSELoss(reduction=r)),
    ("l1", lambda r: L.L1Loss(reduction=r), lambda r: torch.nn.L1Loss(reduction=r)),
    ("huber", lambda r: L.HuberLoss(reduction=r), lambda r: torch.nn.HuberLoss(reduction=r)),
    ("huber_0.3", lambda r: L.HuberLoss(reduction=r, delta=0.3),
     lambda r: torch.nn.HuberLoss(reduction=r, delta=0.3)),
    ("smooth_l1", lambda r: L.SmoothL1Loss(reduction=r, beta=0.5),
     lambda r: torch.nn.SmoothL1Loss(reduction=r, beta=0.5)),
    ("smooth_l1_beta0", lambda r: L.SmoothL1Loss(reduction=r, beta=0.0),
     lambda r: torch.nn.SmoothL1Loss(reduction=r, beta=0.0)),
])
def test_regression_losses_match_torch(name, ours, theirs, reduction, rng):
    x = rng.standard_normal((6, 3))
    y = rng.standard_normal((6, 3))
    ours_loss, torch_loss = ours(reduction), theirs(reduction)
    compare(lambda a: ours_loss(a, y), lambda a: torch_loss(a, tt(y)), x, reduction, rng)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_target_gradient_matches_torch(reduction, rng):
    x, y = rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    xb, yb = bp.tensor(x, requires_grad=True), bp.tensor(y, requires_grad=True)
    out = F.mse_loss(xb, yb, reduction=reduction)
    out.backward(np.ones(out.shape))
    xt, yt = (torch.tensor(v, requires_grad=True) for v in (x, y))
    torch.nn.functional.mse_loss(xt, yt, reduction=reduction).backward(torch.ones(out.shape, dtype=torch.float64))
    assert rel_diff(yb.grad, yt.grad.numpy()) <= TOL
    assert rel_diff(xb.grad, xt.grad.numpy()) <= TOL


# ----------------------------------------------------------------------------- binary
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("with_weight", [False, True])
def test_bce_matches_torch(reduction, with_weight, rng):
    # Probabilities near 0 and 1 (and exactly 0 / 1, where PyTorch clamps the log at -100).
    p = np.array([[1e-12, 1e-7, 0.3], [0.5, 1 - 1e-7, 1 - 1e-12], [0.0, 1.0, 0.9]])
    y = np.array([[0.0, 1.0, 0.2], [1.0, 0.0, 1.0], [1.0, 0.0, 0.9]])
    w = rng.uniform(0.5, 2.0, size=(3,)) if with_weight else None
    ours = L.BCELoss(weight=w, reduction=reduction)
    theirs = torch.nn.BCELoss(weight=None if w is None else tt(w), reduction=reduction)
    compare(lambda a: ours(a, y), lambda a: theirs(a, tt(y)), p, reduction, rng)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("with_weight, with_pos_weight", [(False, False), (True, False), (False, True), (True, True)])
def test_bce_with_logits_matches_torch(reduction, with_weight, with_pos_weight, rng):
    z = rng.standard_normal((5, 4)) * 4
    z[0, :2] = [40.0, -40.0]
    y = rng.uniform(size=(5, 4))
    y[1] = [0.0, 1.0, 1.0, 0.0]
    w = rng.uniform(0.5, 2.0, size=(5, 1)) if with_weight else None
    pw = rng.uniform(0.5, 3.0, size=(4,)) if with_pos_weight else None
    ours = L.BCEWithLogitsLoss(weight=w, reduction=reduction, pos_weight=pw)
    theirs = torch.nn.BCEWithLogitsLoss(weight=None if w is None else tt(w), reduction=reduction,
                                        pos_weight=None if pw is None else tt(pw))
    compare(lambda a: ours(a, y), lambda a: theirs(a, tt(y)), z, reduction, rng)


# ----------------------------------------------------------------------------- cross-entropy
N, C = 7, 5
CE_CASES = {
    "plain": {},
    "weight": {"weight": True},
    "smoothing": {"label_smoothing": 0.2},
    "weight+smoothing": {"weight": True, "label_smoothing": 0.15},
    "ignore_index": {"ignore": True},
    "ignore+weight+smoothing": {"ignore": True, "weight": True, "label_smoothing": 0.1},
    "ignore_index=2 (a real class)": {"ignore_index": 2},
}


def _ce_setup(case, rng, shape=(N, C)):
    kwargs = dict(CE_CASES[case])
    weight = rng.uniform(0.2, 3.0, size=(shape[1],)) if kwargs.pop("weight", False) else None
    target = rng.integers(0, shape[1], size=(shape[0],) + shape[2:])
    ignore_index = kwargs.pop("ignore_index", -100)
    if kwargs.pop("ignore", False):
        target.reshape(-1)[[1, 4]] = -100
    return weight, target, ignore_index, kwargs.get("label_smoothing", 0.0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", list(CE_CASES))
@pytest.mark.parametrize("shape", [(N, C), (3, C, 4)], ids=["NC", "NCL"])
def test_cross_entropy_index_targets_match_torch(case, reduction, shape, rng):
    weight, target, ignore_index, smoothing = _ce_setup(case, rng, shape)
    z = rng.standard_normal(shape) * 3
    ours = L.CrossEntropyLoss(weight=weight, ignore_index=ignore_index, reduction=reduction,
                              label_smoothing=smoothing)
    theirs = torch.nn.CrossEntropyLoss(weight=None if weight is None else tt(weight), ignore_index=ignore_index,
                                       reduction=reduction, label_smoothing=smoothing)
    compare(lambda a: ours(a, target), lambda a: theirs(a, tt(target)), z, reduction, rng)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("with_weight", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("shape", [(N, C), (3, C, 4)], ids=["NC", "NCL"])
def test_cross_entropy_probability_targets_match_torch(reduction, with_weight, smoothing, shape, rng):
    z = rng.standard_normal(shape) * 2
    q = rng.uniform(size=shape)
    q /= q.sum(axis=1, keepdims=True)
    weight = rng.uniform(0.2, 3.0, size=(C,)) if with_weight else None
    ours = L.CrossEntropyLoss(weight=weight, reduction=reduction, label_smoothing=smoothing)
    theirs = torch.nn.CrossEntropyLoss(weight=None if weight is None else tt(weight), reduction=reduction,
                                       label_smoothing=smoothing)
    compare(lambda a: ours(a, q), lambda a: theirs(a, tt(q)), z, reduction, rng)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_one_hot_equals_index_targets(reduction, rng):
    z = rng.standard_normal((N, C))
    y = rng.integers(0, C, size=N)
    one_hot = np.eye(C)[y]
    a = bp.tensor(z, requires_grad=True)
    b = bp.tensor(z, requires_grad=True)
    la, lb = F.cross_entropy(a, y, reduction=reduction), F.cross_entropy(b, one_hot, reduction=reduction)
    np.testing.assert_allclose(la.data, lb.data, rtol=1e-12)
    la.backward(np.ones(la.shape))
    lb.backward(np.ones(lb.shape))
    np.testing.assert_allclose(a.grad, b.grad, rtol=1e-12, atol=1e-15)


def test_cross_entropy_unbatched_logits_match_torch(rng):
    z = rng.standard_normal(C)
    compare(lambda a: F.cross_entropy(a, np.array(3), label_smoothing=0.1),
            lambda a: torch.nn.functional.cross_entropy(a, torch.tensor(3), label_smoothing=0.1), z, "mean", rng)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", ["plain", "weight", "ignore_index", "ignore_index=2 (a real class)"])
@pytest.mark.parametrize("shape", [(N, C), (3, C, 4)], ids=["NC", "NCL"])
def test_nll_loss_matches_torch(case, reduction, shape, rng):
    weight, target, ignore_index, _ = _ce_setup(case, rng, shape)
    logp = np.log(rng.dirichlet(np.ones(shape[1]), size=(shape[0],) + shape[2:]))
    logp = np.moveaxis(logp, -1, 1)
    ours = L.NLLLoss(weight=weight, ignore_index=ignore_index, reduction=reduction)
    theirs = torch.nn.NLLLoss(weight=None if weight is None else tt(weight), ignore_index=ignore_index,
                              reduction=reduction)
    compare(lambda a: ours(a, target), lambda a: theirs(a, tt(target)), logp, reduction, rng)


def test_nll_of_log_softmax_equals_cross_entropy(rng):
    z = rng.standard_normal((N, C))
    y = rng.integers(0, C, size=N)
    w = rng.uniform(0.5, 2, size=C)
    a = bp.tensor(z, requires_grad=True)
    b = bp.tensor(z, requires_grad=True)
    la = F.cross_entropy(a, y, weight=w)
    lb = F.nll_loss(bp.log_softmax(b, axis=1), y, weight=w)
    la.backward()
    lb.backward()
    np.testing.assert_allclose(la.item(), lb.item(), rtol=1e-12)
    np.testing.assert_allclose(a.grad, b.grad, rtol=1e-10, atol=1e-15)


def test_cross_entropy_all_ignored_mean_is_nan_like_torch():
    z = np.zeros((2, 3))
    y = np.array([-100, -100])
    ours = F.cross_entropy(bp.tensor(z), y)
    theirs = torch.nn.functional.cross_entropy(tt(z), tt(y))
    assert np.isnan(ours.item()) and torch.isnan(theirs)


# ----------------------------------------------------------------------------- sample weights
def _torch_weighted(torch_none, s, extra_axes=0):
    """Σ s_i l_i / Σ s̃ computed from torch's unreduced losses."""
    s = tt(s).reshape((-1,) + (1,) * extra_axes)
    return lambda a: (torch_none(a) * s).sum() / s.expand_as(torch_none(a)).sum()


@pytest.mark.parametrize("name, ours, theirs", [
    ("mse", F.mse_loss, torch.nn.functional.mse_loss),
    ("l1", F.l1_loss, torch.nn.functional.l1_loss),
    ("huber", F.huber_loss, torch.nn.functional.huber_loss),
    ("bce_with_logits", F.binary_cross_entropy_with_logits, torch.nn.functional.binary_cross_entropy_with_logits),
])
def test_sample_weight_is_weighted_mean(name, ours, theirs, rng):
    x, y = rng.standard_normal((6, 2)), rng.uniform(size=(6, 2))
    s = rng.uniform(0, 3, size=6)
    compare(lambda a: ours(a, y, sample_weight=s),
            _torch_weighted(lambda a: theirs(a, tt(y), reduction="none"), s, 1), x, "mean", rng)
    compare(lambda a: ours(a, y, reduction="sum", sample_weight=s),
            lambda a: (theirs(a, tt(y), reduction="none") * tt(s)[:, None]).sum(), x, "sum", rng)


def test_sample_weight_bce(rng):
    p, y, s = rng.uniform(0.05, 0.95, size=(6,)), rng.uniform(size=(6,)), rng.uniform(0, 3, size=6)
    compare(lambda a: F.binary_cross_entropy(a, y, sample_weight=s),
            _torch_weighted(lambda a: torch.nn.functional.binary_cross_entropy(a, tt(y), reduction="none"), s),
            p, "mean", rng)


@pytest.mark.parametrize("with_weight", [False, True])
def test_sample_weight_cross_entropy(with_weight, rng):
    z, y, s = rng.standard_normal((N, C)), rng.integers(0, C, size=N), rng.uniform(0, 3, size=N)
    w = rng.uniform(0.5, 2, size=C) if with_weight else None
    wt = None if w is None else tt(w)
    # Effective per-sample weight s_i w_{y_i}: the mean divides by Σ s_i w_{y_i}.
    denominator = float((s * (np.ones(N) if w is None else w[y])).sum())
    compare(lambda a: L.CrossEntropyLoss(weight=w)(a, y, sample_weight=s),
            lambda a: (torch.nn.functional.cross_entropy(a, tt(y), weight=wt, reduction="none") * tt(s)).sum()
            / denominator, z, "mean", rng)


def test_unit_sample_weights_change_nothing(rng):
    z, y = rng.standard_normal((N, C)), rng.integers(0, C, size=N)
    x, t = rng.standard_normal((N, 3)), rng.standard_normal((N, 3))
    ones = np.ones(N)
    for reduction in REDUCTIONS:
        assert rel_diff(F.cross_entropy(bp.tensor(z), y, reduction=reduction, sample_weight=ones).data,
                        F.cross_entropy(bp.tensor(z), y, reduction=reduction).data) <= 1e-15
        assert rel_diff(F.mse_loss(bp.tensor(x), t, reduction=reduction, sample_weight=ones).data,
                        F.mse_loss(bp.tensor(x), t, reduction=reduction).data) <= 1e-15
