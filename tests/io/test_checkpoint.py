"""save_checkpoint / load_checkpoint: resumed training is bit-identical to uninterrupted training."""

from __future__ import annotations

import numpy as np
import pytest

import backprop.io as bio
from backprop import nn, optim

from .conftest import assert_same_state

X = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
Y = np.random.default_rng(1).normal(size=(16, 2)).astype(np.float32)


def make_model():
    return nn.Sequential(nn.Linear(3, 5, rng=0), nn.BatchNorm1d(5), nn.Tanh(), nn.Linear(5, 2, rng=1))


def train_step(model, opt, scheduler=None, i=0):
    opt.zero_grad()
    batch = slice(4 * (i % 4), 4 * (i % 4) + 4)
    loss = nn.MSELoss()(model(X[batch]), Y[batch])
    loss.backward()
    opt.step()
    if scheduler is not None:
        if isinstance(scheduler, optim.ReduceLROnPlateau):
            scheduler.step(float(loss.data))
        else:
            scheduler.step()
    return float(loss.data)


OPTIMIZERS = {
    "SGD-momentum": lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "RMSprop-centered": lambda p: optim.RMSprop(p, lr=0.01, alpha=0.9, centered=True, momentum=0.5),
    "Adagrad": lambda p: optim.Adagrad(p, lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1),
    "Adam-amsgrad": lambda p: optim.Adam(p, lr=0.01, betas=(0.8, 0.99), amsgrad=True, weight_decay=1e-3),
    "AdamW": lambda p: optim.AdamW(p, lr=0.01, weight_decay=0.1),
}


@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("how", ["into-objects", "rebuilt"])
def test_resumed_training_is_bit_identical(opt_name, how, ext, tmp_path):
    make_opt = OPTIMIZERS[opt_name]
    model = make_model()
    opt = make_opt(model.parameters())
    for i in range(3):
        train_step(model, opt, i=i)
    path = tmp_path / f"ckpt.{ext}"
    bio.save_checkpoint(path, model, opt, epoch=3, history={"loss": [1.0, 0.5, float("nan")]})
    for i in range(3, 8):  # the uninterrupted run
        train_step(model, opt, i=i)

    if how == "into-objects":
        resumed = make_model()
        resumed_opt = make_opt(resumed.parameters())
        ckpt = bio.load_checkpoint(path, resumed, resumed_opt)
        assert ckpt.model is resumed and ckpt.optimizer is resumed_opt
    else:
        ckpt = bio.load_checkpoint(path)
        resumed = ckpt.model
        resumed_opt = make_opt(resumed.parameters())
        resumed_opt.load_state_dict(ckpt.optimizer_state)
    assert ckpt.optimizer_class == type(opt).__name__
    assert ckpt.training_state["epoch"] == 3
    assert ckpt.training_state["history"]["loss"][:2] == [1.0, 0.5]
    assert np.isnan(ckpt.training_state["history"]["loss"][2])
    for i in range(3, 8):
        train_step(resumed, resumed_opt, i=i)
    assert_same_state(model, resumed)  # bit-identical weights and BatchNorm statistics


@pytest.mark.parametrize("sched", ["StepLR", "CosineAnnealingLR", "ReduceLROnPlateau", "OneCycleLR"])
def test_scheduler_state_resumes(sched, ext, tmp_path):
    def build(model):
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        scheduler = {
            "StepLR": lambda: optim.StepLR(opt, step_size=2, gamma=0.5),
            "CosineAnnealingLR": lambda: optim.CosineAnnealingLR(opt, T_max=5, eta_min=0.01),
            "ReduceLROnPlateau": lambda: optim.ReduceLROnPlateau(opt, factor=0.5, patience=0),
            "OneCycleLR": lambda: optim.OneCycleLR(opt, max_lr=0.2, total_steps=20),
        }[sched]()
        return opt, scheduler

    model = make_model()
    opt, scheduler = build(model)
    for i in range(4):
        train_step(model, opt, scheduler, i)
    bio.save_checkpoint(tmp_path / f"c.{ext}", model, opt, scheduler, step=4)
    for i in range(4, 9):
        train_step(model, opt, scheduler, i)

    resumed = make_model()
    resumed_opt, resumed_sched = build(resumed)
    ckpt = bio.load_checkpoint(tmp_path / f"c.{ext}", resumed, resumed_opt, resumed_sched)
    assert ckpt.scheduler_class == type(scheduler).__name__ and ckpt.training_state == {"step": 4}
    for i in range(4, 9):
        train_step(resumed, resumed_opt, resumed_sched, i)
    assert resumed_opt.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    assert_same_state(model, resumed)


