"""Throughput and p99 latency of the fake ESI in server mode, on loopback.

Each server runs in its own process (``python -m esi_testing serve`` for the fake), so
the server and the load generator each get a core of this 2-core machine. Measured in
the same run:

* **small GET**: ``/latest/status/`` (recorded, cached answer) on ``--threads``
  threads, driven twice: by ``http.client`` keep-alive connections (a light load
  generator, so the figure is the server's) and by ``requests`` sessions (what test
  suites use; ``requests`` costs more CPU per call than the server does, so on two
  cores this figure is the client's);
* **baseline (transport)**: the same load on a trivial WSGI app behind the same
  :class:`~esi_testing.fake.server.FakeESIServer`, the ceiling of the transport;
* **baseline (werkzeug as shipped)**: the trivial app behind werkzeug's own
  ``make_server(threaded=True)`` handler, which closes every connection;
* **1000-item page**: market orders of region 10000002 (``page=1``, 1000 orders),
  through the django-esi client's ``result()``, and the whole listing (3 pages, 2500
  orders) through its ``results()``, on ``--threads`` threads.

Each line also gives the server process's CPU time per request (from ``/proc``): on a
machine shared with other work, throughput varies from run to run, CPU per request much
less; ``1000 / cpu_ms`` is what one core could serve.

Run: ``.venv/bin/python bench/fake_server.py [--threads 4] [--requests 3000]``.
Target: at least 1000 requests/s for the small GET. Loops are bounded; only
127.0.0.1 is used; every server process is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from _common import ROOT, configure_django

TARGET_RPS = 1000
STATUS = "/latest/status/"
ORDERS = "/latest/markets/10000002/orders/"


@dataclass
class Result:
    label: str
    calls: int
    seconds: float
    latencies: list[float]
    server_cpu: float = 0.0  # seconds of the server process's CPU during the run

    @property
    def rate(self) -> float:
        return self.calls / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000

    def line(self, unit: str = "requests/s") -> str:
        cpu = self.server_cpu * 1000 / self.calls
        return (
            f"{self.label:<52} {self.rate:6.0f} {unit:<11} p50 {self.percentile(0.5):6.1f} ms"
            f"  p99 {self.percentile(0.99):6.1f} ms  server CPU {cpu:5.2f} ms/call"
        )


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU seconds a process has used so far (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(label: str, pid: int, call: Callable[[], None], threads: int, total: int) -> Result:
    """Warm up, then :func:`load`, with the server's CPU time over the measured part."""
    load("warm-up", call, threads, min(200, total))
    before = cpu_seconds(pid)
    result = load(label, call, threads, total)
    result.server_cpu = cpu_seconds(pid) - before
    return result


