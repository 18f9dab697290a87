"""Train on your own CSV file: numeric feature columns plus a label column.

Run:  python examples/own_csv_data.py [--epochs 60]

It writes a small CSV (two noisy clusters per class, labels as words) to a temporary
folder, then loads it with ``load_csv`` exactly as you would load yours.  The same file
works from the shell:  backprop train --data csv:PATH:label
"""

import argparse
import tempfile
from pathlib import Path

import numpy as np

from backprop import nn
from backprop.data import Standardizer, load_csv, train_test_split
from backprop.train import evaluate, fit


def write_example_csv(path: Path, n_per_class: int = 100) -> None:
    rng = np.random.default_rng(0)
    centres = {"apple": (0.0, 0.0, 1.0), "banana": (3.0, 1.0, 0.0), "cherry": (0.0, 3.0, 2.0)}
    lines = ["weight,length,redness,label"]
    for label, centre in centres.items():
        for row in rng.normal(centre, 0.6, size=(n_per_class, 3)):
            lines.append(",".join(f"{v:.3f}" for v in row) + f",{label}")
    path.write_text("\n".join(lines) + "\n")


def main(epochs: int = 60) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fruit.csv"
        write_example_csv(path)
        # The target column by name; string labels become class indices 0..k-1.
        data = load_csv(path, target="label")
    print(f"features {data.feature_names}, classes {[str(c) for c in data.classes]}, {len(data.y)} rows")

    X_train, X_test, y_train, y_test = train_test_split(data.X, data.y, test_size=0.25, rng=0)
    scaler = Standardizer().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

    model = nn.Sequential(nn.Linear(3, 16, rng=0), nn.ReLU(), nn.Linear(16, len(data.classes), rng=1))
    fit(model, X_train, y_train, loss="cross_entropy", optimizer="adam", lr=0.01, epochs=epochs,
        batch_size=16, seed=0, verbose=0)
    print(f"test accuracy {evaluate(model, X_test, y_test, loss='cross_entropy')['accuracy']:.4f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    main(parser.parse_args().epochs)
