"""Shared helpers of the plot tests: PNG header parsing and tiny models."""

import struct

import numpy as np

from backprop import nn

from ..train import helpers as train_helpers

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path):
    """(width, height) from a PNG's IHDR chunk (bytes 16-24), after checking the signature."""
    with open(path, "rb") as f:
        header = f.read(24)
    assert header[:8] == PNG_SIGNATURE, "not a PNG file"
    assert header[12:16] == b"IHDR"
    return struct.unpack(">II", header[16:24])


def expected_size(fig):
    width, height = fig.get_size_inches() * fig.dpi
    return int(round(width)), int(round(height))


def mlp(sizes, seed=0, activation=nn.ReLU, dtype=np.float64):
    """The training tests' MLP (:func:`tests.train.helpers.mlp`), float64 by default here."""
    return train_helpers.mlp(sizes, seed=seed, activation=activation, dtype=dtype)
