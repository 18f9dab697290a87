"""Tests for backprop.inspect.graph: the recorded graph drawn as nodes/edges, DOT and SVG.

The oracles are independent of the drawing code: op counts are written down by hand for
the seed 000 network, tensor counts are checked against the engine's own topological walk,
the SVG is parsed with xml.etree, and layout invariants (no overlaps, edges point right,
crossings) are checked geometrically / by brute force.
"""

from __future__ import annotations

import os
import re
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter

import numpy as np
import pytest

import backprop as bp
from backprop.autograd.engine import topological_order
from backprop.inspect import svg_layout
from backprop.inspect import graph
from backprop.inspect.drawing import Graph, GraphEdge, GraphNode, format_array

SVG_NS = "{http://www.w3.org/2000/svg}"


def seed_network():
    """The seeds' 2-2-1 worked example from raw ops (column vectors, float64)."""
    f64 = np.float64
    W1 = bp.Tensor(np.array([[0.2, 0.3], [0.1, 0.4]], f64), requires_grad=True, name="W1")
    b1 = bp.Tensor(np.array([[0.1], [0.2]], f64), requires_grad=True, name="b1")
    W2 = bp.Tensor(np.array([[0.5, 0.6]], f64), requires_grad=True, name="W2")
    b2 = bp.Tensor(np.array([[0.1]], f64), requires_grad=True, name="b2")
    x = bp.Tensor(np.array([[0.5], [0.3]], f64), name="x")
    y = bp.Tensor(np.array([[0.7]], f64), name="y")
    z1 = W1 @ x + b1          # MatMul, Add
    a1 = z1.sigmoid()          # Sigmoid
    z2 = W2 @ a1 + b2          # MatMul, Add
    a2 = z2.sigmoid()          # Sigmoid
    loss = 0.5 * (y - a2) ** 2  # Sub, PowScalar, Mul (0.5 is wrapped as a constant tensor)
    return dict(W1=W1, b1=b1, W2=W2, b2=b2, x=x, y=y, z1=z1, a1=a1, z2=z2, a2=a2, loss=loss)


# The ops applied above, counted by hand.
SEED_OPS = Counter({"MatMul": 2, "Add": 2, "Sigmoid": 2, "Sub": 1, "PowScalar": 1, "Mul": 1})
# Leaves: W1, b1, W2, b2 (require grad), x, y, the constant 0.5; plus one output per op.
SEED_LEAVES = 7
SEED_TENSORS = SEED_LEAVES + sum(SEED_OPS.values())
# Inputs per op: MatMul 2, Add 2, Sigmoid 1 (twice each), Sub 2, PowScalar 1, Mul 2; + 1 output edge each.
SEED_EDGES = (2 + 2 + 1) * 2 + 2 + 1 + 2 + sum(SEED_OPS.values())


def svg_groups(svg: str):
    root = ET.fromstring(svg.encode("utf-8"))
    groups = [el for el in root.iter(f"{SVG_NS}g")]
    ops = [g for g in groups if g.get("class", "").split() == ["node", "op"]]
    tensors = [g for g in groups if g.get("class", "").split() == ["node", "tensor"]]
    edges = [g for g in groups if g.get("class") == "edge"]
    return root, ops, tensors, edges


def all_text(element) -> str:
    return "\n".join("".join(t.itertext()) for t in element.iter(f"{SVG_NS}text"))


# --------------------------------------------------------------------------- structure
def test_seed_network_nodes_and_edges_match_hand_count():
    net = seed_network()
    g = graph(net["loss"])
    assert isinstance(g, Graph)
    assert Counter(n.label for n in g.nodes if n.kind == "op") == SEED_OPS
    assert len(g.op_nodes) == 9
    assert len(g.tensor_nodes) == SEED_TENSORS == 16
    assert len(g.edges) == SEED_EDGES == 24
    assert all(isinstance(n, GraphNode) for n in g.nodes)
    assert all(isinstance(e, GraphEdge) for e in g.edges)
    # Cross-check with the engine's own walk: it lists exactly the tensors that need grad.
    needs_grad = [n for n in g.tensor_nodes if n.requires_grad]
    assert len(needs_grad) == len(topological_order([net["loss"]])) == 13
    roles = Counter(n.role for n in g.tensor_nodes)
    assert roles == Counter({"parameter": 4, "constant": 3, "intermediate": 8, "output": 1})


