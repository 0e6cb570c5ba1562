"""Start-up in instructions (valgrind's callgrind), which the load of a shared machine does not move.

The processes of ``startup_floor.py`` (the floor, ``latest`` with the spec cache
warm, a compatibility date, the OpenAPI face and its own floor with pydantic imported, a ``spec_file`` and one twice its
size), each run once to write its
bytecode and its spec cache, then once under ``valgrind --tool=callgrind``:
the instructions the process executed from its spawn to its exit, the same
count for the same code whatever else the machine is doing. CPU seconds on a
shared machine move by 20 % between runs of the same code; use this to tell
whether a change moved start-up, and ``startup_floor.py`` for the seconds.

Needs valgrind (Debian's ``valgrind`` package); about a minute per process.
Run: ``.venv/bin/python bench/startup_instructions.py [--tree DIR ...]``: each
``--tree`` is a django-esi source tree to measure (default: this one), so two
checkouts are compared in one run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench import startup_floor  # noqa: E402
from bench._common import bytecode_env  # noqa: E402
from bench._server import ServerProcess  # noqa: E402

KINDS = [
    ("floor: Django + requests.get().json()", startup_floor.FLOOR),
    ("the floor + pydantic imported", startup_floor.FLOOR_PYDANTIC),
    ("latest, spec cache warm", startup_floor.LATEST),
    (f"compatibility date {startup_floor.DATE}, warm", startup_floor.COMPAT),
    ("OpenAPI face, warm", startup_floor.FACE),
    ("spec file x1, warm", startup_floor.SPEC_FILE),
    ("spec file x2 (twice the spec), warm", startup_floor.SPEC_FILE),
]


def instructions(code: str, env: dict[str, str], cwd: str) -> int:
    """Return the instructions of one process running ``code`` (after an untimed run)."""
    subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, check=True)
    out = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={cwd}/callgrind.out",
            sys.executable,
            "-c",
            code,
        ],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", out.stderr)
    if out.returncode or found is None:
        raise SystemExit(f"valgrind failed:\n{out.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    """Print the instructions of each process and its excess over the floor, per tree."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", help="a django-esi source tree (default: this one)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("bench/startup_instructions.py: valgrind is not installed; nothing measured")
        return
    trees = [str(Path(t).resolve()) for t in args.tree or [HERE.parent]]
    routes = {p: {"body": startup_floor.STATUS} for p in ("/latest/status/", "/status", "/status/")}
    print("instructions from spawn to exit (callgrind), one process each")
    with ServerProcess(routes) as server:
        for tree in trees:
            with tempfile.TemporaryDirectory() as tmp:
                env = bytecode_env(
                    {**os.environ, "BENCH_URL": server.url, "PYTHONPATH": tree, "BENCH_CACHE": f"{tmp}/warm"},
                    tmp,
                )
                env.pop("DJANGO_SETTINGS_MODULE", None)
                files = startup_floor.write_specs(Path(tmp), server.url)
                print(f"  {tree}")
                floor = 0
                for label, code in KINDS:
                    spec = files["x2" if "x2" in label else "x1"]
                    count = instructions(code, {**env, "BENCH_SPEC": str(spec)}, tmp)
                    floor = floor or count
                    print(
                        f"    {label:40} {count / 1e9:6.3f} G  {count / floor:5.2f}x the floor"
                        f"  +{(count - floor) / 1e9:.3f} G",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
