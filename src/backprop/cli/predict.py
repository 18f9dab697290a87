"""``backprop predict``: class probabilities (or regression outputs) for new samples."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

import numpy as np

from . import common as C

EPILOG = """\
Examples:
  backprop predict --model runs/digits --input samples.npy                 # CSV to stdout
  backprop predict --model runs/iris --input new_flowers.csv --output probabilities.csv
  backprop predict --model runs/iris --input new_flowers.csv --label       # add the predicted class

Input: a .npy array (n_samples, n_features) or a CSV of numbers, with or without a header;
with a header that names the training features, other columns (e.g. the target) are ignored.
Output: one row per sample; for a classifier one probability column per class (rows sum to 1),
for a regression model one column per output.
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "predict", help="class probabilities for new samples (CSV out)",
        description="Predict with a run directory written by 'backprop train', applying the run's\n"
                    "feature scaling, and write CSV to stdout or --output.",
        epilog=EPILOG)
    p.add_argument("--model", required=True, metavar="RUN_DIR", help="run directory written by 'backprop train'")
    p.add_argument("--input", required=True, metavar="FILE", help=".csv or .npy file of feature rows")
    p.add_argument("--output", default=None, metavar="FILE", help="CSV file to write (default: stdout)")
    p.add_argument("--label", action="store_true", help="add a 'predicted' column with the most likely class")
    C.add_common_flags(p)
    p.set_defaults(func=main)
    return p


def main(args) -> int:
    from ..train import predict

    run = C.load_run(args.model)
    X = C.read_features(args.input, run.n_features, run.feature_names)
    outputs = predict(run.model, run.model_inputs(X), batch_size=256)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if run.task == "classification":
        probs = C.probabilities(outputs, run.output)
        classes = run.classes if run.classes is not None else list(range(probs.shape[1]))
        header = [f"p_{c}" for c in classes]
        writer.writerow(header + (["predicted"] if args.label else []))
        for row in probs:
            cells = [f"{v:.8g}" for v in row]
            if args.label:
                cells.append(str(classes[int(np.argmax(row))]))
            writer.writerow(cells)
    else:
        values = np.asarray(outputs, dtype=np.float64).reshape(outputs.shape[0], -1)
        names = ["prediction"] if values.shape[1] == 1 else [f"prediction_{j}" for j in range(values.shape[1])]
        writer.writerow(names)
        for row in values:
            writer.writerow([f"{v:.8g}" for v in row])
    text = buffer.getvalue()
    if args.output:
        from ..train.storage import atomic_write_text
        atomic_write_text(Path(args.output), text)
        print(f"wrote {X.shape[0]} predictions to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return 0