def test_edges_run_tensor_to_op_to_tensor_in_topological_order():
    g = graph(seed_network()["loss"])
    kind = {n.id: n.kind for n in g.nodes}
    position = {n.id: i for i, n in enumerate(g.nodes)}
    assert len(position) == len(g.nodes)  # ids are unique
    outputs = Counter()
    for e in g.edges:
        assert kind[e.source] != kind[e.target]
        assert position[e.source] < position[e.target]  # nodes listed inputs first
        if kind[e.source] == "op":
            outputs[e.source] += 1
            assert e.input_index is None
        else:
            assert isinstance(e.input_index, int)
    assert all(outputs[n.id] == 1 for n in g.op_nodes)  # every op has exactly one output
    # Input indices of each op are 0..k-1 (argument order preserved).
    by_op = {}
    for e in g.edges:
        if e.input_index is not None:
            by_op.setdefault(e.target, []).append(e.input_index)
    assert all(sorted(v) == list(range(len(v))) for v in by_op.values())


def test_tensor_node_labels_have_name_shape_dtype():
    g = graph(seed_network()["loss"])
    w1 = next(n for n in g.tensor_nodes if n.label == "W1")
    assert w1.shape == (2, 2) and w1.dtype == "float64" and w1.role == "parameter"
    assert w1.lines[0] == "W1"
    assert "(2, 2) float64" in w1.lines
    const = [n for n in g.tensor_nodes if n.shape == ()]
    assert len(const) == 1 and const[0].value == "0.5" and const[0].role == "constant"


def test_shared_input_used_twice_gives_two_edges():
    x = bp.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    g = graph(x * x)
    assert len(g.tensor_nodes) == 2 and len(g.op_nodes) == 1
    assert sorted(e.input_index for e in g.edges if e.input_index is not None) == [0, 1]


def test_list_of_roots_and_leaf_root():
    net = seed_network()
    g = graph([net["loss"], net["a1"]])
    assert len(g.op_nodes) == 9  # a1 is inside the loss graph: nothing new
    assert Counter(n.role for n in g.tensor_nodes)["output"] == 2
    leaf = graph(net["W1"])
    assert len(leaf.nodes) == 1 and leaf.edges == [] and leaf.nodes[0].kind == "tensor"
    _, ops, tensors, _ = svg_groups(leaf.svg)
    assert len(ops) == 0 and len(tensors) == 1


# --------------------------------------------------------------------------- values and grads
def test_values_shown_for_small_tensors():
    g = graph(seed_network()["loss"], show_values=True)
    assert "0.7409" in g.svg and "0.7409" in g.dot  # z2 = 0.74087345 (seed errata)
    assert "[[0.29], [0.37]]" in g.dot  # z1
    assert "0.0002602" in g.dot  # loss 0.00026022
    assert "grad" not in g.dot  # nothing has a gradient before backward
    hidden = graph(seed_network()["loss"], show_values=False)
    assert "0.7409" not in hidden.svg and "0.7409" not in hidden.dot


def test_max_elements_and_summaries():
    big = bp.Tensor(np.arange(12, dtype=np.float64).reshape(3, 4), requires_grad=True, name="big")
    out = big.sum()
    auto = next(n for n in graph(out).tensor_nodes if n.label == "big")
    assert auto.value is None
    wide = next(n for n in graph(out, max_elements=12).tensor_nodes if n.label == "big")
    assert wide.value == "[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]"
    summary = next(n for n in graph(out, show_values=True).tensor_nodes if n.label == "big")
    assert summary.value == "min 0, mean 5.5, max 11"


