"""Progress output: a bar updated in place in a terminal, one line per epoch elsewhere."""

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from backprop.train import fit

from .helpers import blobs, mlp

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from helpers import blobs, mlp
from backprop.train import fit
X, y = blobs(64)
fit(mlp([4, 8, 3]), X, y, loss="cross_entropy", optimizer="sgd", lr=0.1, epochs=3, batch_size=8,
    verbose={verbose}, validation_split=0.25)
"""


def _run(verbose, stdout):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), COLUMNS="250")
    code = SCRIPT.format(tests=str(ROOT / "tests" / "train"), verbose=verbose)
    return subprocess.Popen([sys.executable, "-c", code], stdout=stdout, stderr=subprocess.STDOUT, env=env)


def _read_pty(verbose):
    master, slave = pty.openpty()
    proc = _run(verbose, slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(master)
    assert proc.returncode == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode(errors="replace")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_terminal_gets_a_bar_updated_in_place():
    text = _read_pty(verbose=1)
    assert "\r" in text.replace("\r\n", "\n")  # carriage returns that are not line ends
    assert "Epoch 1/3" in text and "Epoch 3/3" in text
    assert "loss" in text and "val_accuracy" in text


def test_file_gets_exactly_one_line_per_epoch(tmp_path):
    path = tmp_path / "out.txt"
    with open(path, "w") as f:
        proc = _run(1, f)
        proc.wait(timeout=60)
    text = path.read_text()
    assert "\r" not in text
    lines = text.splitlines()
    assert len(lines) == 3
    assert [line.split(" - ")[0] for line in lines] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    assert all("loss: " in line and "val_loss: " in line and "accuracy: " in line for line in lines)


def test_file_argument_and_verbose_levels():
    X, y = blobs(40)
    out = io.StringIO()
    fit(mlp([4, 3]), X, y, loss="cross_entropy", optimizer="sgd", lr=0.1, epochs=4, verbose=1, file=out)
    assert len(out.getvalue().splitlines()) == 4 and "\r" not in out.getvalue()
    silent = io.StringIO()
    fit(mlp([4, 3]), X, y, loss="cross_entropy", optimizer="sgd", lr=0.1, epochs=2, verbose=0, file=silent)
    assert silent.getvalue() == ""


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_verbose_2_is_line_per_epoch_even_in_a_terminal():
    text = _read_pty(verbose=2).replace("\r\n", "\n")
    assert "\r" not in text and len(text.strip().splitlines()) == 3
