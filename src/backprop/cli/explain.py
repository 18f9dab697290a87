"""``backprop explain``: one training iteration of a small network, every number shown.

The numbers are computed twice:

1. explicitly, from the seeds' equations in NumPy float64 (column vectors, one sample)::

       z[l] = W[l] a[l-1] + b[l],   a[l] = σ(z[l])                       forward
       δ[L] = ∇aJ ⊙ σ'(z[L])                                             BP1
       δ[l] = (W[l+1])ᵀ δ[l+1] ⊙ σ'(z[l])                                BP2
       ∂J/∂b[l] = δ[l]                                                   BP3
       ∂J/∂W[l] = δ[l] (a[l-1])ᵀ                                          BP4
       W ← W − α ∂J/∂W,  b ← b − α ∂J/∂b                                  update

2. by the library's autograd engine (the same network built from ``backprop`` tensors,
   ``loss.backward()``), and the two are compared.

:func:`explain_network` returns both as arrays (the tests use it); :func:`main` prints them.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field

import numpy as np

from . import common as C

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")
LOSSES = ("mse", "bce", "cross_entropy")

#: the seeds' worked example (000): a 2-2-1 sigmoid network, J = ½ (y − a)², α = 0.1
WORKED_EXAMPLE = {
    "weights": [np.array([[0.2, 0.3], [0.1, 0.4]]), np.array([[0.5, 0.6]])],
    "biases": [np.array([0.1, 0.2]), np.array([0.1])],
    "x": np.array([0.5, 0.3]),
    "y": np.array([0.7]),
    "lr": 0.1,
}

TOLERANCE = 1e-10

EPILOG = """\
Examples:
  backprop explain                                   # the seeds' 2-2-1 example, z[2] = 0.7409
  backprop explain --lr 0.5                          # same network, another learning rate
  backprop explain --layers 3,4,2 --activation tanh --loss cross_entropy --seed 1
  backprop explain --layers 2,3,1 --input 1,-1 --target 1 --loss bce
  backprop explain --graph worked_example.svg        # also draw the computational graph

