"""Fresh process to the end of its first ESI call, against the floor measured in the same run.

Every row is a fresh Python process, from its spawn to the end of its first
call to a loopback server (the same canned ``/status`` answer for all), median
of ``--runs`` runs, the rows interleaved so that a change of machine load
touches them alike. Figures: wall time, CPU time of the process until the
call ended (``time.process_time``: it survives the load of a shared machine
better than wall time), and peak RSS.

* **floor**: what no Django ESI client can beat: Django set up with auth,
  contenttypes and sessions (SQLite in memory), ``requests`` imported, one
  ``requests.get(url).json()``.
* **the floor + pydantic**: the floor with pydantic's ``BaseModel``, ``Field``,
  ``TypeAdapter`` and ``create_model`` imported: the floor of the OpenAPI face,
  whose results are pydantic models (not a target; the face's row says what it
  costs over this one too).
* **latest**, **compatibility date**, **OpenAPI face**: the same Django with
  ``esi`` installed, the client built from the bundled snapshot (``latest``;
  ``compatibility_date="2025-12-16"``; ``esi.openapi_clients.ESIClientProvider``),
  the spec cache warm (every start after the first on a machine); **latest,
  empty cache** is the first start.
* **spec file x1 / x2**: ``spec_file=`` the ``latest`` snapshot, and a spec
  twice its size (every operation copied under ``/copy``, its own tags), warm:
  the cost of a client grows with the operations it uses, not with the spec.
* **django-esi 7.0.1** (``--v701``, or when ``/tmp/perf-esi701`` holds its
  virtualenv): 7.0.1 installed from the registry in its own virtualenv
  (``--make-v701`` creates it), ``EsiClientProvider(spec_file=...)``, its default
  config (spec validation on, no cache), Django 4.2.

Targets (issue 13): each client within 0.05 s (CPU) and 5 MiB of the floor.
Run: ``.venv/bin/python bench/startup_floor.py [--runs 5]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench._common import PEAK_RSS, Row, bytecode_env, doubled_spec  # noqa: E402
from bench._server import ServerProcess  # noqa: E402

STATUS = {"players": 12345, "server_version": "2000000", "start_time": "2020-05-01T11:00:00Z"}
DATE = "2025-12-16"
V701 = Path(os.environ.get("BENCH_V701_VENV", "/tmp/perf-esi701"))

DJANGO = """
import os, time, django
from django.conf import settings
settings.configure(
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions"] + APPS,
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    USE_TZ=True, ESI_API_URL=os.environ["BENCH_URL"], ESI_SPEC_CACHE_DIR=os.environ.get("BENCH_CACHE", False),
    ESI_SPEC_OFFLINE=True, ESI_CACHE_RESPONSE=False,
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
)
django.setup()
"""
REPORT = (
    PEAK_RSS
    + """
print(time.time(), time.process_time(), peak_rss_kib())
"""
)


def _child(apps: list[str], body: str) -> str:
    return f"APPS = {apps!r}\n" + DJANGO + body + REPORT


FLOOR = _child(
    [],
    """
import requests
assert requests.get(os.environ["BENCH_URL"] + "latest/status/").json()["players"] == 12345
""",
)
#: The floor with what the OpenAPI face's results are made of imported: pydantic (its models, fields,
#: TypeAdapter). The face returns pydantic models, so no face can start below this.
FLOOR_PYDANTIC = _child(
    [],
    """
import requests
from pydantic import BaseModel, Field, TypeAdapter, create_model
assert requests.get(os.environ["BENCH_URL"] + "latest/status/").json()["players"] == 12345
""",
)
LATEST = _child(
    ["esi"],
    """
from esi.clients import EsiClientProvider
esi = EsiClientProvider(app_info_text="bench/1.0")
assert esi.client.Status.get_status().result()["players"] == 12345
""",
)
COMPAT = _child(
    ["esi"],
    f"""
from esi.clients import EsiClientProvider
esi = EsiClientProvider(app_info_text="bench/1.0", compatibility_date={DATE!r})
assert esi.client.Status.GetStatus().result()["players"] == 12345
""",
)
FACE = _child(
    ["esi"],
    f"""
