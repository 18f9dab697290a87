"""Measurements that need a process of their own; run by run.py, one JSON line out.

    python workers.py rss CONTENDER STEPS       peak RSS training the medium network
    python workers.py import                    seconds to import backprop
    python workers.py digits CONTENDER TARGET MAX_EPOCHS   time to TARGET test accuracy
"""

from __future__ import annotations

import json
import resource
import sys
import time

import numpy as np

import contenders

MEDIUM = ((784, 256, 128, 10), "relu", 128)


def peak_rss(who: str, steps: int) -> dict:
    sizes, activation, batch = MEDIUM
    X, y = contenders.make_batch(sizes, batch)
    build = {"backprop": contenders.build_backprop, "pytorch": contenders.build_torch}.get(who)
    if who == "sklearn":
        run = contenders.build_sklearn_fit(sizes, activation, X, y, max(steps // 20, 1))
    else:
        run = build(sizes, activation, X, y)
    if run is None:
        return {"error": f"{who} is not installed"}
    for _ in range(steps if who != "sklearn" else 20):
        run()
    return {"peak_rss_mb": round(peak_rss_kb() / 1024, 1), "steps": steps}


def peak_rss_kb() -> float:
    """This process's peak resident set size in kB.

    /proc/self/status's VmHWM belongs to the address space made at exec; getrusage's
    ru_maxrss can carry over the parent's peak through fork on Linux, so it is the fallback.
    """
    try:
        with open("/proc/self/status", encoding="utf-8") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1])
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def import_seconds() -> dict:
    start = time.perf_counter()
    import backprop  # noqa: F401

    return {"seconds": time.perf_counter() - start}


def digits_split():
    from backprop.data import Standardizer, load_digits, train_test_split

    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, rng=0)
    scaler = Standardizer().fit(X_train)
    return (scaler.transform(X_train).astype(np.float32), y_train,
            scaler.transform(X_test).astype(np.float32), y_test)


def digits_backprop(target, max_epochs):
    import backprop as bp
    import backprop.nn as nn
    from backprop.optim import Adam
    from backprop.train import LambdaCallback, fit

    X_train, y_train, X_test, y_test = digits_split()
    model = nn.Sequential(nn.Linear(64, 128, rng=0), nn.ReLU(), nn.Linear(128, 10, rng=1))
    state = {"accuracy": 0.0, "epochs": 0}

    def check(epoch, logs=None):
        with bp.no_grad():
            model.eval()
            predictions = model(X_test).data.argmax(axis=1)
            model.train()
        state["accuracy"] = float((predictions == y_test).mean())
        state["epochs"] = epoch + 1
        if state["accuracy"] >= target:
            callback.trainer.stop_training = True

    callback = LambdaCallback(on_epoch_end=check)
    start = time.perf_counter()
    fit(model, X_train, y_train, loss=nn.CrossEntropyLoss(), optimizer=Adam(model.parameters(), lr=1e-3),
        epochs=max_epochs, batch_size=32, metrics=(), callbacks=[callback], seed=0, verbose=0)
    return time.perf_counter() - start, state["epochs"], state["accuracy"]


def digits_torch(target, max_epochs):
    import torch

    torch.manual_seed(0)
    X_train, y_train, X_test, y_test = digits_split()
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    tX, ty, tXt = torch.from_numpy(X_train), torch.from_numpy(y_train), torch.from_numpy(X_test)
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    accuracy, epoch = 0.0, 0
    for epoch in range(1, max_epochs + 1):
        order = torch.from_numpy(rng.permutation(len(X_train)))
        for i in range(0, len(order), 32):
            index = order[i:i + 32]
            optimizer.zero_grad()
            loss = loss_fn(model(tX[index]), ty[index])
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            accuracy = float((model(tXt).argmax(1).numpy() == y_test).mean())
        if accuracy >= target:
            break
    return time.perf_counter() - start, epoch, accuracy


def digits_sklearn(target, max_epochs):
    from sklearn.neural_network import MLPClassifier

    X_train, y_train, X_test, y_test = digits_split()
    model = MLPClassifier(hidden_layer_sizes=(128,), solver="adam", learning_rate_init=1e-3, batch_size=32,
                          random_state=0)
    classes = np.arange(10)
    start = time.perf_counter()
    accuracy, epoch = 0.0, 0
    for epoch in range(1, max_epochs + 1):
        model.partial_fit(X_train, y_train, classes=classes)
        accuracy = float((model.predict(X_test) == y_test).mean())
        if accuracy >= target:
            break
    return time.perf_counter() - start, epoch, accuracy


def time_to_accuracy(who: str, target: float, max_epochs: int) -> dict:
    runner = {"backprop": digits_backprop, "pytorch": digits_torch, "sklearn": digits_sklearn}[who]
    try:
        seconds, epochs, accuracy = runner(target, max_epochs)
    except ImportError as exc:
        return {"error": f"{who} is not installed ({exc})"}
    return {"seconds": seconds, "epochs": epochs, "accuracy": accuracy, "reached": accuracy >= target}


def main(argv):
    kind = argv[0]
    try:
        import threadpoolctl

        threadpoolctl.threadpool_limits(2)
    except ImportError:
        pass
    if kind == "rss":
        if argv[1] == "pytorch":
            try:
                import torch

                torch.set_num_threads(2)
            except ImportError:
                pass
        result = peak_rss(argv[1], int(argv[2]))
    elif kind == "import":
        result = import_seconds()
    elif kind == "digits":
        if argv[1] == "pytorch":
            try:
                import torch

                torch.set_num_threads(2)
            except ImportError:
                print(json.dumps({"error": "pytorch is not installed"}))
                return
        result = time_to_accuracy(argv[1], float(argv[2]), int(argv[3]))
    else:
        raise SystemExit(f"unknown worker {kind!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
