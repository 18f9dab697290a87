"""Readers for the IDX format (MNIST, Fashion-MNIST, KMNIST, EMNIST).

File layout (all integers big-endian)::

    byte 0-1   0x00 0x00            magic
    byte 2     type code            0x08 ubyte, 0x09 sbyte, 0x0B int16,
                                    0x0C int32, 0x0D float32, 0x0E float64
    byte 3     number of dimensions (d)
    then       d x uint32           size of each dimension
    then       prod(sizes) values   big-endian, C order

Files may be gzip-compressed; compression is detected from the gzip magic bytes
``1f 8b``, not from the file name.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

__all__ = ["load_idx", "load_mnist_dir", "IDX_DTYPES"]

#: IDX type code -> big-endian NumPy dtype.
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as fh:
        raw = fh.read()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as err:
        raise ValueError(
            f"load_idx: {path} starts with the gzip magic bytes but could not be "
            f"decompressed ({err}); the download is probably truncated or corrupt, "
            "fetch the file again"
        ) from err


def load_idx(path) -> np.ndarray:
    """Read one IDX file, raw or gzip-compressed.

    Parameters
    ----------
    path : str or os.PathLike
        The file, e.g. ``train-images-idx3-ubyte`` or ``train-images-idx3-ubyte.gz``.

    Returns
    -------
    numpy.ndarray
        Shape given by the header's dimensions, dtype the header's type in
        native byte order (``uint8``, ``int8``, ``int16``, ``int32``,
        ``float32`` or ``float64``), values as stored (no scaling).

    Raises
    ------
    ValueError
        Naming the file and the problem: wrong magic (not an IDX file), unknown
        type code, zero dimensions, a header cut short, data shorter (truncated)
        or longer than the header's dimensions imply, or broken gzip data.
    """
    path = Path(os.fspath(path))
    data = _read_bytes(path)
    if len(data) < 4:
        raise ValueError(
            f"load_idx: {path} is {len(data)} bytes long, too short for the 4-byte IDX "
            "header; the file is empty or truncated"
        )
    if data[0] != 0 or data[1] != 0:
        raise ValueError(
            f"load_idx: {path} has wrong magic bytes 0x{data[0]:02x} 0x{data[1]:02x} "
            "(an IDX file starts with 0x00 0x00); this is not an IDX file, or it is "
            "compressed with something other than gzip"
        )
    type_code, ndim = data[2], data[3]
    if type_code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ValueError(
            f"load_idx: {path} has corrupt header: unknown data type code 0x{type_code:02X} "
            f"(byte 2); expected one of {known}"
        )
    if ndim == 0:
        raise ValueError(
            f"load_idx: {path} has corrupt header: number of dimensions (byte 3) is 0, "
            "expected at least 1"
        )
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise ValueError(
            f"load_idx: {path} has corrupt or truncated header: it declares {ndim} "
            f"dimensions, which needs a {header_size}-byte header, but the file holds "
            f"only {len(data)} bytes"
        )
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(data) - header_size
    if actual < expected:
        raise ValueError(
            f"load_idx: {path} is truncated: header says shape {shape} of {dtype.name} "
            f"({expected} data bytes) but only {actual} data bytes follow; fetch the file again"
        )
    if actual > expected:
        raise ValueError(
            f"load_idx: {path} has {actual - expected} unexpected trailing bytes: header "
            f"says shape {shape} of {dtype.name} ({expected} data bytes) but {actual} "
            "follow; the header's dimensions are corrupt or two files were concatenated"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def _candidates(split: str, kind: str, rank: int) -> list[str]:
    names = [f"{split}-{kind}-idx{rank}-ubyte", f"{split}-{kind}.idx{rank}-ubyte"]
    return [n + ext for n in names for ext in ("", ".gz")]


def _find(directory: Path, split: str, kind: str, rank: int) -> Path:
    names = _candidates(split, kind, rank)
    # torchvision stores the files under <root>/raw/
    folders = [directory, directory / "raw"]
    for folder in folders:
        for name in names:
            if (folder / name).is_file():
                return folder / name
    raise FileNotFoundError(
        f"load_mnist_dir: no {split} {kind} file in {directory}; looked for "
        f"{', '.join(names)} in {directory} and {directory / 'raw'}. Download the four "
        "MNIST-style IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, "
        "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, optionally .gz) into that folder"
    )


def _load_split(directory: Path, split: str, as_images: bool):
    images_path = _find(directory, split, "images", 3)
    labels_path = _find(directory, split, "labels", 1)
    images = load_idx(images_path)
    labels = load_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"load_mnist_dir: {images_path} must hold uint8 images of shape (N, H, W), "
            f"got {images.dtype} of shape {images.shape}"
        )
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"load_mnist_dir: {labels_path} must hold integer labels of shape (N,), "
            f"got {labels.dtype} of shape {labels.shape}"
        )
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"load_mnist_dir: {images_path} holds {images.shape[0]} images but "
            f"{labels_path} holds {labels.shape[0]} labels; the counts must match "
            "(are the files from the same dataset and fully downloaded?)"
        )
    n, height, width = images.shape
    X = images.astype(np.float32) / np.float32(255.0)
    X = X.reshape(n, 1, height, width) if as_images else X.reshape(n, height * width)
    return X, labels.astype(np.int64)


def load_mnist_dir(directory, *, as_images: bool = False):
    """Load an MNIST-style dataset from the four standard IDX files in a folder.

    Works for MNIST, Fashion-MNIST and KMNIST (same file names). Each file may be
    raw or ``.gz``, and named with ``-`` or ``.`` before ``idx``
    (``train-images-idx3-ubyte`` or ``train-images.idx3-ubyte``); the folder and
    its ``raw/`` subfolder (torchvision's layout) are searched.

    Parameters
    ----------
    directory : str or os.PathLike
    as_images : bool, default False
        ``False`` gives flat rows ``(N, H*W)`` (``(N, 784)`` for MNIST);
        ``True`` gives channels-first images ``(N, 1, H, W)``.

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        ``X`` float32 scaled from 0..255 to ``[0, 1]``; ``y`` int64.

    Raises
    ------
    FileNotFoundError
        If a file is missing; the message lists every name looked for.
    ValueError
        If a file is not valid IDX (see :func:`load_idx`), or image and label
        counts differ.
    """
    directory = Path(os.fspath(directory))
    if not directory.is_dir():
        raise FileNotFoundError(f"load_mnist_dir: {directory} is not a directory")
    train = _load_split(directory, "train", as_images)
    test = _load_split(directory, "t10k", as_images)
    return train, test
