"""Crash-safe files: atomic writes, and nested state split into JSON + ``.npz`` (no pickle).

Atomic write
    The bytes go to a temporary file *in the destination's directory* (so that the
    rename stays on one file system), which is flushed and ``fsync``-ed, then
    ``os.replace``-d onto the destination, and the directory itself is fsync-ed so that
    the rename is durable.  A reader sees the old file or the new one, never a prefix.

JSON + arrays
    :func:`split_arrays` replaces every ndarray inside nested dicts/lists with
    ``{"$array": key}`` and returns the arrays separately (for ``np.savez``);
    :func:`merge_arrays` undoes it.  NumPy scalars become Python numbers.  Loading uses
    ``np.load(..., allow_pickle=False)``: object arrays are refused, never unpickled.
"""

from __future__ import annotations

import io
import json
import os
import secrets

import numpy as np

__all__ = ["atomic_write_bytes", "atomic_write_text", "atomic_write_json", "atomic_save_npz",
           "split_arrays", "merge_arrays", "load_npz", "fsync_directory"]

ARRAY_TAG = "$array"


def fsync_directory(dirpath) -> None:
    """Make a rename inside ``dirpath`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(os.fspath(dirpath), os.O_RDONLY)
    except OSError:  # Windows: directories cannot be opened; os.replace is enough there
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path, data: bytes, sync_directory: bool = True) -> None:
    """Write ``data`` to ``path`` so that a crash leaves either the old or the new file.

    The temp file is created with mode 0o666 minus the umask (like ``open``), not
    ``mkstemp``'s 0o600.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".tmp-{os.path.basename(path)}-{os.getpid()}-{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if sync_directory:
        fsync_directory(directory)


def atomic_write_text(path, text: str, sync_directory: bool = True) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), sync_directory)


def atomic_write_json(path, obj, sync_directory: bool = True) -> None:
    """Atomically write ``obj`` as JSON (non-finite floats are written as NaN/Infinity)."""
    atomic_write_text(path, json.dumps(obj, indent=1, sort_keys=False), sync_directory)


def atomic_save_npz(path, arrays: dict, sync_directory: bool = True) -> None:
    """Atomically write ``arrays`` (name -> ndarray) as an uncompressed ``.npz``."""
    for key, value in arrays.items():
        if np.asarray(value).dtype == object:
            raise TypeError(f"atomic_save_npz: array {key!r} has dtype object, which cannot be saved without pickle")
    buffer = io.BytesIO()
    # np.ascontiguousarray would turn a 0-d array (BatchNorm's num_batches_tracked) into shape (1,)
    np.savez(buffer, **{k: np.asarray(v, order="C") for k, v in arrays.items()})
    atomic_write_bytes(path, buffer.getvalue(), sync_directory)


def load_npz(path) -> dict:
    """Load every array of an ``.npz`` into memory (``allow_pickle=False``)."""
    with np.load(os.fspath(path), allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    return value


def split_arrays(obj, prefix: str, arrays: dict):
    """Return ``obj`` with its ndarrays replaced by ``{"$array": key}``; arrays go into ``arrays``.

    Keys are ``prefix`` plus the path of the value (``prefix/a/0/b``), unique within
    one call tree.
    """
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            raise TypeError(f"cannot save object array at {prefix!r} without pickle")
        arrays[prefix] = obj
        return {ARRAY_TAG: prefix}
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, (str, int, np.integer)):
                raise TypeError(f"cannot save a dict key of type {type(k).__name__} at {prefix!r} as JSON")
            out[str(k)] = split_arrays(v, f"{prefix}/{k}", arrays)
        return out
    if isinstance(obj, (list, tuple)):
        return [split_arrays(v, f"{prefix}/{i}", arrays) for i, v in enumerate(obj)]
    obj = _plain(obj)
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot save a {type(obj).__name__} at {prefix!r}: only dicts, lists, numbers, "
                    "strings, None and ndarrays are stored (no pickle)")


def merge_arrays(obj, arrays):
    """Inverse of :func:`split_arrays`."""
    if isinstance(obj, dict):
        if set(obj) == {ARRAY_TAG}:
            key = obj[ARRAY_TAG]
            if key not in arrays:
                raise ValueError(f"array {key!r} referenced by the JSON state is missing from the .npz")
            return np.array(arrays[key], copy=True)
        return {k: merge_arrays(v, arrays) for k, v in obj.items()}
    if isinstance(obj, list):
        return [merge_arrays(v, arrays) for v in obj]
    return obj
