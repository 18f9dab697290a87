"""Data specs (``--data``): parsing ``digits``, synthetic names, ``mnist1d``, ``idx:DIR``,
``csv:PATH[:TARGET]``, ``npz:PATH`` and loading them into a :class:`Dataset` split into
train and test parts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import CLIError, one_line

__all__ = ["SYNTHETIC_ALIASES", "DATA_HELP", "DataSpec", "Dataset", "parse_data_spec", "load_dataset",
           "encode_labels"]

SYNTHETIC_ALIASES = {"blobs": "gaussian_blobs", "gaussian_blobs": "gaussian_blobs", "gaussian": "gaussian_blobs",
                     "xor": "xor", "moons": "moons", "circles": "circles", "spirals": "spirals", "sine": "sine"}
DATA_HELP = ("digits | mnist1d | xor | moons | circles | spirals | blobs | sine | idx:DIR | csv:PATH[:TARGET] | "
             "npz:PATH")


@dataclass
class DataSpec:
    kind: str                  # "digits", "mnist1d", "synthetic", "idx", "csv", "npz"
    name: str                  # short name for run directories: digits, spirals, mnist, iris...
    path: Path | None = None
    target: object = None      # csv: column name or index
    generator: str | None = None


@dataclass
class Dataset:
    """Features and targets, already split into train and test parts."""

    spec: DataSpec
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    task: str                              # "classification" or "regression"
    classes: list | None = None            # original labels, index -> label
    feature_names: list | None = None
    predefined_split: bool = False
    notes: list = field(default_factory=list)
    #: the shape of one sample before it was flattened into a row of features: (28, 28) for
    #: IDX images, (8, 8) for the digits, (40,) for MNIST-1D; None for a plain table
    sample_shape: tuple | None = None

    @property
    def n_features(self) -> int:
        return int(np.prod(self.X_train.shape[1:]))

    @property
    def n_classes(self) -> int:
        return len(self.classes) if self.classes is not None else 0


def parse_data_spec(text) -> DataSpec:
    if not isinstance(text, str) or not text.strip():
        raise CLIError(f"--data: expected {DATA_HELP}, got {text!r}")
    text = text.strip()
    lower = text.lower()
    if lower == "digits":
        return DataSpec("digits", "digits")
    if lower.replace("-", "").replace("_", "") == "mnist1d":
        return DataSpec("mnist1d", "mnist1d")
    key = lower.replace("-", "_")
    if key in SYNTHETIC_ALIASES:
        generator = SYNTHETIC_ALIASES[key]
        return DataSpec("synthetic", "blobs" if generator == "gaussian_blobs" else generator, generator=generator)
    kind, sep, rest = text.partition(":")
    kind = kind.lower()
    if not sep or kind not in ("idx", "csv", "npz") or not rest:
        raise CLIError(f"--data: unknown dataset {text!r}; expected {DATA_HELP}")
    if kind == "idx":
        path = Path(rest)
        return DataSpec("idx", path.name or "idx", path=path)
    if kind == "npz":
        path = Path(rest)
        return DataSpec("npz", path.stem or "npz", path=path)
    # csv:PATH[:TARGET]; a path that exists as given wins (C:\data.csv, names with colons)
    path, target = rest, None
    if not Path(rest).exists() and ":" in rest:
        head, _, tail = rest.rpartition(":")
        if head and tail and not any(c in tail for c in "/\\"):
            path, target = head, tail
    if isinstance(target, str) and re.fullmatch(r"-?\d+", target):
        target = int(target)
    return DataSpec("csv", Path(path).stem or "csv", path=Path(path), target=target)


def _as_2d(X: np.ndarray) -> np.ndarray:
    return X.reshape(X.shape[0], -1) if X.ndim != 2 else X


def load_dataset(spec: DataSpec, *, seed: int, test_split: float, task: str | None = None,
                 n_samples: int | None = None, noise: float | None = None, defaults: dict | None = None,
                 split: bool = True) -> Dataset:
    """Load (and, unless the data come split, split) the data named by ``spec``.

    ``task`` is ``None`` (decide from the data), ``"classification"`` or ``"regression"``.
    Every problem raises :class:`CLIError` (or the loader's ``ValueError``) naming the file.
    """
    from .. import data as D

    defaults = defaults or {}
    notes = []
    classes = feature_names = sample_shape = None
    if spec.kind == "digits":
        X, y = D.load_digits()
        classes = list(range(10))
        found_task = "classification"
        sample_shape = (8, 8) if np.prod(X.shape[1:]) == 64 else None
    elif spec.kind == "mnist1d":
        # The dataset is defined by its generator's seed (42, as published), not the run's seed.
        (X, y), (X_test, y_test) = D.load_mnist1d()
        return _finish(Dataset(spec, _as_2d(X), y, _as_2d(X_test), y_test, "classification", list(range(10)),
                               predefined_split=True, sample_shape=tuple(X.shape[1:])), task, spec)
    elif spec.kind == "synthetic":
        generator = D.SYNTHETIC[spec.generator]
        kwargs = {}
        if n_samples is not None or "n_samples" in defaults:
            kwargs["n_samples"] = n_samples if n_samples is not None else defaults["n_samples"]
        if noise is not None or "noise" in defaults:
            kwargs["noise"] = noise if noise is not None else defaults["noise"]
        X, y = generator(**kwargs, rng=seed)
        found_task = "regression" if spec.generator == "sine" else "classification"
        if found_task == "classification":
            classes = list(range(int(y.max()) + 1))
    elif spec.kind == "idx":
        if not spec.path.is_dir():
            raise CLIError(f"--data idx:{spec.path}: not a directory (expected a folder with the four "
                           "MNIST-style IDX files)")
        (X, y), (X_test, y_test) = D.load_mnist_dir(spec.path, as_images=True)
        labels = np.union1d(np.unique(y), np.unique(y_test))
        classes = list(range(int(labels.max()) + 1))
        return _finish(Dataset(spec, _as_2d(X), y, _as_2d(X_test), y_test, "classification", classes,
                               predefined_split=True, sample_shape=_image_shape(X)), task, spec)
    elif spec.kind == "csv":
        return _load_csv_dataset(spec, seed, test_split, task, split)
    elif spec.kind == "npz":
        if not spec.path.is_file():
            raise CLIError(f"--data npz:{spec.path}: no such file")
        loaded = D.load_npz(spec.path)
        if isinstance(loaded[0], tuple):
            (X, y), (X_test, y_test) = loaded
            found = _target_task(y)
            classes = _classes_of(np.concatenate([y, y_test])) if found == "classification" else None
            return _finish(Dataset(spec, _as_2d(X), _column(y, found), _as_2d(X_test), _column(y_test, found),
                                   found, classes, predefined_split=True), task, spec)
        X, y = loaded
        if y is None:
            raise CLIError(f"--data npz:{spec.path}: the archive holds X but no 'y' array; save the targets "
                           "too: np.savez(path, X=X, y=y)")
        found_task = _target_task(y)
        y = _column(y, found_task)
        if found_task == "classification":
            classes = _classes_of(y)
    else:  # pragma: no cover - parse_data_spec rejects everything else
        raise CLIError(f"unknown data kind {spec.kind!r}")
    X = _as_2d(np.asarray(X, dtype=np.float32))
    dataset = Dataset(spec, X, y, X[:0], y[:0], found_task, classes, feature_names, notes=notes,
                      sample_shape=sample_shape)
    dataset = _finish(dataset, task, spec)
    if split:
        _split(dataset, seed, test_split)
    return dataset


def _image_shape(X: np.ndarray) -> tuple:
    """(H, W) of (N, 1, H, W) or (N, H, W) images: the channel axis is the model's business."""
    shape = tuple(int(d) for d in X.shape[1:])
    return shape[1:] if len(shape) == 3 and shape[0] == 1 else shape


def _target_task(y: np.ndarray) -> str:
    return "classification" if np.issubdtype(y.dtype, np.integer) and y.ndim == 1 else "regression"


def _column(y: np.ndarray, task: str) -> np.ndarray:
    if task == "regression":
        return y.reshape(y.shape[0], -1).astype(np.float32)
    return y


def _classes_of(y: np.ndarray) -> list:
    if y.size and y.min() < 0:
        raise CLIError(f"class labels must be integers >= 0, found {int(y.min())}")
    return list(range(int(y.max()) + 1)) if y.size else []


def _finish(dataset: Dataset, task: str | None, spec: DataSpec) -> Dataset:
    """Check the data against the requested task."""
    if task is not None and task != dataset.task:
        if task == "regression" and dataset.task == "classification" and spec.kind in ("npz",):
            dataset.y_train = dataset.y_train.astype(np.float32).reshape(-1, 1)
            dataset.y_test = dataset.y_test.astype(np.float32).reshape(-1, 1)
            dataset.task, dataset.classes = "regression", None
        else:
            raise CLIError(f"--data {spec.name}: this is a {dataset.task} dataset, but {task} was asked for "
                           f"(by --task or a {'regression' if task == 'regression' else 'classification'} loss)")
    if dataset.task == "classification":
        n_found = len(np.unique(dataset.y_train))
        if n_found < 2:
            raise CLIError(f"--data {spec.name}: the training data hold a single class; classification needs "
                           "at least 2")
    if dataset.X_train.shape[0] == 0:
        raise CLIError(f"--data {spec.name}: no training samples")
    return dataset


def _split(dataset: Dataset, seed: int, test_split: float) -> None:
    from ..data import train_test_split

    X, y = dataset.X_train, dataset.y_train
    stratify = dataset.task == "classification"
    if stratify:
        counts = np.bincount(y)
        counts = counts[counts > 0]
        if counts.min() < 2:
            stratify = False  # a class with one sample cannot be in both parts
    try:
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_split, stratify=stratify,
                                                            rng=seed)
    except ValueError as exc:
        raise CLIError(f"--data {dataset.spec.name}: cannot split {X.shape[0]} samples into train and test "
                       f"parts with --test-split {test_split}: {one_line(str(exc))}") from None
    dataset.X_train, dataset.X_test, dataset.y_train, dataset.y_test = X_train, X_test, y_train, y_test


