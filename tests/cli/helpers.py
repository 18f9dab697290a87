"""Helpers for the command-line tests: run ``main`` in-process or ``python -m backprop`` in a subprocess."""

import os
import subprocess
import sys
from pathlib import Path

from backprop.cli import main

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"


def run_main(capsys, *argv):
    """``main(argv)`` -> (exit status, stdout, stderr)."""
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def run_subprocess(*argv, cwd=None, timeout=120):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return subprocess.run([sys.executable, *map(str, argv)], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=timeout, encoding="utf-8")
