"""Fuzz the fake ESI with schemathesis, on loopback, and report what it answered.

``make fuzz`` runs it (not part of the test suite: it takes a few minutes). It serves
the fake ESI and SSO on 127.0.0.1, points schemathesis at the specs the fake itself
serves (the Swagger ``latest`` at ``/latest/swagger.json`` and one OpenAPI
compatibility date at ``/meta/openapi.json?compatibility_date=...``), with a bounded
number of examples per operation, and counts every answer on the server side:
requests, 5xx (the goal is 0) and answers that are not JSON (an empty 204/304 is
fine). It exits 1 when there is any 5xx or non-JSON answer.

Options: ``--max-examples`` (default 10 per operation), ``--seed``, ``--date``
(default: the newest OpenAPI snapshot), ``--max-time`` (seconds per spec).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from esi_testing import FakeESI
from esi_testing.fake.sso import mint_access_token

ADA = 90000001  # in the default data pack


class Counter:
    """WSGI middleware counting each answer's status and whether its body is JSON."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.statuses: collections.Counter[int] = collections.Counter()
        self.not_json: list[str] = []
        self.server_errors: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        seen: dict[str, Any] = {}

        def recording_start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"], seen["headers"] = int(status.split(" ", 1)[0]), dict(headers)
            return start_response(status, headers, exc_info)

        body = b"".join(self.app(environ, recording_start))
        where = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}"
        status = seen.get("status", 0)
        content_type = next(
            (v for k, v in seen.get("headers", {}).items() if k.lower() == "content-type"), ""
        )
        with self.lock:
            self.statuses[status] += 1
            if status >= 500:
                self.server_errors.append(f"{where} -> {status} {body[:200]!r}")
            if body or status not in (204, 304):
                try:
                    json.loads(body)
                    is_json = content_type.startswith("application/json")
                except ValueError:
                    is_json = False
                if not is_json:
                    self.not_json.append(f"{where} -> {status} {content_type!r} {body[:120]!r}")
        return [body]


def run_schemathesis(location: str, base_url: str, headers: dict[str, str], args: argparse.Namespace) -> int:
    exe = shutil.which("schemathesis", path=os.path.dirname(sys.executable)) or "schemathesis"
    command = [
        exe,
        "run",
        location,
        "--url",
        base_url,
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(args.seed),
        "--checks",
        # content_type_conformance would flag every empty 204/304 (no body, no Content-Type);
        # the Counter checks that every body is JSON instead.
        "not_a_server_error",
        "--workers",
        "1",  # hypothesis's lambda descriptions race in threads (an AST recursion SystemError)
        "--request-timeout",
        "20",
        "--no-shrink",
        "--max-time",
        str(args.max_time),
        "--warnings",
        "off",
    ]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    with tempfile.TemporaryDirectory() as tmp:
        # schemathesis keeps its hypothesis database and reports in the working directory
        return subprocess.call(command, cwd=tmp, stdout=subprocess.DEVNULL if args.quiet else None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--max-examples", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--date", default=None)
    parser.add_argument("--max-time", type=int, default=90)
    parser.add_argument("--quiet", action="store_true", help="hide schemathesis's own output")
    args = parser.parse_args(argv)

    fake = FakeESI(mode="server")
    counter: Counter | None = None

    def wrap(app: Callable[..., Iterable[bytes]]) -> Counter:
        nonlocal counter
        counter = Counter(app)
        return counter

    fake.wrap(wrap)
    dates = sorted(t.compatibility_date for t in fake.backend.tables if t.compatibility_date)
    date = args.date or dates[-1]
    scopes = sorted({s for t in fake.backend.tables for r in t.routes for s in r.scopes})
    token = mint_access_token(ADA, scopes)
    started = time.monotonic()
    with fake:
        url = fake.url
        assert url.startswith("http://127.0.0.1:"), url  # loopback only
        auth = {"Authorization": f"Bearer {token}"}
        codes = {
            "swagger latest": run_schemathesis(f"{url}/latest/swagger.json", f"{url}/latest", auth, args),
            f"openapi {date}": run_schemathesis(
                f"{url}/meta/openapi.json?compatibility_date={date}",
                url,
                {**auth, "X-Compatibility-Date": date},
                args,
            ),
        }
    assert counter is not None
    total = sum(counter.statuses.values())
    by_class = collections.Counter(f"{s // 100}xx" for s in counter.statuses.elements())
    print(
        f"\nfuzz: {total} requests in {time.monotonic() - started:.0f} s ({', '.join(f'{k}: {v}' for k, v in sorted(by_class.items()))})"
    )
    print(
        f"fuzz: 5xx answers: {len(counter.server_errors)}; answers that are not JSON: {len(counter.not_json)}"
    )
    print(f"fuzz: schemathesis exit codes: {codes}")
    for line in (counter.server_errors + counter.not_json)[:20]:
        print("  ", line)
    return 1 if counter.server_errors or counter.not_json else 0


if __name__ == "__main__":
    sys.exit(main())
