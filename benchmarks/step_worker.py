"""One contender in its own process, timing training steps on request (run by run.py).

    python step_worker.py CONTENDER SIZES ACTIVATION BATCH THREADS

Each library gets a process of its own so that thread pools never compete (OpenBLAS and
PyTorch's OpenMP threads spin after each call and slow each other down when they share a
process).  The orchestrator still interleaves the contenders in time: it sends
``N\\n`` to each worker in turn; the worker runs N calls and answers with the elapsed
seconds.  An empty line ends it.
"""

from __future__ import annotations

import json
import sys
import time

import contenders


def main(argv) -> None:
    who, sizes, activation, batch, threads = argv[0], tuple(json.loads(argv[1])), argv[2], int(argv[3]), int(argv[4])
    try:
        import threadpoolctl

        threadpoolctl.threadpool_limits(threads)
    except ImportError:
        pass
    if who == "pytorch":
        import torch

        torch.set_num_threads(threads)
    X, y = contenders.make_batch(sizes, batch)
    steps_per_call = 1
    if who == "backprop":
        run = contenders.build_backprop(sizes, activation, X, y)
    elif who == "pytorch":
        run = contenders.build_torch(sizes, activation, X, y)
    elif who == "sklearn":
        steps_per_call = 20
        run = contenders.build_sklearn_fit(sizes, activation, X, y, steps_per_call)
    elif who == "matmul floor":
        run = contenders.matmul_floor(sizes, X)
    else:
        raise SystemExit(f"unknown contender {who!r}")
    if run is None:
        print(json.dumps({"unavailable": True}), flush=True)
        return
    for _ in range(3):
        run()
    print(json.dumps({"ready": True, "steps_per_call": steps_per_call}), flush=True)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            break
        n = int(line)
        start = time.perf_counter()
        for _ in range(n):
            run()
        print(json.dumps({"seconds": time.perf_counter() - start}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
