"""Looking inside: gradient checking, gradient-flow monitoring, diagnosis, graph drawing."""

from .gradcheck import GradcheckError, gradcheck
from .graph import Graph, GraphEdge, GraphNode, graph

__all__ = ["gradcheck", "GradcheckError", "graph", "Graph", "GraphNode", "GraphEdge"]
