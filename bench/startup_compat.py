"""Cold process to first ESI call for a compatibility-date client, against bravado's plain from_spec.

The OpenAPI-era twin of ``startup.py`` (same processes, same Django set-up,
same canned ``/status`` answer from a loopback server, same output). Each
figure is the wall-clock time of a fresh Python process, from its start to the
end of its first call, median of ``--runs`` runs:

* **django-esi, warm**: ``EsiClientProvider(compatibility_date="2025-12-16")``
  from the bundled OpenAPI snapshot, with its converted and pickled spec
  already in ``ESI_SPEC_CACHE_DIR`` (every start after the first on a machine);
* **django-esi, cold**: the same with an empty cache directory (the first
  start: read the OpenAPI spec, convert it with ``esi.openapi.convert``, build
  and pickle the bravado spec);
* **baseline**: ``bravado.client.SwaggerClient.from_spec`` on the *already
  converted* spec (converted once before timing, read from a file: the
  baseline pays for no conversion), bravado's default config with
  ``use_models=False`` **and spec validation off**. With bravado's default
  (validation on) the converted spec is refused: swagger-spec-validator's
  Swagger 2.0 schema has no ``oneOf``, which the converter keeps for
  validation. The script checks and prints that refusal once.

Run: ``.venv/bin/python bench/startup_compat.py [--runs 5]``. Target, as for
``startup.py``: the warm first call at least 8x sooner than the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench._common import bytecode_env  # noqa: E402
from bench._server import ServerProcess  # noqa: E402
from bench.startup import DJANGO, STATUS, measure, report  # noqa: E402
from bench.startup import OURS as SWAGGER_OURS  # noqa: E402

DATE = "2025-12-16"
# The last line of startup.py's child: what its run() reads (end of the call, CPU, peak RSS).
REPORT = SWAGGER_OURS.strip().splitlines()[-1]

OURS = (
    DJANGO
    + f"""
from esi.clients import EsiClientProvider
esi = EsiClientProvider(app_info_text="bench/1.0", compatibility_date={DATE!r})
assert esi.client.Status.GetStatus().result()["players"] == 12345
"""
    + REPORT
)

# BENCH_SPEC: the converted spec, written before timing.
BASELINE = (
    DJANGO
    + """
import json
from bravado.client import SwaggerClient
with open(os.environ["BENCH_SPEC"], encoding="utf-8") as f:
    spec = json.load(f)
host = os.environ["BENCH_URL"].split("//")[1].rstrip("/")
spec.update(host=host, schemes=["http"])
config = {"use_models": False, "validate_swagger_spec": False}
client = SwaggerClient.from_spec(spec, config=config)
assert client.Status.GetStatus().result()["players"] == 12345
"""
    + REPORT
)


def write_converted(path: Path) -> None:
    """Write the bundled OpenAPI snapshot of :data:`DATE`, converted to Swagger 2.0, to ``path``."""
    import spec_snapshots
    from esi.openapi import convert

    openapi = spec_snapshots.get(compatibility_date=DATE, dirs=[]).load()
    path.write_text(json.dumps(convert(openapi)), encoding="utf-8")


VALIDATING = """
import json, os
from bravado_core.spec import Spec
from jsonschema.exceptions import ValidationError, best_match
with open(os.environ["BENCH_SPEC"], encoding="utf-8") as f:
    spec = json.load(f)
try:
    Spec.from_dict(spec, config={"use_models": False})  # bravado's default: validate_swagger_spec on
except Exception as exc:
    cause = exc.args[1] if len(exc.args) > 1 else exc
    if isinstance(cause, ValidationError):
        cause = best_match([cause])  # the innermost reason
    where = "/".join(str(p) for p in getattr(cause, "absolute_path", ()))
    print(f"refused: {type(exc).__name__}: {getattr(cause, 'message', str(cause))[:120]} at {where}")
else:
    print("accepted (validation on works: compare against it instead)")
"""


def validation_refusal(env: dict[str, str]) -> str:
    """Return why bravado's default config (spec validation on) refuses the converted spec."""
    out = subprocess.run(
        [sys.executable, "-c", VALIDATING],
        cwd=HERE.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip() or f"the check failed: {out.stderr.strip()[-200:]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    routes = {path: {"body": STATUS} for path in ("/status", "/status/")}
    with ServerProcess(routes) as server, tempfile.TemporaryDirectory() as tmp:
        converted = Path(tmp) / "converted.json"
        write_converted(converted)
        env = {
            **os.environ,
            "BENCH_URL": server.url,
            "PYTHONPATH": str(HERE.parent),
            "BENCH_SPEC": str(converted),
        }
        env = bytecode_env(env, tmp)
        env.pop("DJANGO_SETTINGS_MODULE", None)
        refusal = validation_refusal(env)
        samples = measure(OURS, BASELINE, env, args.runs, tmp)
    report(f"compatibility date {DATE}: ", samples, args.runs)
    print("  baseline: pre-converted spec, spec validation OFF; with bravado's default (validation on) it is")
    print(f"    {refusal}")
    print(f"  machine load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
