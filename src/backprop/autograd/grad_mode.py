"""Switches that decide whether operations record the computational graph.

Recording costs time and memory (every op keeps what its backward pass needs), so
inference and optimizer updates run under :func:`no_grad`.
"""

from __future__ import annotations

import functools


class _GradMode:
    """Process-wide flag read by :meth:`Function.apply` on every op (a plain attribute: fast)."""

    enabled = True


def is_grad_enabled() -> bool:
    """Return True when new operations record the graph."""
    return _GradMode.enabled


class _SetGradMode:
    """Context manager and decorator that sets the recording flag and restores it on exit."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.previous = True

    def __enter__(self):
        self.previous = _GradMode.enabled
        _GradMode.enabled = self.enabled
        return self

    def __exit__(self, *exc_info):
        _GradMode.enabled = self.previous
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with _SetGradMode(self.enabled):
                return fn(*args, **kwargs)

        return wrapper


def no_grad() -> _SetGradMode:
    """Context (or decorator) in which no graph is recorded, like ``torch.no_grad``.

    Examples
    --------
    >>> import backprop as bp
    >>> w = bp.tensor([1.0, 2.0], requires_grad=True)
    >>> with bp.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """
    return _SetGradMode(False)


def enable_grad() -> _SetGradMode:
    """Context (or decorator) that turns recording back on inside a :func:`no_grad` block."""
    return _SetGradMode(True)
