"""Draw the recorded computation graph: micrograd's ``draw_dot`` for tensors, no Graphviz needed.

:func:`graph` walks the ``_ctx`` links from one or more output tensors back to the leaves
(parameters, inputs and constants alike) and returns a :class:`Graph`: plain lists of
nodes and edges for programmatic use, Graphviz DOT text, and a self-contained SVG drawn by
this library's own layered layout (:mod:`backprop.inspect.svg_layout`), so a notebook
shows the graph inline and ``Graph.save("net.svg")`` works without any external binary.

Each op applied (``MatMul``, ``Add``, ``Sigmoid``, ...) is one *op node*; each tensor is
one *tensor node* labelled with its name, shape and dtype, and, for small tensors, its
values and gradient. Edges run input tensor → op → output tensor.

The graph must still exist: call :func:`graph` before ``backward()``, or after
``backward(retain_graph=True)`` (a plain ``backward()`` frees it). Only ops with at least
one input that requires grad are recorded (as in the engine), so a computation on
constants alone (``x.T`` of an input) shows up as one constant tensor.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..autograd.engine import topological_order
from ..autograd.tensor import Tensor
from ..train.storage import atomic_write_bytes
from .svg_layout import render_svg

__all__ = ["graph", "Graph", "GraphNode", "GraphEdge", "format_array"]

_MAX_NAME_CHARS = 60


@dataclass(frozen=True)
class GraphNode:
    """One node of a :class:`Graph`.

    Attributes
    ----------
    id : str
        Stable identifier inside the graph: ``"t<k>"`` for tensors, ``"op<k>"`` for ops,
        numbered in topological order (inputs first).
    kind : str
        ``"tensor"`` or ``"op"``.
    label : str
        The op's name (``"Linear"``, ``"Sigmoid"``) or the tensor's name ("" if unnamed).
    role : str
        ``"op"`` for op nodes; for tensors ``"parameter"`` (a leaf that requires grad),
        ``"constant"`` (a leaf that does not: inputs, targets, wrapped numbers),
        ``"intermediate"`` (made by an op) or ``"output"`` (one of the roots).
    shape, dtype : tuple and str, or None for op nodes
    requires_grad : bool or None for op nodes
    value, grad : str or None
        The formatted values / gradient (4 significant digits) when shown, else None.
    lines : tuple of str
        The text drawn in the node, one entry per line.
    """

    id: str
    kind: str
    label: str
    role: str
    shape: tuple | None = None
    dtype: str | None = None
    requires_grad: bool | None = None
    value: str | None = None
    grad: str | None = None
    lines: tuple = ()


@dataclass(frozen=True)
class GraphEdge:
    """A data-flow edge: tensor → op (``input_index`` = the argument position) or op → tensor."""

    source: str
    target: str
    input_index: int | None = None


# --------------------------------------------------------------------------- formatting
def _format_number(v) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    if isinstance(v, (complex, np.complexfloating)):  # pragma: no cover - not a tensor dtype today
        return f"{complex(v):.4g}"
    return str(v)


def format_array(a) -> str:
    """Format an array on one line with 4 significant digits: ``[[0.2, 0.3], [0.1, 0.4123]]``."""
    return _nested(np.asarray(a).tolist())


def _nested(value) -> str:
    # Recursion depth is the array's ndim (a few), never the graph's size.
    if isinstance(value, list):
        return "[" + ", ".join(_nested(item) for item in value) + "]"
    return _format_number(value)


def _summary(a) -> str:
    a = np.asarray(a)
    if a.size == 0:
        return "[]"
    if a.dtype.kind == "b":
        return f"{int(a.sum())} of {a.size} true"
    with np.errstate(all="ignore"):
        a64 = a.astype(np.float64)
        return (f"min {_format_number(np.min(a64))}, mean {_format_number(np.mean(a64))}, "
                f"max {_format_number(np.max(a64))}")


def _describe(a, mode, max_elements: int) -> str | None:
    """Values to show for ``a`` under ``mode`` ('auto' | True | False), or None."""
    if a is None or mode is False:
        return None
    a = np.asarray(a)
    if a.size <= max_elements:
        return format_array(a)
    if mode is True:
        return _summary(a)
    return None


def _shape_text(shape: tuple) -> str:
    return "scalar" if shape == () else str(shape)  # "(2,)", "(2, 3)"


def _clip(text: str, limit: int = _MAX_NAME_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- arguments
def _check_mode(value, argument: str):
    if isinstance(value, str):
        if value != "auto":
            raise ValueError(f"graph(): {argument} must be 'auto', True or False, got {value!r}")
        return "auto"
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"graph(): {argument} must be 'auto', True or False, got {type(value).__name__}")


def _name_table(names) -> dict[int, str]:
    """Turn ``names`` into {id(tensor): name}.

    Accepts {tensor: name}, {name: tensor} (``dict(model.named_parameters())``), an
    iterable of (name, tensor) or (tensor, name) pairs (``model.named_parameters()``), or
    any object with a ``named_parameters()`` method (a Module).
    """
    if names is None:
        return {}
    if hasattr(names, "named_parameters") and callable(names.named_parameters):
        names = names.named_parameters()
    pairs = names.items() if hasattr(names, "items") else names
    table: dict[int, str] = {}
    try:
        iterator = iter(pairs)
    except TypeError:
        raise TypeError(
            "graph(): names must be a dict {tensor: name} or {name: tensor}, an iterable of "
            f"(name, tensor) pairs such as model.named_parameters(), or a Module; got "
            f"{type(names).__name__}"
        ) from None
    for pair in iterator:
        try:
            first, second = pair
        except (TypeError, ValueError):
            raise TypeError(
                f"graph(): each entry of names must be a (name, tensor) pair, got {pair!r}"
            ) from None
        if isinstance(first, Tensor) and isinstance(second, str):
            table[id(first)] = second
        elif isinstance(first, str) and isinstance(second, Tensor):
            table[id(second)] = first
        else:
            raise TypeError(
                "graph(): each entry of names must pair a str with a Tensor, got "
                f"({type(first).__name__}, {type(second).__name__})"
            )
    return table


def _roots(root) -> list:
    if isinstance(root, Tensor):
        return [root]
    if isinstance(root, (list, tuple)):
        roots = list(root)
        if not roots:
            raise ValueError("graph(): root is an empty list; pass at least one Tensor")
        for i, t in enumerate(roots):
            if not isinstance(t, Tensor):
                raise TypeError(f"graph(): root[{i}] must be a Tensor, got {type(t).__name__}")
        return roots
    raise TypeError(f"graph(): root must be a Tensor or a list of Tensors, got {type(root).__name__}")


def _released_error(ctx) -> RuntimeError:
    return RuntimeError(
        f"graph(): the recorded graph was freed by backward() (reached op {ctx.name}, whose "
        "inputs are no longer linked). Call backprop.inspect.graph(loss) before "
        "loss.backward(), or call loss.backward(retain_graph=True) to keep the graph for drawing."
    )


# --------------------------------------------------------------------------- the walk
def _walk(roots) -> list:
    """Every tensor reachable from ``roots`` through ``_ctx.parents``, inputs before outputs.

    Unlike the backward pass this follows *all* parents (constants and inputs that do not
    require grad included), first argument first; the engine's iterative walk does it.
    """
    return topological_order(roots, all_parents=True, released_error=_released_error)


def graph(root, *, show_values="auto", show_grads="auto", max_elements: int = 6, names=None) -> "Graph":
    """Record the computation graph behind ``root`` for drawing (DOT text or SVG).

    Parameters
    ----------
    root : Tensor or list of Tensor
        The output(s), typically the loss. Their graph must not have been freed: call this
        before ``backward()`` or after ``backward(retain_graph=True)``.
    show_values : 'auto', True or False
        'auto' (default): print the values of tensors with at most ``max_elements``
        elements. True: also a min/mean/max summary for larger tensors. False: none.
    show_grads : 'auto', True or False
        The same for ``.grad`` (shown only where a gradient exists: leaves after
        backward, or tensors that called ``retain_grad()``).
    max_elements : int
        The largest tensor whose values are printed in full.
    names : dict or iterable of pairs or Module, optional
        Names for tensors: ``{tensor: "0.weight"}``, ``dict(model.named_parameters())``,
        ``model.named_parameters()`` or the model itself. Overrides ``Tensor.name``.

    Returns
    -------
    Graph
        ``.nodes``, ``.edges``, ``.dot``, ``.svg``, ``.save(path)``; shows inline in Jupyter.

    Raises
    ------
    RuntimeError
        If ``backward()`` (without ``retain_graph=True``) already freed part of the graph.

    Examples
    --------
    >>> import backprop as bp
    >>> from backprop.inspect import graph
    >>> w = bp.tensor([2.0], requires_grad=True)
    >>> g = graph((w * 3.0).sigmoid())
    >>> [n.label for n in g.nodes if n.kind == "op"]
    ['Mul', 'Sigmoid']
    """
    roots = _roots(root)
    show_values = _check_mode(show_values, "show_values")
    show_grads = _check_mode(show_grads, "show_grads")
    if isinstance(max_elements, bool) or not isinstance(max_elements, (int, np.integer)) or max_elements < 0:
        raise ValueError(f"graph(): max_elements must be a non-negative int, got {max_elements!r}")
    table = _name_table(names)
    order = _walk(roots)
    root_ids = {id(t) for t in roots}

    nodes: list[GraphNode] = []
    edges: list[GraphEdge] = []
    tensor_node_id: dict[int, str] = {}
    n_ops = 0
    for tensor in order:
        ctx = tensor._ctx
        op_id = None
        if ctx is not None:
            op_id = f"op{n_ops}"
            n_ops += 1
            nodes.append(GraphNode(id=op_id, kind="op", label=ctx.name, role="op", lines=(ctx.name,)))
            for index, parent in enumerate(ctx.parents):
                edges.append(GraphEdge(tensor_node_id[id(parent)], op_id, index))
        node = _tensor_node(f"t{len(tensor_node_id)}", tensor, table, id(tensor) in root_ids,
                            show_values, show_grads, int(max_elements))
        tensor_node_id[id(tensor)] = node.id
        nodes.append(node)
        if op_id is not None:
            edges.append(GraphEdge(op_id, node.id, None))
    return Graph(nodes, edges)


def _tensor_node(node_id, tensor, table, is_root, show_values, show_grads, max_elements) -> GraphNode:
    name = table.get(id(tensor), tensor.name) or ""
    if is_root:
        role = "output"
    elif tensor._ctx is not None:
        role = "intermediate"
    else:
        role = "parameter" if tensor.requires_grad else "constant"
    data = tensor.data
    shape = tuple(int(d) for d in data.shape)
    dtype = str(data.dtype)
    value = _describe(data, show_values, max_elements)
    grad = _describe(tensor.grad, show_grads, max_elements)
    lines = []
    if name:
        lines.append(_clip(str(name)))
    lines.append(f"{_shape_text(shape)} {dtype}")
    if value is not None:
        lines.append(f"data {value}")
    if grad is not None:
        lines.append(f"grad {grad}")
    return GraphNode(id=node_id, kind="tensor", label=str(name), role=role, shape=shape,
                     dtype=dtype, requires_grad=bool(tensor.requires_grad), value=value,
                     grad=grad, lines=tuple(lines))


# --------------------------------------------------------------------------- the result
class Graph:
    """A drawn computation graph: nodes, edges, DOT text and SVG.

    Attributes
    ----------
    nodes : list of GraphNode
        Topological order (every node after its inputs).
    edges : list of GraphEdge
    """

    def __init__(self, nodes, edges):
        self.nodes: list[GraphNode] = list(nodes)
        self.edges: list[GraphEdge] = list(edges)
        self._dot: str | None = None
        self._svg: str | None = None

    @property
    def op_nodes(self) -> list[GraphNode]:
        return [n for n in self.nodes if n.kind == "op"]

    @property
    def tensor_nodes(self) -> list[GraphNode]:
        return [n for n in self.nodes if n.kind == "tensor"]

    def __repr__(self) -> str:
        return (f"Graph({len(self.op_nodes)} ops, {len(self.tensor_nodes)} tensors, "
                f"{len(self.edges)} edges)")

    # ---------------------------------------------------------------- DOT
    @property
    def dot(self) -> str:
        """Graphviz DOT text (left to right); render with ``dot -Tsvg`` if you have Graphviz."""
        if self._dot is None:
            self._dot = self._make_dot()
        return self._dot

    def _make_dot(self) -> str:
        out = [
            "digraph backprop {",
            "  rankdir=LR;",
            '  node [fontname="Helvetica", fontsize=10];',
            '  edge [arrowsize=0.7];',
        ]
        fills = {"parameter": "#dbeafe", "constant": "#f3f4f6", "intermediate": "#ffffff",
                 "output": "#fde68a", "op": "#fce7f3"}
        for node in self.nodes:
            label = "\\n".join(_dot_escape(line) for line in node.lines)
            if node.kind == "op":
                attrs = f'shape=ellipse, style=filled, fillcolor="{fills["op"]}"'
            else:
                attrs = f'shape=box, style="rounded,filled", fillcolor="{fills[node.role]}"'
            out.append(f'  "{node.id}" [label="{label}", {attrs}];')
        for edge in self.edges:
            out.append(f'  "{edge.source}" -> "{edge.target}";')
        out.append("}")
        return "\n".join(out) + "\n"

    # ---------------------------------------------------------------- SVG
    @property
    def svg(self) -> str:
        """A self-contained SVG document drawn by the built-in layered layout."""
        if self._svg is None:
            self._svg = render_svg(self.nodes, self.edges)
        return self._svg

    def _repr_svg_(self) -> str:
        return self.svg

    # ---------------------------------------------------------------- files
    def save(self, path) -> str:
        """Write the graph to ``path``, the format chosen by its extension.

        ``.dot``/``.gv``: DOT text; ``.svg``: SVG; ``.png``: needs the optional ``cairosvg``
        package. The file is written atomically by
        :func:`backprop.train.storage.atomic_write_bytes` (a temporary file in the same
        directory, then ``os.replace``), so a failure never leaves a half-written file behind.

        Returns
        -------
        str
            The path written.
        """
        path = os.fspath(path)
        ext = os.path.splitext(path)[1].lower()
        if ext in (".dot", ".gv"):
            payload = self.dot.encode("utf-8")
        elif ext == ".svg":
            payload = self.svg.encode("utf-8")
        elif ext == ".png":
            try:
                import cairosvg
            except ImportError:
                raise ImportError(
                    f"Graph.save({path!r}): writing PNG needs the optional package cairosvg "
                    "(pip install cairosvg); save as .svg instead (browsers and notebooks show "
                    "it directly) or as .dot for Graphviz"
                ) from None
            payload = cairosvg.svg2png(bytestring=self.svg.encode("utf-8"))
        else:
            raise ValueError(
                f"Graph.save(): unknown file extension {ext or '(none)'!r} in {path!r}; "
                "use .svg, .dot, .gv or .png"
            )
        atomic_write_bytes(path, payload)
        return path


def _dot_escape(text: str) -> str:
    """Escape text for a quoted DOT string (no record/HTML syntax is used)."""
    text = "".join(ch if ch >= " " else " " for ch in text)
    return text.replace("\\", "\\\\").replace('"', '\\"')
