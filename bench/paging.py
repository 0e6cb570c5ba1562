"""results() over ESI's real page counts: time against the latency floor, memory against the data.

A loopback server (its own process) answers ``/latest/markets/<region>/orders/``
with ``X-Pages`` pages of ``--orders`` market orders each, every answer after
``--latency`` seconds. All figures come from the same run and the same client:

* **40 pages**: ``results()`` against the floor: one latency for page 1 plus
  ``ceil(39 / workers)`` latencies for the rest (no client can do better with
  ``workers`` connections); also, measured, a plain ``requests`` + thread-pool
  fetch of the same pages with ``.json()`` (no checks, no conversion), and
  2.x's sequential ``result(page=n)`` loop. ``results()`` and the thread pool
  take turns, ``--repeat`` rounds of one each, so that a change of the machine's
  load meets both alike; the best and the median of each are printed.
* **the OpenAPI face** (``ESIClientProvider``, compatibility date
  2025-12-16): its ``results(use_etag=False)`` of the same 40 pages, pydantic
  models built from each page's bytes (best and median of ``--repeat``); and
  the process CPU per page of it, taking turns with the same call validating
  the engine's converted pages instead (``EsiOperation.json_bodies = False``,
  the face's way before).
* **100 / 200 / 400 pages** (The Forge has about 400 of 1000 orders): wall and
  CPU time of ``results()``; the growth from 100 to 200 to 400 pages shows any
  quadratic step (2.0x per doubling is linear).
* **peak memory at 400 pages** (``tracemalloc``, a separate run): the peak of
  ``results()`` over the size of the data it returns (what stays allocated while
  the result is kept), target at most 1.3x.

Run: ``.venv/bin/python bench/paging.py [--pages 40] [--big 400] [--orders 1000]
[--latency 0.05] [--workers 8] [--repeat 5]``. Targets (issue 13): within 1.15x the floor for
40 and 400 pages; peak memory at most 1.3x the returned data.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import statistics
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from _common import Row, best_of, configure_django, market_orders, take_turns

from bench._server import ServerProcess

PATH = "/latest/markets/{region}/orders/"
#: The same listing as the OpenAPI face (a compatibility date) asks for it.
FACE_PATH = "/markets/{region}/orders"
#: Distinct pages served (page n is page (n - 1) % DISTINCT + 1): 40 are enough to defeat any cache.
DISTINCT = 40
REGIONS = {40: 10000002, 100: 10000043, 200: 10000030, 400: 10000032}


def _floor(pages: int, workers: int, latency: float) -> float:
    return latency * (1 + math.ceil((pages - 1) / workers))


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Run every measurement; return the figures."""
    distinct = [market_orders(p, args.orders) for p in range(1, DISTINCT + 1)]
    sizes = sorted({args.pages, 100, 200, args.big} - {0})
    regions = {n: REGIONS.get(n, 10000100 + n) for n in sizes}
    routes = {PATH.format(region=regions[n]): {"pages": distinct, "page_count": n} for n in sizes}
    routes[FACE_PATH.format(region=regions[args.pages])] = {"pages": distinct, "page_count": args.pages}
    out: dict[str, Any] = {"sizes": sizes}
    with ServerProcess(routes, latency=args.latency) as server:
        configure_django(
            server.url, ESI_PAGES_MAX_WORKERS=args.workers, ESI_CONNECTION_POOL_MAXSIZE=args.workers
        )
        import requests

        from esi.clients import EsiClientProvider

        client = EsiClientProvider().client

        def op(pages: int) -> Any:
            return client.Market.get_markets_region_id_orders(region_id=regions[pages], order_type="all")

        assert len(op(args.pages).results()) == args.pages * args.orders  # warm up: connections, converters

        def ours() -> None:
            assert len(op(args.pages).results()) == args.pages * args.orders

        session = requests.Session()
        session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=args.workers))
        url = server.url.rstrip("/") + PATH.format(region=regions[args.pages])

        def plain() -> None:
            def get(page: int) -> Any:
                return session.get(url, params={"page": page, "order_type": "all"}).json()

            first = session.get(url, params={"page": 1, "order_type": "all"})
            data = first.json()
            with ThreadPoolExecutor(args.workers) as pool:
                for page in pool.map(get, range(2, int(first.headers["X-Pages"]) + 1)):
                    data.extend(page)
            assert len(data) == args.pages * args.orders

        def sequential() -> None:
            data = []
            for page in range(1, args.pages + 1):
                data.extend(op(args.pages).result(page=page))
            assert len(data) == args.pages * args.orders

        from esi.openapi_clients import ESIClientProvider

        face_client = ESIClientProvider("2025-12-16", ua_appname="Bench", ua_version="1.0").client

        def face(json_bodies: bool = True) -> None:
            operation = face_client.Market.GetMarketsRegionIdOrders(
                region_id=regions[args.pages], order_type="all"
            )
            operation.json_bodies = json_bodies
            assert len(operation.results(use_etag=False)) == args.pages * args.orders

        face()  # warm up: the models
        for name, times in take_turns(args.repeat, {"ours": ours, "plain": plain, "face": face}).items():
            out[name] = min(times)
            out[f"{name}_median"] = statistics.median(times)
        face_cpu: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(args.repeat):
            for json_bodies in face_cpu:
                gc.collect()
                start = time.process_time()
                face(json_bodies)
                face_cpu[json_bodies].append(time.process_time() - start)
        out["face_cpu"] = statistics.median(face_cpu[True]) / args.pages
        out["face_cpu_converted"] = statistics.median(face_cpu[False]) / args.pages
        out["sequential"] = best_of(1, sequential)
        growth = {}
        for n in sizes:
            gc.collect()
            wall, cpu = time.perf_counter(), time.process_time()
            assert len(op(n).results()) == n * args.orders
            growth[n] = (time.perf_counter() - wall, time.process_time() - cpu)
        out["growth"] = growth
        if args.big:
            gc.collect()
            tracemalloc.start()
            before = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            data = op(args.big).results()
            kept, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            assert len(data) == args.big * args.orders
            out["memory"] = (kept - before, peak - before)
            del data
    out["load"] = os.getloadavg()[0]
    return out


