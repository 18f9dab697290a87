"""Side-by-side training speed: backprop vs PyTorch eager vs scikit-learn, as ratios.

Run:  python benchmarks/run.py            (the full table; several minutes)
      python benchmarks/run.py --quick    (tiny sizes, a smoke test)

For each network every contender runs in a process of its own (so thread pools never
compete), and the contenders are interleaved in time (A B C A B C ...); it repeats and
reports the median microseconds per training step, the spread (min-max of the
repeats) and the ratios, beside the matrix-products-only floor.  It also measures, each in
its own process, the peak resident memory of training the medium network, the time of
``import backprop``, and the time each library needs to reach 97% test accuracy on the
bundled digits.  Results go to benchmarks/results/latest.json and latest.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

import contenders  # noqa: E402
import machine  # noqa: E402

NETWORKS = [
    # name, sizes, activation, batch
    ("2-2-1 sigmoid, batch 1", (2, 2, 1), "sigmoid", 1),
    ("64-32-10 ReLU, batch 32", (64, 32, 10), "relu", 32),
    ("784-256-128-10 ReLU, batch 128", (784, 256, 128, 10), "relu", 128),
    ("784-1024-1024-10 ReLU, batch 512", (784, 1024, 1024, 10), "relu", 512),
]
PAUSE_SECONDS = 0.3
QUICK_NETWORKS = [("2-2-1 sigmoid, batch 1", (2, 2, 1), "sigmoid", 1),
                  ("16-8-3 ReLU, batch 8", (16, 8, 3), "relu", 8)]


class StepWorker:
    """A contender's own process (step_worker.py), driven over a pipe."""

    def __init__(self, who, sizes, activation, batch, threads):
        self.who = who
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "step_worker.py"), who, json.dumps(list(sizes)), activation, str(batch),
             str(threads)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=_worker_env())
        hello = json.loads(self.process.stdout.readline() or '{"unavailable": true}')
        self.available = not hello.get("unavailable")
        self.steps_per_call = hello.get("steps_per_call", 1)

    def run(self, n: int) -> float:
        self.process.stdin.write(f"{n}\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())["seconds"]

    def close(self) -> None:
        try:
            self.process.stdin.write("\n")
            self.process.stdin.flush()
        except OSError:
            pass
        self.process.wait(timeout=60)


def time_steps(name, sizes, activation, batch, repeats, target_seconds, threads):
    workers = [StepWorker(who, sizes, activation, batch, threads)
               for who in ("backprop", "pytorch", "sklearn", "matmul floor")]
    workers = [w for w in workers if w.available or w.close()]
    try:
        counts = {}
        for w in workers:  # calibrate: how many calls fill the target time
            once = max(w.run(1), 1e-7)
            counts[w.who] = max(1, int(target_seconds / once))
        samples = {w.who: [] for w in workers}
        for _ in range(repeats):
            for w in workers:  # interleaved: A B C D A B C D ...
                # BLAS and OpenMP worker threads keep spinning for a while after a call;
                # a pause lets the previous contender's threads go idle first.
                time.sleep(PAUSE_SECONDS)
                n = counts[w.who]
                samples[w.who].append(w.run(n) / (n * w.steps_per_call) * 1e6)
    finally:
        for w in workers:
            w.close()
    result = {}
    for key, values in samples.items():
        result[key] = {"median_us": statistics.median(values), "min_us": min(values), "max_us": max(values),
                       "repeats": len(values)}
    ours = result["backprop"]["median_us"]
    ratios = {}
    if "pytorch" in result:
        ratios["pytorch_over_backprop"] = result["pytorch"]["median_us"] / ours
    if "sklearn" in result:
        ratios["sklearn_over_backprop"] = result["sklearn"]["median_us"] / ours
    ratios["backprop_over_floor"] = ours / result["matmul floor"]["median_us"]
    return {"network": name, "sizes": list(sizes), "activation": activation, "batch": batch,
            "timings": result, "ratios": ratios}


def _worker_env() -> dict:
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE.parent / "src"), str(HERE),
                                                        os.environ.get("PYTHONPATH", "")]))


def run_worker(kind: str, args: list[str]) -> str:
    out = subprocess.run([sys.executable, str(HERE / "workers.py"), kind, *args], capture_output=True, text=True,
                         env=_worker_env(), timeout=1200)
    if out.returncode != 0:
        return json.dumps({"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"})
    return out.stdout.strip().splitlines()[-1]


