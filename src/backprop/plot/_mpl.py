"""The one place ``backprop.plot`` touches matplotlib: a lazy import and the figure/save helpers.

Why no pyplot, and no ``matplotlib.use("Agg")``
    Every figure is a bare :class:`matplotlib.figure.Figure` with a
    :class:`~matplotlib.backends.backend_agg.FigureCanvasAgg` attached.  That renders with
    Agg on any machine (no display, no GUI toolkit) and touches no global state: pyplot's
    figure registry is never used, so figures are freed like any object and never pop up,
    and the *user's* backend is left alone (``matplotlib.use("Agg")`` would switch a
    notebook or GUI session to Agg behind their back).

matplotlib is an optional extra (``pip install 'backprop[plot]'``): importing
``backprop.plot`` works without it; calling a plot raises an :class:`ImportError` that
names the extra.
"""

from __future__ import annotations

import io
import os

__all__ = ["MISSING_MESSAGE", "available", "import_matplotlib", "new_figure", "finish", "as_array"]

MISSING_MESSAGE = "plots need the optional dependency: pip install 'backprop[plot]'"


def import_matplotlib():
    """Return ``(Figure, FigureCanvasAgg)``, or raise ImportError naming the ``[plot]`` extra."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(MISSING_MESSAGE) from exc
    return Figure, FigureCanvasAgg


def available() -> bool:
    """True when matplotlib can be imported (the plots will work)."""
    try:
        import_matplotlib()
    except ImportError:
        return False
    return True


def new_figure(width: float, height: float, dpi: float = 100):
    """A pyplot-free Figure of ``width`` x ``height`` inches with an Agg canvas attached."""
    Figure, FigureCanvasAgg = import_matplotlib()
    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def finish(fig, path=None):
    """Save ``fig`` as PNG at ``path`` atomically (if given) and return it.

    The image is rendered into memory first and then written with
    :func:`backprop.train.storage.atomic_write_bytes` (temp file in the same directory,
    ``os.replace``), so a reader never sees half a PNG and a failed render leaves any old
    file untouched.  The pixel size is exactly ``figsize * dpi`` (no tight bounding box).
    """
    if path is not None:
        from ..train.storage import atomic_write_bytes
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=fig.dpi)
        directory = os.path.dirname(os.path.abspath(os.fspath(path)))
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"cannot save the plot to {os.fspath(path)!r}: directory {directory!r} "
                                    "does not exist")
        atomic_write_bytes(path, buffer.getvalue())
    return fig


def as_array(value):
    """ndarray of an ndarray, list or Tensor (its ``.data``)."""
    import numpy as np

    from ..autograd.tensor import Tensor
    return np.asarray(value.data if isinstance(value, Tensor) else value)
