"""The same network, optimizer and loss in backprop, PyTorch (eager) and scikit-learn.

Each ``build_*`` returns a function running ONE training step on a fixed batch (or None if
the library is missing).  Networks: sizes like (784, 256, 128, 10), an activation for the
hidden layers, SGD with momentum 0.9, float32; classification uses softmax cross-entropy,
a single output unit uses sigmoid + binary cross-entropy (from logits).
"""

from __future__ import annotations

import numpy as np

LR = 0.01
MOMENTUM = 0.9


def make_batch(sizes, batch_size, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((batch_size, sizes[0])).astype(np.float32)
    if sizes[-1] == 1:
        y = rng.integers(0, 2, size=(batch_size, 1)).astype(np.float32)
    else:
        y = rng.integers(0, sizes[-1], size=batch_size).astype(np.int64)
    return X, y


def build_backprop(sizes, activation, X, y):
    import backprop.nn as nn
    from backprop.fastpath import make_train_step
    from backprop.optim import SGD

    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(fan_in, fan_out, rng=i))
        if i < len(sizes) - 2:
            layers.append(nn.get_activation(activation))
    model = nn.Sequential(*layers)
    loss = nn.BCEWithLogitsLoss() if sizes[-1] == 1 else nn.CrossEntropyLoss()
    step = make_train_step(model, loss, SGD(model.parameters(), lr=LR, momentum=MOMENTUM))
    return lambda: step(X, y)


def build_torch(sizes, activation, X, y):
    try:
        import torch
    except ImportError:
        return None
    acts = {"relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh}
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(torch.nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2:
            layers.append(acts[activation]())
    model = torch.nn.Sequential(*layers)
    loss_fn = torch.nn.BCEWithLogitsLoss() if sizes[-1] == 1 else torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    tX, ty = torch.from_numpy(X), torch.from_numpy(y)

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(tX), ty)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def build_sklearn_fit(sizes, activation, X, y, steps_per_call):
    """scikit-learn cannot run one step by itself: time ``fit`` over ``steps_per_call`` batches."""
    try:
        from sklearn.neural_network import MLPClassifier
    except ImportError:
        return None
    import warnings

    acts = {"relu": "relu", "sigmoid": "logistic", "tanh": "tanh"}
    batch_size = X.shape[0]
    X_all = np.tile(X, (steps_per_call, 1))
    y_all = np.tile(y.reshape(-1) if sizes[-1] == 1 else y, steps_per_call)
    if len(np.unique(y_all)) < 2:
        y_all[0] = 1 - y_all[0]
    model = MLPClassifier(hidden_layer_sizes=tuple(sizes[1:-1]), activation=acts[activation], solver="sgd",
                          learning_rate_init=LR, momentum=MOMENTUM, nesterovs_momentum=False,
                          batch_size=batch_size, max_iter=1, shuffle=False, tol=0.0, alpha=0.0,
                          n_iter_no_change=10**9, random_state=0)

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X_all, y_all)

    return run


def matmul_floor(sizes, X):
    """Only the matrix products of one step: forward z = a Wᵀ, BP3 δᵀ a, BP2 δ W (not for the input)."""
    rng = np.random.default_rng(1)
    weights = [rng.standard_normal((o, i)).astype(np.float32) for i, o in zip(sizes, sizes[1:])]
    activations = [X] + [rng.standard_normal((X.shape[0], o)).astype(np.float32) for o in sizes[1:]]

    def run():
        for a, w in zip(activations, weights):
            a @ w.T
        for index in range(len(weights) - 1, -1, -1):
            delta = activations[index + 1]
            delta.T @ activations[index]
            if index:
                delta @ weights[index]

    return run
