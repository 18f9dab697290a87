"""Subprocess worker for the crash-safety and resume tests (not a test module).

Usage: python crash_worker.py MODE DIR EPOCHS
  MODE=reference  train uninterrupted, save every epoch's weights and the history to DIR/reference.npz/.json
  MODE=train      train with checkpoint_dir=DIR/ckpt and resume=True; write DIR/final.npz when done
"""

import json
import os
import sys

import numpy as np

from backprop import nn
from backprop.optim import Adam, StepLR
from backprop.train import Callback, EarlyStopping, fit


class RecordWeights(Callback):
    def __init__(self):
        self.weights = {}

    def on_epoch_end(self, epoch, logs=None):
        for name, value in self.model.state_dict().items():
            self.weights[f"e{epoch}/{name}"] = value


def build():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 20)).astype(np.float32)
    y = (X[:, :4].argmax(axis=1)).astype(np.int64)
    model = nn.Sequential(nn.Linear(20, 96, rng=1), nn.ReLU(), nn.Dropout(0.2, rng=2),
                          nn.Linear(96, 96, rng=3), nn.ReLU(), nn.Linear(96, 4, rng=4))
    optimizer = Adam(model.parameters(), lr=1e-3)
    scheduler = StepLR(optimizer, step_size=10, gamma=0.5)
    return X, y, model, optimizer, scheduler


def main():
    mode, directory, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    X, y, model, optimizer, scheduler = build()
    kwargs = dict(loss="cross_entropy", optimizer=optimizer, scheduler=scheduler, epochs=epochs, batch_size=64,
                  validation_split=0.2, seed=7, verbose=0)
    early = EarlyStopping(monitor="val_loss", patience=1000)
    if mode == "reference":
        recorder = RecordWeights()
        history = fit(model, X, y, callbacks=[early, recorder], **kwargs)
        np.savez(os.path.join(directory, "reference.npz"), **recorder.weights)
        final = model.state_dict()
    else:
        history = fit(model, X, y, callbacks=[early, RecordWeights()], checkpoint_dir=os.path.join(directory, "ckpt"),
                      resume=True, **kwargs)
        final = model.state_dict()
    np.savez(os.path.join(directory, f"{mode}-final.npz"), **final)
    with open(os.path.join(directory, f"{mode}-history.json"), "w") as f:
        json.dump(history.to_dict(), f)


if __name__ == "__main__":
    main()