--layers lists every layer's size, input and output included (2,2,1 is the worked example).
Without --layers the weights are those of the seeds' worked example; with it they are drawn
(uniform in [-1, 1], rounded to 2 decimals) from --seed.
"""

UNICODE = {"delta": "δ", "had": "⊙", "T": "ᵀ", "d": "∂", "alpha": "α", "arrow": "←", "sigma": "σ",
           "half": "½", "sum": "Σ", "nabla": "∇", "times": "×", "minus": "−", "approx": "≈", "dot": "·"}
ASCII = {"delta": "delta", "had": "*", "T": "^T", "d": "d", "alpha": "lr", "arrow": "<-", "sigma": "f",
         "half": "1/2", "sum": "sum", "nabla": "grad_", "times": "*", "minus": "-", "approx": "~", "dot": "*"}


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "explain", help="one training step of a tiny network, every number shown",
        description="Print one full training iteration of a small network: the forward pass,\n"
                    "the loss, the four backpropagation equations (BP1-BP4) with their numbers and\n"
                    "the gradient-descent update, then check every number against autograd.",
        epilog=EPILOG)
    p.add_argument("--layers", type=lambda v: C.int_list(v, minimum_length=2, what="--layers (all layer sizes)"),
                   default=None, metavar="SIZES",
                   help="layer sizes including input and output, e.g. 3,4,2 (default: the worked example 2,2,1)")
    p.add_argument("--activation", type=C.choice(ACTIVATIONS, "activation"), default="sigmoid",
                   help=f"activation of the hidden layers: {', '.join(ACTIVATIONS)} (default sigmoid)")
    p.add_argument("--output-activation", type=C.choice(ACTIVATIONS, "output activation"), default=None,
                   metavar="NAME", help="activation of the output layer with --loss mse (default: --activation); "
                                        "bce uses sigmoid, cross_entropy softmax")
    p.add_argument("--loss", type=C.choice(LOSSES, "loss", {"ce": "cross_entropy", "crossentropy": "cross_entropy"}),
                   default="mse", help="mse (J = ½ Σ (y − a)², the seeds'), bce or cross_entropy (default mse)")
    p.add_argument("--input", type=_floats("--input"), default=None, metavar="X",
                   help="input vector, e.g. 0.5,0.3 (default: the example's, or drawn from --seed)")
    p.add_argument("--target", type=_floats("--target"), default=None, metavar="Y",
                   help="target: a vector for mse/bce, a class index (or one-hot vector) for cross_entropy")
    p.add_argument("--lr", type=C.positive_float, default=None, help="learning rate α (default 0.1)")
    p.add_argument("--seed", type=C.nonnegative_int, default=0, help="seed of the random weights (default 0)")
    p.add_argument("--graph", default=None, metavar="FILE",
                   help="also draw the computational graph (backprop.inspect.graph) to FILE (.svg or .dot)")
    p.add_argument("--ascii", action="store_true", help="ASCII names (delta, lr, ...) instead of δ, α, ∂")
    C.add_common_flags(p)
    p.set_defaults(func=main)
    return p


def _floats(what):
    def parse(value):
        try:
            items = [float(v) for v in str(value).replace(";", ",").split(",") if v.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be comma-separated numbers like 0.5,0.3, "
                                             f"got {value!r}") from None
        if not items or not all(np.isfinite(items)):
            raise argparse.ArgumentTypeError(f"{what} must be finite numbers, got {value!r}")
        return items
    return parse


# ============================================================================ the mathematics
def activate(name: str, z: np.ndarray) -> np.ndarray:
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, 0.01 * z)
    if name == "identity":
        return z.copy()
    if name == "softmax":
        e = np.exp(z - z.max())
        return e / e.sum()
    raise ValueError(f"unknown activation {name!r}")


def derivative(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """σ'(z), written with the output a where that is the textbook form."""
    if name == "sigmoid":
        return a * (1.0 - a)
    if name == "tanh":
        return 1.0 - a ** 2
    if name == "relu":
        return (z > 0).astype(np.float64)  # 0 at z = 0 (the library's and PyTorch's choice)
    if name == "leaky_relu":
        return np.where(z > 0, 1.0, 0.01)
    if name == "identity":
        return np.ones_like(z)
    raise ValueError(f"no elementwise derivative for {name!r}")


DERIVATIVE_TEXT = {"sigmoid": "a{l} {had} (1 {minus} a{l})", "tanh": "1 {minus} a{l}{had}a{l}",
                   "relu": "1 where z{l} > 0, else 0", "leaky_relu": "1 where z{l} > 0, else 0.01",
                   "identity": "1"}


def loss_value(loss: str, a: np.ndarray, y: np.ndarray) -> float:
    if loss == "mse":
        return float(0.5 * np.sum((y - a) ** 2))
    if loss == "bce":
        return float(-np.sum(y * np.log(a) + (1 - y) * np.log(1 - a)))
    return float(-np.sum(y * np.log(a)))  # cross-entropy of a softmax output, y one-hot


@dataclass
class Explanation:
    """Every number of one training iteration (lists indexed by layer; index 0 is the input)."""

    sizes: list
    activation: str
    output_activation: str
    loss_name: str
    lr: float
    x: np.ndarray
    y: np.ndarray
    weights: list                 # W[1..L] at index 1..L (index 0 None)
    biases: list
    z: list                       # z[1..L]
    a: list                       # a[0] = x .. a[L]
    loss: float
    grad_a: np.ndarray            # ∇aJ at the output
    sigma_prime: list             # σ'(z[l]) (None for a softmax output)
    delta: list                   # δ[1..L]
    backprop_term: list           # (W[l+1])ᵀ δ[l+1] for hidden layers
    grad_W: list
    grad_b: list
    new_weights: list
    new_biases: list
    new_loss: float = float("nan")
    autograd: dict = field(default_factory=dict)
    max_difference: float = float("nan")
    worked_example: bool = False

    @property
    def n_layers(self) -> int:
        return len(self.sizes) - 1


