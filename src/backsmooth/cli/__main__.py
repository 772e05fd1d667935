"""``python -m backsmooth.cli``: the same as the ``backsmooth`` command."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
