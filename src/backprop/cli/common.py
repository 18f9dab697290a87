"""What every subcommand shares: the parser class, value checks, config files, data specs,
preprocessing, models and run directories, and the one-line error handling.

Errors
    A mistake the user can fix (a bad flag, a bad config key, bad data) is a
    :class:`CLIError`, a ``ValueError``/``TypeError``/``OSError`` from the library, or an
    argparse error.  :func:`run` prints it as ONE line, ``backprop: error: ...``, on
    stderr and returns exit status 2; ``--debug`` prints the traceback first.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["CLIError", "UsageError", "ArgumentParser", "HelpFormatter", "run", "add_common_flags",
           "positive_int", "nonnegative_int", "positive_float", "nonnegative_float", "fraction",
           "hidden_layers", "choice", "load_config", "Dataset", "parse_data_spec", "load_dataset",
           "Preprocessor", "build_mlp", "save_run_model", "load_run", "RunArtifacts", "one_line"]

PROG = "backprop"


# ============================================================================ errors and the parser
class CLIError(Exception):
    """A mistake the user can fix: printed as one line, exit status 2."""


class UsageError(CLIError):
    """An argparse error (unknown flag, bad value)."""


def one_line(text: str) -> str:
    """Collapse a (possibly multi-line) message into one line."""
    return " ".join(str(text).split())


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the hand-formatted description and epilog (the Examples) as written."""

    def __init__(self, prog, **kwargs):
        kwargs.setdefault("max_help_position", 32)
        super().__init__(prog, **kwargs)


class ArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage dump) and never exit by themselves."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message):  # noqa: D401 - argparse's hook
        raise UsageError(f"{message} (see '{self.prog} --help')")


def add_common_flags(parser: argparse.ArgumentParser) -> None:
    """``--debug`` on a subcommand too (``backprop train --debug`` as well as ``backprop --debug train``)."""
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback when something goes wrong")


def run(func, args) -> int:
    """Call ``func(args)``; turn user errors into one stderr line and exit status 2."""
    debug = bool(getattr(args, "debug", False))
    try:
        status = func(args)
        return 0 if status is None else int(status)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `backprop predict ... | head`
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        except OSError:
            pass
        return 0
    except (CLIError, ValueError, TypeError, OSError, ImportError) as exc:
        if debug:
            traceback.print_exc()
        print(f"{PROG}: error: {describe(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: still one line, but say how to see more
        if debug:
            traceback.print_exc()
        hint = "" if debug else " (run again with --debug for the traceback)"
        print(f"{PROG}: error: internal error: {type(exc).__name__}: {describe(exc)}{hint}", file=sys.stderr)
        return 1


def describe(exc: BaseException) -> str:
    """A one-line description of ``exc`` (file errors name the file)."""
    if isinstance(exc, FileNotFoundError) and exc.filename and not str(exc).startswith(("load_", "backprop")):
        return f"{exc.filename}: no such file or directory"
    if isinstance(exc, IsADirectoryError) and exc.filename:
        return f"{exc.filename} is a directory, expected a file"
    if isinstance(exc, PermissionError) and exc.filename:
        return f"{exc.filename}: permission denied"
    text = one_line(str(exc)) or type(exc).__name__
    return text


# ============================================================================ value checks
# Each check takes a string (from the command line) or a value (from a config file) and
# returns the converted value or raises argparse.ArgumentTypeError (turned into one line).

def _number(value, kind, what):
    if isinstance(value, bool):
        raise argparse.ArgumentTypeError(f"{what}: expected a number, got {value!r}")
    try:
        if kind is int:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            number = int(value) if not isinstance(value, str) else int(value.strip())
        else:
            number = float(value)
    except (TypeError, ValueError):
        noun = "an integer" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"{what}: expected {noun}, got {value!r}") from None
    if kind is float and not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"{what}: expected a finite number, got {value!r}")
    return number


def _checker(kind, test, requirement):
    def check(value):
        number = _number(value, kind, "invalid value")
        if not test(number):
            raise argparse.ArgumentTypeError(f"must be {requirement}, got {value!r}")
        return number
    check.__name__ = f"{kind.__name__} {requirement}"
    return check


positive_int = _checker(int, lambda v: v > 0, "an integer > 0")
nonnegative_int = _checker(int, lambda v: v >= 0, "an integer >= 0")
positive_float = _checker(float, lambda v: v > 0, "a number > 0")
nonnegative_float = _checker(float, lambda v: v >= 0, "a number >= 0")
fraction = _checker(float, lambda v: 0 <= v < 1, "a fraction in [0, 1)")
open_fraction = _checker(float, lambda v: 0 < v < 1, "a fraction in (0, 1)")


