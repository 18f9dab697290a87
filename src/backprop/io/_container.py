"""One file = named arrays + one JSON document, as ``.safetensors`` or ``.npz`` (never pickle).

This is the byte layer under :mod:`backprop.io.model` and :mod:`backprop.io.checkpoint`;
it knows nothing about modules or optimizers.

Writing
    ``.safetensors`` (needs the optional ``safetensors`` package): the arrays are the
    tensors and the JSON document is the value ``__metadata__["backprop"]`` of the
    header's string map.  ``.npz`` (NumPy only): ``np.savez`` of the arrays plus one
    uint8 entry, :data:`META_KEY`, holding the UTF-8 JSON.  Every array is made
    C-contiguous first (safetensors 0.8 silently writes the *memory* of a strided array,
    not its elements).  The bytes go through
    :func:`backprop.train.storage.atomic_write_bytes` (temp file, fsync, rename), so a
    failed write leaves any previous file at the path untouched.

Reading
    The format is recognised from the file's first bytes, not its name.  Nothing is
    unpickled and nothing is evaluated: the safetensors header is parsed here (its
    8-byte length is checked against the file size before anything else is read), and
    every ``.npy`` member of a zip is checked (name, header, dtype, byte count) before its
    data is read; object arrays, pickles, ``torch.save`` zips and truncated files are
    refused with a :class:`ModelFileError` (a ``ValueError``) naming the file.  Reading a
    ``.safetensors`` file does not need the ``safetensors`` package.
"""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile

import numpy as np

__all__ = ["ModelFileError", "META_KEY", "SAFETENSORS_META_KEY", "safetensors_numpy", "resolve_format",
           "write_container", "read_container", "contiguous"]

META_KEY = "__backprop_metadata__"
SAFETENSORS_META_KEY = "backprop"
# The safetensors library refuses headers above 100 MB; so do we (before allocating them).
MAX_HEADER_BYTES = 100_000_000
_NPY_MAX_HEADER = 10_000

# safetensors dtype codes <-> little-endian NumPy dtypes (BF16/F8 have no NumPy dtype).
_ST_DTYPES = {"BOOL": "|b1", "U8": "|u1", "I8": "|i1", "U16": "<u2", "I16": "<i2", "F16": "<f2",
              "U32": "<u4", "I32": "<i4", "F32": "<f4", "U64": "<u8", "I64": "<i8", "F64": "<f8",
              "C64": "<c8"}
_ALLOWED_KINDS = "biufc"


class ModelFileError(ValueError):
    """A model or checkpoint file that cannot be read: damaged, foreign, unsafe or too new."""


def safetensors_numpy():
    """The ``safetensors.numpy`` module, or None when the optional package is not installed.

    Tests monkeypatch this function to simulate a machine without safetensors.
    """
    try:
        import safetensors.numpy as st_numpy
    except ImportError:
        return None
    return st_numpy


def resolve_format(path, format: str | None = None) -> str:
    """``"safetensors"`` or ``"npz"`` for writing ``path``.

    An explicit ``format`` wins; otherwise a ``.safetensors``/``.npz`` extension decides;
    any other (or no) extension gives safetensors when the package is installed, else npz.
    """
    if format is not None:
        fmt = str(format).lower().lstrip(".")
        if fmt not in ("safetensors", "npz"):
            raise ValueError(f"format must be 'safetensors' or 'npz', got {format!r}")
    else:
        ext = os.path.splitext(os.fspath(path))[1].lower()
        if ext == ".safetensors":
            fmt = "safetensors"
        elif ext == ".npz":
            fmt = "npz"
        else:
            fmt = "safetensors" if safetensors_numpy() is not None else "npz"
    if fmt == "safetensors" and safetensors_numpy() is None:
        raise ImportError(
            f"cannot write {os.fspath(path)!r} as .safetensors: the optional 'safetensors' package is not "
            "installed; run `pip install safetensors`, or save with a .npz path (or format='npz'), "
            "which needs only NumPy")
    return fmt


def contiguous(array) -> np.ndarray:
    """A C-contiguous, little-endian copy/view of ``array`` with the same shape (0-d stays 0-d)."""
    array = np.asarray(array)
    if array.dtype.byteorder == ">" or (array.dtype.byteorder == "=" and not np.little_endian):
        array = array.astype(array.dtype.newbyteorder("<"))
    # np.ascontiguousarray alone would turn a 0-d array (num_batches_tracked) into shape (1,).
    return np.ascontiguousarray(array).reshape(array.shape)


def _check_arrays(arrays: dict) -> dict:
    out = {}
    for key, value in arrays.items():
        if not isinstance(key, str) or not key or key == META_KEY or key == "__metadata__":
            raise ValueError(f"invalid array name {key!r} (empty, or reserved by the file format)")
        value = np.asarray(value)
        if value.dtype.kind not in _ALLOWED_KINDS:
            raise TypeError(f"array {key!r} has dtype {value.dtype}; only bool, integer, float and complex "
                            "arrays can be saved (object arrays would need pickle)")
        out[key] = contiguous(value)
    return out


