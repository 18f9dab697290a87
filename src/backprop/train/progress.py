"""Progress display: a tqdm bar in a terminal, one plain line per epoch anywhere else.

``verbose=0``
    Silent.
``verbose=1``
    In a terminal (``file.isatty()``): a tqdm bar per epoch, updated in place with
    carriage returns, showing epoch, batch, the running loss and the epoch's metrics.
    In a file, a pipe or CI logs: exactly one line per epoch (no carriage-return floods).
``verbose=2``
    One line per epoch even in a terminal.

The line format is ``Epoch 3/10 - 12 batches - 0.21s - loss: 0.1234 - accuracy: 0.9500 - ...``.
"""

from __future__ import annotations

import shutil
import sys
import time

__all__ = ["ProgressDisplay", "format_logs"]


def _fmt(value) -> str:
    value = float(value)
    return f"{value:.4g}" if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e4) else f"{value:.4f}"


def format_logs(logs: dict, skip=("lr", "grad_norm")) -> str:
    return " - ".join(f"{k}: {_fmt(v)}" for k, v in logs.items() if k not in skip)


class ProgressDisplay:
    """Drives the progress output of :func:`~backprop.train.fit`.

    Parameters
    ----------
    verbose : int
        0, 1 or 2 (see the module notes).
    file : file-like, optional
        Where to write; ``sys.stdout`` (looked up at construction) by default.
    """

    def __init__(self, verbose: int = 1, file=None):
        self.verbose = int(verbose)
        self.file = sys.stdout if file is None else file
        isatty = getattr(self.file, "isatty", None)
        try:
            self.is_terminal = bool(isatty()) if isatty else False
        except (OSError, ValueError):
            self.is_terminal = False
        self.use_bar = self.verbose == 1 and self.is_terminal
        self.bar = None
        self.epochs = 0
        self.start = 0.0
        self.running_loss = 0.0
        self.seen = 0

    def begin_epoch(self, epoch: int, epochs: int, n_batches: int) -> None:
        self.epochs = epochs
        self.start = time.perf_counter()
        self.running_loss, self.seen = 0.0, 0
        self.n_batches = n_batches
        if self.use_bar:
            from tqdm import tqdm

            # A fresh pseudo-terminal can report a size of 0x0, where tqdm draws nothing (it
            # hides bars below the last row): fall back to $COLUMNS/$LINES, else 80x24.
            size = shutil.get_terminal_size((80, 24))
            self.bar = tqdm(total=n_batches, desc=f"Epoch {epoch + 1}/{epochs}", file=self.file, unit="batch",
                            leave=True, ncols=size.columns if size.columns > 0 else 80,
                            nrows=size.lines if size.lines > 0 else 24, mininterval=0.1)

    def end_batch(self, batch: int, loss: float, batch_size: int) -> None:
        self.running_loss += loss * batch_size
        self.seen += batch_size
        if self.bar is not None:
            self.bar.set_postfix_str(f"loss: {_fmt(self.running_loss / self.seen)}", refresh=False)
            self.bar.update(1)

    def end_epoch(self, epoch: int, logs: dict) -> None:
        if self.verbose == 0:
            return
        text = format_logs(logs)
        if self.bar is not None:
            self.bar.set_postfix_str(text, refresh=False)
            self.bar.close()
            self.bar = None
            return
        elapsed = time.perf_counter() - self.start
        self.file.write(f"Epoch {epoch + 1}/{self.epochs} - {self.n_batches} batches - {elapsed:.2f}s - {text}\n")
        self.file.flush()

    def message(self, text: str) -> None:
        """A line outside the bar (the divergence message, early stopping)."""
        if self.verbose == 0:
            return
        self.close()
        self.file.write(text + "\n")
        self.file.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
