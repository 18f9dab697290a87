"""Run directories: the preprocessing saved next to a model, writing and loading a run, and
turning a model's raw outputs into probabilities.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import CLIError, describe

__all__ = ["REGRESSION_LOSSES", "CLASSIFICATION_LOSSES", "Preprocessor", "model_filename", "save_run_model",
           "RunArtifacts", "load_run", "output_kind", "probabilities", "metric_names", "write_json"]

REGRESSION_LOSSES = ("mse", "mae", "huber", "smooth_l1")
CLASSIFICATION_LOSSES = ("cross_entropy", "bce", "bce_with_logits")


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
    input_shape: tuple = ()   # one sample as the model takes it; () = (n_features,), a flat row
    model_name: str = "mlp"

    def model_inputs(self, X) -> np.ndarray:
        """Rows of raw features -> the run's scaling -> the model's input layout ``(N, *input_shape)``."""
        X = self.preprocessing.transform(np.asarray(X).reshape(len(X), -1))
        shape = tuple(self.input_shape) or (self.n_features,)
        return X.reshape(X.shape[0], *shape)


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
                        n_features=int(state["n_features"]), output=state["output"],
                        input_shape=tuple(int(d) for d in state.get("input_shape") or (state["n_features"],)),
                        model_name=str(state.get("model", "mlp")))


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
