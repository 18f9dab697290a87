"""Whole-model files: architecture (layer registry JSON) + weights + buffers in ONE safe file.

>>> import backprop.io as bio                                   # doctest: +SKIP
>>> model.save("mlp.safetensors", seed=0, note="digits MLP")    # doctest: +SKIP
>>> same = bio.load_model("mlp.safetensors")                    # doctest: +SKIP

File layout (see :mod:`backprop.io._container` for the bytes): the arrays are the
model's ``state_dict()`` under its own dotted names (``0.weight``, ``1.running_mean``),
so any safetensors/NumPy tool can read them; the JSON document is::

    {"format": "backprop.model", "format_version": 1, "backprop_version": "0.1.0",
     "numpy_version": "...", "container": "safetensors",
     "model": {"class": "Sequential", "architecture": {"class": ..., "config": ...},
               "dtype": "float32", "training": false,
               "module_modes": {"": false, "0": false, ...},
               "parameters": [{"name": "0.weight", "shape": [8, 4], "dtype": "float32",
                               "requires_grad": true}, ...],
               "buffers": [{"name": ..., "shape": ..., "dtype": ...}, ...]},
     "training_config": {...} | null, "seed": 0 | null, "metadata": {...user...}}
"""

from __future__ import annotations

import json
import os

import numpy as np

from ._container import ModelFileError, read_container, resolve_format, write_container

__all__ = ["FORMAT_VERSION", "MODEL_FORMAT", "CHECKPOINT_FORMAT", "UnregisteredLayerError", "save_model",
           "load_model", "load_metadata", "architecture_of", "save_state_dict", "load_state_dict"]

FORMAT_VERSION = 1
MODEL_FORMAT = "backprop.model"
CHECKPOINT_FORMAT = "backprop.checkpoint"
STATE_DICT_FORMAT = "backprop.state_dict"
_KNOWN_FORMATS = (MODEL_FORMAT, CHECKPOINT_FORMAT, STATE_DICT_FORMAT)


class UnregisteredLayerError(TypeError):
    """The model holds a Module class that the layer registry cannot rebuild."""


def _library_version() -> str:
    from .. import __version__
    return __version__


# ---------------------------------------------------------------------------- JSON helpers
def to_json(obj, where: str):
    """``obj`` as plain JSON values (NumPy scalars -> numbers, tuples -> lists); arrays are refused."""
    from ..train.storage import split_arrays

    arrays: dict = {}
    plain = split_arrays(obj, where, arrays)
    if arrays:
        raise TypeError(f"{where} must be JSON-able (dicts, lists, numbers, strings, bools, None); it holds "
                        f"arrays at {sorted(arrays)} (put arrays in a checkpoint's training state instead)")
    return plain


def header(kind: str, fmt: str) -> dict:
    return {"format": kind, "format_version": FORMAT_VERSION, "backprop_version": _library_version(),
            "numpy_version": np.__version__, "container": fmt}


def check_header(path, meta: dict, kinds=_KNOWN_FORMATS) -> None:
    """Check the format name and version of a file's JSON document (newer versions: upgrade message)."""
    kind, version = meta.get("format"), meta.get("format_version")
    if kind not in _KNOWN_FORMATS:
        raise ModelFileError(f"{os.fspath(path)}: not a backprop model or checkpoint (format is {kind!r}, "
                             f"expected one of {list(_KNOWN_FORMATS)})")
    if type(version) is not int or version < 1:
        raise ModelFileError(f"{os.fspath(path)}: format_version must be a positive integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{os.fspath(path)}: written by a newer backprop (format {version}, backprop "
            f"{meta.get('backprop_version', '?')}); this version reads up to {FORMAT_VERSION}: upgrade backprop "
            f"(installed: {_library_version()})")
    if kind not in kinds:
        raise ModelFileError(f"{os.fspath(path)}: this is a {kind!r} file, expected {' or '.join(map(repr, kinds))}")