def report(args: argparse.Namespace, out: dict[str, Any]) -> None:
    """Print the figures."""
    floor = _floor(args.pages, args.workers, args.latency)
    print(
        f"{args.pages} pages x {args.orders} orders, {args.latency * 1000:.0f} ms latency, {args.workers} workers "
        f"(best and median of {args.repeat}, taking turns; load {out['load']:.1f} on {os.cpu_count()} CPUs)"
    )
    print(
        f"  results()                           : {out['ours']:6.3f} s  {out['ours'] / floor:.2f}x the floor "
        f"(target <= 1.15x); median {out['ours_median'] / floor:.2f}x"
    )
    print(f"  floor: 1 + ceil({args.pages - 1}/{args.workers}) latencies      : {floor:6.3f} s")
    print(
        f"  requests + thread pool + .json()    : {out['plain']:6.3f} s  {out['plain'] / floor:.2f}x the floor; "
        f"median {out['plain_median'] / floor:.2f}x"
    )
    print(
        f"  OpenAPI face results(), pydantic    : {out['face']:6.3f} s  {out['face'] / floor:.2f}x the floor; "
        f"median {out['face_median'] / floor:.2f}x"
    )
    print(
        f"    its CPU per page (median)          : {out['face_cpu'] * 1000:6.2f} ms; "
        f"validating converted pages instead {out['face_cpu_converted'] * 1000:.2f} ms"
    )
    print(f"  2.x sequential result(page=n) loop  : {out['sequential']:6.3f} s")
    print("  growth (wall s, CPU s; x per doubling):")
    previous = None
    for n, (wall, cpu) in out["growth"].items():
        step = f"  {wall / previous[0]:.2f}x wall {cpu / previous[1]:.2f}x CPU" if previous else ""
        print(
            f"    {n:4d} pages: {wall:6.3f} s  {cpu:6.3f} s CPU  {wall / _floor(n, args.workers, args.latency):.2f}x floor{step}"
        )
        previous = (wall, cpu)
    if "memory" in out:
        kept, peak = out["memory"]
        print(
            f"  {args.big} pages, tracemalloc: returned data {kept / 2**20:.0f} MiB, peak {peak / 2**20:.0f} MiB "
            f"= {peak / kept:.2f}x (target <= 1.3x)"
        )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--pages", type=int, default=40)
    p.add_argument("--big", type=int, default=400, help="the real size; 0 skips the memory run")
    p.add_argument("--orders", type=int, default=1000, help="orders per page")
    p.add_argument("--latency", type=float, default=0.05)
    p.add_argument("--workers", type=int, default=8, help="ESI_PAGES_MAX_WORKERS")
    p.add_argument("--repeat", type=int, default=5)
    return p


def rows(argv: list[str] | None = None) -> list[Row]:
    """Return the table rows of this benchmark (see :mod:`bench.table`)."""
    args = parser().parse_args(argv or [])
    out = measure(args)
    report(args, out)
    floor = _floor(args.pages, args.workers, args.latency)
    result = [
        Row(
            f"results(), {args.pages} pages x {args.orders}, {args.latency * 1000:.0f} ms",
            out["ours"],
            floor,
            None,
            "s",
            "<= 1.15x floor",
            out["ours"] <= 1.15 * floor,
            f"2.x loop {out['sequential']:.3f} s; requests+pool {out['plain']:.3f} s; "
            f"medians {out['ours_median']:.3f} / {out['plain_median']:.3f} s; OpenAPI face {out['face']:.3f} s",
        ),
    ]
    sizes = list(out["growth"])
    wall, _ = out["growth"][args.big]
    big_floor = _floor(args.big, args.workers, args.latency)
    result.append(
        Row(
            f"results(), {args.big} pages",
            wall,
            big_floor,
            None,
            "s",
            "<= 1.15x floor",
            wall <= 1.15 * big_floor,
            "",
        )
    )
    steps = [
        out["growth"][b][1] / out["growth"][a][1]
        for a, b in zip(sizes, sizes[1:], strict=False)
        if b == 2 * a
    ]
    result.append(
        Row(
            "CPU growth per doubling of pages (100->200->400)",
            max(steps) if steps else 0,
            2.0,
            None,
            "x",
            "linear (about 2x)",
            bool(steps) and max(steps) <= 2.5,
            ", ".join(f"{s:.2f}x" for s in steps),
        )
    )
    if "memory" in out:
        kept, peak = out["memory"]
        result.append(
            Row(
                f"peak memory of results(), {args.big} pages (tracemalloc)",
                peak / 2**20,
                kept / 2**20,
                None,
                "MiB",
                "<= 1.3x the returned data",
                peak <= 1.3 * kept,
                "floor: the returned data",
            )
        )
    return result


def main() -> None:
    args = parser().parse_args()
    report(args, measure(args))


if __name__ == "__main__":
    main()