def explain_network(sizes=None, *, activation="sigmoid", output_activation=None, loss="mse", x=None, y=None,
                    lr=None, seed=0, weights=None, biases=None) -> Explanation:
    """Compute one training iteration explicitly (NumPy float64) and with autograd.

    Parameters
    ----------
    sizes : list of int, optional
        Layer sizes including input and output; None means the seeds' worked example.
    activation : str
        Hidden activation (``sigmoid``, ``tanh``, ``relu``, ``leaky_relu``, ``identity``).
    output_activation : str, optional
        Output activation for ``mse`` (default ``activation``); ``bce`` uses sigmoid and
        ``cross_entropy`` softmax.
    loss : {'mse', 'bce', 'cross_entropy'}
        ``mse`` is the seeds' J = ½ Σ (y − a)²; ``bce`` J = −Σ [y log a + (1 − y) log(1 − a)];
        ``cross_entropy`` J = −Σ y_k log softmax(z)_k.
    x, y : sequence of float, optional
        Input and target (for ``cross_entropy``: a class index or a one-hot vector).
    lr : float, optional
        Learning rate α (default 0.1).
    seed : int
        Seed of random weights / inputs / targets when they are not given.
    weights, biases : lists of arrays, optional
        W[1..L] (shape (n_l, n_{l-1})) and b[1..L]; drawn from ``seed`` when omitted.
    """
    worked = sizes is None and weights is None
    if worked:
        sizes = [2, 2, 1]
        weights = [w.copy() for w in WORKED_EXAMPLE["weights"]]
        biases = [b.copy() for b in WORKED_EXAMPLE["biases"]]
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or any(s <= 0 for s in sizes):
        raise C.CLIError(f"--layers needs at least two positive sizes (input and output), got {sizes}")
    if max(sizes) > 64 or len(sizes) > 8:
        raise C.CLIError(f"--layers {','.join(map(str, sizes))}: explain prints every number, so keep the "
                         "network small (at most 8 layers of at most 64 units)")
    rng = np.random.default_rng(seed)
    L = len(sizes) - 1
    if weights is None:
        weights = [np.round(rng.uniform(-1, 1, size=(sizes[l], sizes[l - 1])), 2) for l in range(1, L + 1)]
        biases = [np.round(rng.uniform(-1, 1, size=sizes[l]), 2) for l in range(1, L + 1)]
    weights = [None] + [np.asarray(w, dtype=np.float64) for w in weights]
    biases = [None] + [np.asarray(b, dtype=np.float64) for b in biases]
    if loss == "bce":
        output_activation = "sigmoid"
    elif loss == "cross_entropy":
        output_activation = "softmax"
    else:
        output_activation = output_activation or activation
    n_in, n_out = sizes[0], sizes[-1]

    if x is None:
        x = WORKED_EXAMPLE["x"] if worked else np.round(rng.uniform(-1, 1, size=n_in), 2)
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    if x.size != n_in:
        raise C.CLIError(f"--input has {x.size} values, but the network's input layer has {n_in} units")
    y = _target(y, loss, n_out, output_activation, rng, worked)
    lr = WORKED_EXAMPLE["lr"] if lr is None else float(lr)

    # ---- forward: z[l] = W[l] a[l-1] + b[l], a[l] = σ(z[l])
    z, a = [None], [x]
    for l in range(1, L + 1):
        z.append(weights[l] @ a[l - 1] + biases[l])
        a.append(activate(activation if l < L else output_activation, z[l]))
    J = loss_value(loss, a[L], y)

    # ---- backward
    sigma_prime = [None] * (L + 1)
    delta = [None] * (L + 1)
    term = [None] * (L + 1)
    if loss == "mse":
        grad_a = a[L] - y
    elif loss == "bce":
        grad_a = (a[L] - y) / (a[L] * (1.0 - a[L]))
    else:
        grad_a = -y / a[L]
    if output_activation == "softmax":
        delta[L] = a[L] - y  # J_softmaxᵀ ∇aJ collapses to a − y
    else:
        sigma_prime[L] = derivative(output_activation, z[L], a[L])
        delta[L] = grad_a * sigma_prime[L]                                   # BP1
    for l in range(L - 1, 0, -1):
        sigma_prime[l] = derivative(activation, z[l], a[l])
        term[l] = weights[l + 1].T @ delta[l + 1]
        delta[l] = term[l] * sigma_prime[l]                                  # BP2
    grad_b = [None] + [delta[l].copy() for l in range(1, L + 1)]             # BP3
    grad_W = [None] + [np.outer(delta[l], a[l - 1]) for l in range(1, L + 1)]  # BP4
    new_W = [None] + [weights[l] - lr * grad_W[l] for l in range(1, L + 1)]
    new_b = [None] + [biases[l] - lr * grad_b[l] for l in range(1, L + 1)]

    # the loss after the step (forward pass with the new weights)
    h = x
    for l in range(1, L + 1):
        h = activate(activation if l < L else output_activation, new_W[l] @ h + new_b[l])
    new_J = loss_value(loss, h, y)

    result = Explanation(sizes, activation, output_activation, loss, lr, x, y, weights, biases, z, a, J, grad_a,
                         sigma_prime, delta, term, grad_W, grad_b, new_W, new_b, new_J, worked_example=worked)
    result.autograd = autograd_check(result)
    diffs = [abs(result.autograd["loss"] - J)]
    for l in range(1, L + 1):
        for mine, theirs in ((z[l], result.autograd["z"][l]), (a[l], result.autograd["a"][l]),
                             (delta[l], result.autograd["delta"][l]), (grad_W[l], result.autograd["grad_W"][l]),
                             (grad_b[l], result.autograd["grad_b"][l])):
            diffs.append(float(np.max(np.abs(mine - theirs))))
    result.max_difference = max(diffs)
    return result


