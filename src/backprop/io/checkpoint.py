"""Single-file training checkpoints: model + optimizer + scheduler + training state.

>>> save_checkpoint("run.safetensors", model, opt, sched, epoch=3, history=h, rng=rng)  # doctest: +SKIP
>>> ckpt = load_checkpoint("run.safetensors", model, opt, sched)                        # doctest: +SKIP
>>> ckpt.training_state["epoch"], ckpt.training_state["rng"]                            # doctest: +SKIP
(3, Generator(PCG64))

The file is one ``.safetensors`` or ``.npz`` (see :mod:`backprop.io.model` for the
container choice).  Arrays are named ``model/<state name>``, ``optimizer/state.<i>.<field>``
(from :func:`backprop.optim.split_state_dict`), ``scheduler/...`` and
``training_state/...`` (from :func:`backprop.train.storage.split_arrays`); the JSON
document holds the model description, the optimizer's param groups, the scheduler's
state and the training state with ``{"$array": key}`` where an array was.

This is the one-file, portable form.  :mod:`backprop.train.checkpoint` is the
directory-based form that ``fit`` uses for crash-safe resume (manifest + hashes).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._container import ModelFileError, read_container, resolve_format, write_container
from .model import CHECKPOINT_FORMAT, check_header, header, model_section, restore_model, to_json

__all__ = ["save_checkpoint", "load_checkpoint", "Checkpoint"]

_GENERATOR_TAG = "$generator"
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


@dataclass
class Checkpoint:
    """What :func:`load_checkpoint` returns.

    Attributes
    ----------
    model : Module
        The model given (now holding the saved weights) or the rebuilt one.
    optimizer, scheduler : object or None
        The ones given, with the saved state loaded.
    optimizer_state, scheduler_state : dict or None
        The saved states (``optimizer.load_state_dict`` form), to load later into an
        optimizer built on a rebuilt model.
    optimizer_class, scheduler_class : str or None
        Class names of the saved optimizer and scheduler.
    training_state : dict
        The ``**training_state`` given to :func:`save_checkpoint`; arrays are ndarrays and
        ``np.random.Generator`` values come back as Generators in the saved state.
    metadata : dict
        Format name and version, backprop and NumPy versions, container.
    """

    model: Any
    optimizer: Any = None
    scheduler: Any = None
    optimizer_state: dict | None = None
    scheduler_state: dict | None = None
    optimizer_class: str | None = None
    scheduler_class: str | None = None
    training_state: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)


def _encode(obj):
    """Replace Generators by ``{"$generator": {"bit_generator": name, "state": state}}``."""
    if isinstance(obj, np.random.Generator):
        name = type(obj.bit_generator).__name__
        if name not in _BIT_GENERATORS:
            raise TypeError(f"cannot save a Generator over {name}; supported: {', '.join(_BIT_GENERATORS)}")
        return {_GENERATOR_TAG: {"bit_generator": name, "state": obj.bit_generator.state}}
    if isinstance(obj, dict):
        return {k: _encode(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_encode(v) for v in obj]
    return obj


def _decode(obj, path):
    if isinstance(obj, dict):
        if set(obj) == {_GENERATOR_TAG}:
            spec = obj[_GENERATOR_TAG]
            name = spec.get("bit_generator") if isinstance(spec, dict) else None
            if name not in _BIT_GENERATORS:  # a fixed list: nothing is looked up by an arbitrary name
                raise ModelFileError(f"{os.fspath(path)}: unknown bit generator {name!r} in the training state")
            bit_generator = getattr(np.random, name)()
            try:
                bit_generator.state = spec["state"]
            except (TypeError, ValueError, KeyError) as exc:
                raise ModelFileError(f"{os.fspath(path)}: invalid {name} state in the training state ({exc})") from None
            return np.random.Generator(bit_generator)
        return {k: _decode(v, path) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v, path) for v in obj]
    return obj


def save_checkpoint(path, model, optimizer=None, scheduler=None, *, format: str | None = None,
                    **training_state) -> str:
    """Write model, optimizer state, scheduler state and training state to ONE file, atomically.

    Parameters
    ----------
    path : str or PathLike
        Written exactly as given.  ``.safetensors`` (needs the optional ``safetensors``
        package) or ``.npz`` (NumPy only); **any other or no extension: safetensors when
        installed, else npz.**  A failed write leaves any previous file at ``path`` intact.
    model : backprop.nn.Module
        Its architecture is recorded when the layer registry can rebuild it; otherwise only
        the weights are, and loading needs ``model=``.
    optimizer : backprop.optim.Optimizer, optional
    scheduler : LRScheduler or ReduceLROnPlateau, optional
    format : {"safetensors", "npz"}, optional
        Force the container.
    **training_state
        Anything made of dicts, lists, numbers, strings, bools, None, ndarrays and
        ``np.random.Generator`` (saved as its bit generator's state): epoch, history,
        rng states, best metric, ...

    Returns
    -------
    str
        The path written.
    """
    from ..optim.serialization import split_state_dict
    from ..train.storage import split_arrays

    arrays: dict = {}
    fmt = resolve_format(path, format)
    meta = header(CHECKPOINT_FORMAT, fmt)
    meta["model"] = model_section(model, arrays, prefix="model/", require_architecture=False)
    meta["optimizer"] = None
    if optimizer is not None:
        opt_meta, opt_arrays = split_state_dict(optimizer.state_dict())
        arrays.update({"optimizer/" + key: value for key, value in opt_arrays.items()})
        meta["optimizer"] = {"class": type(optimizer).__name__, "state": to_json(opt_meta, "optimizer state")}
    meta["scheduler"] = None
    if scheduler is not None:
        meta["scheduler"] = {"class": type(scheduler).__name__,
                             "state": split_arrays(scheduler.state_dict(), "scheduler", arrays)}
    meta["training_state"] = split_arrays(_encode(dict(training_state)), "training_state", arrays)
    write_container(path, arrays, meta, fmt)
    return os.fspath(path)


def _section(path, meta, key):
    section = meta.get(key)
    if section is not None and (not isinstance(section, dict) or not isinstance(section.get("class"), str)
                                or "state" not in section):
        raise ModelFileError(f"{os.fspath(path)}: malformed checkpoint: bad '{key}' entry")
    return section


def load_checkpoint(path, model=None, optimizer=None, scheduler=None) -> Checkpoint:
    """Read a file written by :func:`save_checkpoint`; load it into the objects given.

    Parameters
    ----------
    path : str or PathLike
    model : Module, optional
        Filled with the saved weights (cast to its dtypes; its train/eval mode is kept).
        Without it the model is rebuilt from the saved architecture (same class, config,
        dtypes and modes as saved).
    optimizer : Optimizer, optional
        Must be of the saved class and built over ``model``'s parameters (same groups and
        order); gets the saved state, so continued training is bit-identical.
    scheduler : optional
        Must be of the saved class and bound to ``optimizer``.

    Returns
    -------
    Checkpoint

    Raises
    ------
    ModelFileError
        (a ``ValueError``) naming the file and the problem: damaged or foreign file,
        newer format, no optimizer/scheduler state saved, class mismatch, or state that
        does not fit the objects given.  Loading is all-or-nothing: on error the objects
        given are left as they were.
    """
    from ..optim.serialization import merge_state_dict
    from ..train.storage import merge_arrays

    name = os.fspath(path)
    _, meta, arrays = read_container(path)
    check_header(path, meta, (CHECKPOINT_FORMAT,))
    opt_section, sched_section = _section(path, meta, "optimizer"), _section(path, meta, "scheduler")
    for given, section, what in ((optimizer, opt_section, "optimizer"), (scheduler, sched_section, "scheduler")):
        if given is None:
            continue
        if section is None:
            raise ModelFileError(f"{name}: the checkpoint holds no {what} state, but a {what} was given")
        if type(given).__name__ != section["class"]:
            raise ModelFileError(f"{name}: the checkpoint holds {section['class']} state, but the {what} given "
                                 f"is a {type(given).__name__}")
    if optimizer is not None:
        if model is None:
            raise ValueError(f"{name}: pass the model the optimizer was built on (model=...) together with the "
                             "optimizer; or load without both and build the optimizer on checkpoint.model")
        own = {id(p) for p in model.parameters()}
        if not all(id(p) in own for group in optimizer.param_groups for p in group["params"]):
            raise ValueError(f"{name}: the optimizer given holds parameters that are not the model's: build it "
                             "on model.parameters()")
    try:
        optimizer_state = None
        if opt_section is not None:
            sub = {key[len("optimizer/"):]: value for key, value in arrays.items() if key.startswith("optimizer/")}
            optimizer_state = merge_state_dict(opt_section["state"], sub)
        scheduler_state = None if sched_section is None else merge_arrays(sched_section["state"], arrays)
        training_state = _decode(merge_arrays(meta.get("training_state") or {}, arrays), path)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        if isinstance(exc, ModelFileError):
            raise
        raise ModelFileError(f"{name}: malformed checkpoint state ({type(exc).__name__}: {exc})") from None

    # All-or-nothing: remember what is about to change, undo it if a later load fails.
    model_backup = None if model is None else model.state_dict()
    optimizer_backup = None if optimizer is None else optimizer.state_dict()
    try:
        model = restore_model(path, meta.get("model"), arrays, "model/", model)
        if optimizer is not None:
            _load_into(path, optimizer, optimizer_state, "optimizer")
        if scheduler is not None:
            _load_into(path, scheduler, scheduler_state, "scheduler")
    except BaseException:
        if model_backup is not None:
            model.load_state_dict(model_backup)
        if optimizer_backup is not None:
            optimizer.load_state_dict(optimizer_backup)
        raise
    header_keys = ("format", "format_version", "backprop_version", "numpy_version", "container")
    return Checkpoint(model=model, optimizer=optimizer, scheduler=scheduler, optimizer_state=optimizer_state,
                      scheduler_state=scheduler_state,
                      optimizer_class=None if opt_section is None else opt_section["class"],
                      scheduler_class=None if sched_section is None else sched_section["class"],
                      training_state=training_state, metadata={k: meta.get(k) for k in header_keys})


def _load_into(path, target, state, what: str) -> None:
    try:
        target.load_state_dict(state)
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{os.fspath(path)}: the saved {what} state does not fit the {type(target).__name__} "
                             f"given ({exc})") from None
