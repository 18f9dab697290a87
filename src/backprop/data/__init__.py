"""Datasets, loaders, splits, preprocessing and batching (NumPy only).

Built-in data
    load_digits                 8x8 handwritten digits bundled with the package
    xor, moons, circles, spirals, gaussian_blobs, sine, SYNTHETIC
                                synthetic generators (seeded, never global state)
Files
    load_idx, load_mnist_dir    IDX / MNIST-style folders (raw or .gz)
    load_csv, CSVData           numeric CSV tables with a target column
    load_npz                    .npz archives (never unpickled)
Preparation
    train_test_split, stratified_split
    Standardizer, MinMaxScaler, one_hot
Training loop
    BatchIterator               shuffled mini-batches, one permutation per epoch
"""

from .batching import BatchIterator
from .digits import load_digits
from .idx import load_idx, load_mnist_dir
from .npz import load_npz
from .mnist1d import load_mnist1d
from .preprocessing import MinMaxScaler, Standardizer, one_hot
from .splits import stratified_split, train_test_split
from .synthetic import SYNTHETIC, circles, gaussian_blobs, moons, sine, spirals, xor
from .tabular import CSVData, load_csv

__all__ = [
    "load_digits",
    "xor",
    "moons",
    "circles",
    "spirals",
    "gaussian_blobs",
    "sine",
    "SYNTHETIC",
    "load_idx",
    "load_mnist_dir",
    "load_mnist1d",
    "load_csv",
    "CSVData",
    "load_npz",
    "train_test_split",
    "stratified_split",
    "Standardizer",
    "MinMaxScaler",
    "one_hot",
    "BatchIterator",
]