def _target(y, loss, n_out, output_activation, rng, worked):
    if loss == "cross_entropy":
        if n_out < 2:
            raise C.CLIError("--loss cross_entropy needs an output layer of at least 2 units (one per class)")
        if y is None:
            y = [int(rng.integers(n_out))]
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        if y.size == 1:
            k = y[0]
            if not (k == int(k) and 0 <= k < n_out):
                raise C.CLIError(f"--target for cross_entropy is a class index 0..{n_out - 1} or a one-hot "
                                 f"vector of {n_out} values, got {y.tolist()}")
            y = np.eye(n_out)[int(k)]
        if y.size != n_out or not np.isclose(y.sum(), 1) or (y < 0).any():
            raise C.CLIError(f"--target for cross_entropy must be a class index or {n_out} probabilities "
                             f"summing to 1, got {y.tolist()}")
        return y
    if y is None:
        if worked:
            return WORKED_EXAMPLE["y"].copy()
        if loss == "bce":
            return rng.integers(0, 2, size=n_out).astype(np.float64)
        low = -1.0 if output_activation in ("tanh", "identity", "leaky_relu") else 0.0
        return np.round(rng.uniform(low, 1, size=n_out), 2)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if y.size != n_out:
        raise C.CLIError(f"--target has {y.size} values, but the network's output layer has {n_out} units")
    if loss == "bce" and ((y < 0) | (y > 1)).any():
        raise C.CLIError(f"--target for bce must be in [0, 1], got {y.tolist()}")
    return y


