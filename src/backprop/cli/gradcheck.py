"""``backprop gradcheck``: compare backpropagation's gradients with finite differences.

For every parameter θ of a small float64 network, the numeric gradient is the central
difference (J(θ + ε e_i) − J(θ − ε e_i)) / 2ε, element by element; the table shows
``max |analytic − numeric| / max(max |numeric|, tiny)`` per parameter.  The whole model
is also checked with :func:`backprop.inspect.gradcheck`.  Exit status 0 when everything
agrees, 1 when a gradient is wrong.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np

from . import common as C

ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "elu", "gelu", "softplus", "identity")
LOSSES = ("mse", "mae", "huber", "smooth_l1", "bce", "bce_with_logits", "cross_entropy")
TINY = 1e-12
#: below this the numeric gradient is "zero": a relative error means nothing there, the absolute one is used
ZERO_GRADIENT = 1e-8

EPILOG = """\
Examples:
  backprop gradcheck                                            # 4-8-3 tanh net, cross-entropy
  backprop gradcheck --layers 5,16,16,2 --activation relu --loss bce_with_logits
  backprop gradcheck --layers 3,6,1 --loss mse --batch-norm --dropout 0.3
  backprop gradcheck --eps 1e-5 --tolerance 1e-4

--layers lists every layer's size, input and output included.  Dropout uses one fixed mask
(drawn from --seed) so that the loss is a deterministic function of the weights; batch norm
runs in training mode (batch statistics), the mode whose gradients backprop computes.
Exit status: 0 every gradient agrees, 1 a gradient is wrong, 2 bad arguments.
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "gradcheck", help="check backprop's gradients against finite differences",
        description="Check the analytic gradients (backpropagation) of a small float64 network\n"
                    "against central finite differences, parameter by parameter.",
        epilog=EPILOG)
    p.add_argument("--layers", type=lambda v: C.int_list(v, minimum_length=2, what="--layers (all layer sizes)"),
                   default=[4, 8, 3], metavar="SIZES", help="layer sizes including input and output (default 4,8,3)")
    p.add_argument("--activation", type=C.choice(ACTIVATIONS, "activation"), default="tanh",
                   help=f"{', '.join(ACTIVATIONS)} (default tanh)")
    p.add_argument("--loss", type=C.choice(LOSSES, "loss", {"ce": "cross_entropy", "l1": "mae"}),
                   default="cross_entropy", help=f"{', '.join(LOSSES)} (default cross_entropy)")
    p.add_argument("--batch-norm", action="store_true", help="BatchNorm1d after each hidden Linear layer")
    p.add_argument("--dropout", type=C.fraction, default=0.0, metavar="P", help="dropout with a fixed mask")
    p.add_argument("--batch-size", type=C.positive_int, default=4, metavar="N", help="samples in the batch (default 4)")
    p.add_argument("--eps", type=C.positive_float, default=1e-6, help="finite-difference step (default 1e-6)")
    p.add_argument("--tolerance", type=C.positive_float, default=1e-5, metavar="TOL",
                   help="largest relative error that passes (default 1e-5)")
    p.add_argument("--seed", type=C.nonnegative_int, default=0, help="seed of weights, data and masks (default 0)")
    C.add_common_flags(p)
    p.set_defaults(func=main)
    return p


@dataclass
class Row:
    name: str
    shape: tuple
    max_analytic: float
    max_numeric: float
    max_difference: float
    relative_error: float
    zero_gradient: bool
    passed: bool


def build_problem(sizes, activation, loss, batch_norm, dropout, batch_size, seed):
    """The model (float64, training mode, fixed dropout masks), the batch and the loss module."""
    from .. import nn

    if len(sizes) > 8 or max(sizes) > 256:
        raise C.CLIError("--layers: keep the network small (at most 8 layers of at most 256 units); "
                         "finite differences take two forward passes per weight")
    n_in, hidden, n_out = sizes[0], sizes[1:-1], sizes[-1]
    if loss == "cross_entropy" and n_out < 2:
        raise C.CLIError("--loss cross_entropy needs at least 2 output units (the last size in --layers)")
    if batch_norm and batch_size < 2:
        raise C.CLIError("--batch-norm needs --batch-size >= 2 (batch statistics of one sample are degenerate)")
    rng = np.random.default_rng(seed)
    model = C.build_mlp(n_in, hidden, n_out, activation=activation, dropout=dropout, batch_norm=batch_norm,
                        output_activation="sigmoid" if loss == "bce" else None, seed=seed, dtype=np.float64)
    model.train()
    for module in model:
        if isinstance(module, nn.Dropout):  # one fixed keep-mask per dropout layer
            mask = rng.random((batch_size, _width_before(model, module))) >= dropout
            module.set_mask(mask.astype(np.float64))
    X = rng.normal(size=(batch_size, n_in))
    if loss == "cross_entropy":
        y = rng.integers(0, n_out, size=batch_size)
    elif loss in ("bce", "bce_with_logits"):
        y = rng.integers(0, 2, size=(batch_size, n_out)).astype(np.float64)
    else:
        y = rng.normal(size=(batch_size, n_out))
    return model, X, y, nn.get_loss(loss)


