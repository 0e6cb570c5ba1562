"""Cold process to first ESI call: django-esi's provider against bravado's plain from_spec.

Each figure is the wall-clock time of a fresh Python process, from its start
to the end of its first call to a loopback server (the same canned answer for
both), median of ``--runs`` runs:

* **django-esi, warm**: ``EsiClientProvider()`` from the bundled ``latest``
  snapshot with its pickled spec already in ``ESI_SPEC_CACHE_DIR`` (every
  start after the first on a machine);
* **django-esi, cold**: the same with an empty cache directory (the first start);
Both processes configure Django first (same settings, no app installed: the
esi app's models and SSO are not part of the client).

* **baseline**: ``bravado.client.SwaggerClient.from_spec`` on the same spec
  with bravado's default config (spec validation on) and ``use_models=False``,
  which is what django-esi 2.x does with ``spec_file``.

Run: ``.venv/bin/python bench/startup.py [--runs 5]``. Target: the warm first
call at least 8x sooner than the baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench._common import PEAK_RSS, bytecode_env  # noqa: E402
from bench._server import ServerProcess  # noqa: E402

STATUS = {"players": 12345, "server_version": "2000000", "start_time": "2020-05-01T11:00:00Z"}

# Both processes configure Django the same way; the esi app's own models, SSO
# and admin are not part of the client, so no app is installed in either.
DJANGO = (
    PEAK_RSS
    + """
import os, django
from django.conf import settings
settings.configure(
    INSTALLED_APPS=[], USE_TZ=True,
    ESI_API_URL=os.environ["BENCH_URL"], ESI_SPEC_CACHE_DIR=os.environ.get("BENCH_CACHE", False),
    ESI_SPEC_OFFLINE=True, ESI_CACHE_RESPONSE=False,
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
)
django.setup()
"""
)

OURS = (
    DJANGO
    + """
from esi.clients import EsiClientProvider
esi = EsiClientProvider(app_info_text="bench/1.0")
assert esi.client.Status.get_status().result()["players"] == 12345
import time; print(time.time(), time.process_time(), peak_rss_kib())
"""
)

BASELINE = (
    DJANGO
    + """
import json
from bravado.client import SwaggerClient
import spec_snapshots
spec = json.loads(spec_snapshots.get(route="latest", dirs=[]).read_bytes())
host = os.environ["BENCH_URL"].split("//")[1].rstrip("/")
spec.update(host=host, schemes=["http"])
client = SwaggerClient.from_spec(spec, config={"use_models": False})
assert client.Status.get_status().result()["players"] == 12345
import time; print(time.time(), time.process_time(), peak_rss_kib())
"""
)


def run(code: str, env: dict[str, str]) -> tuple[float, float, float]:
    """Return (wall seconds from spawning the process to the end of its first call, its CPU seconds, peak RSS MiB).

    The process reports when its call ended (so its exit is not counted) and the
    CPU it used until then.
    """
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=HERE.parent, env=env, capture_output=True, text=True, check=False
    )
    if out.returncode:
        raise SystemExit(f"benchmark process failed:\n{out.stderr}")
    ended, cpu, rss = out.stdout.strip().splitlines()[-1].split()
    return float(ended) - start, float(cpu), int(rss) / 1024


def measure(ours: str, baseline: str, env: dict[str, str], runs: int, tmp: str) -> dict[str, list[Any]]:
    """Run ``ours`` cold and warm and ``baseline``, ``runs`` times each, interleaved."""
    warm_dir = os.path.join(tmp, "warm")
    run(ours, {**env, "BENCH_CACHE": warm_dir})  # fills the cache (and the bytecode: bytecode_env)
    run(ours, {**env, "BENCH_CACHE": os.path.join(tmp, "cold-warmup")})  # what only a cold start imports
    run(baseline, env)
    samples: dict[str, list[Any]] = {"cold": [], "warm": [], "base": []}
    # Interleaved, so that a change of machine load touches all three alike.
    for i in range(runs):
        samples["cold"].append(run(ours, {**env, "BENCH_CACHE": os.path.join(tmp, f"cold{i}")}))
        samples["warm"].append(run(ours, {**env, "BENCH_CACHE": warm_dir}))
        samples["base"].append(run(baseline, env))
    return samples


def report(title: str, samples: dict[str, list[Any]], runs: int) -> None:
    """Print the medians and the speed-ups against the 8x target."""

    def med(kind: str, i: int) -> float:
        return statistics.median(s[i] for s in samples[kind])

    print(f"{title}cold process to first call, median of {runs} runs: wall (CPU of the process) peak RSS")
    rows = [
        ("django-esi, pickled spec cached", "warm"),
        ("django-esi, empty spec cache", "cold"),
        ("baseline bravado from_spec", "base"),
    ]
    for label, kind in rows:
        print(f"  {label:32}: {med(kind, 0):6.3f} s ({med(kind, 1):.3f} s CPU)  {med(kind, 2):.0f} MiB")
    print(
        f"  speed-up warm: {med('base', 0) / med('warm', 0):.1f}x wall, "
        f"{med('base', 1) / med('warm', 1):.1f}x CPU (target >= 8x); "
        f"cold: {med('base', 0) / med('cold', 0):.1f}x wall"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with ServerProcess({"/latest/status/": {"body": STATUS}}) as server, tempfile.TemporaryDirectory() as tmp:
        env = bytecode_env(
            {**os.environ, "BENCH_URL": server.url, "PYTHONPATH": str(HERE.parent)},
            tmp,
        )
        env.pop("DJANGO_SETTINGS_MODULE", None)
        samples = measure(OURS, BASELINE, env, args.runs, tmp)
    report("", samples, args.runs)
    print(f"  machine load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