def build_autograd(ex: Explanation):
    """The same network from ``backprop`` tensors: returns (loss, named tensors, z tensors, a tensors)."""
    import backprop as bp
    from .. import nn

    L = ex.n_layers
    named = {}
    W = [None] + [bp.Tensor(ex.weights[l], requires_grad=True, dtype=np.float64, name=f"W[{l}]")
                  for l in range(1, L + 1)]
    b = [None] + [bp.Tensor(ex.biases[l], requires_grad=True, dtype=np.float64, name=f"b[{l}]")
                  for l in range(1, L + 1)]
    x = bp.Tensor(ex.x, dtype=np.float64, name="x = a[0]")
    named["x = a[0]"] = x
    z_t, a_t = [None], [x]
    for l in range(1, L + 1):
        named[f"W[{l}]"], named[f"b[{l}]"] = W[l], b[l]
        z = (W[l] @ a_t[l - 1] + b[l]).retain_grad()
        z.name = f"z[{l}]"
        named[f"z[{l}]"] = z
        z_t.append(z)
        name = ex.activation if l < L else ex.output_activation
        if name == "softmax":
            a = z.softmax(axis=-1)
        else:
            a = nn.get_activation(name)(z)
        a.name = f"a[{l}]"
        named[f"a[{l}]"] = a
        a_t.append(a)
    y = ex.y
    if ex.loss_name == "mse":
        J = 0.5 * nn.MSELoss(reduction="sum")(a_t[L], y)      # the seeds' ½ Σ (y − a)²
    elif ex.loss_name == "bce":
        J = nn.BCELoss(reduction="sum")(a_t[L], y)
    else:  # the fused log-softmax + NLL op, from the logits z[L]
        J = nn.CrossEntropyLoss(reduction="sum")(z_t[L].reshape(1, -1), y.reshape(1, -1))
    J.name = "J"
    named["J"] = J
    return J, named, z_t, a_t, W, b


def autograd_check(ex: Explanation) -> dict:
    J, _, z_t, a_t, W, b = build_autograd(ex)
    J.backward()
    L = ex.n_layers
    return {"loss": float(J.item()),
            "z": [None] + [z_t[l].data.copy() for l in range(1, L + 1)],
            "a": [ex.x] + [a_t[l].data.copy() for l in range(1, L + 1)],
            "delta": [None] + [np.asarray(z_t[l].grad).copy() for l in range(1, L + 1)],
            "grad_W": [None] + [np.asarray(W[l].grad).copy() for l in range(1, L + 1)],
            "grad_b": [None] + [np.asarray(b[l].grad).copy() for l in range(1, L + 1)]}


# ============================================================================ printing
def fmt(array, decimals: int = 8) -> str:
    """``[0.57199613, 0.59145898]`` / ``[[...], [...]]`` with a fixed number of decimals."""
    def nested(v):
        if isinstance(v, list):
            return "[" + ", ".join(nested(u) for u in v) + "]"
        v = 0.0 if v == 0 else v  # no "-0.00000000"
        return f"{v:.{decimals}f}"
    return nested(np.asarray(array, dtype=np.float64).tolist())


def _n(v: float) -> str:
    return f"{(0.0 if v == 0 else v):.4f}"


