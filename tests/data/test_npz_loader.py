"""load_npz: both layouts, dtype conversion, and refusal to unpickle."""

import numpy as np
import pytest

from backprop.data import load_npz


def test_x_y_layout(tmp_path):
    X = np.arange(6, dtype=np.int32).reshape(3, 2)
    y = np.array([2, 0, 1], dtype=np.uint8)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    X_out, y_out = load_npz(tmp_path / "d.npz")
    assert X_out.dtype == np.float32 and X_out.tolist() == [[0, 1], [2, 3], [4, 5]]
    assert y_out.dtype == np.int64 and y_out.tolist() == [2, 0, 1]


def test_float_targets_and_custom_keys_compressed(tmp_path):
    np.savez_compressed(tmp_path / "r.npz", inputs=np.ones((2, 1, 3, 3)), targets=np.array([0.5, 1.5]))
    X, y = load_npz(tmp_path / "r.npz", x_key="inputs", y_key="targets")
    assert X.shape == (2, 1, 3, 3) and X.dtype == np.float32
    assert y.dtype == np.float32 and y.tolist() == [0.5, 1.5]


def test_missing_y_gives_none(tmp_path):
    np.savez(tmp_path / "u.npz", X=np.zeros((4, 2)))
    X, y = load_npz(tmp_path / "u.npz")
    assert X.shape == (4, 2) and y is None


@pytest.mark.parametrize("keys", [("x_train", "y_train", "x_test", "y_test"),
                                  ("X_train", "y_train", "X_test", "y_test")])
def test_split_layout(tmp_path, keys):
    arrays = dict(zip(keys, [np.full((3, 2), 7, np.uint8), np.array([0, 1, 0]),
                             np.full((2, 2), 9, np.uint8), np.array([1, 1])]))
    np.savez(tmp_path / "s.npz", **arrays)
    (X_train, y_train), (X_test, y_test) = load_npz(tmp_path / "s.npz")
    assert X_train.shape == (3, 2) and np.all(X_train == 7) and X_train.dtype == np.float32
    assert y_train.tolist() == [0, 1, 0] and y_train.dtype == np.int64
    assert X_test.shape == (2, 2) and np.all(X_test == 9)
    assert y_test.tolist() == [1, 1]


def test_object_array_is_refused(tmp_path):
    ragged = np.empty(2, dtype=object)
    ragged[0], ragged[1] = [1, 2], [3]
    np.savez(tmp_path / "o.npz", X=ragged, y=np.array([0, 1]))
    with pytest.raises(ValueError, match="object array") as info:
        load_npz(tmp_path / "o.npz")
    assert "o.npz" in str(info.value)


def test_string_labels_rejected(tmp_path):
    np.savez(tmp_path / "s.npz", X=np.zeros((2, 1)), y=np.array(["a", "b"]))
    with pytest.raises(ValueError, match="integer class labels or float targets"):
        load_npz(tmp_path / "s.npz")


def test_length_mismatch(tmp_path):
    np.savez(tmp_path / "m.npz", X=np.zeros((3, 2)), y=np.zeros(2, dtype=np.int64))
    with pytest.raises(ValueError, match="3 samples but 'y' has 2"):
        load_npz(tmp_path / "m.npz")


def test_unknown_layout_lists_keys(tmp_path):
    np.savez(tmp_path / "k.npz", features=np.zeros(2), labels=np.zeros(2))
    with pytest.raises(ValueError, match=r"holds arrays \['features', 'labels'\]"):
        load_npz(tmp_path / "k.npz")


def test_npy_file_rejected(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros(3))
    with pytest.raises(ValueError, match="single .npy array"):
        load_npz(tmp_path / "a.npy")


def test_garbage_file(tmp_path):
    (tmp_path / "g.npz").write_bytes(b"not a zip file at all")
    with pytest.raises(ValueError, match="not a readable .npz"):
        load_npz(tmp_path / "g.npz")


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_npz(tmp_path / "absent.npz")
