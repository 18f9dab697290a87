"""Shared fixtures: an explicit random generator (the library never uses the global one)."""

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def pytest_configure(config):
    """In CI the PyTorch oracle is required: a missing torch must fail, not skip."""
    import importlib.util
    import os

    if os.environ.get("BACKPROP_REQUIRE_TORCH") and importlib.util.find_spec("torch") is None:
        raise pytest.UsageError("BACKPROP_REQUIRE_TORCH is set but torch is not installed: "
                                "run `pip install torch==2.13.0` (the CPU wheel)")