def test_training_state_arrays_and_generators(ext, tmp_path):
    rng = np.random.default_rng(42)
    rng.normal(size=3)
    legacy = np.random.Generator(np.random.MT19937(5))
    base = np.arange(20.0).reshape(4, 5)
    state = {"epoch": 7, "best": np.float64(0.25), "order": base.T[::2], "rng": rng, "mt": legacy,
             "nested": {"a": [1, (2, 3)], "none": None, "flag": True}}
    bio.save_checkpoint(tmp_path / f"c.{ext}", make_model(), **state)
    ts = bio.load_checkpoint(tmp_path / f"c.{ext}").training_state
    assert ts["epoch"] == 7 and ts["best"] == 0.25 and type(ts["best"]) is float
    np.testing.assert_array_equal(ts["order"], base.T[::2])
    assert ts["nested"] == {"a": [1, [2, 3]], "none": None, "flag": True}
    assert isinstance(ts["rng"], np.random.Generator)
    np.testing.assert_array_equal(ts["rng"].normal(size=5), rng.normal(size=5))
    np.testing.assert_array_equal(ts["mt"].integers(0, 1000, size=5), legacy.integers(0, 1000, size=5))


def test_checkpoint_of_unregistered_model_needs_model_argument(ext, tmp_path):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Linear(3, 2, rng=0)

        def forward(self, x):
            return self.body(x)

    model = Net()
    opt = optim.Adam(model.parameters(), lr=0.1)
    model.body.weight.grad = np.ones((2, 3), np.float32)
    opt.step()
    bio.save_checkpoint(tmp_path / f"c.{ext}", model, opt)
    with pytest.raises(ValueError, match="holds no architecture.*pass it as model="):
        bio.load_checkpoint(tmp_path / f"c.{ext}")
    other = Net()
    other_opt = optim.Adam(other.parameters(), lr=0.1)
    bio.load_checkpoint(tmp_path / f"c.{ext}", other, other_opt)
    assert_same_state(model, other)
    np.testing.assert_array_equal(other_opt.state[other.body.weight]["exp_avg"], opt.state[model.body.weight]["exp_avg"])


def test_load_model_reads_the_model_of_a_checkpoint(ext, tmp_path):
    model = make_model()
    model(X)
    model.eval()
    bio.save_checkpoint(tmp_path / f"c.{ext}", model, epoch=1)
    loaded = bio.load_model(tmp_path / f"c.{ext}")
    assert loaded.training is False
    assert_same_state(model, loaded)


def test_mismatches_are_clear_errors_and_change_nothing(ext, tmp_path):
    model = make_model()
    opt = optim.Adam(model.parameters(), lr=0.01)
    train_step(model, opt)
    path = tmp_path / f"c.{ext}"
    bio.save_checkpoint(path, model, opt)

    target = make_model()
    before = target.state_dict()
    with pytest.raises(ValueError, match=r"c\.(npz|safetensors).*holds Adam state.*SGD"):
        bio.load_checkpoint(path, target, optim.SGD(target.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="no scheduler state"):
        sgd = optim.Adam(target.parameters(), lr=0.1)
        bio.load_checkpoint(path, target, sgd, optim.StepLR(sgd, step_size=1))
    with pytest.raises(ValueError, match="not the model's"):
        bio.load_checkpoint(path, target, optim.Adam(make_model().parameters(), lr=0.1))
    # an optimizer over a subset of the parameters: the state does not fit, the model is left untouched
    subset_opt = optim.Adam(list(target.parameters())[:2], lr=0.1)
    with pytest.raises(ValueError, match="does not fit the Adam"):
        bio.load_checkpoint(path, target, subset_opt)
    assert_same_state_dict(target.state_dict(), before)
    wrong = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
    with pytest.raises(ValueError, match="do not fit the given Sequential"):
        bio.load_checkpoint(path, wrong)
    with pytest.raises(ValueError, match="'backprop.checkpoint'"):
        bio.load_checkpoint(_model_file(tmp_path, ext))


def assert_same_state_dict(a, b):
    assert list(a) == list(b)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def _model_file(tmp_path, ext):
    path = tmp_path / f"plain.{ext}"
    nn.Linear(2, 2).save(path)
    return path
