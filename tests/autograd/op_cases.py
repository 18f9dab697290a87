"""One table of every primitive op, shared by the gradcheck, PyTorch-oracle and dtype tests.

Each case: (name, backprop function, torch function or None, input shapes, input sampler).
Samplers keep inputs away from kinks (|x| > 0.1 for abs/relu, positive for log/sqrt).
"""

import numpy as np

import backprop as bp


def away_from_zero(rng, shape):
    x = rng.uniform(0.2, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    return x


def positive(rng, shape):
    return rng.uniform(0.3, 2.0, size=shape)


def normal(rng, shape):
    return rng.standard_normal(shape)


def distinct(rng, shape):
    """Values with no ties (max/min are not differentiable at ties)."""
    n = int(np.prod(shape)) if shape else 1
    values = rng.permutation(n).astype(float) / max(n, 1) + 0.05 * rng.standard_normal(n)
    return values.reshape(shape)


SHAPES = [(), (3,), (2, 3), (2, 3, 4)]
BROADCAST_PAIRS = [((2, 3), (2, 3)), ((2, 3), (1, 3)), ((2, 3), (3,)), ((2, 3), ()), ((2, 3), (2, 1)),
                   ((3,), (2, 3)), ((), (2, 3)), ((2, 1, 4), (3, 1))]
AXES = {
    (): [None],
    (3,): [None, 0, -1, (0,)],
    (2, 3): [None, 0, 1, -1, (0, 1)],
    (2, 3, 4): [None, 0, 1, 2, (0, 2), (1, 2), (0, 1, 2), -2],
}


def _t(torch):
    return torch


# name, bp_fn, torch_fn(torch, *xs), sampler
UNARY = [
    ("neg", lambda x: -x, lambda T, x: -x, normal),
    ("exp", bp.exp, lambda T, x: T.exp(x), normal),
    ("log", bp.log, lambda T, x: T.log(x), positive),
    ("sqrt", bp.sqrt, lambda T, x: T.sqrt(x), positive),
    ("abs", bp.abs, lambda T, x: T.abs(x), away_from_zero),
    ("pow_scalar_2", lambda x: x ** 2, lambda T, x: x ** 2, normal),
    ("pow_scalar_3", lambda x: x ** 3, lambda T, x: x ** 3, normal),
    ("pow_scalar_frac", lambda x: x ** 1.5, lambda T, x: x ** 1.5, positive),
    ("pow_scalar_neg", lambda x: x ** -2, lambda T, x: x ** -2, positive),
    ("rpow", lambda x: 2.0 ** x, lambda T, x: 2.0 ** x, normal),
    ("clip", lambda x: x.clip(-0.5, 0.5), lambda T, x: T.clamp(x, -0.5, 0.5), away_from_zero),
    ("clip_low", lambda x: bp.clip(x, 0.1, None), lambda T, x: T.clamp(x, min=0.1), away_from_zero),
    ("relu", bp.relu, lambda T, x: T.relu(x), away_from_zero),
    ("leaky_relu", lambda x: bp.leaky_relu(x, 0.1), lambda T, x: T.nn.functional.leaky_relu(x, 0.1), away_from_zero),
    ("sigmoid", bp.sigmoid, lambda T, x: T.sigmoid(x), normal),
    ("tanh", bp.tanh, lambda T, x: T.tanh(x), normal),
    ("elu", bp.elu, lambda T, x: T.nn.functional.elu(x), away_from_zero),
    ("gelu", bp.gelu, lambda T, x: T.nn.functional.gelu(x, approximate="tanh"), normal),
    ("softplus", bp.softplus, lambda T, x: T.nn.functional.softplus(x), normal),
    ("scalar_ops", lambda x: (3.0 - x) * 2.0 / 4.0 + 1.0, lambda T, x: (3.0 - x) * 2.0 / 4.0 + 1.0, normal),
    ("rdiv", lambda x: 1.0 / x, lambda T, x: 1.0 / x, positive),
]

BINARY = [
    ("add", lambda a, b: a + b, lambda T, a, b: a + b, normal, normal),
    ("sub", lambda a, b: a - b, lambda T, a, b: a - b, normal, normal),
    ("mul", lambda a, b: a * b, lambda T, a, b: a * b, normal, normal),
    ("div", lambda a, b: a / b, lambda T, a, b: a / b, normal, positive),
    ("pow", lambda a, b: a ** b, lambda T, a, b: a ** b, positive, normal),
    ("maximum", bp.maximum, lambda T, a, b: T.maximum(a, b), distinct, lambda r, s: distinct(r, s) + 0.013),
    ("minimum", bp.minimum, lambda T, a, b: T.minimum(a, b), distinct, lambda r, s: distinct(r, s) + 0.013),
]

REDUCTIONS = [
    ("sum", lambda x, axis, k: x.sum(axis=axis, keepdims=k), "sum", normal),
    ("mean", lambda x, axis, k: x.mean(axis=axis, keepdims=k), "mean", normal),
    ("max", lambda x, axis, k: x.max(axis=axis, keepdims=k), "amax", distinct),
    ("min", lambda x, axis, k: x.min(axis=axis, keepdims=k), "amin", distinct),
    ("logsumexp", lambda x, axis, k: x.logsumexp(axis=axis, keepdims=k), "logsumexp", normal),
    ("var", lambda x, axis, k: x.var(axis=axis, keepdims=k), "var", normal),
]


def torch_reduce(T, kind, x, axis, keepdims):
    dims = tuple(range(x.ndim)) if axis is None else ((axis,) if isinstance(axis, int) else axis)
    if x.ndim == 0:
        dims = ()
    if kind == "var":
        if x.ndim == 0:
            return T.var(x, correction=0)
        return T.var(x, dim=dims, correction=0, keepdim=keepdims)
    if kind == "logsumexp":
        if x.ndim == 0:
            return x.clone()
        return T.logsumexp(x, dim=dims, keepdim=keepdims)
    fn = getattr(T, kind)
    if x.ndim == 0:
        return fn(x) if kind in ("sum", "mean") else x.clone()
    return fn(x, dim=dims, keepdim=keepdims)


# name, bp function of the inputs, torch function of the inputs, input shapes, sampler
STRUCTURAL = [
    ("reshape", lambda x: x.reshape(4, 6), lambda T, x: x.reshape(4, 6), [(2, 3, 4)], normal),
    ("reshape_minus1", lambda x: x.reshape(-1), lambda T, x: x.reshape(-1), [(2, 3)], normal),
    ("flatten", lambda x: bp.flatten(x, 1), lambda T, x: T.flatten(x, 1), [(2, 3, 4)], normal),
    ("transpose_T", lambda x: x.T, lambda T, x: x.T, [(2, 3)], normal),
    ("permute", lambda x: x.permute(2, 0, 1), lambda T, x: x.permute(2, 0, 1), [(2, 3, 4)], normal),
    ("swapaxes", lambda x: x.swapaxes(0, 2), lambda T, x: x.transpose(0, 2), [(2, 3, 4)], normal),
    ("broadcast_to", lambda x: x.broadcast_to((4, 2, 3)), lambda T, x: x.expand(4, 2, 3), [(2, 1)], normal),
    ("expand", lambda x: x.expand(2, 3), lambda T, x: x.expand(2, 3), [(3,)], normal),
    ("squeeze", lambda x: x.squeeze(1), lambda T, x: x.squeeze(1), [(2, 1, 3)], normal),
    ("squeeze_all", lambda x: x.squeeze(), lambda T, x: x.squeeze(), [(1, 3, 1)], normal),
    ("unsqueeze", lambda x: x.unsqueeze(-1), lambda T, x: x.unsqueeze(-1), [(2, 3)], normal),
    ("getitem_slice", lambda x: x[1:, ::2], lambda T, x: x[1:, ::2], [(3, 4)], normal),
    ("getitem_int", lambda x: x[1], lambda T, x: x[1], [(3, 4)], normal),
    ("getitem_ellipsis_none", lambda x: x[..., None, 1], lambda T, x: x[..., None, 1], [(2, 3, 4)], normal),
    ("getitem_repeated_indices", lambda x: x[np.array([0, 2, 0, 0])], lambda T, x: x[[0, 2, 0, 0]], [(3, 2)], normal),
    ("getitem_pairs", lambda x: x[np.array([0, 1, 1]), np.array([2, 0, 2])],
     lambda T, x: x[[0, 1, 1], [2, 0, 2]], [(2, 3)], normal),
    ("getitem_bool", lambda x: x[np.array([True, False, True])], lambda T, x: x[T.tensor([True, False, True])],
     [(3, 2)], normal),
    ("concatenate", lambda a, b: bp.concatenate([a, b], axis=1), lambda T, a, b: T.cat([a, b], dim=1),
     [(2, 3), (2, 2)], normal),
    ("stack", lambda a, b: bp.stack([a, b], axis=1), lambda T, a, b: T.stack([a, b], dim=1),
     [(2, 3), (2, 3)], normal),
    ("pad", lambda x: bp.pad(x, ((1, 0), (2, 1)), 0.5),
     lambda T, x: T.nn.functional.pad(x, (2, 1, 1, 0), value=0.5), [(2, 3)], normal),
    ("matmul_2d", lambda a, b: a @ b, lambda T, a, b: a @ b, [(2, 3), (3, 4)], normal),
    ("matmul_1d_1d", lambda a, b: a @ b, lambda T, a, b: a @ b, [(3,), (3,)], normal),
    ("matmul_1d_2d", lambda a, b: a @ b, lambda T, a, b: a @ b, [(3,), (3, 4)], normal),
    ("matmul_2d_1d", lambda a, b: a @ b, lambda T, a, b: a @ b, [(2, 3), (3,)], normal),
    ("matmul_batched", lambda a, b: a @ b, lambda T, a, b: a @ b, [(5, 2, 3), (5, 3, 4)], normal),
    ("matmul_batched_broadcast", lambda a, b: a @ b, lambda T, a, b: a @ b, [(2, 1, 2, 3), (4, 3, 2)], normal),
    ("matmul_batched_2d", lambda a, b: a @ b, lambda T, a, b: a @ b, [(5, 2, 3), (3, 4)], normal),
    ("matmul_1d_batched", lambda a, b: a @ b, lambda T, a, b: a @ b, [(3,), (5, 3, 4)], normal),
    ("matmul_batched_1d", lambda a, b: a @ b, lambda T, a, b: a @ b, [(5, 2, 3), (3,)], normal),
    ("linear", lambda x, w, b: bp.linear(x, w, b), lambda T, x, w, b: T.nn.functional.linear(x, w, b),
     [(4, 3), (2, 3), (2,)], normal),
    ("linear_nobias_3d", lambda x, w: bp.linear(x, w), lambda T, x, w: T.nn.functional.linear(x, w),
     [(2, 4, 3), (5, 3)], normal),
    ("softmax_last", lambda x: x.softmax(-1), lambda T, x: T.softmax(x, -1), [(2, 3, 4)], normal),
    ("softmax_axis0", lambda x: x.softmax(0), lambda T, x: T.softmax(x, 0), [(2, 3)], normal),
    ("log_softmax_last", lambda x: x.log_softmax(-1), lambda T, x: T.log_softmax(x, -1), [(2, 3, 4)], normal),
    ("log_softmax_axis1", lambda x: x.log_softmax(1), lambda T, x: T.log_softmax(x, 1), [(2, 3, 4)], normal),
    ("where", lambda a, b: bp.where(np.array([[True, False, True], [False, False, True]]), a, b),
     lambda T, a, b: T.where(T.tensor([[True, False, True], [False, False, True]]), a, b),
     [(2, 3), (3,)], normal),
    ("std", lambda x: x.std(axis=1), lambda T, x: T.std(x, dim=1, correction=0), [(2, 3)], normal),
    ("var_ddof1", lambda x: x.var(axis=0, ddof=1), lambda T, x: T.var(x, dim=0), [(3, 2)], normal),
]
