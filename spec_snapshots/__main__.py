"""``python -m spec_snapshots``: see :mod:`spec_snapshots.cli`."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