def int_list(value, *, minimum_length: int = 0, what: str = "layer sizes"):
    """``"256,128"`` or ``[256, 128]`` -> ``[256, 128]`` (``""``/``"none"`` -> ``[]``)."""
    if isinstance(value, (list, tuple)):
        items = list(value)
    elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        items = [value]
    elif isinstance(value, str):
        text = value.strip().strip("[]()")
        items = [] if text.lower() in ("", "none", "0") else [t for t in re.split(r"[,\s]+", text) if t]
    else:
        raise argparse.ArgumentTypeError(f"{what} must be comma-separated integers like 256,128, got {value!r}")
    sizes = []
    for item in items:
        try:
            size = _number(item, int, what)
        except argparse.ArgumentTypeError:
            raise argparse.ArgumentTypeError(
                f"{what} must be comma-separated integers like 256,128, got {value!r}") from None
        if size <= 0:
            raise argparse.ArgumentTypeError(f"{what} must be positive integers, got {value!r}")
        sizes.append(size)
    if len(sizes) < minimum_length:
        raise argparse.ArgumentTypeError(
            f"{what} needs at least {minimum_length} sizes (e.g. 3,4,2), got {value!r}")
    return sizes


def hidden_layers(value):
    return int_list(value, what="--layers (hidden layer sizes)")


def choice(options, what: str, aliases: dict | None = None):
    """A case-insensitive choice (``-`` counts as ``_``); ``aliases`` maps extra spellings."""
    aliases = aliases or {}

    def check(value):
        if not isinstance(value, str):
            raise argparse.ArgumentTypeError(f"{what} must be one of {', '.join(options)}, got {value!r}")
        key = value.strip().lower().replace("-", "_")
        key = aliases.get(key, key)
        if key not in options:
            raise argparse.ArgumentTypeError(f"unknown {what} {value!r}; choose one of {', '.join(options)}")
        return key
    check.__name__ = what
    return check


def verbosity(value):
    """0 (silent), 1 (progress bar in a terminal, a line per epoch elsewhere) or 2 (a line per epoch)."""
    number = _number(value, int, "verbose")
    if number not in (0, 1, 2):
        raise argparse.ArgumentTypeError(f"must be 0, 1 or 2, got {value!r}")
    return number


