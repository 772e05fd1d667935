"""``python -m backsmooth.cli``: the same as the ``backsmooth`` command."""

import sys

from backsmooth.cli import main

sys.exit(main())
