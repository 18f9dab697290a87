"""``backprop train``: train a model (an MLP by default) on a dataset and write a run directory."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from . import common as C
from . import models as M

OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam", "adamw")
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "elu", "gelu", "softplus")
LOSSES = C.CLASSIFICATION_LOSSES + C.REGRESSION_LOSSES
LOSS_ALIASES = {"crossentropy": "cross_entropy", "ce": "cross_entropy", "categorical_crossentropy": "cross_entropy",
                "binary_crossentropy": "bce", "binary_cross_entropy": "bce", "l1": "mae",
                "mean_squared_error": "mse", "mean_absolute_error": "mae"}

#: learning rate used when neither the command line, the config nor the dataset preset sets one
DEFAULT_LR = {"sgd": 0.05, "momentum": 0.01, "nesterov": 0.01, "rmsprop": 1e-3, "adagrad": 0.01,
              "adam": 1e-3, "adamw": 1e-3}

#: settings every run starts from (the dataset presets below override some of them)
DEFAULTS = {
    "data": "digits", "task": None, "layers": [64, 64], "activation": "relu", "dropout": 0.0, "batch_norm": False,
    "loss": None, "optimizer": "adam", "lr": None, "weight_decay": None, "epochs": 50, "batch_size": 32,
    "validation_split": 0.1, "test_split": 0.2, "early_stopping": None, "clip_grad_norm": None, "seed": 0,
    "scale": "standard", "n_samples": None, "noise": None, "out": None, "plot": True, "verbose": 1,
    "model": "mlp", "hidden_size": None, "monitor": True, "tensorboard": False,
}

#: per-dataset defaults (chosen so that each reaches its target with the default seed in seconds)
PRESETS = {
    "digits": {"layers": [256, 128], "batch_norm": True, "dropout": 0.2, "epochs": 30, "lr": 1e-3},
    "xor": {"layers": [32, 32], "epochs": 200, "lr": 0.01, "n_samples": 1000},
    "moons": {"layers": [32, 32], "epochs": 100, "lr": 0.01, "n_samples": 500},
    "circles": {"layers": [32, 32], "epochs": 100, "lr": 0.01, "n_samples": 500},
    "spirals": {"layers": [64, 64, 64], "epochs": 300, "lr": 0.005, "n_samples": 600, "noise": 0.02},
    "gaussian_blobs": {"layers": [16], "epochs": 50, "lr": 0.01, "n_samples": 300},
    "sine": {"layers": [64, 64], "activation": "tanh", "epochs": 150, "lr": 0.01, "n_samples": 500},
    "idx": {"layers": [256, 128], "dropout": 0.2, "epochs": 10, "batch_size": 64, "scale": "none", "lr": 1e-3},
    # MNIST-1D comes centred and scaled by its generator
    "mnist1d": {"layers": [256, 256], "dropout": 0.3, "epochs": 50, "batch_size": 100, "scale": "none",
                "lr": 1e-3},
    "csv": {"layers": [64, 64], "epochs": 50},
    "npz": {"layers": [64, 64], "epochs": 50},
}

#: key -> check, for config files (the command line uses the same checks through argparse)
CHECKS = {
    "data": str,
    "task": C.optional(C.choice(("classification", "regression"), "task")),
    "layers": C.hidden_layers,
    "activation": C.choice(ACTIVATIONS, "activation"),
    "dropout": C.fraction,
    "batch_norm": C.boolean,
    "loss": C.optional(C.choice(LOSSES, "loss", LOSS_ALIASES)),
    "optimizer": C.choice(OPTIMIZERS, "optimizer"),
    "lr": C.optional(C.positive_float),
    "weight_decay": C.optional(C.nonnegative_float),
    "epochs": C.positive_int,
    "batch_size": C.positive_int,
    "validation_split": C.fraction,
    "test_split": C.open_fraction,
    "early_stopping": C.optional(C.positive_int),
    "clip_grad_norm": C.optional(C.positive_float),
    "seed": C.nonnegative_int,
    "scale": C.choice(C.Preprocessor.KINDS, "scale"),
    "n_samples": C.optional(C.positive_int),
    "noise": C.optional(C.nonnegative_float),
    "out": C.optional(str),
    "plot": C.boolean,
    "verbose": C.verbosity,
    "model": C.choice(M.MODEL_NAMES, "model", M.MODEL_ALIASES),
    "hidden_size": C.optional(C.positive_int),
    "monitor": C.boolean,
    "tensorboard": C.boolean,
}

#: MLP-only settings: given on the command line with another --model they are an error
MLP_ONLY = ("layers", "activation", "dropout", "batch_norm")

EPILOG = """\
Examples:
  backprop train                                  # MLP on the bundled 8x8 digits (>= 0.97 test accuracy)
  backprop train --data spirals                   # three interleaved spirals
  backprop train --data sine                      # regression: MSE loss, reports R^2
  backprop train --data csv:iris.csv:species --layers 16 --epochs 100
  backprop train --data idx:~/mnist --layers 256,128 --epochs 20 --out runs/mnist
  backprop train --layers 128 --dropout 0.2 --batch-norm --optimizer sgd --lr 0.05
  backprop train --early-stopping 5 --epochs 200  # stop when val_loss stalls for 5 epochs
  backprop train --config run.toml --lr 0.01      # flags override the config file
  backprop train --data mnist1d --model cnn       # Conv1d net on MNIST-1D (pip install 'backprop[mnist1d]')
  backprop train --data mnist1d --model gru --hidden-size 64
  backprop train --data idx:~/mnist --model cnn   # Conv2d net on (1, 28, 28) images
  backprop train --data spirals --tensorboard     # + TensorBoard logs in RUN_DIR/tensorboard/