def boolean(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")


def optional(check):
    """Allow ``None``/``"none"`` (e.g. ``clip_grad_norm = "none"`` in a config)."""
    def wrapped(value):
        if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null", "off", "")):
            return None
        return check(value)
    wrapped.__name__ = getattr(check, "__name__", "value")
    return wrapped


def convert(key: str, value, check, source: str):
    """Run ``check`` on a config value; name the key and the file in the error."""
    try:
        return check(value)
    except argparse.ArgumentTypeError as exc:
        raise CLIError(f"{source}: {key}: {exc}") from None


# ============================================================================ config files
def load_config(path, known: dict, where: str = "--config") -> dict:
    """Read a TOML or JSON config file into ``{key_with_underscores: converted value}``.

    ``known`` maps each accepted key to its check.  Keys may use dashes or underscores;
    unknown keys are an error that names them (and the accepted ones).
    """
    path = Path(path)
    if not path.is_file():
        raise CLIError(f"{where}: {path}: no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CLIError(f"{where}: cannot read {path}: {describe(exc)}") from None
    suffix = path.suffix.lower()
    data = None
    if suffix == ".json" or (suffix != ".toml" and text.lstrip().startswith("{")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CLIError(f"{where}: {path} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                           f"column {exc.colno}") from None
    else:
        import tomllib
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise CLIError(f"{where}: {path} is not valid TOML: {exc}") from None
    if not isinstance(data, dict):
        raise CLIError(f"{where}: {path} must hold a table/object of settings, got {type(data).__name__}")
    # A [train] table (or {"train": {...}}) is accepted as the whole config.
    if set(data) == {"train"} and isinstance(data["train"], dict):
        data = data["train"]
    out, unknown = {}, []
    for raw_key, value in data.items():
        key = str(raw_key).strip().replace("-", "_")
        if key not in known:
            unknown.append(str(raw_key))
            continue
        out[key] = convert(key, value, known[key], str(path))
    if unknown:
        raise CLIError(f"{where}: {path}: unknown key(s) {', '.join(sorted(unknown))}; "
                       f"known keys: {', '.join(sorted(known))}")
    return out


# ============================================================================ datasets
SYNTHETIC_ALIASES = {"blobs": "gaussian_blobs", "gaussian_blobs": "gaussian_blobs", "gaussian": "gaussian_blobs",
                     "xor": "xor", "moons": "moons", "circles": "circles", "spirals": "spirals", "sine": "sine"}
DATA_HELP = ("digits | xor | moons | circles | spirals | blobs | sine | idx:DIR | csv:PATH[:TARGET] | npz:PATH")


@dataclass
class DataSpec:
    kind: str                  # "digits", "synthetic", "idx", "csv", "npz"
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


REGRESSION_LOSSES = ("mse", "mae", "huber", "smooth_l1")
CLASSIFICATION_LOSSES = ("cross_entropy", "bce", "bce_with_logits")


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
    classes = feature_names = None
    if spec.kind == "digits":
        X, y = D.load_digits()
        classes = list(range(10))
        found_task = "classification"
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
        (X, y), (X_test, y_test) = D.load_mnist_dir(spec.path)
        labels = np.union1d(np.unique(y), np.unique(y_test))
        classes = list(range(int(labels.max()) + 1))
        return _finish(Dataset(spec, _as_2d(X), y, _as_2d(X_test), y_test, "classification", classes,
                               predefined_split=True), task, spec)
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
    dataset = Dataset(spec, X, y, X[:0], y[:0], found_task, classes, feature_names, notes=notes)
    dataset = _finish(dataset, task, spec)
    if split:
        _split(dataset, seed, test_split)
    return dataset


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


# ============================================================================ preprocessing
class Preprocessor:
    """Feature scaling fitted on the training data, saved next to the model."""

    KINDS = ("standard", "minmax", "none")

    def __init__(self, kind: str = "standard"):
        if kind not in self.KINDS:
            raise CLIError(f"--scale must be one of {', '.join(self.KINDS)}, got {kind!r}")
        self.kind = kind
        self.scaler = None

    def fit(self, X):
        from ..data import MinMaxScaler, Standardizer

        if self.kind == "standard":
            self.scaler = Standardizer().fit(X)
        elif self.kind == "minmax":
            self.scaler = MinMaxScaler().fit(X)
        return self

    def transform(self, X):
        X = np.asarray(X, dtype=np.float32)
        return X if self.scaler is None else self.scaler.transform(X).astype(np.float32)

    def state_dict(self) -> dict:
        return {"kind": self.kind, "scaler": None if self.scaler is None else self.scaler.state_dict()}

    @classmethod
    def from_state(cls, state: dict) -> "Preprocessor":
        from ..data import MinMaxScaler, Standardizer

        pre = cls(state.get("kind", "none"))
        scaler = state.get("scaler")
        if scaler is not None:
            pre.scaler = (Standardizer if scaler.get("type") == "Standardizer" else MinMaxScaler).from_state(scaler)
        return pre


# ============================================================================ models
def build_mlp(n_inputs: int, hidden: list, n_outputs: int, *, activation: str = "relu", dropout: float = 0.0,
              batch_norm: bool = False, output_activation: str | None = None, seed: int = 0,
              dtype=np.float32):
    """Linear -> [BatchNorm1d] -> activation -> [Dropout] per hidden layer, then a Linear output layer."""
    from .. import nn

    rng = np.random.default_rng(seed)
    layers = []
    sizes = [n_inputs, *hidden]
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers.append(nn.Linear(fan_in, fan_out, rng=rng, dtype=dtype))
        if batch_norm:
            layers.append(nn.BatchNorm1d(fan_out, dtype=dtype))
        layers.append(nn.get_activation(activation))
        if dropout > 0:
            layers.append(nn.Dropout(dropout, rng=rng))
    layers.append(nn.Linear(sizes[-1], n_outputs, rng=rng, dtype=dtype))
    if output_activation:
        layers.append(nn.get_activation(output_activation))
    return nn.Sequential(*layers)


def model_filename() -> str:
    """``model.safetensors`` when the optional package is installed, else ``model.npz``."""
    import importlib.util

    return "model.safetensors" if importlib.util.find_spec("safetensors") is not None else "model.npz"


def save_run_model(model, run_dir: Path, *, training_config: dict, seed: int, metadata: dict) -> Path:
    """Write the model with :func:`backprop.io.save_model` (a safe file, never pickle)."""
    from ..io import save_model

    path = run_dir / model_filename()
    save_model(model, path, training_config=training_config, seed=seed, **metadata)
    return path


@dataclass
class RunArtifacts:
    """What ``evaluate``/``predict`` need from a run directory."""

    run_dir: Path
    model: object
    config: dict
    preprocessing: Preprocessor
    task: str
    loss: str
    classes: list | None
    feature_names: list | None
    n_features: int
    output: str        # "softmax" (k logits), "sigmoid" (1 probability), "logit" (1 logit), "identity"


def load_run(path) -> RunArtifacts:
    """Load the model, preprocessing and settings of a run directory written by ``backprop train``."""
    from ..io import load_model

    run_dir = Path(path)
    if not run_dir.exists():
        raise CLIError(f"--model {run_dir}: no such run directory")
    if run_dir.is_file():  # the model file itself was given
        run_dir = run_dir.parent
    files = [run_dir / "model.safetensors", run_dir / "model.npz"]
    model_path = next((f for f in files if f.is_file()), None)
    prep_path = run_dir / "preprocessing.json"
    if model_path is None or not prep_path.is_file():
        raise CLIError(f"--model {run_dir}: not a complete run directory (expected model.safetensors or "
                       "model.npz and preprocessing.json, as written by 'backprop train')")
    try:
        state = json.loads(prep_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CLIError(f"{prep_path}: cannot read it: {describe(exc)}") from None
    config = {}
    if (run_dir / "config.json").is_file():
        try:
            config = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            config = {}
    model = load_model(model_path)
    model.eval()
    return RunArtifacts(run_dir=run_dir, model=model, config=config,
                        preprocessing=Preprocessor.from_state(state["preprocessing"]), task=state["task"],
                        loss=state["loss"], classes=state.get("classes"), feature_names=state.get("feature_names"),
                        n_features=int(state["n_features"]), output=state["output"])


def output_kind(task: str, loss: str) -> str:
    if task == "regression":
        return "identity"
    return {"cross_entropy": "softmax", "bce": "sigmoid", "bce_with_logits": "logit"}[loss]


def probabilities(outputs: np.ndarray, kind: str) -> np.ndarray:
    """Class probabilities from raw model outputs (k columns, or 2 for a one-unit binary model)."""
    out = np.asarray(outputs, dtype=np.float64)
    if kind == "softmax":
        shifted = out - out.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        return e / e.sum(axis=1, keepdims=True)
    if kind in ("sigmoid", "logit"):
        p = out.reshape(-1)
        if kind == "logit":
            p = 1.0 / (1.0 + np.exp(-p))
        return np.column_stack([1.0 - p, p])
    raise ValueError(f"no probabilities for output kind {kind!r}")


def metric_names(task: str) -> tuple:
    return ("r2", "mse") if task == "regression" else ("accuracy",)


# ============================================================================ feature files (predict)
def read_features(path, n_features: int, feature_names: list | None, where: str = "--input") -> np.ndarray:
    """Read a feature table from ``.npy`` or CSV (optional header; extra named columns ignored)."""
    import csv

    path = Path(path)
    if not path.exists():
        raise CLIError(f"{where} {path}: no such file")
    if path.is_dir():
        raise CLIError(f"{where} {path}: is a directory, expected a .csv or .npy file")
    if path.suffix.lower() == ".npy":
        try:
            X = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise CLIError(f"{where} {path}: not a numeric .npy array ({one_line(str(exc))})") from None
        if not np.issubdtype(X.dtype, np.number):
            raise CLIError(f"{where} {path}: the array must be numeric, got dtype {X.dtype}")
        X = np.atleast_2d(X)
        X = X.reshape(X.shape[0], -1).astype(np.float32)
        rows = None
    else:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = [(i + 1, [c.strip() for c in r]) for i, r in enumerate(csv.reader(fh)) if any(c.strip() for c in r)]
        if not rows:
            raise CLIError(f"{where} {path} is empty (no non-blank rows)")
        first = rows[0][1]
        columns = list(range(len(first)))
        header = not all(_is_float(c) for c in first)
        names = first if header else [f"column_{j + 1}" for j in columns]
        if header:
            rows = rows[1:]
            if feature_names and all(n in first for n in feature_names):
                columns = [first.index(n) for n in feature_names]
        if len(columns) != n_features:
            raise CLIError(f"{where} {path}: {len(columns)} feature columns, but the model takes {n_features}"
                           + (f" ({', '.join(feature_names)})" if feature_names else ""))
        if not rows:
            raise CLIError(f"{where} {path} has a header but no data rows")
        X = np.empty((len(rows), len(columns)), dtype=np.float64)
        for i, (line, cells) in enumerate(rows):
            if len(cells) != len(first):
                raise CLIError(f"{where} {path}: row {line} has {len(cells)} columns, expected {len(first)}")
            for k, j in enumerate(columns):
                cell = cells[j]
                if not _is_float(cell) or not math.isfinite(float(cell)):
                    what = "missing value" if cell.strip().lower() in ("", "na", "nan", "null", "none", "?") \
                        else "non-numeric value"
                    raise CLIError(f"{where} {path}: {what} {cell!r} at row {line}, column {names[j]!r}")
                X[i, k] = float(cell)
        X = X.astype(np.float32)
    if X.shape[1] != n_features:
        raise CLIError(f"{where} {path}: {X.shape[1]} features per row, but the model takes {n_features}")
    if not np.isfinite(X).all():
        row = int(np.argwhere(~np.isfinite(X))[0][0])
        raise CLIError(f"{where} {path}: NaN or Inf in row {row + 1}")
    return X


def _is_float(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def write_json(path: Path, obj) -> None:
    from ..train.storage import atomic_write_text

    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