from esi.openapi_clients import ESIClientProvider
esi = ESIClientProvider({DATE!r}, ua_appname="Bench", ua_version="1.0")
assert esi.client.Status.GetStatus().result(use_etag=False).players == 12345
""",
)
SPEC_FILE = _child(
    ["esi"],
    """
from esi.clients import EsiClientProvider
esi = EsiClientProvider(app_info_text="bench/1.0", spec_file=os.environ["BENCH_SPEC"])
assert esi.client.Status.get_status().result()["players"] == 12345
""",
)
OLD = _child(
    ["esi"],
    """
from esi.clients import EsiClientProvider
esi = EsiClientProvider(app_info_text="bench/1.0", spec_file=os.environ["BENCH_SPEC"])
assert esi.client.Status.get_status().result()["players"] == 12345
""",
)


def run(code: str, env: dict[str, str], python: str = sys.executable) -> tuple[float, float, float]:
    """Return (wall seconds from spawn to the end of the first call, CPU seconds until then, peak RSS MiB)."""
    start = time.time()
    out = subprocess.run(
        [python, "-c", code], cwd=tempfile.gettempdir(), env=env, capture_output=True, text=True, check=False
    )
    if out.returncode:
        raise SystemExit(f"benchmark process failed:\n{out.stderr}")
    ended, cpu, rss = out.stdout.strip().splitlines()[-1].split()
    return float(ended) - start, float(cpu), int(rss) / 1024


def write_specs(tmp: Path, url: str) -> dict[str, Path]:
    """Write the ``latest`` snapshot, the same twice its size, and 7.0.1's copy (host = the loopback server)."""
    import spec_snapshots

    spec = json.loads(spec_snapshots.get(route="latest", dirs=[]).read_bytes())
    doubled = doubled_spec(spec)
    old = {**spec, "host": url.split("//")[1].rstrip("/"), "schemes": ["http"]}
    files = {"x1": tmp / "spec.json", "x2": tmp / "doubled.json", "v701": tmp / "v701.json"}
    for name, content in (("x1", spec), ("x2", doubled), ("v701", old)):
        files[name].write_text(json.dumps(content))
    return files


def measure(runs: int, v701: bool) -> tuple[list[tuple[str, str, tuple[float, float, float]]], float]:
    """Return (label, key, median (wall, CPU, RSS)) per row and the load average."""
    with ServerProcess({p: {"body": STATUS} for p in ("/latest/status/", "/status", "/status/")}) as server:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            files = write_specs(tmp, server.url)
            env = bytecode_env({**os.environ, "BENCH_URL": server.url, "PYTHONPATH": str(HERE.parent)}, tmp)
            env.pop("DJANGO_SETTINGS_MODULE", None)
            warm = {**env, "BENCH_CACHE": str(tmp / "warm")}
            kinds: list[tuple[str, str, str, dict[str, str], str]] = [
                ("floor: Django + requests.get().json()", "floor", FLOOR, env, sys.executable),
                ("the floor + pydantic imported", "pydantic", FLOOR_PYDANTIC, env, sys.executable),
                ("latest, spec cache warm", "latest", LATEST, warm, sys.executable),
                ("latest, empty spec cache", "cold", LATEST, env, sys.executable),
                (f"compatibility date {DATE}, warm", "compat", COMPAT, warm, sys.executable),
                ("OpenAPI face, warm", "face", FACE, warm, sys.executable),
                (
                    "spec file x1, warm",
                    "x1",
                    SPEC_FILE,
                    {**warm, "BENCH_SPEC": str(files["x1"])},
                    sys.executable,
                ),
                (
                    "spec file x2 (twice the spec), warm",
                    "x2",
                    SPEC_FILE,
                    {**warm, "BENCH_SPEC": str(files["x2"])},
                    sys.executable,
                ),
            ]
            if v701:
                v701_env = bytecode_env(
                    {**os.environ, "BENCH_URL": server.url, "BENCH_SPEC": str(files["v701"])}, tmp / "v701"
                )
                v701_env.pop("PYTHONPATH", None)
                v701_env.pop("DJANGO_SETTINGS_MODULE", None)
                kinds.append(
                    ("django-esi 7.0.1, spec_file", "v701", OLD, v701_env, str(V701 / "bin" / "python"))
                )
            for _, key, code, kind_env, python in kinds:  # bytecode and the warm spec cache (not timed)
                if key == "cold":
                    kind_env = {**kind_env, "BENCH_CACHE": str(tmp / "cold-warmup")}
                run(code, kind_env, python)
            samples: dict[str, list[tuple[float, float, float]]] = {key: [] for _, key, *_ in kinds}
            for i in range(runs):
                for _, key, code, kind_env, python in kinds:
                    if key == "cold":
                        kind_env = {**kind_env, "BENCH_CACHE": str(tmp / f"cold{i}")}
                    samples[key].append(run(code, kind_env, python))
    load = os.getloadavg()[0]
    medians = [
        (label, key, tuple(statistics.median(s[j] for s in samples[key]) for j in range(3)))
        for label, key, *_ in kinds
    ]
    return medians, load  # type: ignore[return-value]


