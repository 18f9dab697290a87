"""Fixtures of the command-line tests."""

import pytest

from .helpers import run_main


@pytest.fixture
def cli(capsys):
    """``cli("train", "--data", "moons")`` -> (exit status, stdout, stderr), in-process."""
    return lambda *argv: run_main(capsys, *argv)