Models (--model): mlp (default), logistic, cnn, gru, lstm, rnn.  The data stay rows of
features for scaling and are reshaped for the model: a CNN gets (1, H, W) images (IDX,
digits) or (1, L) signals (MNIST-1D, tables); a GRU/LSTM/RNN reads an (H, W) image as W
steps of H pixels and anything else as one feature per step.  Each model brings its own
epochs, learning rate and batch size (flags still win).  Non-MLP models are classifiers
trained with cross_entropy.

A config file (TOML or JSON) holds the same settings, with underscores or dashes:
  data = "spirals"
  layers = [64, 64]
  epochs = 200
  early_stopping = 10

The run directory (--out, default runs/<data>-<time>) receives config.json, history.csv,
metrics.json, the model (model.safetensors or model.npz), preprocessing.json (scaling and the
model's input layout, used by evaluate, predict and export), health.txt (the health report),
and with matplotlib curves.png, gradient_flow.png (with --monitor) and, for 2-D synthetic
data, decision_boundary.png.
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "train", help="train a model (MLP, CNN, GRU, ...) and write a run directory",
        description="Train a model (a multilayer perceptron unless --model says otherwise) and write its\n"
                    "run directory.\n\n"
                    "With no options it trains a 64-256-128-10 ReLU network (batch norm, dropout 0.2)\n"
                    "on the bundled digits: features standardized on the training part, stratified\n"
                    "80/20 train/test split and 10% validation, Adam, batch 32, 30 epochs, seed 0.",
        epilog=EPILOG)
    data = p.add_argument_group("data")
    data.add_argument("--data", default=None, metavar="SPEC", help=f"dataset: {C.DATA_HELP} (default digits)")
    data.add_argument("--task", type=CHECKS["task"], default=None, metavar="TASK",
                      help="classification or regression (default: from the data)")
    data.add_argument("--test-split", type=C.open_fraction, default=None, metavar="F",
                      help="fraction held out as the test set (default 0.2; IDX and split .npz data "
                           "have their own test set)")
    data.add_argument("--validation-split", type=C.fraction, default=None, metavar="F",
                      help="fraction of the training part used for validation (default 0.1; 0 = none)")
    data.add_argument("--scale", type=CHECKS["scale"], default=None, metavar="KIND",
                      help="feature scaling fitted on the training part: standard, minmax or none "
                           "(default standard; none for IDX images, already in [0, 1])")
    data.add_argument("--n-samples", type=C.positive_int, default=None, metavar="N",
                      help="samples to generate for a synthetic dataset")
    data.add_argument("--noise", type=C.nonnegative_float, default=None, metavar="STD",
                      help="noise of a synthetic dataset")
    model = p.add_argument_group("model")
    model.add_argument("--model", type=CHECKS["model"], default=None, metavar="NAME",
                       help=f"{', '.join(M.MODEL_NAMES)} (default mlp); see the notes below")
    model.add_argument("--hidden-size", type=C.positive_int, default=None, metavar="N",
                       help=f"hidden state size of a gru, lstm or rnn (default {M.DEFAULT_HIDDEN_SIZE})")
    model.add_argument("--layers", type=C.hidden_layers, default=None, metavar="SIZES",
                       help="MLP hidden layer sizes, e.g. 256,128 (input and output sizes come from the data)")
    model.add_argument("--activation", type=CHECKS["activation"], default=None, metavar="NAME",
                       help=f"hidden activation: {', '.join(ACTIVATIONS)} (default relu)")
    model.add_argument("--dropout", type=C.fraction, default=None, metavar="P",
                       help="dropout probability after each hidden layer (default 0)")
    model.add_argument("--batch-norm", action="store_const", const=True, default=None,
                       help="BatchNorm1d after each hidden Linear layer (on by default for digits)")
    model.add_argument("--no-batch-norm", dest="batch_norm", action="store_const", const=False, default=None,
                       help="no batch normalization")
    training = p.add_argument_group("training")
    training.add_argument("--loss", type=CHECKS["loss"], default=None, metavar="NAME",
                          help=f"{', '.join(LOSSES)} (default cross_entropy, or mse for regression)")
    training.add_argument("--optimizer", type=CHECKS["optimizer"], default=None, metavar="NAME",
                          help=f"{', '.join(OPTIMIZERS)} (default adam)")
    training.add_argument("--lr", type=C.positive_float, default=None, help="learning rate")
    training.add_argument("--weight-decay", type=C.nonnegative_float, default=None, metavar="WD",
                          help="L2 weight decay (default: the optimizer's)")
    training.add_argument("--epochs", type=C.positive_int, default=None, metavar="N")
    training.add_argument("--batch-size", type=C.positive_int, default=None, metavar="N", help="(default 32)")
    training.add_argument("--early-stopping", type=C.positive_int, default=None, metavar="PATIENCE",
                          help="stop after PATIENCE epochs without a better val_loss and keep the best weights")
    training.add_argument("--clip-grad-norm", type=C.positive_float, default=None, metavar="MAX",
                          help="clip the global gradient norm to MAX")
    training.add_argument("--seed", type=C.nonnegative_int, default=None, help="seed of everything random "
                          "(split, weights, shuffling; default 0)")
    out = p.add_argument_group("output")
    out.add_argument("--out", default=None, metavar="DIR", help="run directory (default runs/<data>-<time>)")
    out.add_argument("--config", default=None, metavar="FILE", help="TOML or JSON file of settings; flags override it")
    out.add_argument("--no-plot", dest="plot", action="store_const", const=False, default=None,
                     help="do not draw curves.png")
    out.add_argument("--monitor", dest="monitor", action="store_const", const=True, default=None,
                     help="record per-layer gradient statistics for the health report and gradient_flow.png "
                          "(default on)")
    out.add_argument("--no-monitor", dest="monitor", action="store_const", const=False, default=None,
                     help="no per-layer statistics (a little faster: dense MLPs keep the compiled fast path)")
    out.add_argument("--tensorboard", action="store_const", const=True, default=None,
                     help="write TensorBoard logs into RUN_DIR/tensorboard/ (needs tensorboardX)")
    out.add_argument("-q", "--quiet", dest="verbose", action="store_const", const=0, default=None,
                     help="no per-epoch output, only the summary")
    C.add_common_flags(p)
    p.set_defaults(func=main)
    return p


