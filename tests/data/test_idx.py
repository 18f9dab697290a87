"""IDX reader and MNIST-folder loader, on small files written in tmp_path."""

import gzip
import struct

import numpy as np
import pytest

from backprop.data import load_idx, load_mnist_dir

TYPE_CODES = {"uint8": 0x08, "int8": 0x09, "int16": 0x0B, "int32": 0x0C, "float32": 0x0D, "float64": 0x0E}


def idx_bytes(array: np.ndarray, type_code: int) -> bytes:
    """Write IDX by hand from the spec (independent of the reader)."""
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path, payload: bytes, compress=False):
    path.write_bytes(gzip.compress(payload) if compress else payload)
    return path


# Extremes of each type, so sign and byte order errors show.
SAMPLES = {
    "uint8": np.array([[0, 1, 127], [128, 254, 255]], dtype=np.uint8),
    "int8": np.array([[-128, -1, 0], [1, 100, 127]], dtype=np.int8),
    "int16": np.array([[-32768, -2, 256], [1, 1000, 32767]], dtype=np.int16),
    "int32": np.array([[-(2**31), -1, 65536], [7, 123456789, 2**31 - 1]], dtype=np.int32),
    "float32": np.array([[-1.5, 0.0, 3.25], [1e-30, np.pi, -1e30]], dtype=np.float32),
    "float64": np.array([[-1.5, 0.0, 3.25], [1e-300, np.pi, -1e300]], dtype=np.float64),
}


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_round_trip_every_type(tmp_path, name, compress):
    expected = SAMPLES[name]
    path = write(tmp_path / f"f-{name}", idx_bytes(expected, TYPE_CODES[name]), compress)
    got = load_idx(path)
    assert got.dtype == np.dtype(name) and got.dtype.isnative
    assert got.shape == expected.shape
    assert np.array_equal(got, expected)


def test_known_bytes_decode(tmp_path):
    # ubyte vector [1, 2, 255]
    path = write(tmp_path / "a", b"\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02\xff")
    assert load_idx(path).tolist() == [1, 2, 255]
    # big-endian int16 vector: 0xfffe = -2, 0x0100 = 256
    path = write(tmp_path / "b", b"\x00\x00\x0b\x01\x00\x00\x00\x02\xff\xfe\x01\x00")
    assert load_idx(path).tolist() == [-2, 256]
    # 3-D ubyte 2x1x2
    path = write(tmp_path / "c", b"\x00\x00\x08\x03" + b"\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x02" + b"\x05\x06\x07\x08")
    assert load_idx(path).tolist() == [[[5, 6]], [[7, 8]]]


def test_gzip_detected_by_magic_not_extension(tmp_path):
    data = np.arange(6, dtype=np.uint8).reshape(2, 3)
    gz_without_suffix = write(tmp_path / "train-images-idx3-ubyte", idx_bytes(data, 0x08), compress=True)
    raw_with_gz_suffix = write(tmp_path / "labels.gz", idx_bytes(data, 0x08))
    assert np.array_equal(load_idx(gz_without_suffix), data)
    assert np.array_equal(load_idx(raw_with_gz_suffix), data)


def test_result_is_writable_copy(tmp_path):
    path = write(tmp_path / "w", idx_bytes(np.zeros(3, np.uint8), 0x08))
    arr = load_idx(path)
    arr[0] = 9  # would raise on a read-only frombuffer view
    assert arr.tolist() == [9, 0, 0]


GOOD = idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4), 0x08)


@pytest.mark.parametrize("payload, match", [
    (b"", "too short"),
    (b"\x00\x00", "too short"),
    (b"\x01\x00" + GOOD[2:], "wrong magic"),
    (b"\x00\x05" + GOOD[2:], "wrong magic"),
    (GOOD[:2] + b"\x0a" + GOOD[3:], "unknown data type code 0x0A"),
    (GOOD[:3] + b"\x00" + GOOD[4:], "number of dimensions"),
    (GOOD[:3] + b"\x09" + GOOD[4:], "header"),          # declares 9 dims, file too short
    (GOOD[:10], "header"),                            # cut inside the dimension sizes
    (GOOD[:-1], "truncated"),                         # one data byte missing
    (GOOD[:12], "truncated"),                         # header only
    (GOOD + b"\x00", "trailing"),
    (GOOD[:4] + struct.pack(">2I", 3, 5) + GOOD[12:], "truncated"),  # dims say 15 values, 12 present
])
def test_corrupt_files_raise_value_error_naming_file(tmp_path, payload, match):
    path = write(tmp_path / "broken-idx-file", payload)
    with pytest.raises(ValueError, match=match) as info:
        load_idx(path)
    assert "broken-idx-file" in str(info.value)


