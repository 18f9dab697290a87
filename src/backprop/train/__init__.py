"""Training: ``fit``/``evaluate``/``predict``, ``History``, metrics, callbacks, checkpoints.

>>> import numpy as np
>>> from backprop import nn
>>> from backprop.train import fit
>>> X = np.random.default_rng(0).normal(size=(64, 2)); y = (X[:, 0] > 0).astype(int)
>>> model = nn.Sequential(nn.Linear(2, 8, rng=0), nn.ReLU(), nn.Linear(8, 2, rng=1))
>>> history = fit(model, X, y, loss="cross_entropy", optimizer="adam", lr=0.05, epochs=5, seed=0, verbose=0)
>>> len(history.history["loss"])
5
"""

from .callbacks import (Callback, CallbackList, CSVLogger, EarlyStopping, LambdaCallback, LearningRateScheduler,
                        ModelCheckpoint, TerminateOnNaN)
from .checkpoint import CheckpointError, latest_epoch, load_checkpoint, save_checkpoint
from .guard import DivergenceError
from .history import History
from .loop import Trainer, evaluate, fit, predict
from .metrics import (METRICS, Accuracy, MeanAbsoluteError, MeanSquaredError, Metric, R2Score, TopKAccuracy,
                      get_metric)
from .progress import ProgressDisplay

__all__ = ["fit", "evaluate", "predict", "History", "Trainer", "DivergenceError",
           "Callback", "CallbackList", "LambdaCallback", "EarlyStopping", "ModelCheckpoint", "TerminateOnNaN",
           "CSVLogger", "LearningRateScheduler", "TensorBoard",
           "Metric", "Accuracy", "TopKAccuracy", "MeanSquaredError", "MeanAbsoluteError", "R2Score", "METRICS",
           "get_metric", "load_checkpoint", "save_checkpoint", "latest_epoch", "CheckpointError", "ProgressDisplay"]

from .tensorboard import TensorBoard  # noqa: E402  (tensorboardX itself loads on first use)