def test_format_array_four_significant_digits():
    assert format_array(np.array([0.74087345])) == "[0.7409]"
    assert format_array(np.float32(1 / 3)) == "0.3333"
    assert format_array(np.array([[True, False]])) == "[[True, False]]"
    assert format_array(np.zeros((0, 2))) == "[]"


def test_grads_after_backward_with_retain_graph():
    net = seed_network()
    net["loss"].backward(retain_graph=True)
    g = graph(net["loss"])
    w2 = next(n for n in g.tensor_nodes if n.label == "W2")
    # dL/dW2 = [[-0.00285258, -0.00294965]] (seed errata table)
    assert w2.grad == "[[-0.002853, -0.00295]]"
    assert "grad [[-0.002853, -0.00295]]" in g.dot
    assert "-0.002853" in g.svg
    b1 = next(n for n in g.tensor_nodes if n.label == "b1")
    assert b1.grad == "[[-0.0006105], [-0.000723]]"
    assert graph(net["loss"], show_grads=False).tensor_nodes[0].grad is None
    # Non-leaf tensors keep no .grad, so they show none.
    assert all(n.grad is None for n in g.tensor_nodes if n.role == "intermediate")


def test_graph_after_plain_backward_raises_clear_error():
    net = seed_network()
    net["loss"].backward()
    with pytest.raises(RuntimeError, match=r"before .*backward\(\).*retain_graph=True"):
        graph(net["loss"])


def test_graph_after_partial_release_raises():
    net = seed_network()
    net["a1"].sum().backward()  # frees the first layer's ops only
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        graph(net["loss"])


# --------------------------------------------------------------------------- names
class _FakeModule:
    def __init__(self, params):
        self._params = params

    def named_parameters(self):
        return iter(self._params)


@pytest.mark.parametrize("style", ["tensor_keys", "name_keys", "pairs", "module"])
def test_names_argument_styles(style):
    net = seed_network()
    net["W1"].name = None
    pairs = [("0.weight", net["W1"]), ("0.bias", net["b1"])]
    names = {
        "tensor_keys": {net["W1"]: "0.weight", net["b1"]: "0.bias"},
        "name_keys": dict(pairs),
        "pairs": iter(pairs),
        "module": _FakeModule(pairs),
    }[style]
    labels = {n.label for n in graph(net["loss"], names=names).tensor_nodes}
    assert {"0.weight", "0.bias", "W2"} <= labels and "b1" not in labels


def test_names_from_a_real_module():
    try:
        from backprop import nn
        model = nn.Linear(2, 3, rng=np.random.default_rng(0))
    except Exception as exc:  # the nn package is built in parallel; don't fail on its state
        pytest.skip(f"backprop.nn not usable here: {exc}")
    x = bp.Tensor(np.ones((4, 2), np.float32))
    out = model(x).sigmoid().sum()
    labels = {n.label for n in graph(out, names=model).tensor_nodes}
    assert {"weight", "bias"} <= labels


def test_bad_arguments():
    x = bp.Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match="Tensor"):
        graph(np.ones(2))
    with pytest.raises(TypeError, match=r"root\[1\]"):
        graph([x, 3])
    with pytest.raises(ValueError, match="empty"):
        graph([])
    with pytest.raises(ValueError, match="show_values"):
        graph(x, show_values="yes")
    with pytest.raises(ValueError, match="max_elements"):
        graph(x, max_elements=-1)
    with pytest.raises(TypeError, match="names"):
        graph(x, names=[("a", 1)])


# --------------------------------------------------------------------------- DOT
def test_dot_text_is_well_formed():
    g = graph(seed_network()["loss"])
    dot = g.dot
    assert dot.startswith("digraph") and "rankdir=LR" in dot
    for op in SEED_OPS:
        assert op in dot
    assert dot.count("{") == dot.count("}") == 1
    for n in g.nodes:
        assert re.search(rf'^\s*"{n.id}" \[label="', dot, re.M)
    assert len(re.findall(r"->", dot)) == SEED_EDGES


