"""Regression: fit y = sin(x) + noise with an MLP, MSE loss, and report R^2.

Run:  python examples/regression.py [--epochs 150]
"""

import argparse

import numpy as np

from backprop import nn
from backprop.data import sine, train_test_split
from backprop.train import evaluate, fit, predict


def main(epochs: int = 150) -> None:
    # 500 noisy samples of sin on [-pi, pi]; y has shape (n, 1), like the network's output.
    X, y = sine(500, noise=0.1, rng=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, rng=0)

    # tanh hidden layers, a linear output (no activation: any real value).
    model = nn.Sequential(nn.Linear(1, 64, rng=0), nn.Tanh(), nn.Linear(64, 64, rng=1), nn.Tanh(),
                          nn.Linear(64, 1, rng=2))
    fit(model, X_train, y_train, loss="mse", optimizer="adam", lr=0.01, epochs=epochs, batch_size=32,
        metrics=("r2",), seed=0, verbose=0)

    results = evaluate(model, X_test, y_test, loss="mse", metrics=("r2", "mse"))
    print(f"test MSE {results['mse']:.4f}   test R^2 {results['r2']:.4f}  (noise variance 0.01 is the floor)")

    for x in (-np.pi / 2, 0.0, np.pi / 2):
        guess = predict(model, np.array([[x]], dtype=np.float32))[0, 0]
        print(f"sin({x:+.3f}) = {np.sin(x):+.3f}   model: {guess:+.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=150)
    main(parser.parse_args().epochs)