# ============================================================================ settings
def resolve_settings(args) -> tuple[dict, C.DataSpec, dict]:
    """Command line > config file > dataset preset > defaults.  Returns (settings, spec, sources)."""
    config = C.load_config(args.config, CHECKS) if getattr(args, "config", None) else {}
    given = {key: getattr(args, key) for key in CHECKS if getattr(args, key, None) is not None}
    data = given.get("data", config.get("data", DEFAULTS["data"]))
    spec = C.parse_data_spec(data)
    model = given.get("model", config.get("model", DEFAULTS["model"]))
    data_key = spec.generator or spec.kind
    # the model's preset (epochs, lr, batch size) wins over the data's, which was made for the MLP
    preset = {**PRESETS.get(data_key, {}), **M.model_preset(model, data_key)}
    if model != "mlp":
        wrong = [key for key in MLP_ONLY if key in given]
        if wrong:
            flags = ", ".join("--" + key.replace("_", "-") for key in wrong)
            raise C.CLIError(f"{flags}: only for --model mlp, not --model {model}"
                             + ("; use --hidden-size for a recurrent model" if "layers" in wrong else ""))
    if model not in M.RECURRENT and "hidden_size" in given:
        raise C.CLIError(f"--hidden-size is for --model gru, lstm or rnn, not --model {model}"
                         + ("; use --layers for an MLP" if model == "mlp" else ""))
    settings, sources = {}, {}
    for key in DEFAULTS:
        for source, table in (("command line", given), ("config", config), ("preset", preset),
                              ("default", DEFAULTS)):
            if key in table:
                settings[key] = table[key]
                sources[key] = source
                break
    settings["data"] = data
    settings["verbose"] = int(settings["verbose"])
    if settings["lr"] is None or (sources["lr"] == "preset" and settings["optimizer"] != "adam"):
        settings["lr"] = DEFAULT_LR[settings["optimizer"]]
        sources["lr"] = "default"
    if settings["early_stopping"] is not None and settings["validation_split"] == 0:
        raise C.CLIError("--early-stopping watches val_loss, so it needs --validation-split > 0")
    if settings["task"] is None and settings["loss"] is not None:
        settings["task"] = "regression" if settings["loss"] in C.REGRESSION_LOSSES else "classification"
    return settings, spec, sources


