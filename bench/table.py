"""``make bench``: every benchmark, one table (figure, floor of the same run, ratio, 7.0.1, target).

Run: ``.venv/bin/python bench/table.py [--quick]``. Each benchmark's own script
prints its details first; the table comes last. ``--quick`` takes fewer runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from bench._common import print_table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (noisier)")
    args = parser.parse_args()
    import localized
    import paging
    import per_call
    import startup_floor

    rows = []
    rows += startup_floor.rows(runs=3 if args.quick else 5)
    rows += per_call.rows(repeat=40 if args.quick else 100)
    rows += paging.rows(["--repeat", "2" if args.quick else "3"])
    rows += localized.rows([])
    print()
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print_table(rows)


if __name__ == "__main__":
    main()
