"""Classify the bundled 8x8 digits: Sequential + fit + evaluate + save.

Run:  python examples/digits_classifier.py [--epochs 20]

The same pipeline as `backprop train` (with no arguments), written out as library calls.
"""

import argparse
import tempfile
from pathlib import Path

from backprop import nn
from backprop.data import Standardizer, load_digits, train_test_split
from backprop.io import load_model
from backprop.train import evaluate, fit


def main(epochs: int = 20) -> None:
    # 1. Data: a stratified 80/20 split, scaled with statistics of the training part only.
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, rng=0)
    scaler = Standardizer().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

    # 2. Model: 64 inputs -> 128 -> 10 class scores (logits; the loss applies softmax).
    model = nn.Sequential(
        nn.Linear(64, 128, rng=0), nn.ReLU(), nn.Dropout(0.2, rng=1),
        nn.Linear(128, 10, rng=2),
    )

    # 3. Train: Adam, mini-batches of 32, 10% of the training part held out for validation.
    history = fit(model, X_train, y_train, loss="cross_entropy", optimizer="adam", lr=1e-3,
                  epochs=epochs, batch_size=32, validation_split=0.1, seed=0, verbose=0)
    print(f"after {len(history)} epochs: train loss {history['loss'][-1]:.4f}, "
          f"validation accuracy {history['val_accuracy'][-1]:.4f}")

    # 4. Evaluate on the test set, which training never saw.
    results = evaluate(model, X_test, y_test, loss="cross_entropy")
    print(f"test accuracy {results['accuracy']:.4f}")

    # 5. Save (a safe file: JSON + arrays, no pickle) and load it back.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "digits.npz"
        model.save(path)
        again = load_model(path)
        same = evaluate(again, X_test, y_test, loss="cross_entropy")
        print(f"reloaded model's test accuracy {same['accuracy']:.4f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    main(parser.parse_args().epochs)
