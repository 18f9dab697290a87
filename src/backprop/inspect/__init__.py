"""Looking inside: gradient checking, gradient-flow monitoring, diagnosis, graph drawing."""

from .diagnose import Finding, Report, diagnose
from .gradcheck import GradcheckError, gradcheck
from .monitor import Monitor

__all__ = ["gradcheck", "GradcheckError", "Monitor", "diagnose", "Report", "Finding", "graph", "Graph", "GraphNode", "GraphEdge"]


_LAZY = {"graph", "Graph", "GraphNode", "GraphEdge"}


def __getattr__(name):
    # The graph renderer (drawing.py: layout, SVG, XML escaping) is loaded on first use, keeping
    # ``import backprop`` fast.
    if name in _LAZY:
        import importlib

        drawing = importlib.import_module(f"{__name__}.drawing")
        value = getattr(drawing, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