def render(ex: Explanation, s: dict) -> str:
    lines = []
    out = lines.append
    L = ex.n_layers
    d, delta, T, had, minus = s["d"], s["delta"], s["T"], s["had"], s["minus"]
    alpha, sigma = s["alpha"], s["sigma"]
    shape = "-".join(map(str, ex.sizes))
    title = (f"One training iteration of the seeds' worked example: a {shape} network"
             if ex.worked_example else f"One training iteration of a {shape} network")
    out(title)
    out("=" * len(title))
    acts = (f"{sigma} = {ex.activation} in every layer" if ex.output_activation == ex.activation
            else f"{sigma} = {ex.activation} in the hidden layers, {ex.output_activation} at the output")
    loss_text = {"mse": f"J = {s['half']} {s['sum']} (y {minus} a[{L}])^2",
                 "bce": f"J = {minus}{s['sum']} [y log a[{L}] + (1 {minus} y) log(1 {minus} a[{L}])]",
                 "cross_entropy": f"J = {minus}{s['sum']} y log a[{L}],  a[{L}] = softmax(z[{L}])"}[ex.loss_name]
    out(f"{acts};  loss {loss_text};  learning rate {alpha} = {ex.lr:g}")
    out("One sample as a column vector, a[0] = x; W[l] has one row per neuron of layer l.")
    out("")
    out("Parameters")
    for l in range(1, L + 1):
        out(f"  W[{l}] = {fmt(ex.weights[l])}    b[{l}] = {fmt(ex.biases[l])}")
    out(f"  x = a[0] = {fmt(ex.x)}    y = {fmt(ex.y)}")
    out("")

    out(f"1. Forward pass:   z[l] = W[l] a[l-1] + b[l],   a[l] = {sigma}(z[l])")
    for l in range(1, L + 1):
        name = ex.activation if l < L else ex.output_activation
        out(f"  z[{l}] = W[{l}] a[{l - 1}] + b[{l}] = {fmt(ex.z[l])}")
        if ex.sizes[l - 1] <= 4 and ex.sizes[l] <= 4:
            for i in range(ex.sizes[l]):
                terms = " + ".join(f"{_n(ex.weights[l][i, j])}{s['times']}{_n(ex.a[l - 1][j])}"
                                   for j in range(ex.sizes[l - 1]))
                label = f"z[{l}]" if ex.sizes[l] == 1 else f"z[{l}]_{i + 1}"
                out(f"      {label} = {terms} + {_n(ex.biases[l][i])} = {_n(ex.z[l][i])}")
        func = "softmax" if name == "softmax" else f"{sigma}" if name == ex.activation and sigma != name else name
        out(f"  a[{l}] = {func}(z[{l}]) = {fmt(ex.a[l])}")
    if ex.worked_example:
        out(f"  (the seed prints z[2] = 0.64, an arithmetic slip: z[2] = {_n(ex.z[2][0])})")
    out("")

    out(f"2. Loss:   {loss_text}")
    if ex.loss_name == "mse" and ex.sizes[-1] <= 4:
        parts = " + ".join(f"({_n(ex.y[i])} {minus} {_n(ex.a[L][i])})^2" for i in range(ex.sizes[-1]))
        out(f"  J = {s['half']} [{parts}] = {ex.loss:.8f}")
    else:
        out(f"  J = {ex.loss:.8f}")
    out("")

    out(f"3. Backward pass ({delta}[l] = {d}J/{d}z[l], the error of layer l)")
    if ex.output_activation == "softmax":
        out(f"  BP1   {delta}[L] = {s['nabla']}aJ {had} {sigma}'(z[L]); with softmax + cross-entropy the softmax "
            f"Jacobian folds in: {delta}[{L}] = a[{L}] {minus} y")
        out(f"    {delta}[{L}] = {fmt(ex.a[L])} {minus} {fmt(ex.y)} = {fmt(ex.delta[L])}")
    else:
        out(f"  BP1   {delta}[L] = {s['nabla']}aJ {had} {sigma}'(z[L])")
        grad_text = {"mse": f"a[{L}] {minus} y", "bce": f"(a[{L}] {minus} y) / (a[{L}] (1 {minus} a[{L}]))"}
        out(f"    {s['nabla']}aJ = {grad_text[ex.loss_name]} = {fmt(ex.grad_a)}")
        deriv = DERIVATIVE_TEXT[ex.output_activation].format(l=f"[{L}]", **s)
        out(f"    {sigma}'(z[{L}]) = {deriv} = {fmt(ex.sigma_prime[L])}")
        out(f"    {delta}[{L}] = {fmt(ex.grad_a)} {had} {fmt(ex.sigma_prime[L])} = {fmt(ex.delta[L])}")
    if L > 1:
        out(f"  BP2   {delta}[l] = (W[l+1]){T} {delta}[l+1] {had} {sigma}'(z[l])")
        for l in range(L - 1, 0, -1):
            out(f"    (W[{l + 1}]){T} {delta}[{l + 1}] = {fmt(ex.backprop_term[l])}")
            deriv = DERIVATIVE_TEXT[ex.activation].format(l=f"[{l}]", **s)
            out(f"    {sigma}'(z[{l}]) = {deriv} = {fmt(ex.sigma_prime[l])}")
            out(f"    {delta}[{l}] = {fmt(ex.backprop_term[l])} {had} {fmt(ex.sigma_prime[l])} = {fmt(ex.delta[l])}")
    out(f"  BP3   {d}J/{d}b[l] = {delta}[l]")
    for l in range(L, 0, -1):
        out(f"    {d}J/{d}b[{l}] = {fmt(ex.grad_b[l])}")
    out(f"  BP4   {d}J/{d}W[l] = {delta}[l] (a[l-1]){T}")
    for l in range(L, 0, -1):
        out(f"    {d}J/{d}W[{l}] = {fmt(ex.delta[l])} {fmt(ex.a[l - 1])}{T} = {fmt(ex.grad_W[l])}")
    out("")

    out(f"4. Update:   W {s['arrow']} W {minus} {alpha} {d}J/{d}W,   b {s['arrow']} b {minus} {alpha} {d}J/{d}b   "
        f"({alpha} = {ex.lr:g})")
    for l in range(L, 0, -1):
        out(f"  W[{l}] = {fmt(ex.weights[l])} {minus} {ex.lr:g} {s['times']} {fmt(ex.grad_W[l])}")
        out(f"       = {fmt(ex.new_weights[l])}")
        out(f"  b[{l}] = {fmt(ex.new_biases[l])}")
    change = "down" if ex.new_loss < ex.loss else "up (try a smaller learning rate)"
    out(f"  loss with the new weights: J = {ex.new_loss:.8f} (was {ex.loss:.8f}: {change})")
    out("")

    out("5. Check: the same network built from backprop tensors, loss.backward()")
    verdict = "agrees" if ex.max_difference <= TOLERANCE else "DISAGREES"
    out(f"  autograd {verdict}: max |difference| = {ex.max_difference:.3g} over z, a, J, every {delta} and every "
        f"gradient (tolerance {TOLERANCE:g})")
    return "\n".join(lines)


