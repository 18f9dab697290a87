"""The one kind of error a user can fix, and how it is said: one line on stderr, exit status 2."""

from __future__ import annotations

__all__ = ["PROG", "CLIError", "UsageError", "one_line", "describe"]

PROG = "backprop"


# ============================================================================ errors and the parser
class CLIError(Exception):
    """A mistake the user can fix: printed as one line, exit status 2."""


class UsageError(CLIError):
    """An argparse error (unknown flag, bad value)."""


def one_line(text: str) -> str:
    """Collapse a (possibly multi-line) message into one line."""
    return " ".join(str(text).split())


def describe(exc: BaseException) -> str:
    """A one-line description of ``exc`` (file errors name the file)."""
    if isinstance(exc, FileNotFoundError) and exc.filename and not str(exc).startswith(("load_", "backprop")):
        return f"{exc.filename}: no such file or directory"
    if isinstance(exc, IsADirectoryError) and exc.filename:
        return f"{exc.filename} is a directory, expected a file"
    if isinstance(exc, PermissionError) and exc.filename:
        return f"{exc.filename}: permission denied"
    text = one_line(str(exc)) or type(exc).__name__
    return text