def _width_before(model, dropout) -> int:
    width = None
    for module in model:
        if module is dropout:
            return width
        if hasattr(module, "out_features"):
            width = module.out_features
    raise C.CLIError("internal: dropout layer not found in the model")


def analytic_gradients(model, X, y, loss_fn) -> dict:
    from ..autograd import Tensor

    model.zero_grad()
    J = loss_fn(model(Tensor(X)), y)
    J.backward()
    return {name: np.array(p.grad, dtype=np.float64, copy=True) for name, p in model.named_parameters()}


def numeric_gradients(model, X, y, loss_fn, eps: float) -> dict:
    from ..autograd import Tensor, no_grad
    from ..inspect.gradcheck import central_differences

    def J() -> float:
        with no_grad():
            return float(loss_fn(model(Tensor(X)), y).item())

    return {name: central_differences(J, p.data, eps) for name, p in model.named_parameters()}


def compare(analytic: dict, numeric: dict, tolerance: float) -> list:
    rows = []
    for name, a in analytic.items():
        n = numeric[name]
        difference = float(np.max(np.abs(a - n)))
        scale = float(np.max(np.abs(n)))
        zero = scale < ZERO_GRADIENT
        relative = difference / max(scale, TINY)
        passed = difference <= ZERO_GRADIENT if zero else relative <= tolerance
        rows.append(Row(name, a.shape, float(np.max(np.abs(a))), scale, difference, relative, zero, passed))
    return rows


def library_gradcheck(model, X, y, loss_fn) -> tuple[bool, str]:
    """backprop.inspect.gradcheck with the parameters as the checked inputs."""
    from ..autograd import Tensor
    from ..inspect import GradcheckError, gradcheck

    params = [p for _, p in model.named_parameters()]

    def f(*_):
        return loss_fn(model(Tensor(X)), y)

    try:
        gradcheck(f, params)
    except GradcheckError as exc:
        names = [n for n, _ in model.named_parameters()]
        message = C.one_line(str(exc))
        for i, name in enumerate(names):
            message = message.replace(f"input {i} ", f"{name} ")
        return False, message
    return True, "passed"


def main(args) -> int:
    model, X, y, loss_fn = build_problem(args.layers, args.activation, args.loss, args.batch_norm, args.dropout,
                                         args.batch_size, args.seed)
    analytic = analytic_gradients(model, X, y, loss_fn)
    numeric = numeric_gradients(model, X, y, loss_fn, args.eps)
    rows = compare(analytic, numeric, args.tolerance)
    library_ok, library_message = library_gradcheck(model, X, y, loss_fn)

    extras = ["batch norm" if args.batch_norm else "", f"dropout {args.dropout:g} (fixed mask)" if args.dropout else ""]
    extras = ", ".join(e for e in extras if e)
    print(f"Gradient check of a {'-'.join(map(str, args.layers))} network ({args.activation}"
          f"{', ' + extras if extras else ''}; loss {args.loss}; batch of {args.batch_size}; float64)")
    print(f"numeric gradient: central differences, eps = {args.eps:g}; "
          "relative error = max|analytic - numeric| / max|numeric|")
    width = max(12, *(len(r.name) for r in rows))
    print(f"{'parameter':<{width}}  {'shape':<10} {'max|grad|':>10} {'max|a - n|':>11} {'rel. error':>11}  result")
    for r in rows:
        rel = f"{r.relative_error:11.2e}" if not r.zero_gradient else f"{'(grad 0)':>11}"
        print(f"{r.name:<{width}}  {str(tuple(r.shape)):<10} {r.max_numeric:10.3e} {r.max_difference:11.2e} "
              f"{rel}  {'ok' if r.passed else 'FAIL'}")
    print(f"backprop.inspect.gradcheck (all parameters at once, atol 1e-5, rtol 1e-3): {library_message}")
    worst = max((r.relative_error for r in rows if not r.zero_gradient), default=0.0)
    failed = [r.name for r in rows if not r.passed]
    if failed or not library_ok:
        what = ", ".join(failed) if failed else "see the gradcheck line above"
        print(f"FAIL: gradients disagree with finite differences ({what}; tolerance {args.tolerance:g})")
        return 1
    print(f"PASS: every gradient matches finite differences (worst relative error {worst:.2e} <= "
          f"{args.tolerance:g})")
    return 0
