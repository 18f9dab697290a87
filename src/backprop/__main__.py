"""``python -m backprop ...``: the same as the ``backprop`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