def load(label: str, call: Callable[[], None], threads: int, total: int) -> Result:
    """Run ``call`` ``total`` times spread over ``threads`` threads; time each call."""
    latencies: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    per_thread = max(1, total // threads)

    def worker() -> None:
        mine = []
        try:
            for _ in range(per_thread):
                began = time.perf_counter()
                call()
                mine.append(time.perf_counter() - began)
        except BaseException as exc:  # reported by the caller's thread
            errors.append(exc)
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    began = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if errors:
        raise RuntimeError(f"{label}: {len(errors)} thread(s) failed") from errors[0]
    return Result(label, per_thread * threads, time.perf_counter() - began, latencies)


def connection_getter(url: str) -> Callable[[], None]:
    """Return a call doing one GET of ``url`` on an ``http.client`` connection of the calling thread."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    local = threading.local()

    def get() -> None:
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        connection.request("GET", parts.path)
        answer = connection.getresponse()
        answer.read()
        if answer.will_close:  # werkzeug as shipped closes every connection
            connection.close()
            local.connection = None
        if answer.status != 200:
            raise RuntimeError(f"GET {url}: {answer.status}")

    return get


def session_getter(url: str) -> Callable[[], None]:
    """Return a call doing one GET of ``url`` on a keep-alive session of the calling thread."""
    import requests

    local = threading.local()

    def get() -> None:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        answer = session.get(url, timeout=10)
        if answer.status_code != 200:
            raise RuntimeError(f"GET {url}: {answer.status_code} {answer.text[:200]}")

    return get


@contextmanager
def server_process(kind: str) -> Iterator[tuple[str, int]]:
    """Run a server in a child process; yield its base URL and pid; stop it afterwards."""
    if kind == "fake":
        command = [sys.executable, "-m", "esi_testing", "serve", "--port", "0"]
    else:
        command = [sys.executable, __file__, "--serve", kind]
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        url = None
        for line in child.stdout:
            found = re.match(r"Fake ESI:\s+(http://127\.0\.0\.1:\d+)/", line)
            if found:
                url = found.group(1)
                break
        if url is None:
            raise RuntimeError(f"{kind} server did not start (exit {child.wait()})")
        threading.Thread(target=child.stdout.read, daemon=True).start()  # keep its pipe drained
        yield url, child.pid
    finally:
        child.terminate()
        child.wait(timeout=10)


def serve(kind: str, seconds: float) -> None:
    """Serve a trivial JSON app (``hello`` on FakeESIServer, ``stock`` on werkzeug's handler)."""
    from werkzeug.serving import WSGIRequestHandler, make_server
    from werkzeug.wrappers import Response

    from esi_testing.fake.server import FakeESIServer

    def hello(environ, start_response):  # type: ignore[no-untyped-def]
        body = b'{"players":23456,"server_version":"2847563","start_time":"2026-11-23T11:05:12Z"}'
        return Response(body, content_type="application/json")(environ, start_response)

    if kind == "hello":
        server = FakeESIServer(hello)
        server.start()
        print(f"Fake ESI:       {server.url}/", flush=True)
        time.sleep(seconds)
        server.stop()
    else:

        class Quiet(WSGIRequestHandler):
            def log_request(self, *args: object) -> None:
                pass

        stock = make_server("127.0.0.1", 0, hello, threaded=True, request_handler=Quiet)
        threading.Thread(target=stock.serve_forever, daemon=True).start()
        print(f"Fake ESI:       http://127.0.0.1:{stock.port}/", flush=True)
        time.sleep(seconds)
        stock.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=4, help="client threads")
    parser.add_argument("--requests", type=int, default=3000, help="small GETs per measurement")
    parser.add_argument("--pages", type=int, default=300, help="1000-item page calls")
    parser.add_argument("--listings", type=int, default=60, help="results() calls (3 pages each)")
    parser.add_argument("--serve", choices=("hello", "stock"), help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=600, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.seconds)
        return

    print(f"fake ESI server mode on loopback, {args.threads} client threads, {os.cpu_count()} cores")
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    results: dict[tuple[str, str], Result] = {}
    for kind, label in (
        ("stock", "baseline: werkzeug as shipped, trivial app"),
        ("hello", "baseline: FakeESIServer, trivial app"),
        ("fake", "fake ESI: GET /latest/status/"),
    ):
        with server_process(kind) as (url, pid):
            target = url + STATUS if kind == "fake" else url + "/"
            for client, make in (("http.client", connection_getter), ("requests", session_getter)):
                result = measure(f"{label}, {client}", pid, make(target), args.threads, args.requests)
                results[kind, client] = result
                print(result.line())

    with server_process("fake") as (url, pid):
        configure_django(url + "/", ESI_PAGES_MAX_WORKERS=4, ESI_CONNECTION_POOL_MAXSIZE=8)
        from esi.clients import esi_client_factory

        client = esi_client_factory()
        market = client.Market

        def one_page() -> None:
            orders = market.get_markets_region_id_orders(
                region_id=10000002, order_type="all", page=1
            ).result()
            assert len(orders) == 1000, len(orders)

        def listing() -> None:
            orders = market.get_markets_region_id_orders(region_id=10000002, order_type="all").results()
            assert len(orders) == 2500, len(orders)

        page = measure(
            "fake ESI: 1000-item page, django-esi result()", pid, one_page, args.threads, args.pages
        )
        print(page.line())
        whole = measure("fake ESI: 3 pages, django-esi results()", pid, listing, args.threads, args.listings)
        print(whole.line("results()/s"))
        print(f"{'':<52} {whole.rate * 3:6.0f} pages/s")

    print()
    for client in ("http.client", "requests"):
        fake, hello, stock = (results[kind, client] for kind in ("fake", "hello", "stock"))
        verdict = "meets" if fake.rate >= TARGET_RPS else "misses"
        print(
            f"small GET, {client:<11}: {fake.rate:5.0f} requests/s, {verdict} the target of {TARGET_RPS} "
            f"({fake.rate / hello.rate:.0%} of the transport's trivial app, "
            f"{fake.rate / stock.rate:.1f}x werkzeug as shipped)"
        )
    fake_cpu = results["fake", "http.client"]
    per_call = fake_cpu.server_cpu / fake_cpu.calls
    if per_call:
        print(
            f"server CPU per small GET: {per_call * 1000:.2f} ms, so one core serves up to {1 / per_call:.0f} requests/s"
        )
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
