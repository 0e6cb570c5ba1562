"""What the OpenAPI-era face costs a site that does not use it: nothing (pydantic not imported).

Fresh processes, each from its start to the end of its first ESI call to a
loopback server (the same canned ``/status`` answer), the pickled spec cached
(``ESI_SPEC_CACHE_DIR`` warm), median of ``--runs`` runs, interleaved:

* **baseline: a 2.x-style site**: Django set up, ``EsiClientProvider()``, one
  Swagger-era call (``bench/startup.py``'s warm process);
* **the same site with a 10.x app's imports**: the same call after importing
  ``esi.openapi_clients``, ``esi.exceptions``, ``esi.stubs``,
  ``esi.rate_limiting`` (what the new decorators import) and building an ``ESIClientProvider`` at module level,
  as 10.x apps' ``providers.py`` do, without calling it;
* **the OpenAPI face's first call**: ``ESIClientProvider(...).client.Status.GetStatus().result()``,
  which builds the pydantic model of its answer.

Each row says whether pydantic was imported. Run:
``.venv/bin/python bench/openapi_face.py [--runs 5]``. Target: the second row
within noise of the baseline, pydantic absent from both.
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench._common import bytecode_env  # noqa: E402
from bench._server import ServerProcess  # noqa: E402
from bench.startup import DJANGO, STATUS  # noqa: E402

DATE = "2025-12-16"
# The child's last line: end of its call, CPU seconds, peak RSS (bench.startup.DJANGO defines peak_rss_kib), whether pydantic is imported.
REPORT = """
import sys, time
print(time.time(), time.process_time(), peak_rss_kib(), "pydantic" in sys.modules)
"""

SWAGGER_SITE = (
    DJANGO
    + """
from esi.clients import EsiClientProvider
esi = EsiClientProvider(app_info_text="bench/1.0")
assert esi.client.Status.get_status().result()["players"] == 12345
"""
    + REPORT
)

WITH_10X_IMPORTS = (
    DJANGO
    + f"""
import esi.exceptions, esi.rate_limiting, esi.stubs
from esi.openapi_clients import ESIClientProvider
openapi = ESIClientProvider({DATE!r}, ua_appname="Bench", ua_version="1.0", operations=["GetStatus"])
from esi.clients import EsiClientProvider
esi = EsiClientProvider(app_info_text="bench/1.0")
assert esi.client.Status.get_status().result()["players"] == 12345
"""
    + REPORT
)

OPENAPI_CALL = (
    DJANGO
    + f"""
from esi.openapi_clients import ESIClientProvider
esi = ESIClientProvider({DATE!r}, ua_appname="Bench", ua_version="1.0", operations=["GetStatus"])
assert esi.client.Status.GetStatus().result(use_etag=False).players == 12345
"""
    + REPORT
)

ROWS = [
    ("baseline: 2.x-style site", SWAGGER_SITE),
    ("same site + 10.x app imports", WITH_10X_IMPORTS),
    ("OpenAPI face, first call", OPENAPI_CALL),
]


def run(code: str, env: dict[str, str]) -> tuple[float, float, float, bool]:
    """Return (wall seconds to the end of the first call, CPU seconds, peak RSS MiB, pydantic imported)."""
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=HERE.parent, env=env, capture_output=True, text=True, check=False
    )
    if out.returncode:
        raise SystemExit(f"benchmark process failed:\n{out.stderr}")
    ended, cpu, rss, pydantic = out.stdout.strip().splitlines()[-1].split()
    return float(ended) - start, float(cpu), int(rss) / 1024, pydantic == "True"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    routes = {path: {"body": STATUS} for path in ("/latest/status/", "/status", "/status/")}
    with ServerProcess(routes) as server, tempfile.TemporaryDirectory() as tmp:
        env = bytecode_env(
            {**os.environ, "BENCH_URL": server.url, "PYTHONPATH": str(HERE.parent), "BENCH_CACHE": tmp},
            tmp,
        )
        env.pop("DJANGO_SETTINGS_MODULE", None)
        for _, code in ROWS:
            run(code, env)  # fills the spec cache
        samples: dict[str, list[tuple[float, float, float, bool]]] = {label: [] for label, _ in ROWS}
        for _ in range(args.runs):
            for label, code in ROWS:
                samples[label].append(run(code, env))
    print(
        f"cold process to first call, spec cache warm, median of {args.runs} runs: wall (CPU) peak RSS, pydantic"
    )
    base = statistics.median(s[0] for s in samples[ROWS[0][0]])
    for label, _ in ROWS:
        wall = statistics.median(s[0] for s in samples[label])
        cpu = statistics.median(s[1] for s in samples[label])
        rss = statistics.median(s[2] for s in samples[label])
        imported = "imported" if any(s[3] for s in samples[label]) else "not imported"
        print(
            f"  {label:30}: {wall:6.3f} s ({cpu:.3f} s CPU) {rss:4.0f} MiB  {wall - base:+.3f} s  pydantic {imported}"
        )
    print(f"  machine load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