def _load_csv_dataset(spec: DataSpec, seed: int, test_split: float, task: str | None, split: bool) -> Dataset:
    from ..data import load_csv

    path = spec.path
    if not path.exists():
        raise CLIError(f"--data csv:{path}: no such file")
    if path.is_dir():
        raise CLIError(f"--data csv:{path}: is a directory, expected a CSV file")
    notes = []
    try:
        if task == "regression":
            result = load_csv(path, target=spec.target, task="regression")
        else:
            try:
                result = load_csv(path, target=spec.target, task="classification")
            except ValueError as exc:
                # A float target (2.5, 0.31) is a regression target; say so and go on, unless the
                # user asked for classification explicitly.
                if task is None and "is not an integer class label" in str(exc):
                    result = load_csv(path, target=spec.target, task="regression")
                    notes.append("the target column holds non-integer numbers: treating this as regression "
                                 "(pass --task classification to insist)")
                else:
                    raise
    except (ValueError, TypeError) as exc:
        raise CLIError(_command_line_words(str(exc))) from exc
    found = "regression" if result.classes is None else "classification"
    classes = None if result.classes is None else [c.item() if hasattr(c, "item") else c for c in result.classes]
    dataset = Dataset(spec, result.X, result.y, result.X[:0], result.y[:0], found, classes,
                      list(result.feature_names), notes=notes)
    dataset = _finish(dataset, task, spec)
    if split:
        _split(dataset, seed, test_split)
    return dataset


def _command_line_words(message: str) -> str:
    """Say a loader's advice in command-line terms (``task='regression'`` -> ``--task regression``)."""
    message = re.sub(r"np\.\w+\((.*?)\)", r"\1", one_line(message))
    message = message.replace("pass task='regression'", "pass --task regression")
    message = message.replace("pass header=True or give the target as a column index",
                              "give the target as a column index (csv:PATH:INDEX)")
    return message


def encode_labels(labels, classes: list, where: str) -> np.ndarray:
    """Map original labels (from a new file) to the class indices of a trained model."""
    index = {str(c): i for i, c in enumerate(classes)}
    out = np.empty(len(labels), dtype=np.int64)
    for i, label in enumerate(labels):
        key = str(label.item() if hasattr(label, "item") else label)
        if key not in index:
            raise CLIError(f"{where}: label {key!r} is not one of the classes the model was trained on "
                           f"({', '.join(map(str, classes))})")
        out[i] = index[key]
    return out