def _dot_strings_closed(dot: str) -> bool:
    """Every line's double-quoted strings are closed (escaped quotes skipped)."""
    for line in dot.splitlines():
        stripped = re.sub(r'\\.', "", line)
        if stripped.count('"') % 2:
            return False
    return True


def test_dot_and_svg_escape_awkward_names():
    name = 'w<"a" & \\b>{x}|\x01'
    w = bp.Tensor(np.array([1.0, 2.0]), requires_grad=True, name=name)
    g = graph(w.sigmoid())
    assert _dot_strings_closed(g.dot)
    assert '\\"a\\"' in g.dot and "\\\\b" in g.dot
    root, _, tensors, _ = svg_groups(g.svg)  # parses: &, <, quotes escaped, \x01 dropped
    texts = [all_text(t) for t in tensors]
    assert any(name.replace("\x01", "") in t for t in texts)


def test_dot_parses_with_pydot_if_installed():
    pydot = pytest.importorskip("pydot")
    (parsed,) = pydot.graph_from_dot_data(graph(seed_network()["loss"]).dot)
    assert len(parsed.get_edges()) == SEED_EDGES


# --------------------------------------------------------------------------- SVG
def test_svg_is_well_formed_with_one_group_per_node():
    g = graph(seed_network()["loss"])
    root, ops, tensors, edges = svg_groups(g.svg)
    assert root.tag == f"{SVG_NS}svg"
    assert len(ops) == 9 and len(tensors) == 16 and len(edges) == 24
    assert Counter(all_text(o) for o in ops) == SEED_OPS
    assert root.find(f"{SVG_NS}defs/{SVG_NS}marker") is not None
    width, height = float(root.get("width")), float(root.get("height"))
    assert width > 0 and height > 0
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    # Everything drawn lies inside the canvas.
    for rect in root.iter(f"{SVG_NS}rect"):
        x, y = float(rect.get("x")), float(rect.get("y"))
        assert 0 <= x and x + float(rect.get("width")) <= width + 1e-6
        assert 0 <= y and y + float(rect.get("height")) <= height + 1e-6
    for ell in root.iter(f"{SVG_NS}ellipse"):
        cx, cy, rx, ry = (float(ell.get(k)) for k in ("cx", "cy", "rx", "ry"))
        assert 0 <= cx - rx and cx + rx <= width + 1e-6 and 0 <= cy - ry and cy + ry <= height + 1e-6
    assert g._repr_svg_() == g.svg


def test_layout_invariants_for_seed_network():
    g = graph(seed_network()["loss"])
    lay = svg_layout.layout(g.nodes, g.edges)
    index = {n.id: i for i, n in enumerate(g.nodes)}
    for e in g.edges:  # left to right
        assert lay.x[index[e.source]] < lay.x[index[e.target]]
        assert lay.layer[index[e.source]] < lay.layer[index[e.target]]
    for row in lay.layers:  # no overlaps within a layer, order respected
        real = [v for v in row if v < lay.n_real]
        for a, b in zip(real, real[1:]):
            assert lay.y[a] + lay.height[a] / 2 <= lay.y[b] - lay.height[b] / 2 + 1e-9
    assert lay.crossings == 0  # this network is drawable without crossings


def test_crossing_count_matches_brute_force():
    rng = np.random.default_rng(7)
    for _ in range(30):
        nodes, edges, layers = [], [], []
        for size in rng.integers(1, 5, size=3):
            ids = list(range(len(nodes), len(nodes) + int(size)))
            layers.append(ids)
            nodes.extend([GraphNode(id=f"n{i}", kind="tensor", label="", role="constant", lines=("x",))
                          for i in ids])
        pairs = []
        for upper, lower in zip(layers, layers[1:]):
            for v in lower:  # every node below the first layer gets at least one input
                picks = [u for u in upper if rng.random() < 0.5] or [upper[0]]
                pairs.extend((u, v) for u in picks)
        edges = [GraphEdge(f"n{u}", f"n{v}") for u, v in pairs]
        lay = svg_layout._Layout(nodes, edges)
        lay.assign_layers()
        lay.add_dummies()
        assert [lay.layer[v] for v in range(len(nodes))] == [i for i, row in enumerate(layers) for _ in row]
        order = [[int(v) for v in rng.permutation(row)] for row in layers]
        position = [0] * len(nodes)
        for row in order:
            for i, v in enumerate(row):
                position[v] = i
        brute = sum(1 for i, (u1, v1) in enumerate(pairs) for (u2, v2) in pairs[i + 1:]
                    if lay.layer[u1] == lay.layer[u2]
                    and (position[u1] - position[u2]) * (position[v1] - position[v2]) < 0)
        assert lay._crossings(order, position) == brute