# ---------------------------------------------------------------------------- architecture
def architecture_of(model) -> dict:
    """The registry JSON of ``model`` (``{"class", "config"}``), checked to rebuild the same layout.

    Raises
    ------
    UnregisteredLayerError
        If ``model`` or one of its sub-modules is a class the layer registry does not
        know, if a config is not JSON, or if rebuilding the config gives different
        parameter/buffer names or shapes (a ``get_config`` that misses something).
    """
    from ..nn.module import Module
    from ..nn.registry import LAYERS, build_layer, layer_config

    if not isinstance(model, Module):
        raise TypeError(f"expected a backprop.nn.Module, got {type(model).__name__}")
    advice = ("Either register the class with backprop.nn.register_layer(YourClass) (its get_config() must "
              "return the JSON-able constructor arguments, plus a from_config classmethod if it holds "
              "sub-modules), or save only the weights with backprop.io.save_state_dict(path, model) and "
              "rebuild the model in code before backprop.io.load_state_dict")
    for name, module in model.named_modules():
        cls = type(module)
        if LAYERS.get(cls.__name__) is not cls:
            where = f"sub-module {name!r}" if name else "the model"
            raise UnregisteredLayerError(
                f"cannot save the architecture: {where} is a {cls.__module__}.{cls.__qualname__}, which is not in "
                f"backprop's layer registry, so it could not be rebuilt when loading. {advice}")
    config = layer_config(model)
    try:
        config = json.loads(json.dumps(to_json(config, "layer config"), allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise UnregisteredLayerError(f"cannot save the architecture: a layer's get_config() is not plain JSON "
                                     f"({exc}). {advice}") from None
    try:
        rebuilt = build_layer(config)
    except Exception as exc:  # a get_config()/constructor mismatch in a registered layer
        raise UnregisteredLayerError(f"cannot save the architecture: rebuilding {type(model).__name__} from its "
                                     f"get_config() failed ({type(exc).__name__}: {exc}). {advice}") from None
    want = {k: (v.shape, v.dtype) for k, v in model.state_dict().items()}
    got = {k: (v.shape, v.dtype) for k, v in rebuilt.state_dict().items()}
    if want != got:
        diff = sorted(set(want).symmetric_difference(got)) or \
            [f"{k}: {want[k][0]} {want[k][1]} vs rebuilt {got[k][0]} {got[k][1]}" for k in want if want[k] != got[k]]
        raise UnregisteredLayerError(
            f"cannot save the architecture: rebuilding {type(model).__name__} from get_config() gives different "
            f"state entries ({'; '.join(map(str, diff[:10]))}). A layer's get_config() misses a constructor "
            f"argument, or a container was built with custom child names. {advice}")
    return config


def _state_arrays(model):
    """``[(name, array, kind, requires_grad)]`` in state_dict order (no copies)."""
    entries = []
    for name, (module, attr, kind) in model._state_targets().items():
        if kind == "parameter":
            param = module._parameters[attr]
            entries.append((name, param.data, kind, bool(param.requires_grad)))
        else:
            entries.append((name, np.asarray(module._buffers[attr]), kind, None))
    return entries


def model_section(model, arrays: dict, prefix: str = "", require_architecture: bool = True) -> dict:
    """Describe ``model`` as JSON and put its arrays into ``arrays`` under ``prefix + name``."""
    try:
        architecture, reason = architecture_of(model), None
    except UnregisteredLayerError as exc:
        if require_architecture:
            raise
        architecture, reason = None, str(exc)
    parameters, buffers, float_dtypes = [], [], []
    for name, array, kind, requires_grad in _state_arrays(model):
        arrays[prefix + name] = array
        entry = {"name": name, "shape": list(array.shape), "dtype": array.dtype.name}
        if kind == "parameter":
            entry["requires_grad"] = requires_grad
            parameters.append(entry)
            if array.dtype.kind == "f" and array.dtype.name not in float_dtypes:
                float_dtypes.append(array.dtype.name)
        else:
            buffers.append(entry)
    section = {
        "class": type(model).__name__,
        "architecture": architecture,
        "dtype": float_dtypes[0] if len(float_dtypes) == 1 else ("mixed" if float_dtypes else None),
        "training": bool(model.training),
        "module_modes": {name: bool(module.training) for name, module in model.named_modules()},
        "parameters": parameters,
        "buffers": buffers,
    }
    if reason is not None:
        section["architecture_missing_because"] = reason
    return section


def _malformed(path, what: str) -> ModelFileError:
    return ModelFileError(f"{os.fspath(path)}: malformed model description: {what}")


def _entries(path, section: dict, key: str) -> list:
    entries = section.get(key)
    if not isinstance(entries, list):
        raise _malformed(path, f"'{key}' must be a list")
    for entry in entries:
        if (not isinstance(entry, dict) or not isinstance(entry.get("name"), str)
                or not isinstance(entry.get("shape"), list) or not isinstance(entry.get("dtype"), str)):
            raise _malformed(path, f"bad '{key}' entry {entry!r}")
    return entries


def restore_model(path, section, arrays: dict, prefix: str = "", model=None):
    """Build (or fill, if ``model`` is given) a model from a section written by :func:`model_section`.

    A rebuilt model gets the saved dtypes, ``requires_grad`` flags and train/eval modes;
    a given model is filled with ``load_state_dict`` (values cast to its dtypes) and keeps
    its mode.  Everything is checked before any array is written.
    """
    from ..nn.module import Module
    from ..nn.registry import build_layer

    name = os.fspath(path)
    if not isinstance(section, dict):
        raise _malformed(path, "the 'model' entry must be a JSON object")
    params, buffers = _entries(path, section, "parameters"), _entries(path, section, "buffers")
    saved = {entry["name"]: entry for entry in params + buffers}
    for key, entry in saved.items():
        array = arrays.get(prefix + key)
        if array is None:
            raise ModelFileError(f"{name}: the metadata lists {key!r} but the file holds no array "
                                 f"{prefix + key!r}: damaged file")
        if list(array.shape) != entry["shape"] or array.dtype.name != entry["dtype"]:
            raise ModelFileError(f"{name}: array {key!r} is {array.dtype.name} {list(array.shape)} but the "
                                 f"metadata says {entry['dtype']} {entry['shape']}: damaged file")
    rebuilt = model is None
    if rebuilt:
        architecture = section.get("architecture")
        if architecture is None:
            raise ModelFileError(
                f"{name}: the file holds no architecture (the {section.get('class')!r} model was not in the "
                "layer registry when it was saved), so it cannot be rebuilt: build the model in code and pass "
                "it as model=")
        try:
            model = build_layer(architecture)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError, MemoryError) as exc:
            raise ModelFileError(f"{name}: cannot rebuild the architecture ({type(exc).__name__}: {exc})") from None
        if type(model).__name__ != section.get("class"):
            raise ModelFileError(f"{name}: the architecture builds a {type(model).__name__}, but the model "
                                 f"saved was a {section.get('class')!r}: inconsistent metadata")
    elif not isinstance(model, Module):
        raise TypeError(f"model must be a backprop.nn.Module, got {type(model).__name__}")
    targets = {key: array for key, array, _, _ in _state_arrays(model)}
    missing = [key for key in targets if key not in saved]
    unexpected = [key for key in saved if key not in targets]
    shapes = [f"{key}: the model has {list(targets[key].shape)}, the file has {saved[key]['shape']}"
              for key in targets if key in saved and list(targets[key].shape) != saved[key]["shape"]]
    problems = ([f"missing from the file: {', '.join(missing)}"] if missing else []) + \
        ([f"not in the model: {', '.join(unexpected)}"] if unexpected else []) + \
        ([f"shape mismatches: {'; '.join(shapes)}"] if shapes else [])
    if problems:
        what = "the saved architecture does not match the saved weights" if rebuilt else \
            f"the weights do not fit the given {type(model).__name__}"
        raise ModelFileError(f"{name}: {what} ({' | '.join(problems)})")
    model.load_state_dict({key: arrays[prefix + key] for key in saved})
    if rebuilt:
        for key, (module, attr, kind) in model._state_targets().items():
            array = arrays[prefix + key]
            if kind == "parameter":
                param = module._parameters[attr]
                if param.data.dtype != array.dtype:  # a layer whose get_config() lacks its dtype
                    param.data = np.array(array, copy=True)
                param.requires_grad = bool(saved[key].get("requires_grad", True))
            elif module._buffers[attr].dtype != array.dtype:
                module._buffers[attr] = np.array(array, copy=True)
        modes = section.get("module_modes")
        if isinstance(modes, dict):
            model.train(bool(section.get("training", True)))
            for module_name, module in model.named_modules():
                if module_name in modes:
                    object.__setattr__(module, "training", bool(modes[module_name]))
    return model


# ---------------------------------------------------------------------------- public API
def save_model(model, path, *, format: str | None = None, training_config=None, seed=None, **metadata) -> str:
    """Save ``model`` (architecture, parameters, buffers, train/eval mode) to ONE file.

    Parameters
    ----------
    model : backprop.nn.Module
        Every class in it must be in the layer registry (``backprop.nn.LAYERS``).
    path : str or PathLike
        Written exactly as given (no extension is appended), atomically: a crash or error
        leaves any previous file at ``path`` intact.  The container is chosen from the
        extension: ``.safetensors`` (needs the optional ``safetensors`` package) or ``.npz``
        (NumPy only).  **Any other or no extension: safetensors when the package is
        installed, else npz.**  Loading detects the container from the bytes.
    format : {"safetensors", "npz"}, optional
        Force the container regardless of the extension.
    training_config : dict, optional
        JSON-able description of how the model was trained (optimizer, lr, epochs, ...).
    seed : int, optional
        The seed the run used.
    **metadata
        Any other JSON-able values, stored under ``"metadata"``.

    Returns
    -------
    str
        The path written.

    Raises
    ------
    UnregisteredLayerError
        (a ``TypeError``) if the model holds a class the registry cannot rebuild: register
        it with ``backprop.nn.register_layer``, or save the weights only with
        :func:`backprop.io.save_state_dict`.
    TypeError
        If ``training_config``/``seed``/metadata are not JSON-able.
    ImportError
        If ``.safetensors`` was asked for and the package is not installed.
    """
    arrays: dict = {}
    section = model_section(model, arrays)
    if seed is not None and not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int or None, got {type(seed).__name__}")
    fmt = resolve_format(path, format)
    meta = header(MODEL_FORMAT, fmt)
    meta.update({"model": section,
                 "training_config": to_json(training_config, "training_config"),
                 "seed": None if seed is None else int(seed),
                 "metadata": to_json(dict(metadata), "metadata")})
    write_container(path, arrays, meta, fmt)
    return os.fspath(path)


def load_model(path):
    """Rebuild the model saved by :func:`save_model` (or the model inside a checkpoint).

    The result has the same class, layer configs, dtypes, parameter values, buffers,
    ``requires_grad`` flags and train/eval modes as the saved model, so it gives identical
    outputs.  Nothing is unpickled or evaluated.

    Raises
    ------
    ModelFileError
        (a ``ValueError``) naming the file and the problem: truncated or damaged file,
        a pickle or other foreign file, an object array, a file from a newer format
        version, an unknown layer class, or an architecture that does not fit the weights.
    """
    _, meta, arrays = read_container(path)
    check_header(path, meta, (MODEL_FORMAT, CHECKPOINT_FORMAT))
    prefix = "model/" if meta["format"] == CHECKPOINT_FORMAT else ""
    return restore_model(path, meta.get("model"), arrays, prefix)


def load_metadata(path) -> dict:
    """The JSON document of a model or checkpoint file, without reading the arrays."""
    _, meta, _ = read_container(path, arrays=False)
    check_header(path, meta)
    return meta


def save_state_dict(path, state, *, format: str | None = None, **metadata) -> str:
    """Save only weights: a Module's ``state_dict()`` (or a ``name -> array`` mapping) to ONE file.

    For models the layer registry cannot rebuild (custom Module subclasses): rebuild the
    model in code and fill it with ``model.load_state_dict(backprop.io.load_state_dict(path))``.
    Container choice, atomicity and safety are those of :func:`save_model`.
    """
    from ..nn.module import Module

    if isinstance(state, Module):
        state = state.state_dict()
    arrays, entries = {}, []
    for key, value in state.items():
        value = value.data if hasattr(value, "data") and not isinstance(value, np.ndarray) else value
        array = np.asarray(value)
        arrays[str(key)] = array
        entries.append({"name": str(key), "shape": list(array.shape), "dtype": array.dtype.name})
    fmt = resolve_format(path, format)
    meta = header(STATE_DICT_FORMAT, fmt)
    meta.update({"arrays": entries, "metadata": to_json(dict(metadata), "metadata")})
    write_container(path, arrays, meta, fmt)
    return os.fspath(path)


def load_state_dict(path) -> "dict[str, np.ndarray]":
    """The ``name -> ndarray`` state of a file from :func:`save_state_dict` (or a model file), in order."""
    from collections import OrderedDict

    _, meta, arrays = read_container(path)
    check_header(path, meta)
    if meta["format"] == STATE_DICT_FORMAT:
        names = [entry["name"] for entry in _entries(path, meta, "arrays")]
        prefix = ""
    else:
        section = meta.get("model")
        if not isinstance(section, dict):
            raise _malformed(path, "the 'model' entry must be a JSON object")
        names = [entry["name"] for entry in _entries(path, section, "parameters") + _entries(path, section, "buffers")]
        prefix = "model/" if meta["format"] == CHECKPOINT_FORMAT else ""
    missing = [name for name in names if prefix + name not in arrays]
    if missing:
        raise ModelFileError(f"{os.fspath(path)}: the metadata lists {missing} but the file lacks them: damaged file")
    return OrderedDict((name, arrays[prefix + name]) for name in names)
