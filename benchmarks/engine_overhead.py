"""Cost of the autograd engine itself, next to the NumPy work it wraps.

Run:  python benchmarks/engine_overhead.py

1. One recorded op (a + b on (32, 32) float32, with the graph recorded) against the bare
   NumPy call.
2. One backward pass of a 3-layer MLP (64-32-16-10, batch 32, ReLU, float32) against the
   NumPy arithmetic that pass performs (the four equations written out by hand).

Timings interleave the contenders, repeat, and report medians (the machines are noisy).
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import time

import numpy as np

import backprop as bp


def _median_us(fn, number: int, repeats: int, results: list) -> None:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    results.append((time.perf_counter() - start) / number * 1e6)


def interleaved(contenders: dict, number: int = 2000, repeats: int = 15) -> dict:
    times = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            _median_us(fn, number, repeats, times[name])
    return {name: statistics.median(values) for name, values in times.items()}


def recorded_op() -> dict:
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal((32, 32)).astype(np.float32)
    b_np = rng.standard_normal((32, 32)).astype(np.float32)
    a = bp.tensor(a_np, requires_grad=True)
    b = bp.tensor(b_np, requires_grad=True)
    a_const, b_const = bp.tensor(a_np), bp.tensor(b_np)
    return interleaved({
        "numpy a + b": lambda: a_np + b_np,
        "backprop a + b (graph recorded)": lambda: a + b,
        "backprop a + b (no grad needed)": lambda: a_const + b_const,
    }, number=20000)


def mlp_backward() -> dict:
    rng = np.random.default_rng(0)
    sizes = [64, 32, 16, 10]
    weights = [rng.standard_normal((o, i)).astype(np.float32) * np.sqrt(2 / i) for i, o in zip(sizes, sizes[1:])]
    biases = [np.zeros(o, dtype=np.float32) for o in sizes[1:]]
    x = rng.standard_normal((32, 64)).astype(np.float32)
    g_out = rng.standard_normal((32, 10)).astype(np.float32)
    params = [(bp.tensor(w, requires_grad=True), bp.tensor(b, requires_grad=True)) for w, b in zip(weights, biases)]
    xt = bp.tensor(x)

    def forward_graph():
        a = xt
        for i, (w, b) in enumerate(params):
            a = bp.linear(a, w, b)
            if i < len(params) - 1:
                a = a.relu()
        return a

    def engine_backward():
        out = forward_graph()
        out.backward(g_out)

    def engine_forward_only():
        forward_graph()

    def numpy_forward_backward():
        activations = [x]
        a = x
        for i, (w, b) in enumerate(zip(weights, biases)):
            z = a @ w.T + b
            a = np.maximum(z, 0) if i < len(weights) - 1 else z
            activations.append(a)
        delta = g_out
        for i in range(len(weights) - 1, -1, -1):
            a_prev = activations[i]
            grad_w = delta.T @ a_prev      # BP3
            grad_b = delta.sum(axis=0)     # BP4
            if i > 0:
                delta = (delta @ weights[i]) * (a_prev > 0)  # BP2
        return grad_w, grad_b

    def numpy_forward_only():
        a = x
        for i, (w, b) in enumerate(zip(weights, biases)):
            a = a @ w.T + b
            if i < len(weights) - 1:
                a = np.maximum(a, 0)
        return a

    t = interleaved({
        "numpy forward": numpy_forward_only,
        "backprop forward (recorded)": engine_forward_only,
        "numpy forward+backward": numpy_forward_backward,
        "backprop forward+backward": engine_backward,
    }, number=2000)
    t["backprop backward alone"] = t["backprop forward+backward"] - t["backprop forward (recorded)"]
    t["numpy backward alone"] = t["numpy forward+backward"] - t["numpy forward"]
    return t


def main() -> None:
    result = {"machine": {"python": sys.version.split()[0], "numpy": np.__version__,
                          "processor": platform.processor() or platform.machine()},
              "recorded_op_us": recorded_op(), "mlp_64_32_16_10_batch32_us": mlp_backward()}
    for section in ("recorded_op_us", "mlp_64_32_16_10_batch32_us"):
        print(section)
        for name, value in result[section].items():
            print(f"  {name:40s} {value:8.2f} us")
    print(json.dumps(result, indent=1) if "--json" in sys.argv else "", end="")


if __name__ == "__main__":
    main()