def symbols(force_ascii: bool = False, stream=None) -> dict:
    """Greek letters where the output can encode them, ASCII names elsewhere."""
    if force_ascii:
        return ASCII
    encoding = getattr(stream or sys.stdout, "encoding", None) or "ascii"
    try:
        "".join(UNICODE.values()).encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return ASCII
    return UNICODE


def main(args) -> int:
    sizes, weights, biases, x, y = args.layers, None, None, args.input, args.target
    if sizes is None and (args.activation != "sigmoid" or args.loss != "mse" or args.output_activation):
        # another activation or loss on the worked example's network (same weights, input, target)
        if args.loss == "cross_entropy":
            raise C.CLIError("--loss cross_entropy needs at least 2 output units: pass --layers, e.g. 2,3,2")
        sizes = [2, 2, 1]
        weights = [w.copy() for w in WORKED_EXAMPLE["weights"]]
        biases = [b.copy() for b in WORKED_EXAMPLE["biases"]]
        x = WORKED_EXAMPLE["x"] if x is None else x
        y = WORKED_EXAMPLE["y"] if y is None else y
    ex = explain_network(sizes, activation=args.activation, output_activation=args.output_activation,
                         loss=args.loss, x=x, y=y, lr=args.lr, seed=args.seed, weights=weights, biases=biases)
    print(render(ex, symbols(args.ascii)))
    if args.graph:
        J, named, *_ = build_autograd(ex)
        from ..inspect import graph
        J.backward(retain_graph=True)
        path = graph(J, names={v: k for k, v in named.items() if v is not None}).save(args.graph)
        print(f"wrote the computational graph to {path}")
    return 0 if ex.max_difference <= TOLERANCE else 1