def peak_memory(quick: bool) -> dict:
    steps = "5" if quick else "200"
    result = {}
    for who in ("backprop", "pytorch", "sklearn"):
        result[who] = json.loads(run_worker("rss", [who, steps]))
    return result


def import_time(repeats: int) -> dict:
    values = []
    for _ in range(repeats):
        values.append(json.loads(run_worker("import", []))["seconds"])
    return {"median_s": statistics.median(values), "min_s": min(values), "max_s": max(values)}


def time_to_accuracy(quick: bool) -> dict:
    result = {}
    for who in ("backprop", "pytorch", "sklearn"):
        result[who] = json.loads(run_worker("digits", [who, "0.5" if quick else "0.97", "3" if quick else "200"]))
    return result


def to_markdown(report: dict) -> str:
    m = report["machine"]
    lines = [f"# Benchmarks ({report['date']})", "",
             f"Machine: {m['cpu']}, {m['usable_cores']} usable cores; Python {m['python']}, NumPy {m['numpy']}, "
             f"PyTorch {m.get('torch')}, scikit-learn {m.get('sklearn')}, backprop {m.get('backprop')}; "
             f"threads pinned to {report['threads']}.", "",
             "Median µs per training step (SGD with momentum, float32), spread = min–max over "
             f"{report['repeats']} interleaved repeats; ratios > 1 mean backprop is faster.", "",
             "| network | backprop | PyTorch | scikit-learn | matmul floor | PyTorch / backprop | "
             "sklearn / backprop | backprop / floor |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]

    def cell(t, key):
        if key not in t:
            return "—"
        v = t[key]
        return f"{v['median_us']:,.1f} ({v['min_us']:,.0f}–{v['max_us']:,.0f})"

    for row in report["steps"]:
        t, r = row["timings"], row["ratios"]
        lines.append(f"| {row['network']} | {cell(t, 'backprop')} | {cell(t, 'pytorch')} | {cell(t, 'sklearn')} | "
                     f"{cell(t, 'matmul floor')} | {r.get('pytorch_over_backprop', float('nan')):.2f} | "
                     f"{r.get('sklearn_over_backprop', float('nan')):.2f} | {r['backprop_over_floor']:.2f} |")
    lines += ["", "Peak RSS of a process training the medium network (784-256-128-10, batch 128):", ""]
    for who, v in report["peak_rss"].items():
        lines.append(f"- {who}: {v.get('peak_rss_mb', v.get('error'))} MB" if "peak_rss_mb" in v
                     else f"- {who}: {v.get('error')}")
    it = report["import_time"]
    lines += ["", f"`import backprop`: median {it['median_s']:.3f} s (min {it['min_s']:.3f}, max {it['max_s']:.3f}).",
              "", "Time to 97% test accuracy on the bundled digits (64-128-10 ReLU MLP, Adam lr 1e-3, batch 32, "
              "same standardized stratified split):", ""]
    for who, v in report["time_to_accuracy"].items():
        if "error" in v:
            lines.append(f"- {who}: {v['error']}")
        else:
            lines.append(f"- {who}: {v['epochs']} epochs, {v['seconds']:.2f} s, test accuracy {v['accuracy']:.4f}"
                         f"{'' if v['reached'] else ' (target not reached)'}")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes and few repeats (smoke test)")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 15)
    networks = QUICK_NETWORKS if args.quick else NETWORKS
    report = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "machine": machine.describe(),
              "threads": args.threads, "repeats": repeats, "quick": args.quick, "steps": []}
    for name, sizes, activation, batch in networks:
        row = time_steps(name, sizes, activation, batch, repeats, 0.01 if args.quick else 0.2, args.threads)
        report["steps"].append(row)
        print(f"{name}: " + ", ".join(f"{k} {v['median_us']:.1f} us" for k, v in row["timings"].items())
              + " | " + ", ".join(f"{k} {v:.2f}" for k, v in row["ratios"].items()), flush=True)
    report["peak_rss"] = peak_memory(args.quick)
    print("peak RSS:", report["peak_rss"], flush=True)
    report["import_time"] = import_time(3 if args.quick else 9)
    print("import backprop:", report["import_time"], flush=True)
    report["time_to_accuracy"] = time_to_accuracy(args.quick)
    print("time to accuracy:", report["time_to_accuracy"], flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "quick" if args.quick else "latest"
    (args.out / f"{stem}.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    (args.out / f"{stem}.md").write_text(to_markdown(report), encoding="utf-8")
    print(f"wrote {args.out / (stem + '.json')} and {args.out / (stem + '.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