def check_loss(settings: dict, dataset: C.Dataset) -> str:
    loss = settings["loss"]
    if loss is None:
        loss = "mse" if dataset.task == "regression" else "cross_entropy"
    if dataset.task == "regression" and loss not in C.REGRESSION_LOSSES:
        raise C.CLIError(f"--loss {loss} is a classification loss, but {dataset.spec.name} is a regression "
                         f"dataset; use one of {', '.join(C.REGRESSION_LOSSES)}")
    if dataset.task == "classification" and loss not in C.CLASSIFICATION_LOSSES:
        raise C.CLIError(f"--loss {loss} is a regression loss, but {dataset.spec.name} is a classification "
                         f"dataset; use one of {', '.join(C.CLASSIFICATION_LOSSES)}")
    if loss in ("bce", "bce_with_logits") and dataset.n_classes != 2:
        raise C.CLIError(f"--loss {loss} is for two classes, but {dataset.spec.name} has {dataset.n_classes}; "
                         "use cross_entropy")
    return loss


def default_out_dir(spec: C.DataSpec) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path("runs") / f"{spec.name}-{stamp}"
    path, k = base, 1
    while path.exists():
        k += 1
        path = Path(f"{base}-{k}")
    return path


def _targets(y: np.ndarray, loss: str) -> np.ndarray:
    if loss in ("bce", "bce_with_logits"):
        return y.astype(np.float32).reshape(-1, 1)
    return y