def write_container(path, arrays: dict, meta: dict, format: str | None = None) -> str:
    """Atomically write ``arrays`` (name -> ndarray) and the JSON document ``meta`` to ``path``.

    Returns the format written (``"safetensors"`` or ``"npz"``).  Everything is
    serialised in memory first, so a failure at any step leaves the old file in place.
    """
    from ..train.storage import atomic_save_npz, atomic_write_bytes

    fmt = resolve_format(path, format)
    arrays = _check_arrays(arrays)
    text = json.dumps(meta, sort_keys=False, separators=(",", ":"))
    if fmt == "safetensors":
        data = safetensors_numpy().save(arrays, metadata={SAFETENSORS_META_KEY: text})
        atomic_write_bytes(path, data)
    else:
        arrays[META_KEY] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
        atomic_save_npz(path, arrays)
    return fmt


# ---------------------------------------------------------------------------- reading
def _fail(path, problem: str) -> ModelFileError:
    return ModelFileError(f"{os.fspath(path)}: {problem}")


def _sniff(path, head: bytes, size: int) -> str:
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "npz"
    if head[8:9] == b"{":  # 8-byte header length, then the JSON header
        return "safetensors"
    if head.startswith(b"\x93NUMPY"):
        raise _fail(path, "this is a single .npy array, not a backprop model file (.safetensors or .npz)")
    if head[:1] == b"\x80" or head[:1] in (b"(", b"]", b"}", b"c"):
        raise _fail(path, "this looks like a Python pickle (e.g. a torch.save or pickle.dump file); backprop "
                          "never unpickles files, because unpickling can run arbitrary code. Re-save the "
                          "weights as .safetensors or .npz")
    if size < 9:
        raise _fail(path, f"file is {size} bytes long: truncated or empty (not a .safetensors or .npz file)")
    raise _fail(path, "unrecognised file format: neither a .safetensors file nor an .npz archive")


def read_container(path, arrays: bool = True) -> tuple[str, dict, dict]:
    """Read ``path``; return ``(format, meta, arrays)``.

    With ``arrays=False`` only the JSON document is read (``arrays`` is then ``{}``).

    Raises
    ------
    ModelFileError
        (a ``ValueError``) for anything but a well-formed backprop file; the message
        names the file and the problem.
    FileNotFoundError
        If there is no file at ``path``.
    """
    with open(os.fspath(path), "rb") as f:
        size = os.fstat(f.fileno()).st_size
        head = f.read(9)
        fmt = _sniff(path, head, size)
        f.seek(8)
        if fmt == "safetensors":
            text, data = _read_safetensors(path, f, head, size, arrays)
        else:
            f.seek(0)
            text, data = _read_npz(path, f.read(), arrays)
    try:
        meta = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _fail(path, f"the metadata is not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise _fail(path, f"the metadata must be a JSON object, got {type(meta).__name__}")
    return fmt, meta, data


def _read_safetensors(path, f, head: bytes, size: int, want_arrays: bool):
    (header_len,) = struct.unpack("<Q", head[:8])
    available = size - 8
    if header_len > available:
        raise _fail(path, f"the safetensors header claims {header_len} bytes but only {available} bytes follow "
                          "the length field: the file is truncated or not a safetensors file")
    if header_len > MAX_HEADER_BYTES:
        raise _fail(path, f"the safetensors header claims {header_len} bytes, more than the "
                          f"{MAX_HEADER_BYTES}-byte limit: refusing to read it")
    raw = f.read(header_len)
    if len(raw) != header_len:
        raise _fail(path, "the file ended inside the safetensors header: truncated")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _fail(path, f"the safetensors header is not valid JSON ({exc}): damaged file") from None
    if not isinstance(header, dict):
        raise _fail(path, "the safetensors header is not a JSON object: damaged file")
    file_meta = header.pop("__metadata__", None)
    if not isinstance(file_meta, dict) or not isinstance(file_meta.get(SAFETENSORS_META_KEY), str):
        raise _fail(path, f"this safetensors file has no '{SAFETENSORS_META_KEY}' entry in its __metadata__: "
                          "it was not written by backprop (load its tensors with safetensors and call "
                          "model.load_state_dict instead)")
    buffer_len = available - header_len
    spans, entries = [], {}
    for name, info in header.items():
        where = f"tensor {name!r}"
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise _fail(path, f"{where}: malformed header entry {info!r}")
        code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if code not in _ST_DTYPES:
            raise _fail(path, f"{where} has dtype {code!r}, which backprop cannot read (allowed: "
                              f"{', '.join(_ST_DTYPES)})")
        if (not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape)
                or not isinstance(offsets, list) or len(offsets) != 2
                or not all(type(o) is int and o >= 0 for o in offsets) or offsets[0] > offsets[1]):
            raise _fail(path, f"{where}: malformed shape {shape!r} or data_offsets {offsets!r}")
        dtype = np.dtype(_ST_DTYPES[code])
        expected = int(np.prod(shape, dtype=object)) * dtype.itemsize
        begin, end = offsets
        if end - begin != expected:
            raise _fail(path, f"{where}: shape {shape} of {code} needs {expected} bytes but data_offsets "
                              f"{offsets} span {end - begin}: damaged file")
        if end > buffer_len:
            raise _fail(path, f"{where} ends at byte {end} of the data but the file holds only {buffer_len} "
                              "bytes of data: the file is truncated")
        spans.append((begin, end, name))
        entries[name] = (dtype, tuple(shape), begin, end)
    spans.sort()
    position = 0
    for begin, end, name in spans:
        if begin != position:
            raise _fail(path, f"tensor {name!r} starts at byte {begin}, expected {position} (overlapping or "
                              "gapped data): damaged file")
        position = end
    if position != buffer_len:
        raise _fail(path, f"the tensors cover {position} bytes but the file holds {buffer_len} bytes of data: "
                          "damaged file")
    data = {}
    if want_arrays:
        buffer = f.read(buffer_len)
        if len(buffer) != buffer_len:
            raise _fail(path, "the file ended inside the tensor data: truncated")
        for name, (dtype, shape, begin, end) in entries.items():
            data[name] = np.frombuffer(buffer, dtype=dtype, count=(end - begin) // dtype.itemsize,
                                       offset=begin).reshape(shape).astype(dtype.newbyteorder("="), copy=True)
    return file_meta[SAFETENSORS_META_KEY], data


