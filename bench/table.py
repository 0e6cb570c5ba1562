"""``make bench``: every benchmark, one table (figure, floor of the same run, ratio, 7.0.1, target).

Run: ``.venv/bin/python bench/table.py [--quick] [--no-v701]``. Each benchmark's own
script prints its details first; the table comes last. ``--quick`` takes fewer runs.

django-esi 7.0.1's start-up column needs its own virtualenv (``BENCH_V701_VENV``,
default ``/tmp/perf-esi701``): when it is missing the table creates it from the
registry first (``pip install django-esi==7.0.1``); ``--no-v701`` leaves the
column out instead, and so does a registry that cannot be reached (with a line
saying so).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from bench._common import Row, print_table  # noqa: E402

#: (script, the call that returns its rows): each runs in a process of its own (each configures Django).
BENCHES = [
    ("startup_floor", "rows(runs={runs})"),
    ("per_call", "rows(repeat={repeat})"),
    ("paging", "rows(['--repeat', '{paging_repeat}'])"),
    ("localized", "rows([])"),
]


def run(module: str, call: str) -> list[Row]:
    """Run one benchmark in a fresh process; return its rows (its own report goes to our stdout)."""
    code = (
        f"import sys, json, dataclasses; sys.path[:0] = [{str(HERE.parent)!r}, {str(HERE)!r}]\n"
        f"import {module}\n"
        f"rows = {module}.{call}\n"
        "print('ROWS ' + json.dumps([dataclasses.asdict(r) for r in rows]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    lines = out.stdout.splitlines()
    print("\n".join(line for line in lines if not line.startswith("ROWS ")), flush=True)
    if out.returncode:
        raise SystemExit(f"bench/{module}.py failed:\n{out.stderr}")
    return [Row(**r) for r in json.loads(lines[-1][len("ROWS ") :])]


def ensure_v701() -> None:
    """Create django-esi 7.0.1's virtualenv from the registry unless it exists; say so when it cannot."""
    import startup_floor

    if (startup_floor.V701 / "bin" / "python").exists():
        return
    print(f"creating django-esi 7.0.1's virtualenv in {startup_floor.V701} (registry)...", flush=True)
    try:
        startup_floor.make_v701()
    except (OSError, subprocess.CalledProcessError) as exc:
        shutil.rmtree(startup_floor.V701, ignore_errors=True)  # no half-made virtualenv for the next run
        print(f"django-esi 7.0.1 could not be installed ({exc}): its column stays empty", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (noisier)")
    parser.add_argument("--no-v701", action="store_true", help="leave out django-esi 7.0.1's start-up column")
    args = parser.parse_args()
    if not args.no_v701:
        ensure_v701()
    counts = (
        {"runs": 3, "repeat": 40, "paging_repeat": 2}
        if args.quick
        else {"runs": 5, "repeat": 100, "paging_repeat": 3}
    )
    rows: list[Row] = []
    for module, call in BENCHES:
        rows += run(module, call.format(**counts))
    print()
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print_table(rows)


if __name__ == "__main__":
    main()
