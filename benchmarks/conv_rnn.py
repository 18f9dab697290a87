"""Time per training epoch: backprop vs PyTorch for the zoo's CNNs and the MNIST-1D GRU.

Run:  python benchmarks/conv_rnn.py                 (5 interleaved repeats, 1 thread)
      python benchmarks/conv_rnn.py --quick         (1 repeat, smaller data: a smoke test)
      python benchmarks/conv_rnn.py --threads 2 --repeats 7
      python benchmarks/conv_rnn.py --profile       (also a cProfile summary of our slowest model)

Networks (built by :mod:`backprop.models`, the same architecture in PyTorch):

* MNIST-1D CNN: the paper's Conv1d(1→25, k5, s2, p1)-ReLU-Conv1d(25→25, k3, s2, p1)-ReLU-
  Conv1d(25→25, k3, s2, p1)-ReLU-Flatten-Linear(125→10) on 4,000 × (1, 40);
* 28×28 CNN: Conv2d(1→16, 3, p1)-ReLU-MaxPool2d(2)-Conv2d(16→32, 3, p1)-ReLU-MaxPool2d(2)-
  Flatten-Linear(1568→128)-ReLU-Linear(128→10) on 2,000 random images of MNIST's shape;
* MNIST-1D GRU: GRU(1→64, batch_first) over the 40 steps, Linear(64→10) on the last state,
  4,000 sequences.

One epoch = one shuffled pass in batches of 100: forward, cross-entropy, backward, Adam
step (lr 1e-3), the same plain loop in both libraries (no validation, no metrics).  Both
run with the same number of threads (threadpoolctl for NumPy's BLAS, torch.set_num_threads
for PyTorch); the contenders alternate (A B A B ...) after a warm-up epoch each, and the
table reports the median time per epoch, the min-max of the repeats and the ratio
backprop / PyTorch (below 1: backprop is faster).  Data are random (timing only); the
weights are the libraries' own initialisations.  Results go to benchmarks/results/conv_rnn.json.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import numpy as np  # noqa: E402

import machine  # noqa: E402

BATCH = 100
LR = 1e-3
TARGETS = {"MNIST-1D CNN": 1.5, "28x28 CNN": 1.5, "MNIST-1D GRU": 1.0}  # max backprop/PyTorch time ratio


def set_threads(n: int) -> None:
    import threadpoolctl
    import torch
    threadpoolctl.threadpool_limits(n)
    torch.set_num_threads(n)


# ---------------------------------------------------------------------- the networks
def networks(quick: bool):
    rng = np.random.default_rng(0)
    n_1d, n_2d = (800, 400) if quick else (4000, 2000)
    x_1d = rng.standard_normal((n_1d, 1, 40)).astype(np.float32)
    y_1d = rng.integers(0, 10, n_1d)
    x_2d = rng.standard_normal((n_2d, 1, 28, 28)).astype(np.float32)
    y_2d = rng.integers(0, 10, n_2d)
    return [("MNIST-1D CNN", "cnn", {}, x_1d, y_1d), ("28x28 CNN", "cnn", {}, x_2d, y_2d),
            ("MNIST-1D GRU", "gru", {"hidden_size": 64}, x_1d, y_1d)]


def ours(kind: str, options: dict, x: np.ndarray, y: np.ndarray):
    from backprop import nn
    from backprop.models import build_model
    from backprop.optim import Adam

    model = build_model(kind, x.shape[1:], 10, rng=0, **options)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = Adam(model.parameters(), lr=LR)
    order_rng = np.random.default_rng(1)

    def epoch():
        order = order_rng.permutation(len(x))
        for start in range(0, len(x), BATCH):
            idx = order[start:start + BATCH]
            optimizer.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
    return model, epoch


def theirs(kind: str, options: dict, x: np.ndarray, y: np.ndarray):
    import torch
    from torch import nn as tnn

    torch.manual_seed(0)
    if kind == "gru":
        hidden = options["hidden_size"]

        class GRUClassifier(tnn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = tnn.GRU(1, hidden, batch_first=True)
                self.head = tnn.Linear(hidden, 10)

            def forward(self, inputs):
                _, h_n = self.rnn(inputs.transpose(1, 2))
                return self.head(h_n[-1])
        model = GRUClassifier()
    elif x.ndim == 3:
        model = tnn.Sequential(tnn.Conv1d(1, 25, 5, stride=2, padding=1), tnn.ReLU(),
                               tnn.Conv1d(25, 25, 3, stride=2, padding=1), tnn.ReLU(),
                               tnn.Conv1d(25, 25, 3, stride=2, padding=1), tnn.ReLU(),
                               tnn.Flatten(), tnn.Linear(125, 10))
    else:
        model = tnn.Sequential(tnn.Conv2d(1, 16, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                               tnn.Conv2d(16, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                               tnn.Flatten(), tnn.Linear(32 * 7 * 7, 128), tnn.ReLU(), tnn.Linear(128, 10))
    loss_fn = tnn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
    generator = torch.Generator().manual_seed(1)

    def epoch():
        order = torch.randperm(len(xt), generator=generator)
        for start in range(0, len(xt), BATCH):
            idx = order[start:start + BATCH]
            optimizer.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            optimizer.step()
    return model, epoch


def parameter_count(model) -> int:
    return int(sum(p.numel() if hasattr(p, "numel") else p.data.size for p in model.parameters()))


# ---------------------------------------------------------------------- measurement
def measure(repeats: int, quick: bool) -> list:
    rows = []
    for label, kind, options, x, y in networks(quick):
        model_ours, epoch_ours = ours(kind, options, x, y)
        model_theirs, epoch_theirs = theirs(kind, options, x, y)
        assert parameter_count(model_ours) == parameter_count(model_theirs), label
        runners = {"backprop": epoch_ours, "pytorch": epoch_theirs}
        for fn in runners.values():  # warm-up: allocations, caches, lazy imports
            fn()
        times = {name: [] for name in runners}
        for _ in range(repeats):
            for name, fn in runners.items():
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
        ours_s, theirs_s = statistics.median(times["backprop"]), statistics.median(times["pytorch"])
        ratio = ours_s / theirs_s
        rows.append({"network": label, "samples": len(x), "parameters": parameter_count(model_ours),
                     "backprop_s": ours_s, "pytorch_s": theirs_s,
                     "backprop_range": [min(times["backprop"]), max(times["backprop"])],
                     "pytorch_range": [min(times["pytorch"]), max(times["pytorch"])],
                     "ratio": ratio, "target_ratio": TARGETS[label], "meets_target": ratio <= TARGETS[label]})
        print(f"  {label}: backprop {ours_s * 1e3:.0f} ms, pytorch {theirs_s * 1e3:.0f} ms, ratio {ratio:.2f}",
              flush=True)
    return rows


def profile_slowest(rows: list, quick: bool, top: int = 15) -> str:
    worst = max(rows, key=lambda r: r["ratio"])
    label, kind, options, x, y = next(n for n in networks(quick) if n[0] == worst["network"])
    _, epoch = ours(kind, options, x, y)
    epoch()
    profiler = cProfile.Profile()
    profiler.enable()
    epoch()
    profiler.disable()
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(top)
    return f"cProfile of one backprop epoch of {label} (ratio {worst['ratio']:.2f}), by own time:\n" + \
        buffer.getvalue()


def markdown(rows: list, threads: int, repeats: int) -> str:
    lines = [f"Time per epoch (batch {BATCH}, Adam; {threads} thread(s), median of {repeats} interleaved repeats)",
             "",
             "| network | samples | params | backprop (s) | PyTorch (s) | backprop / PyTorch | target | met |",
             "|---|---:|---:|---:|---:|---:|---:|:-:|"]
    for r in rows:
        lines.append(f"| {r['network']} | {r['samples']} | {r['parameters']:,} | {r['backprop_s']:.3f} "
                     f"({r['backprop_range'][0]:.3f}-{r['backprop_range'][1]:.3f}) | {r['pytorch_s']:.3f} "
                     f"({r['pytorch_range'][0]:.3f}-{r['pytorch_range'][1]:.3f}) | {r['ratio']:.2f} | "
                     f"≤ {r['target_ratio']:.1f} | {'yes' if r['meets_target'] else 'no'} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="BLAS and PyTorch threads (default 1)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved timed epochs per library")
    parser.add_argument("--quick", action="store_true", help="1 repeat on smaller data (smoke test)")
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile summary of our slowest network (automatic when a target is missed)")
    parser.add_argument("--out", default=str(HERE / "results" / "conv_rnn.json"))
    args = parser.parse_args(argv)
    try:
        import torch  # noqa: F401
        import threadpoolctl  # noqa: F401
    except ImportError as exc:
        print(f"this benchmark needs torch and threadpoolctl: {exc}")
        return 1
    repeats = 1 if args.quick else args.repeats
    set_threads(args.threads)
    print(f"backprop vs PyTorch, time per epoch ({args.threads} thread(s), {repeats} repeat(s))", flush=True)
    rows = measure(repeats, args.quick)
    table = markdown(rows, args.threads, repeats)
    print()
    print(table)
    profile = None
    if args.profile or not all(r["meets_target"] for r in rows):
        profile = profile_slowest(rows, args.quick)
        print()
        print(profile)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    result = {"benchmark": "conv_rnn", "date": time.strftime("%Y-%m-%d %H:%M:%S"), "threads": args.threads,
              "repeats": repeats, "quick": args.quick, "batch_size": BATCH, "machine": machine.describe(),
              "rows": rows, "markdown": table, "profile": profile}
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
