"""What every subcommand shares: the parser class, value checks and config files.

The other shared concerns live in their own modules and are re-exported here, so
``from . import common as C; C.load_run(...)`` keeps working:

=====================  =====================================================================
:mod:`.errors`         ``CLIError``, ``UsageError``, ``one_line``, ``describe``, ``PROG``
:mod:`.data_specs`     ``--data`` specs: ``parse_data_spec``, ``load_dataset``, ``Dataset``
:mod:`.models`         ``build_mlp``, the zoo models (``--model``) and their input layouts
:mod:`.runs`           run directories: ``Preprocessor``, ``save_run_model``, ``load_run``
:mod:`.features`       ``read_features`` (``backprop predict``'s input files)
=====================  =====================================================================

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
from pathlib import Path

import numpy as np

from .data_specs import (DATA_HELP, SYNTHETIC_ALIASES, Dataset, DataSpec, encode_labels,
                         load_dataset, parse_data_spec)
from .errors import PROG, CLIError, UsageError, describe, one_line
from .features import read_features
from .models import build_mlp
from .runs import (CLASSIFICATION_LOSSES, REGRESSION_LOSSES, Preprocessor, RunArtifacts,
                   load_run, metric_names, model_filename, output_kind, probabilities, save_run_model,
                   write_json)

__all__ = ["CLIError", "UsageError", "ArgumentParser", "HelpFormatter", "run", "add_common_flags",
           "positive_int", "nonnegative_int", "positive_float", "nonnegative_float", "fraction",
           "hidden_layers", "choice", "load_config", "Dataset", "parse_data_spec", "load_dataset",
           "Preprocessor", "build_mlp", "save_run_model", "load_run", "RunArtifacts", "one_line",
           # re-exported from the modules named above
           "PROG", "describe", "DATA_HELP", "SYNTHETIC_ALIASES", "DataSpec", "encode_labels", "read_features",
           "CLASSIFICATION_LOSSES", "REGRESSION_LOSSES", "metric_names", "model_filename", "output_kind",
           "probabilities", "write_json"]


# ============================================================================ the parser
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