def test_truncated_gzip(tmp_path):
    compressed = gzip.compress(GOOD)
    path = tmp_path / "cut.gz"
    path.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(ValueError, match="gzip") as info:
        load_idx(path)
    assert "cut.gz" in str(info.value)


# --- load_mnist_dir --------------------------------------------------------------

def make_mnist(folder, n_train=5, n_test=3, height=4, width=3, *, sep="-", gz=False,
               n_train_labels=None):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    arrays = {
        "train": (rng.integers(0, 256, (n_train, height, width), dtype=np.uint8),
                  rng.integers(0, 10, n_train_labels or n_train, dtype=np.uint8)),
        "t10k": (rng.integers(0, 256, (n_test, height, width), dtype=np.uint8),
                 rng.integers(0, 10, n_test, dtype=np.uint8)),
    }
    suffix = ".gz" if gz else ""
    for split, (images, labels) in arrays.items():
        write(folder / f"{split}-images{sep}idx3-ubyte{suffix}", idx_bytes(images, 0x08), gz)
        write(folder / f"{split}-labels{sep}idx1-ubyte{suffix}", idx_bytes(labels, 0x08), gz)
    return arrays


@pytest.mark.parametrize("sep, gz", [("-", False), ("-", True), (".", False), (".", True)])
def test_mnist_dir_flat(tmp_path, sep, gz):
    arrays = make_mnist(tmp_path, sep=sep, gz=gz)
    (X_train, y_train), (X_test, y_test) = load_mnist_dir(tmp_path)
    for (X, y), split, n in ((X_train, y_train), "train", 5), ((X_test, y_test), "t10k", 3):
        images, labels = arrays[split]
        assert X.shape == (n, 12) and X.dtype == np.float32
        assert y.shape == (n,) and y.dtype == np.int64
        assert np.allclose(X, images.reshape(n, 12) / 255.0, atol=1e-7)
        assert np.array_equal(y, labels)
        assert X.min() >= 0.0 and X.max() <= 1.0


def test_mnist_dir_as_images_and_raw_subfolder(tmp_path):
    arrays = make_mnist(tmp_path / "raw", n_train=2, n_test=1, height=28, width=28)
    (X_train, _), (X_test, _) = load_mnist_dir(tmp_path, as_images=True)
    assert X_train.shape == (2, 1, 28, 28) and X_test.shape == (1, 1, 28, 28)
    assert np.allclose(X_train[:, 0], arrays["train"][0] / 255.0, atol=1e-7)
    (X_flat, _), _ = load_mnist_dir(tmp_path)
    assert X_flat.shape == (2, 784)


def test_mnist_dir_missing_file_lists_names(tmp_path):
    make_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError) as info:
        load_mnist_dir(tmp_path)
    message = str(info.value)
    for name in ("t10k-labels-idx1-ubyte", "t10k-labels-idx1-ubyte.gz", "t10k-labels.idx1-ubyte"):
        assert name in message


def test_mnist_dir_not_a_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a directory"):
        load_mnist_dir(tmp_path / "nope")


def test_mnist_dir_count_mismatch(tmp_path):
    make_mnist(tmp_path, n_train=5, n_train_labels=4)
    with pytest.raises(ValueError, match="5 images but .* 4 labels"):
        load_mnist_dir(tmp_path)


def test_mnist_dir_rejects_non_image_file(tmp_path):
    make_mnist(tmp_path)
    write(tmp_path / "train-images-idx3-ubyte", idx_bytes(np.zeros((5, 12), np.uint8), 0x08))
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        load_mnist_dir(tmp_path)
