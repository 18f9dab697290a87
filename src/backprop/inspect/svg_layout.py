"""A small layered (Sugiyama-style) layout that draws a computation graph as SVG.

No Graphviz: the steps are the classic ones, each kept simple and iterative so a
10,000-node chain lays out in well under a second or two.

1. **Layering**: longest path from the inputs (every node one layer right of its latest
   input), then each source (a leaf) is pulled right to sit just before its first consumer,
   so constants do not stretch long edges across the picture.
2. **Dummy nodes** split edges that span several layers, so every edge joins adjacent layers.
3. **Ordering**: a few barycenter sweeps (down with predecessors, up with successors) reduce
   edge crossings; the ordering with the fewest crossings (counted with a Fenwick tree) wins.
4. **Coordinates**: x from the layer widths; y by pulling each node toward the mean of its
   neighbours while keeping the layer's order and spacing (the average of a top-down and a
   bottom-up packing, both of which satisfy the spacing constraints).
5. **Drawing**: boxes for tensors, ellipses for ops, each in ``<g class="node tensor|op">``;
   edges as cubic Bézier paths through their dummy points, ending in a ``<marker>`` arrow.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

FONT_SIZE = 11
CHAR_WIDTH = 6.6  # generous estimate of an average glyph width at FONT_SIZE (sans-serif)
LINE_HEIGHT = 14
PAD_X = 10
PAD_Y = 6
LAYER_GAP = 44
NODE_GAP = 16
DUMMY_GAP = 8
MARGIN = 16

_FILLS = {"parameter": "#dbeafe", "constant": "#f3f4f6", "intermediate": "#ffffff",
          "output": "#fde68a", "op": "#fce7f3"}
_STROKES = {"parameter": "#1d4ed8", "constant": "#6b7280", "intermediate": "#374151",
            "output": "#b45309", "op": "#9d174d"}


# Characters XML 1.0 forbids even when escaped (control characters, surrogates, U+FFFE/F).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """Escape for XML character data / attribute values, dropping characters XML forbids."""
    return escape(_XML_INVALID.sub("", text), {'"': "&quot;", "'": "&apos;"})


def _fmt(v: float) -> str:
    text = f"{v:.1f}"
    return text[:-2] if text.endswith(".0") else text


class _Layout:
    """Positions for real nodes (index < n_real) and dummy nodes (index >= n_real)."""

    def __init__(self, nodes, edges):
        self.nodes = nodes
        n = len(nodes)
        self.n_real = n
        index = {node.id: i for i, node in enumerate(nodes)}
        self.edges = [(index[e.source], index[e.target], e.input_index) for e in edges]
        self.width = []
        self.height = []
        for node in nodes:
            text_w = max((len(line) for line in node.lines), default=0) * CHAR_WIDTH
            text_h = max(len(node.lines), 1) * LINE_HEIGHT
            if node.kind == "op":  # an ellipse needs ~sqrt(2) more room than its text box
                self.width.append(text_w * 1.3 + 2 * PAD_X + 8)
                self.height.append(text_h * 1.3 + 2 * PAD_Y + 4)
            else:
                self.width.append(text_w + 2 * PAD_X)
                self.height.append(text_h + 2 * PAD_Y)

    # ------------------------------------------------------------------ 1. layering
    def assign_layers(self) -> None:
        n = self.n_real
        preds = [[] for _ in range(n)]
        succs = [[] for _ in range(n)]
        for u, v, _ in self.edges:
            succs[u].append(v)
            preds[v].append(u)
        indegree = [len(p) for p in preds]
        ready = [v for v in range(n) if indegree[v] == 0]
        topo = []
        while ready:  # Kahn's algorithm: iterative, and safe for any input order
            v = ready.pop()
            topo.append(v)
            for s in succs[v]:
                indegree[s] -= 1
                if indegree[s] == 0:
                    ready.append(s)
        if len(topo) != n:  # pragma: no cover - a recorded graph is always acyclic
            raise ValueError("graph layout: the graph has a cycle")
        layer = [0] * n
        for v in topo:
            for p in preds[v]:
                if layer[p] + 1 > layer[v]:
                    layer[v] = layer[p] + 1
        for v in range(n):
            if not preds[v] and succs[v]:
                layer[v] = max(0, min(layer[s] for s in succs[v]) - 1)
        self.layer = layer
        self.topo = topo

    # ------------------------------------------------------------------ 2. dummy nodes
    def add_dummies(self) -> None:
        self.routes = []  # per edge: the chain of node indices from source to target
        width, height, layer = self.width, self.height, self.layer
        for u, v, _ in self.edges:
            chain = [u]
            for lay in range(layer[u] + 1, layer[v]):
                d = len(layer)
                layer.append(lay)
                width.append(0.0)
                height.append(0.0)
                chain.append(d)
            chain.append(v)
            self.routes.append(chain)
        total = len(layer)
        self.preds = [[] for _ in range(total)]
        self.succs = [[] for _ in range(total)]
        # Port of each segment's lower end: an op's inputs enter top to bottom by argument
        # position, so ordering and crossing counts treat argument 0 as "above" argument 1.
        n_inputs = [0] * self.n_real
        for _, v, index in self.edges:
            if index is not None:
                n_inputs[v] += 1
        self.n_inputs = n_inputs
        self.port = {}
        for (_, v, index), chain in zip(self.edges, self.routes):
            for a, b in zip(chain, chain[1:]):
                self.succs[a].append(b)
                self.preds[b].append(a)
            if index is not None and n_inputs[v] > 1:
                self.port[(chain[-2], v)] = (index - (n_inputs[v] - 1) / 2) / n_inputs[v]

    # ------------------------------------------------------------------ 3. ordering
    def order_layers(self, sweeps: int = 4) -> None:
        n_layers = max(self.layer, default=-1) + 1
        layers = [[] for _ in range(n_layers)]
        # Initial order: topological order of real nodes, dummies right after their source.
        seen = set()
        sequence = []
        dummy_after = {}
        for chain in self.routes:
            dummy_after.setdefault(chain[0], []).extend(chain[1:-1])
        for v in self.topo:
            for w in [v] + dummy_after.get(v, []):
                if w not in seen:
                    seen.add(w)
                    sequence.append(w)
        for v in sequence:
            layers[self.layer[v]].append(v)
        position = [0] * len(self.layer)
        self._number(layers, position)
        port = self.port
        best = [list(lay) for lay in layers]
        best_crossings = self._crossings(layers, position)
        for _ in range(sweeps):
            if best_crossings == 0:
                break
            for downward in (True, False):
                span = range(1, n_layers) if downward else range(n_layers - 2, -1, -1)
                neighbours = self.preds if downward else self.succs
                for lay in span:
                    row = layers[lay]
                    keys = {}
                    for v in row:
                        nb = neighbours[v]
                        if not nb:
                            keys[v] = position[v]
                        elif downward:
                            keys[v] = sum(position[u] for u in nb) / len(nb)
                        else:
                            keys[v] = sum(position[u] + port.get((v, u), 0.0) for u in nb) / len(nb)
                    row.sort(key=keys.__getitem__)  # stable: ties keep their order
                    for i, v in enumerate(row):
                        position[v] = i
                crossings = self._crossings(layers, position)
                if crossings < best_crossings:
                    best_crossings = crossings
                    best = [list(lay) for lay in layers]
        self.layers = best
        self.position = position
        self._number(best, position)
        self.crossings = best_crossings

    @staticmethod
    def _number(layers, position) -> None:
        for row in layers:
            for i, v in enumerate(row):
                position[v] = i

    def _crossings(self, layers, position) -> int:
        """Edge crossings between adjacent layers: inversions counted with a Fenwick tree."""
        total = 0
        port = self.port
        for lay in range(len(layers) - 1):
            ends = [(position[u], (position[v], port.get((u, v), 0.0)))
                    for u in layers[lay] for v in self.succs[u]]
            rank = {key: i for i, key in enumerate(sorted({end for _, end in ends}))}
            pairs = sorted((a, rank[end]) for a, end in ends)
            size = len(rank)
            tree = [0] * (size + 1)
            seen = 0
            for _, b in pairs:
                # count earlier edges ending strictly below b (b' > b): they cross this one
                i, smaller_or_equal = b + 1, 0
                while i > 0:
                    smaller_or_equal += tree[i]
                    i -= i & -i
                total += seen - smaller_or_equal
                i = b + 1
                while i <= size:
                    tree[i] += 1
                    i += i & -i
                seen += 1
        return total

    # ------------------------------------------------------------------ 4. coordinates
    def place(self, iterations: int = 4) -> None:
        layers, width, height = self.layers, self.width, self.height
        x_left = []
        x = MARGIN
        for row in layers:
            x_left.append(x)
            layer_width = max((width[v] for v in row), default=0.0)
            x += layer_width + LAYER_GAP
        self.layer_width = [max((width[v] for v in row), default=0.0) for row in layers]
        self.x = [0.0] * len(self.layer)
        for lay, row in enumerate(layers):
            for v in row:
                self.x[v] = x_left[lay] + self.layer_width[lay] / 2
        y = [0.0] * len(self.layer)
        for row in layers:  # initial: stack each layer, centred on 0
            cursor = 0.0
            for i, v in enumerate(row):
                if i:
                    cursor += self._gap(row[i - 1], v)
                y[v] = cursor
            for v in row:
                y[v] -= cursor / 2
        for it in range(iterations):
            downward = it % 2 == 0
            span = range(len(layers)) if downward else range(len(layers) - 1, -1, -1)
            neighbours = self.preds if downward else self.succs
            for lay in span:
                row = layers[lay]
                want = []
                for v in row:
                    nb = neighbours[v]
                    want.append(sum(y[u] for u in nb) / len(nb) if nb else y[v])
                self._pack(row, want, y)
        top = min((y[v] - height[v] / 2 for v in range(len(y))), default=0.0)
        shift = MARGIN - top
        self.y = [value + shift for value in y]
        self.total_width = x - LAYER_GAP + MARGIN if layers else 2 * MARGIN
        bottom = max((self.y[v] + height[v] / 2 for v in range(len(y))), default=0.0)
        self.total_height = bottom + MARGIN

    def _gap(self, a: int, b: int) -> float:
        gap = DUMMY_GAP if (a >= self.n_real or b >= self.n_real) else NODE_GAP
        return self.height[a] / 2 + gap + self.height[b] / 2

    def _pack(self, row, want, y) -> None:
        """Place ``row`` (in order) near ``want`` with the spacing kept: mean of two packings."""
        k = len(row)
        if k == 0:
            return
        down = list(want)
        for i in range(1, k):
            down[i] = max(want[i], down[i - 1] + self._gap(row[i - 1], row[i]))
        up = list(want)
        for i in range(k - 2, -1, -1):
            up[i] = min(want[i], up[i + 1] - self._gap(row[i], row[i + 1]))
        for i, v in enumerate(row):
            y[v] = (down[i] + up[i]) / 2

    # ------------------------------------------------------------------ 5. drawing
    def _anchor_in(self, v: int, input_index, n_inputs: int):
        """Where an edge enters node ``v`` (left side); op inputs are spread out by argument."""
        x, y, w, h = self.x[v], self.y[v], self.width[v], self.height[v]
        if v >= self.n_real:
            return x, y
        dy = 0.0
        if input_index is not None and n_inputs > 1:
            step = min(10.0, h / (n_inputs + 1))
            dy = (input_index - (n_inputs - 1) / 2) * step
        if self.nodes[v].kind == "op":
            rx, ry = w / 2, h / 2
            ratio = min(abs(dy) / ry, 0.95) if ry else 0.0
            return x - rx * (1 - ratio * ratio) ** 0.5, y + dy
        return x - w / 2, y + dy

    def _anchor_out(self, v: int):
        if v >= self.n_real:
            return self.x[v], self.y[v]
        return self.x[v] + self.width[v] / 2, self.y[v]

    def draw(self) -> str:
        w, h = self.total_width, self.total_height
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{_fmt(w)}" height="{_fmt(h)}" '
            f'viewBox="0 0 {_fmt(w)} {_fmt(h)}" font-family="Helvetica, Arial, sans-serif" '
            f'font-size="{FONT_SIZE}">',
            "<defs>",
            '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
            'markerHeight="7" orient="auto-start-reverse">'
            '<path d="M 0 0 L 10 5 L 0 10 z" fill="#4b5563"/></marker>',
            "</defs>",
            f'<rect class="background" x="0" y="0" width="{_fmt(w)}" height="{_fmt(h)}" fill="#ffffff"/>',
        ]
        n_inputs = self.n_inputs
        out.append('<g class="edges">')
        for (u, v, index), chain in zip(self.edges, self.routes):
            points = [self._anchor_out(u)]
            points.extend((self.x[d], self.y[d]) for d in chain[1:-1])
            points.append(self._anchor_in(v, index, n_inputs[v]))
            d = [f"M {_fmt(points[0][0])} {_fmt(points[0][1])}"]
            for (ax, ay), (bx, by) in zip(points, points[1:]):
                half = (bx - ax) / 2
                d.append(f"C {_fmt(ax + half)} {_fmt(ay)} {_fmt(bx - half)} {_fmt(by)} {_fmt(bx)} {_fmt(by)}")
            source, target = self.nodes[u].id, self.nodes[v].id
            out.append(
                f'<g class="edge" data-source="{source}" data-target="{target}">'
                f'<path d="{" ".join(d)}" fill="none" stroke="#4b5563" stroke-width="1.2" '
                'marker-end="url(#arrow)"/></g>'
            )
        out.append("</g>")
        out.append('<g class="nodes">')
        for v, node in enumerate(self.nodes):
            out.append(self._draw_node(v, node))
        out.append("</g>")
        out.append("</svg>")
        return "\n".join(out) + "\n"

    def _draw_node(self, v: int, node) -> str:
        x, y, w, h = self.x[v], self.y[v], self.width[v], self.height[v]
        fill, stroke = _FILLS.get(node.role, "#ffffff"), _STROKES.get(node.role, "#374151")
        kind = "op" if node.kind == "op" else "tensor"
        parts = [f'<g class="node {kind}" id="{_xml_text(node.id)}" data-role="{_xml_text(node.role)}">',
                 f"<title>{_xml_text(' | '.join(node.lines))}</title>"]
        if kind == "op":
            parts.append(f'<ellipse cx="{_fmt(x)}" cy="{_fmt(y)}" rx="{_fmt(w / 2)}" ry="{_fmt(h / 2)}" '
                         f'fill="{fill}" stroke="{stroke}"/>')
        else:
            parts.append(f'<rect x="{_fmt(x - w / 2)}" y="{_fmt(y - h / 2)}" width="{_fmt(w)}" '
                         f'height="{_fmt(h)}" rx="4" fill="{fill}" stroke="{stroke}"/>')
        lines = node.lines or ("",)
        first = y - (len(lines) - 1) * LINE_HEIGHT / 2 + FONT_SIZE * 0.35
        for i, line in enumerate(lines):
            bold = ' font-weight="bold"' if i == 0 and (kind == "op" or node.label) else ""
            parts.append(f'<text x="{_fmt(x)}" y="{_fmt(first + i * LINE_HEIGHT)}" '
                         f'text-anchor="middle"{bold}>{_xml_text(line)}</text>')
        parts.append("</g>")
        return "".join(parts)


def layout(nodes, edges) -> _Layout:
    """Run the layout steps 1-4 and return the positioned layout (for tests and tools)."""
    lay = _Layout(nodes, edges)
    lay.assign_layers()
    lay.add_dummies()
    lay.order_layers()
    lay.place()
    return lay


def render_svg(nodes, edges) -> str:
    """Lay out ``nodes`` and ``edges`` (GraphNode / GraphEdge) and return an SVG document."""
    return layout(nodes, edges).draw()
