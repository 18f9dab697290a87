"""Cost of the gradient-flow monitor: epoch time of the digits MLP on the engine path,
with the monitor's statistics on (fit(monitor=True)) against the same engine path with
no statistics (the compiled fast path switched off).  Not a test: run it by hand.

    PYTHONPATH=src python benchmarks/monitor_overhead.py
"""

import time
from unittest import mock

import numpy as np

from backprop import fit, nn
from backprop.data import Standardizer, load_digits
from backprop.train import loop


def model():
    rng = np.random.default_rng(0)
    return nn.Sequential(nn.Linear(64, 64, rng=rng), nn.ReLU(), nn.Linear(64, 64, rng=rng), nn.ReLU(),
                         nn.Linear(64, 10, rng=rng))


def timed(monitor, X, y, epochs=5, repeats=5):
    best = []
    for _ in range(repeats):
        m = model()
        t0 = time.perf_counter()
        if monitor:
            fit(m, X, y, loss="cross_entropy", optimizer="sgd", lr=0.05, epochs=epochs, batch_size=32, seed=0,
                verbose=0, monitor=True)
        else:
            with mock.patch.object(loop, "compile_step", lambda *a, **k: None):  # engine path, no monitor
                fit(m, X, y, loss="cross_entropy", optimizer="sgd", lr=0.05, epochs=epochs, batch_size=32, seed=0,
                    verbose=0)
        best.append((time.perf_counter() - t0) / epochs)
    return min(best), float(np.median(best))


if __name__ == "__main__":
    X, y = load_digits()
    X = Standardizer().fit_transform(X).astype(np.float32)
    timed(False, X, y, epochs=1, repeats=1)  # warm-up
    runs = {False: [], True: []}
    for _ in range(8):  # interleaved, so drift in machine load hits both alike
        for flag in (False, True):
            runs[flag].append(timed(flag, X, y, repeats=1)[0])
    base = min(runs[False]), float(np.median(runs[False]))
    mon = min(runs[True]), float(np.median(runs[True]))
    print(f"digits MLP 64-64-64-10, batch 32, {X.shape[0]} samples ({-(-X.shape[0] // 32)} batches/epoch)")
    print(f"engine path, no monitor : {base[0] * 1e3:.1f} ms/epoch (median {base[1] * 1e3:.1f})")
    print(f"engine path, monitor on : {mon[0] * 1e3:.1f} ms/epoch (median {mon[1] * 1e3:.1f})")
    print(f"overhead: {100 * (mon[0] / base[0] - 1):+.1f}% (best), {100 * (mon[1] / base[1] - 1):+.1f}% (median)")