def _read_npy_member(path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    name = info.filename[:-4]
    with archive.open(info) as member:
        try:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(member, max_header_size=_NPY_MAX_HEADER)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(member, max_header_size=_NPY_MAX_HEADER)
            else:
                raise ValueError(f"unsupported .npy format version {version}")
        except (ValueError, EOFError, OSError, SyntaxError, zipfile.BadZipFile) as exc:
            raise _fail(path, f"member {name!r} is not a valid .npy array ({exc})") from None
        if dtype.hasobject or dtype.kind not in _ALLOWED_KINDS:
            raise _fail(path, f"array {name!r} has dtype {dtype} (a pickled object array); backprop never "
                              "unpickles, because unpickling can run arbitrary code")
        count = int(np.prod(shape, dtype=object))
        nbytes = count * dtype.itemsize
        header_end = member.tell()
        if header_end + nbytes != info.file_size:
            raise _fail(path, f"array {name!r} claims shape {shape} of {dtype} ({nbytes} bytes) but its member "
                              f"holds {info.file_size - header_end} bytes: damaged file")
        try:
            raw = member.read(nbytes)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise _fail(path, f"array {name!r} cannot be read ({exc}): damaged or truncated file") from None
        if len(raw) != nbytes:
            raise _fail(path, f"array {name!r} is truncated")
    array = np.frombuffer(raw, dtype=dtype, count=count)
    array = array.reshape(shape, order="F" if fortran else "C")
    return np.ascontiguousarray(array.astype(dtype.newbyteorder("="), copy=True)).reshape(shape)


def _read_npz(path, raw: bytes, want_arrays: bool):
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise _fail(path, f"not a readable .npz archive ({exc}): the file is truncated or damaged") from None
    with archive:
        infos = archive.infolist()
        for info in infos:
            if not info.filename.endswith(".npy"):
                raise _fail(path, f"member {info.filename!r} is not a .npy array, so this is not a backprop .npz "
                                  "(a torch.save zip holds a pickle; backprop never unpickles)")
            if info.compress_type == zipfile.ZIP_STORED and info.file_size > len(raw):
                raise _fail(path, f"member {info.filename!r} claims {info.file_size} bytes, more than the whole "
                                  "file: damaged file")
        names = {info.filename[:-4]: info for info in infos}
        if META_KEY not in names:
            raise _fail(path, f"this .npz has no {META_KEY!r} entry: it was not written by backprop (load it "
                              "with np.load(..., allow_pickle=False) and model.load_state_dict instead)")
        meta_array = _read_npy_member(path, archive, names.pop(META_KEY))
        if meta_array.dtype != np.uint8 or meta_array.ndim != 1:
            raise _fail(path, f"the {META_KEY!r} entry must be a 1-d uint8 array, got {meta_array.dtype} "
                              f"shape {meta_array.shape}")
        try:
            text = meta_array.tobytes().decode("utf-8")
        except UnicodeDecodeError:
            raise _fail(path, "the metadata is not UTF-8 text: damaged file") from None
        data = {}
        if want_arrays:
            for name, info in names.items():
                data[name] = _read_npy_member(path, archive, info)
    return text, data
