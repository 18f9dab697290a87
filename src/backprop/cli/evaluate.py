"""``backprop evaluate``: loss and metrics of a trained run on a dataset."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from . import common as C

EPILOG = """\
Examples:
  backprop evaluate --model runs/digits                  # the run's own test set (same split, same seed)
  backprop evaluate --model runs/iris --data csv:new.csv:species --split all
  backprop evaluate --model runs/mnist --data idx:~/mnist --output eval.json
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "evaluate", help="loss and accuracy (or R^2) of a trained run on a dataset",
        description="Evaluate a run directory written by 'backprop train' on a dataset, with the\n"
                    "run's own preprocessing (feature scaling, class names).",
        epilog=EPILOG)
    p.add_argument("--model", required=True, metavar="RUN_DIR", help="run directory written by 'backprop train'")
    p.add_argument("--data", default=None, metavar="SPEC",
                   help=f"{C.DATA_HELP} (default: the run's own data)")
    p.add_argument("--split", choices=("test", "train", "all"), default=None,
                   help="which part to evaluate: the test part of the run's split (default for the run's "
                        "own data), its training part, or all samples (default for other data)")
    p.add_argument("--output", default=None, metavar="FILE", help="also write the results as JSON")
    C.add_common_flags(p)
    p.set_defaults(func=main)
    return p


def main(args) -> int:
    from ..train import evaluate

    run = C.load_run(args.model)
    config = run.config
    data = args.data or config.get("data")
    if not data:
        raise C.CLIError(f"--model {run.run_dir}: config.json does not name the data; pass --data")
    own_data = args.data is None or args.data == config.get("data")
    split = args.split or ("test" if own_data else "all")
    spec = C.parse_data_spec(data)
    seed = int(config.get("seed", 0))
    dataset = C.load_dataset(spec, seed=seed, test_split=float(config.get("test_split", 0.2)), task=run.task,
                             n_samples=config.get("n_samples"), noise=config.get("noise"),
                             split=split != "all" or spec.kind in ("idx", "mnist1d"))
    if split == "test":
        X, y = dataset.X_test, dataset.y_test
    elif split == "train":
        X, y = dataset.X_train, dataset.y_train
    else:
        X = np.concatenate([dataset.X_train, dataset.X_test])
        y = np.concatenate([dataset.y_train, dataset.y_test])
    if X.shape[0] == 0:
        raise C.CLIError(f"--data {spec.name}: the {split} part is empty")
    if run.task == "classification" and dataset.classes is not None and run.classes is not None \
            and list(map(str, dataset.classes)) != list(map(str, run.classes)):
        # a new file's labels are numbered by that file; renumber them as the model knows them
        y = C.encode_labels([dataset.classes[i] for i in y], run.classes, f"--data {spec.name}")
    n_found = X.reshape(X.shape[0], -1).shape[1]
    if n_found != run.n_features:
        raise C.CLIError(f"--data {spec.name}: {n_found} features per sample, but the model takes {run.n_features}")
    X = run.model_inputs(X)
    if run.loss in ("bce", "bce_with_logits"):
        y = y.astype(np.float32).reshape(-1, 1)
    results = evaluate(run.model, X, y, loss=run.loss, metrics=C.metric_names(run.task), batch_size=256)
    results = {k: float(v) for k, v in results.items()}
    print(f"model  {run.run_dir}")
    print(f"data   {spec.name}, {split} part: {X.shape[0]} samples")
    for key, value in results.items():
        print(f"{key:<9}{value:.4f}")
    if run.task == "classification" and run.classes is not None and len(run.classes) <= 20:
        from ..train import predict
        predicted = _labels(predict(run.model, X, batch_size=256), run.output)
        truth = y.reshape(-1).astype(np.int64)
        k = len(run.classes)
        matrix = np.zeros((k, k), dtype=np.int64)
        np.add.at(matrix, (truth, predicted), 1)
        names = [str(c) for c in run.classes]
        width = max(4, max(len(n) for n in names), len(str(matrix.max())))
        print("confusion matrix (rows: true class, columns: predicted)")
        print(" " * (width + 1) + " ".join(n.rjust(width) for n in names))
        for name, row in zip(names, matrix):
            print(name.rjust(width) + " " + " ".join(str(v).rjust(width) for v in row))
        results["confusion_matrix"] = matrix.tolist()
    if args.output:
        C.write_json(Path(args.output), {"model": str(run.run_dir), "data": data, "split": split,
                                         "n_samples": int(X.shape[0]), **results})
        print(f"wrote {args.output}")
    return 0


def _labels(outputs: np.ndarray, kind: str) -> np.ndarray:
    return C.probabilities(outputs, kind).argmax(axis=1)
