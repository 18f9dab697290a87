"""Training callbacks (re-exported from :mod:`backprop.train.callbacks`, where the protocol is documented)."""

from .train.callbacks import (Callback, CallbackList, CSVLogger, EarlyStopping, LambdaCallback,
                              LearningRateScheduler, ModelCheckpoint, TerminateOnNaN)
from .train.tensorboard import TensorBoard

__all__ = ["Callback", "CallbackList", "LambdaCallback", "EarlyStopping", "ModelCheckpoint", "TerminateOnNaN",
           "CSVLogger", "LearningRateScheduler", "TensorBoard"]
