"""Every command and Python snippet in README.md runs as written (on small data)."""

import gzip
import os
import re
import shlex
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"```(python|bash)\n(.*?)```", re.S)


def blocks(language):
    return [body for lang, body in BLOCK.findall(README) if lang == language]


def _env():
    src = str(ROOT / "src")
    return dict(os.environ, PYTHONPATH=os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]),
                MPLBACKEND="Agg")


def _write_idx(path: Path, array: np.ndarray) -> None:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def _small_mnist(directory: Path) -> None:
    """Tiny MNIST-format files: each class is a bright bar at its own row (learnable)."""
    rng = np.random.default_rng(0)
    directory.mkdir()
    for prefix, n in (("train", 300), ("t10k", 100)):
        labels = rng.integers(0, 10, size=n)
        images = rng.integers(0, 40, size=(n, 28, 28))
        for i, label in enumerate(labels):
            images[i, 2 + 2 * label: 4 + 2 * label, 4:24] = 255
        _write_idx(directory / f"{prefix}-images-idx3-ubyte.gz", images)
        _write_idx(directory / f"{prefix}-labels-idx1-ubyte.gz", labels)


def test_readme_has_the_two_commands_and_ci_runs_the_test_command():
    commands = [line.strip() for body in blocks("bash") for line in body.splitlines()]
    assert "python -m pip install . && backprop train" in commands
    test_command = 'python -m pip install ".[test]" && python -m pytest'
    assert test_command in commands
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.slow
def test_every_backprop_command_in_the_readme_runs(tmp_path):
    _small_mnist(tmp_path / "mnist")
    ran = 0
    for body in blocks("bash"):
        for line in body.splitlines():
            line = line.split("#", 1)[0].strip()
            for command in (part.strip() for part in line.split("&&")):
                if not command.startswith("backprop"):
                    continue  # pip install lines are what the test environment already did
                args = shlex.split(command)[1:]
                args = [str(tmp_path / "mnist") if a == "idx:path/to/mnist" else a for a in args]
                args = ["idx:" + a if a == str(tmp_path / "mnist") else a for a in args]
                if args and args[0] == "train" and "--epochs" not in args:
                    args += ["--epochs", "2"]  # small: the command's full run is tested in tests/cli
                if args and args[0] == "train":
                    args = [a if a != "20" else "2" for a in args]
                result = subprocess.run([sys.executable, "-m", "backprop", *args], cwd=tmp_path, env=_env(),
                                        capture_output=True, text=True, timeout=600)
                assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
                ran += 1
    assert ran >= 6


@pytest.mark.slow
def test_every_python_snippet_in_the_readme_runs(tmp_path):
    snippets = blocks("python")
    assert len(snippets) >= 3
    for snippet in snippets:
        if "import torch" in snippet:
            pytest.importorskip("torch")
        result = subprocess.run([sys.executable, "-c", snippet], cwd=tmp_path, env=_env(), capture_output=True,
                                text=True, timeout=600)
        assert result.returncode == 0, f"{snippet}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    assert (tmp_path / "graph.svg").exists() and (tmp_path / "digits.safetensors").exists()
