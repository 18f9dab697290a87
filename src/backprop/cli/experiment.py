"""``backprop experiment``: run one of the seeds' experiments and print its table and verdicts."""

from __future__ import annotations

import argparse

from . import common as C

EPILOG = """\
Examples:
  backprop experiment --list                      # the experiments and what each shows
  backprop experiment init --quick                # zero vs uniform vs Xavier vs He, in seconds
  backprop experiment vanishing --out figures/    # also writes figures/vanishing.png
  backprop experiment mnist1d                     # the MNIST-1D paper's models (pip install 'backprop[mnist1d]')

Exit status: 0 when every verdict agrees with the claim, 1 when a verdict failed (the
table says which), 2 for an unknown name or another usage error.
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "experiment", help="run an experiment that checks a claim about training",
        description="Run a small, seeded experiment (a few tiny networks) that measures a claim\n"
                    "about training, and print its table, verdicts and conclusion.",
        epilog=EPILOG)
    p.add_argument("name", nargs="?", default=None, metavar="NAME", help="the experiment (see --list)")
    p.add_argument("--list", action="store_true", help="list the experiments and exit")
    p.add_argument("--out", default=None, metavar="DIR", help="write the figure NAME.png into DIR (needs matplotlib)")
    p.add_argument("--quick", action="store_true", help="reduced sizes: seconds instead of up to minutes")
    C.add_common_flags(p)
    p.set_defaults(func=main)
    return p


def summaries() -> dict:
    """{name: one-line summary} from each experiment module's docstring."""
    import importlib
    import sys

    from ..experiments import EXPERIMENTS

    out = {}
    for name, func in EXPERIMENTS.items():
        module = sys.modules.get(func.__module__) or importlib.import_module(func.__module__)
        doc = (module.__doc__ or "").strip()
        first = doc.split("\n\n")[0] if doc else ""
        out[name] = C.one_line(first)
    return out


def main(args) -> int:
    from ..experiments import EXPERIMENTS, run_experiment

    if args.list:
        table = summaries()
        width = max(len(name) for name in table)
        print("experiments (backprop experiment NAME [--quick] [--out DIR]):")
        for name, summary in table.items():
            print(f"  {name.ljust(width)}  {summary}")
        return 0
    if args.name is None:
        raise C.CLIError(f"experiment: name one of {', '.join(EXPERIMENTS)} (or pass --list)")
    key = args.name.strip().lower().replace("_", "-")
    if key not in EXPERIMENTS:
        raise C.CLIError(f"experiment: unknown experiment {args.name!r}; choose one of {', '.join(EXPERIMENTS)}")
    result = run_experiment(key, out_dir=args.out, quick=args.quick)
    print(result.text)
    if result.figure:
        print(f"wrote {result.figure}")
    failed = [claim for claim, ok in result.verdicts.items() if not ok]
    if failed:
        print(f"{len(failed)} verdict(s) failed: {', '.join(failed)}")
        return 1
    return 0
