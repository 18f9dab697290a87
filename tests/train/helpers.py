"""Small models and data shared by the training tests."""

import numpy as np

from backprop import nn
from backprop.train import Callback


def mlp(sizes, seed=0, activation=nn.ReLU, dtype=np.float32):
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(fan_in, fan_out, rng=seed + i, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def blobs(n=120, n_features=4, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(n_classes, n_features))
    y = np.arange(n) % n_classes
    X = centers[y] + rng.normal(size=(n, n_features))
    return X.astype(np.float32), y.astype(np.int64)


class Recorder(Callback):
    """Records every hook call, batch sizes and per-epoch weights."""

    def __init__(self):
        self.calls, self.batch_sizes, self.weights, self.logs = [], [], {}, []

    def on_train_begin(self, logs=None):
        self.calls.append("train_begin")

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(f"epoch_begin{epoch}")

    def on_batch_end(self, batch, logs=None):
        self.batch_sizes.append(logs["size"])

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(f"epoch_end{epoch}")
        self.weights[epoch] = self.model.state_dict()
        self.logs.append(dict(logs))

    def on_train_end(self, logs=None):
        self.calls.append("train_end")


def assert_state_equal(a, b):
    assert list(a) == list(b)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
