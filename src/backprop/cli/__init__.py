"""The ``backprop`` command line: ``backprop train | evaluate | predict | export | experiment | explain |
gradcheck``.

``main(argv=None)`` parses ``argv`` (``sys.argv[1:]`` by default), runs one subcommand and
returns its exit status: 0 success, 1 a failed check (``gradcheck``, an ``experiment`` verdict), 2 a usage or data
error (printed as one line, ``backprop: error: ...``; ``--debug`` adds the traceback).
One module per subcommand; :mod:`backprop.cli.common` holds what they share.
"""

from __future__ import annotations

import sys

from . import common as C

__all__ = ["main", "build_parser"]

EPILOG = """\
Examples, one group per command:
  train       backprop train                      # MLP on the bundled digits, writes runs/digits-<time>/
              backprop train --data spirals --out runs/spirals --tensorboard
              backprop train --data mnist1d --model cnn   # also: logistic, gru, lstm, rnn
  evaluate    backprop evaluate --model runs/spirals
  predict     backprop predict --model runs/spirals --input points.csv --output probabilities.csv
  export      backprop export --model runs/spirals --onnx spirals.onnx
  experiment  backprop experiment --list
              backprop experiment init --quick
  explain     backprop explain                    # one training step of the seeds' 2-2-1 network
              backprop explain --graph step.svg
  gradcheck   backprop gradcheck --layers 4,8,3 --activation tanh --loss cross_entropy

Run 'backprop COMMAND --help' for the options of a command.
"""


def build_parser() -> C.ArgumentParser:
    from .. import __version__
    from . import evaluate, experiment, explain, export, gradcheck, predict, train

    parser = C.ArgumentParser(
        prog=C.PROG,
        description="backprop: a glass-box neural-network library. Train, evaluate, predict, and look\n"
                    "inside backpropagation, from the command line.",
        epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"backprop {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback when something goes wrong")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=C.ArgumentParser)
    for module in (train, evaluate, predict, export, experiment, explain, gradcheck):
        module.add_parser(subparsers)
    return parser


def main(argv=None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except C.CLIError as exc:
        print(f"{C.PROG}: error: {C.one_line(str(exc))}", file=sys.stderr)
        return 2
    if debug:
        args.debug = True
    if getattr(args, "command", None) is None:
        parser.print_help()
        return 0
    return C.run(args.func, args)
