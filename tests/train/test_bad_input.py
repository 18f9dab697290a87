"""Every bad input raises before any training, naming the argument."""

import numpy as np
import pytest

from backprop.optim import SGD
from backprop.train import Callback, EarlyStopping, fit

from .helpers import blobs, mlp


class NoTraining(Callback):
    def on_epoch_begin(self, epoch, logs=None):
        raise AssertionError("training started")


def _fit(model=None, X=None, y=None, **kwargs):
    X0, y0 = blobs(40)
    model = model if model is not None else mlp([4, 6, 3])
    options = dict(loss="cross_entropy", optimizer="sgd", lr=0.1, epochs=2, verbose=0, callbacks=[NoTraining()])
    options.update(kwargs)
    before = [p.data.copy() for p in model.parameters()]
    try:
        return fit(model, X0 if X is None else X, y0 if y is None else y, **options)
    finally:
        assert all(np.array_equal(p.data, b) for p, b in zip(model.parameters(), before)), "weights changed"


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(X=np.zeros((39, 4), np.float32)), r"X and y .*same number of samples"),
    (dict(y=np.arange(40) % 5), r"y holds class index 4.*3 output units"),
    (dict(y=-(np.arange(40) % 3)), r"y holds class index -[12]"),
    (dict(y=np.arange(40) % 3 + 0.5), r"y must hold integer class labels"),
    (dict(X=np.where(np.eye(40, 4) > 0, np.nan, 1.0)), r"X contains NaN"),
    (dict(X=np.full((40, 4), np.inf)), r"X contains NaN or Inf"),
    (dict(batch_size=0), r"batch_size must be an integer >= 1"),
    (dict(batch_size=41, drop_last=True), r"batch_size=41 is larger than .*drop_last"),
    (dict(validation_split=1.0), r"validation_split must be a number in \[0, 1\)"),
    (dict(validation_split=-0.1), r"validation_split"),
    (dict(lr=-0.1), r"lr .*must be a finite number >= 0"),
    (dict(lr=float("nan")), r"lr "),
    (dict(epochs=0), r"epochs must be an integer >= 1"),
    (dict(on_nonfinite="ignore"), r"on_nonfinite"),
    (dict(clip_grad_norm=0.0), r"clip_grad_norm"),
    (dict(resume=True), r"resume=True needs checkpoint_dir"),
    (dict(optimizer="nonsense"), r"optimizer|get_optimizer"),
    (dict(loss="nonsense"), r"unknown loss"),
    (dict(metrics=["nonsense"]), r"unknown metric"),
    (dict(validation_data=(np.zeros((5, 4), np.float32), np.zeros(4, int))), r"validation_data\[0\] and "
                                                                             r"validation_data\[1\]"),
    (dict(validation_data=(np.zeros((5, 4), np.float32), np.full(5, 7))), r"validation_data\[1\] holds class "
                                                                          r"index 7"),
    (dict(callbacks=[EarlyStopping(monitor="val_loss")]), r"monitor='val_loss' is not logged.*validation_data"),
    (dict(loss="mse"), r"y .*cannot be used with MSELoss"),
])
def test_bad_input_raises_before_training(kwargs, pattern):
    if "callbacks" in kwargs:
        kwargs["callbacks"] = kwargs["callbacks"] + [NoTraining()]
    with pytest.raises((ValueError, TypeError), match=pattern):
        _fit(**kwargs)


def test_bad_label_late_in_the_data_is_found_before_training():
    X, y = blobs(40)
    y = y.copy()
    y[-1] = 3  # only the last batch holds it
    with pytest.raises(ValueError, match=r"y holds class index 3"):
        _fit(X=X, y=y, batch_size=8, shuffle=False)


def test_optimizer_without_parameters():
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    from backprop import nn
    with pytest.raises(ValueError, match="no trainable parameters"):
        _fit(model=nn.Sequential(nn.ReLU()))


def test_negative_lr_on_an_optimizer_instance():
    model = mlp([4, 6, 3])
    opt = SGD(model.parameters(), lr=0.1)
    opt.param_groups[0]["lr"] = -1.0
    with pytest.raises(ValueError, match="lr=-1.0"):
        _fit(model=model, optimizer=opt, lr=None)
    with pytest.raises(ValueError, match="lr is only used when optimizer is a name"):
        _fit(model=model, optimizer=SGD(model.parameters(), lr=0.1), lr=0.5)


def test_integer_valued_float_labels_are_accepted():
    X, y = blobs(40)
    history = fit(mlp([4, 6, 3]), X, y.astype(np.float64), loss="cross_entropy", optimizer="sgd", lr=0.1, epochs=1,
                  verbose=0)
    assert len(history.history["loss"]) == 1
