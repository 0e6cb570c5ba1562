"""results() over 40 pages at 50 ms latency against a sequential loop over the same pages.

A loopback server answers ``/latest/markets/10000002/orders/`` with 40 pages
(``X-Pages: 40``) of market orders, each after ``--latency`` seconds. In the
same run and with the same client:

* **results()**: page 1, then pages 2..40 concurrently (``ESI_PAGES_MAX_WORKERS``);
* **baseline**: ``result(page=n)`` for n = 1..40, one after another (what
  django-esi 2.x's ``results()`` did).

Run: ``.venv/bin/python bench/paging.py [--pages 40] [--orders 1000] [--latency 0.05]``.
Target: results() at least 5x faster.
"""

from __future__ import annotations

import argparse

from _common import best_of, configure_django, market_orders

from bench._server import ServerProcess

PATH = "/latest/markets/10000002/orders/"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--orders", type=int, default=1000, help="orders per page")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=8, help="ESI_PAGES_MAX_WORKERS")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pages = [market_orders(p, args.orders) for p in range(1, args.pages + 1)]
    with ServerProcess({PATH: {"pages": pages}}, latency=args.latency) as server:
        configure_django(
            server.url, ESI_PAGES_MAX_WORKERS=args.workers, ESI_CONNECTION_POOL_MAXSIZE=args.workers
        )
        from esi.clients import EsiClientProvider

        client = EsiClientProvider().client

        def op():
            return client.Market.get_markets_region_id_orders(region_id=10000002, order_type="all")

        expected = args.pages * args.orders
        assert len(op().results()) == expected  # warm up: connections, converters

        def sequential():
            data = []
            for page in range(1, args.pages + 1):
                data.extend(op().result(page=page))
            assert len(data) == expected

        def concurrent():
            assert len(op().results()) == expected

        ours = best_of(args.repeat, concurrent)
        base = best_of(args.repeat, sequential)
    print(
        f"{args.pages} pages x {args.orders} orders, {args.latency * 1000:.0f} ms latency, "
        f"{args.workers} workers (best of {args.repeat})"
    )
    print(f"  results()                 : {ours:6.3f} s")
    print(f"  baseline sequential loop  : {base:6.3f} s")
    print(f"  speed-up: {base / ours:.1f}x (target >= 5x)")


if __name__ == "__main__":
    main()