def rows(runs: int = 5, v701: bool | None = None) -> list[Row]:
    """Return the table rows of this benchmark (see :mod:`bench.table`)."""
    if v701 is None:
        v701 = (V701 / "bin" / "python").exists()
    medians, load = measure(runs, v701)
    report(medians, load, runs)
    by_key = {key: figures for _, key, figures in medians}
    floor = by_key["floor"]
    old = by_key.get("v701")
    out = []
    pydantic = by_key["pydantic"]
    for label, key, figures in medians:
        if key in ("floor", "v701"):
            continue
        cpu_over = figures[1] - floor[1]
        rss_over = figures[2] - floor[2]
        target = key in ("latest", "compat", "face")
        if key == "pydantic":
            out.append(
                Row(
                    f"start-up: {label} (the face's own floor)",
                    figures[1],
                    floor[1],
                    None,
                    "s",
                    "",
                    None,
                    f"pydantic's import alone: +{cpu_over:.3f} s, +{rss_over:.1f} MiB over the floor",
                )
            )
            continue
        face = (
            f"; +{figures[1] - pydantic[1]:.3f} s, +{figures[2] - pydantic[2]:.1f} MiB over the floor with pydantic"
            if key == "face"
            else ""
        )
        out.append(
            Row(
                f"start-up CPU: {label}",
                figures[1],
                floor[1],
                old[1] if old else None,
                "s",
                "<= floor + 0.05 s" if target else "",
                (cpu_over <= 0.05) if target else None,
                f"+{cpu_over:.3f} s over the floor; wall {figures[0]:.3f} s (floor {floor[0]:.3f} s){face}",
            )
        )
        if target or key == "x2":
            out.append(
                Row(
                    f"start-up peak RSS: {label}",
                    figures[2],
                    floor[2],
                    old[2] if old else None,
                    "MiB",
                    "<= floor + 5 MiB" if target else "",
                    (rss_over <= 5) if target else None,
                    f"+{rss_over:.1f} MiB over the floor",
                )
            )
    out.append(Row("machine load average (1 min)", load, None, None, "", "", None, f"{os.cpu_count()} CPUs"))
    return out


def make_v701() -> None:
    """Create django-esi 7.0.1's virtualenv from the registry (pip)."""
    subprocess.run([sys.executable, "-m", "venv", str(V701)], check=True)
    subprocess.run([str(V701 / "bin" / "pip"), "install", "-q", "django-esi==7.0.1", "Django<5"], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--make-v701", action="store_true", help="create 7.0.1's virtualenv first")
    args = parser.parse_args()
    if args.make_v701 and not (V701 / "bin" / "python").exists():
        make_v701()
    medians, load = measure(args.runs, (V701 / "bin" / "python").exists())
    report(medians, load, args.runs)


def report(medians: list[tuple[str, str, tuple[float, float, float]]], load: float, runs: int) -> None:
    """Print the medians and what each row costs over the floor."""
    floor = medians[0][2]
    print(
        f"fresh process to the end of its first call, median of {runs} runs (load {load:.1f} on {os.cpu_count()} CPUs)"
    )
    print(f"  {'':40} {'wall':>8} {'CPU':>8} {'RSS':>8}   over the floor (CPU, RSS)")
    for label, _, (wall, cpu, rss) in medians:
        print(
            f"  {label:40} {wall:7.3f}s {cpu:7.3f}s {rss:5.0f}MiB   +{cpu - floor[1]:.3f} s  +{rss - floor[2]:.1f} MiB"
        )


if __name__ == "__main__":
    main()