def test_long_chain_renders_fast_without_recursion():
    x = bp.Tensor(np.ones(3), requires_grad=True)
    h = x
    for _ in range(500):
        h = (h * 1.001).tanh()  # 1,000 ops
    out = h
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back
    old = sys.getrecursionlimit()
    start = time.perf_counter()
    sys.setrecursionlimit(depth + 200)  # a recursive walk over 1,000 ops would blow this
    try:
        g = graph(out)
        svg = g.svg
        dot = g.dot
    finally:
        sys.setrecursionlimit(old)
    elapsed = time.perf_counter() - start
    assert len(g.op_nodes) == 1000 and len(g.tensor_nodes) == 1 + 500 + 1000
    _, ops, tensors, _ = svg_groups(svg)
    assert len(ops) == 1000 and len(tensors) == 1501
    assert dot.count("->") == len(g.edges)
    assert elapsed < 5.0, f"graph + SVG + DOT of a 1,000-op chain took {elapsed:.2f}s"


# --------------------------------------------------------------------------- saving
@pytest.mark.parametrize("ext,prop", [(".svg", "svg"), (".dot", "dot"), (".gv", "dot"), (".SVG", "svg")])
def test_save_writes_by_extension(tmp_path, ext, prop):
    g = graph(seed_network()["loss"])
    path = tmp_path / f"net{ext}"
    assert g.save(path) == str(path)
    assert path.read_text(encoding="utf-8") == getattr(g, prop)
    assert os.listdir(tmp_path) == [path.name]  # no temporary file left behind


def test_save_overwrites_atomically_and_cleans_up_on_failure(tmp_path, monkeypatch):
    g = graph(seed_network()["loss"])
    path = tmp_path / "net.svg"
    path.write_text("old", encoding="utf-8")

    def boom(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk on fire"):
        g.save(path)
    assert path.read_text(encoding="utf-8") == "old"  # untouched
    assert os.listdir(tmp_path) == ["net.svg"]  # temporary file removed
    monkeypatch.undo()
    g.save(path)
    assert path.read_text(encoding="utf-8") == g.svg


@pytest.mark.parametrize("name", ["net.txt", "net", "net.pdf"])
def test_save_rejects_unknown_extensions(tmp_path, name):
    g = graph(seed_network()["loss"])
    ext = os.path.splitext(name)[1] or "(none)"
    with pytest.raises(ValueError, match=re.escape(ext)):
        g.save(tmp_path / name)
    assert os.listdir(tmp_path) == []


def test_save_png_without_cairosvg_suggests_svg(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "cairosvg", None)  # make the import fail
    g = graph(seed_network()["loss"])
    with pytest.raises(ImportError, match=r"cairosvg.*\.svg"):
        g.save(tmp_path / "net.png")
    assert os.listdir(tmp_path) == []


def test_render_with_cairosvg_if_installed(tmp_path):
    pytest.importorskip("cairosvg")
    g = graph(seed_network()["loss"])
    path = tmp_path / "net.png"
    g.save(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_render_with_svglib_if_installed(tmp_path):
    svg2rlg = pytest.importorskip("svglib.svglib").svg2rlg
    path = tmp_path / "net.svg"
    graph(seed_network()["loss"]).save(path)
    drawing = svg2rlg(str(path))
    assert drawing is not None and drawing.width > 0 and drawing.height > 0
