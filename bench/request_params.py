"""CPU of building one request (``EsiFuture._build``): bravado's ``construct_params`` against ``esi.request_params``.

Both in the same process, taking turns: each round times ``--builds`` builds of
each call with bravado-core's ``construct_params`` (every parameter validated by
jsonschema, as before) and as many with :func:`esi.request_params.construct_params`
(checks compiled once per parameter), on a client of the bundled ``latest``
snapshot. Figures are the median of ``--rounds`` rounds, in µs per build; the
requests built both ways are checked to be equal.

Run: ``.venv/bin/python bench/request_params.py [--rounds 31] [--builds 200]``.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import configure_django  # noqa: E402

IDS = [30000142 + i for i in range(1000)]

CALLS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "orders (region_id, order_type, page)": (
        "Market",
        "get_markets_region_id_orders",
        {"region_id": 10000002, "order_type": "all", "page": 2},
    ),
    "post_universe_names, 10 ids": ("Universe", "post_universe_names", {"ids": IDS[:10]}),
    "post_universe_names, 1000 ids": ("Universe", "post_universe_names", {"ids": IDS}),
    "get_search, 2 categories": (
        "Search",
        "get_search",
        {"categories": ["solar_system", "station"], "search": "Jita"},
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--builds", type=int, default=200)
    args = parser.parse_args()
    configure_django("http://127.0.0.1:9")

    from bravado.client import construct_params as bravados

    import esi.operations
    from esi.clients import esi_client_factory
    from esi.request_params import construct_params as ours

    client = esi_client_factory()
    ways = {"bravado": bravados, "esi.request_params": ours}
    print(f"µs per _build, median of {args.rounds} rounds of {args.builds} builds, taking turns")
    print("| call | bravado | esi.request_params | ratio |")
    print("|---|---:|---:|---:|")
    for label, (resource, op_id, kwargs) in CALLS.items():
        future = getattr(getattr(client, resource), op_id)(**kwargs)
        built = {}
        for name, way in ways.items():
            esi.operations.construct_params = way  # type: ignore[attr-defined]
            built[name] = future._build({})
        assert built["bravado"] == built["esi.request_params"], label
        times: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(args.rounds):
            for name, way in ways.items():
                esi.operations.construct_params = way  # type: ignore[attr-defined]
                gc.collect()
                start = time.process_time()
                for _ in range(args.builds):
                    future._build({})
                times[name].append((time.process_time() - start) / args.builds * 1e6)
        a, b = (statistics.median(times[name]) for name in ways)
        print(f"| {label} | {a:.1f} | {b:.1f} | {b / a:.2f}x |")
    esi.operations.construct_params = ours  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