# ============================================================================ the command
def main(args) -> int:
    from .. import optim
    from ..train import EarlyStopping, evaluate, fit

    settings, spec, sources = resolve_settings(args)
    say = print
    seed = settings["seed"]

    # ---- data, preprocessing, model and optimizer: all checked before anything is written
    dataset = C.load_dataset(spec, seed=seed, test_split=settings["test_split"], task=settings["task"],
                             n_samples=settings["n_samples"], noise=settings["noise"],
                             defaults=PRESETS.get(spec.generator or "", {}))
    settings["task"] = dataset.task
    model_name = settings["model"]
    if model_name != "mlp" and dataset.task != "classification":
        raise C.CLIError(f"--model {model_name} is a classifier, but {spec.name} is a regression dataset; "
                         "use --model mlp")
    loss = check_loss(settings, dataset)
    if model_name != "mlp" and loss != "cross_entropy":
        raise C.CLIError(f"--model {model_name} outputs one logit per class: train it with --loss cross_entropy, "
                         f"not {loss}")
    settings["loss"] = loss
    if model_name in M.RECURRENT and settings["hidden_size"] is None:
        settings["hidden_size"] = M.DEFAULT_HIDDEN_SIZE
    input_shape = M.input_shape_for(model_name, dataset.n_features, dataset.sample_shape)
    X_train, y_train = dataset.X_train, dataset.y_train
    X_val = y_val = None
    if settings["validation_split"] > 0:
        from ..data import stratified_split
        try:
            (X_train, y_train), (X_val, y_val) = stratified_split(X_train, y_train, settings["validation_split"],
                                                                  rng=seed)
        except ValueError as exc:
            raise C.CLIError(f"--validation-split {settings['validation_split']}: {C.one_line(str(exc))}") from None
    preprocessing = C.Preprocessor(settings["scale"]).fit(X_train)

    def model_inputs(X):  # scaled rows -> the model's layout; evaluate/predict do the same (RunArtifacts)
        X = preprocessing.transform(X)
        return X.reshape(X.shape[0], *input_shape)

    X_train = model_inputs(X_train)
    X_test = model_inputs(dataset.X_test)
    validation = None if X_val is None else (model_inputs(X_val), _targets(y_val, loss))

    n_outputs = 1 if dataset.task == "regression" or loss in ("bce", "bce_with_logits") else dataset.n_classes
    if dataset.task == "regression":
        n_outputs = dataset.y_train.shape[1]
    if model_name == "mlp":
        model = C.build_mlp(dataset.n_features, settings["layers"], n_outputs, activation=settings["activation"],
                            dropout=settings["dropout"], batch_norm=settings["batch_norm"],
                            output_activation="sigmoid" if loss == "bce" else None, seed=seed)
    else:
        try:
            model = M.build_zoo_model(model_name, input_shape, n_outputs, hidden_size=settings["hidden_size"],
                                      seed=seed)
        except ValueError as exc:
            raise C.CLIError(f"--model {model_name} on {spec.name} (samples of shape "
                             f"{'x'.join(map(str, input_shape))}): {C.one_line(str(exc))}") from None
    opt_kwargs = {"lr": settings["lr"]}
    if settings["weight_decay"] is not None:
        opt_kwargs["weight_decay"] = settings["weight_decay"]
    optimizer = optim.get_optimizer(settings["optimizer"], model.parameters(), **opt_kwargs)
    settings["weight_decay"] = float(optimizer.param_groups[0].get("weight_decay", 0.0))
    n_parameters = model.num_parameters()

    # ---- the run directory: config first, so a failure later still says what was tried
    out_dir = Path(settings["out"]) if settings["out"] else default_out_dir(spec)
    settings["out"] = str(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise C.CLIError(f"--out {out_dir}: cannot create the run directory: {C.describe(exc)}") from None
    C.write_json(out_dir / "config.json", settings)

    for note in dataset.notes:
        say(f"note: {note}")
    size = (f"{X_train.shape[0]} train / {0 if X_val is None else X_val.shape[0]} validation / "
            f"{X_test.shape[0]} test samples")
    say(f"data   {spec.name} ({dataset.task}{', %d classes' % dataset.n_classes if dataset.classes else ''}): {size}")
    say(f"model  {M.describe_model(model_name, input_shape, settings, n_outputs)} ({n_parameters:,} parameters)")
    say(f"train  {settings['optimizer']} lr={settings['lr']:g}, loss {loss}, {settings['epochs']} epochs, "
        f"batch {settings['batch_size']}, seed {seed}")
    sys.stdout.flush()

    callbacks = []
    if settings["early_stopping"] is not None:
        callbacks.append(EarlyStopping(monitor="val_loss", patience=settings["early_stopping"],
                                       restore_best_weights=True))
    tensorboard_note = None
    if settings["tensorboard"]:
        tensorboard_note = _tensorboard(callbacks, out_dir / "tensorboard", input_shape)
        if tensorboard_note:
            say(tensorboard_note)
    metrics = C.metric_names(dataset.task)
    start = time.perf_counter()
    history = fit(model, X_train, _targets(y_train, loss), loss=loss, optimizer=optimizer,
                  epochs=settings["epochs"], batch_size=settings["batch_size"], validation_data=validation,
                  metrics=metrics, callbacks=callbacks, clip_grad_norm=settings["clip_grad_norm"], seed=seed,
                  verbose=settings["verbose"], monitor=settings["monitor"])
    train_seconds = time.perf_counter() - start
    if history.stopped_reason == "divergence":
        say(f"warning: training diverged: {history.stop_message}")

    results = evaluate(model, X_test, _targets(dataset.y_test, loss), loss=loss, metrics=metrics,
                       batch_size=max(settings["batch_size"], 256))
    metrics_out = {f"test_{k}": float(v) for k, v in results.items()}
    if dataset.task == "classification":
        metrics_out = {"test_accuracy": metrics_out.pop("test_accuracy"), **metrics_out}
    metrics_out.update({
        "train_seconds": round(train_seconds, 3),
        "epochs_run": len(history.epoch),
        "n_parameters": n_parameters,
        "stopped_reason": history.stopped_reason,
        "n_train": int(X_train.shape[0]), "n_validation": 0 if X_val is None else int(X_val.shape[0]),
        "n_test": int(X_test.shape[0]),
    })
    for key in history.history:
        if key not in ("lr", "grad_norm") and "/" not in key and history.history[key]:
            metrics_out[f"final_{key}"] = float(history.history[key][-1])

    # ---- write everything
    written = ["config.json"]
    history.to_csv(out_dir / "history.csv")
    written.append("history.csv")
    C.write_json(out_dir / "metrics.json", metrics_out)
    written.append("metrics.json")
    output = C.output_kind(dataset.task, loss)
    prep_state = {"preprocessing": preprocessing.state_dict(), "task": dataset.task, "loss": loss,
                  "output": output, "classes": dataset.classes, "feature_names": dataset.feature_names,
                  "n_features": dataset.n_features, "data": settings["data"], "model": model_name,
                  "input_shape": list(input_shape)}
    model_path = C.save_run_model(model, out_dir, training_config=settings, seed=seed,
                                  metadata={"task": dataset.task, "classes": dataset.classes})
    written.append(model_path.name)
    C.write_json(out_dir / "preprocessing.json", prep_state)
    written.append("preprocessing.json")
    from ..inspect import diagnose
    health = str(diagnose(history))
    from ..train.storage import atomic_write_text
    atomic_write_text(out_dir / "health.txt", health + "\n")
    written.append("health.txt")
    if settings["tensorboard"] and tensorboard_note is None:
        written.append("tensorboard/")
    plot_note = None
    if settings["plot"]:
        plot_note = _plot(history, out_dir / "curves.png")
        if plot_note is None:
            written.append("curves.png")
            written += _inside_plots(model, history, dataset, settings, X_train, y_train, out_dir)

    # ---- summary
    say("")
    if dataset.task == "classification":
        headline = (f"test accuracy {metrics_out['test_accuracy']:.4f} - test loss {metrics_out['test_loss']:.4f}")
    else:
        headline = (f"test R^2 {metrics_out['test_r2']:.4f} - test MSE {metrics_out['test_mse']:.4g}"
                    f" - test loss {metrics_out['test_loss']:.4g}")
    stopped = "" if history.stopped_reason == "completed" else f" ({history.stopped_reason})"
    say(f"{headline} - {train_seconds:.1f} s, {len(history.epoch)} epochs{stopped} - {n_parameters:,} parameters")
    say("")
    say("Health report")
    say(health)
    say("")
    say(f"wrote {out_dir}{'/' if not str(out_dir).endswith('/') else ''}: {', '.join(written)}")
    if plot_note:
        say(plot_note)
    return 0


def _tensorboard(callbacks: list, log_dir: Path, input_shape: tuple) -> str | None:
    """Add the TensorBoard callback; return a one-line hint instead when tensorboardX is missing."""
    try:
        from ..train.tensorboard import TensorBoard
        callbacks.append(TensorBoard(log_dir, input_shape=input_shape))
    except ImportError:
        return ("hint: --tensorboard needs tensorboardX: pip install 'backprop[tensorboard]' "
                "(training goes on without TensorBoard logs)")
    return None


def _inside_plots(model, history, dataset, settings, X_train, y_train, out_dir: Path) -> list:
    """gradient_flow.png (monitored runs) and decision_boundary.png (2-D synthetic classification)."""
    from .. import plot

    written = []
    if settings["monitor"] and any(key.startswith("grad_norm/") for key in history.history):
        try:
            plot.gradient_flow(history, out_dir / "gradient_flow.png")
            written.append("gradient_flow.png")
        except (ImportError, ValueError):
            pass  # nothing plottable (e.g. every norm NaN): the health report says what happened
    if dataset.spec.kind == "synthetic" and dataset.task == "classification" and X_train.ndim == 2 \
            and X_train.shape[1] == 2:
        try:
            plot.decision_boundary(model, X_train, y_train, out_dir / "decision_boundary.png")
            written.append("decision_boundary.png")
        except (ImportError, ValueError):
            pass
    return written


def _plot(history, path: Path) -> str | None:
    """Draw curves.png; return a one-line hint instead when plotting is unavailable."""
    hint = "hint: install matplotlib for curves.png: pip install 'backprop[plot]'"
    try:
        from .. import plot
    except ImportError:
        return hint
    if not plot.available():
        return hint
    try:
        plot.learning_curves(history, path)
    except ImportError:
        return hint
    return None
