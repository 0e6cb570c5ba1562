"""CPU time of ``result()`` on one 1000-order market page, against ``requests.get(url).json()``.

A loopback server (``bench/_server.py``'s ``ServerProcess``: a child process, so
that its CPU is not counted) serves one page of 1000 orders generated to match the
``get_markets_region_id_orders`` schema of the bundled ``latest`` snapshot.
Each figure is the median CPU time (``time.process_time``) of one call over
``--repeat`` calls, all measured in the same run:

* **(a) requests**: ``requests.get(url).json()``, the baseline;
* **(b) bravado default**: ``SwaggerClient.from_spec`` with ``use_models=False``
  and bravado's default response validation and unmarshalling (django-esi 7.0.1);
* **(c) bravado + esi.unmarshal**: the same client with ``validate_responses=False``
  and its responses handled by :func:`esi.unmarshal.handle_response`;
* **(d) django-esi**: ``esi_client_factory()`` with ``ESI_API_URL`` at the server
  (response cache off, so every call is a real request), bodies decoded by orjson
  when it is installed (``django-esi[fast]``, :mod:`esi.http.jsonbody`);
* **(e) django-esi, stdlib JSON**: (d) with orjson hidden: requests' own ``json()``;
* **(f) OpenAPI face**: ``ESIClientProvider("2025-12-16").client.Market.GetMarketsRegionIdOrders(...)
  .result(use_etag=False)``: pydantic models validated from the body's bytes
  (``validate_json``);
* **(g) OpenAPI face, converted**: (f) with ``EsiOperation.json_bodies = False``:
  the engine decodes and converts the page, pydantic validates the result
  (``validate_python``), as the face did before.

Every row of (b)..(g) includes the ``date-time`` conversion (``issued`` as an
aware datetime); (a) returns strings.

Then the parts of (c): JSON decoding alone, and the compiled converter alone on
the decoded page; and of (f) and (g): ``validate_json`` of the bytes alone, and
``validate_python`` of the converted page alone. Results of (b), (c) and (d) are
checked to be equal, and so are the models of (f) and (g).

Run: ``.venv/bin/python bench/per_call.py [--repeat 200]``. Target (issue 13): (d) at most 1.0x (a).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import Row, configure_django  # noqa: E402
from bench._server import ServerProcess  # noqa: E402

PATH = "/latest/markets/10000002/orders/"
#: The same page as the OpenAPI face asks for it (a compatibility date, no version in the path).
FACE_PATH = "/markets/10000002/orders"
RANGES = ["station", "region", "solarsystem", "1", "2", "3", "4", "5", "10", "20", "30", "40"]


def orders_page(count: int = 1000, seed: int = 1) -> list[dict[str, Any]]:
    """Return ``count`` orders shaped like ESI's (every required field, ESI's date-time form)."""
    rng = random.Random(seed)
    start = dt.datetime(2025, 12, 1, tzinfo=dt.timezone.utc)
    return [
        {
            "duration": rng.choice([1, 7, 30, 90, 365]),
            "is_buy_order": rng.random() < 0.4,
            "issued": (start - dt.timedelta(seconds=rng.randrange(90 * 86400))).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
            "location_id": rng.choice([60003760, 60008494, 1022734985679]),
            "min_volume": 1,
            "order_id": 6_800_000_000 + i,
            "price": round(rng.uniform(0.01, 5e9), 2),
            "range": rng.choice(RANGES),
            "system_id": 30000142,
            "type_id": rng.randrange(18, 60000),
            "volume_remain": rng.randrange(1, 10**6),
            "volume_total": 10**6,
        }
        for i in range(count)
    ]


def cpu_per_call(calls: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    """Return the median CPU seconds of each call over ``repeat`` rounds.

    The calls take turns within each round, so a change in the machine's load
    affects them alike.
    """
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for round_ in range(repeat + 3):
        for name, call in calls.items():
            start = time.process_time()
            call()
            if round_ >= 3:  # the first rounds warm up
                samples[name].append(time.process_time() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def bravado_client(url: str, **config: Any) -> Any:
    from bravado.client import SwaggerClient

    import spec_snapshots

    spec = json.loads(spec_snapshots.get(route="latest").read_bytes())
    spec.update(host=url.split("//")[1].rstrip("/"), schemes=["http"])
    return SwaggerClient.from_spec(spec, config={"use_models": False, **config})


def with_esi_unmarshal(client: Any) -> Any:
    """Make ``client``'s futures hand responses to esi.unmarshal.handle_response (as esi.operations does)."""
    from bravado.http_future import HttpFuture, reraise_errors

    from esi.unmarshal import handle_response

    class Future(HttpFuture):
        @reraise_errors
        def _get_swagger_result(self, incoming_response: Any) -> Any:
            handle_response(incoming_response, self.operation, self.request_config.response_callbacks)
            return incoming_response.swagger_result

    http_client = client.swagger_spec.http_client
    plain_request = http_client.request

    def request(*args: Any, **kwargs: Any) -> Any:
        future = plain_request(*args, **kwargs)
        future.__class__ = Future  # the same future, with the response handling esi.operations uses
        return future

    http_client.request = request
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    with ServerProcess(_routes()) as server:
        run(server.url, args.repeat)


def _routes() -> dict[str, Any]:
    page = orders_page()
    return {PATH: {"pages": [page]}, FACE_PATH: {"pages": [page]}}


def run(url: str, repeat: int) -> dict[str, float]:
    import requests

    configure_django(url, ESI_SPEC_CACHE_DIR=False)
    from esi.clients import esi_client_factory
    from esi.unmarshal import converter_for_operation

    page_url = url.rstrip("/") + PATH + "?datasource=tranquility&order_type=all"
    default = bravado_client(url).Market.get_markets_region_id_orders
    ours = with_esi_unmarshal(
        bravado_client(url, validate_responses=False)
    ).Market.get_markets_region_id_orders
    esi = esi_client_factory().Market.get_markets_region_id_orders

    from esi.http import jsonbody

    def stdlib(**kwargs: Any) -> Any:
        fast, jsonbody._orjson_loads = jsonbody._orjson_loads, None
        try:
            return esi(**kwargs).result()
        finally:
            jsonbody._orjson_loads = fast

    results = [op(region_id=10000002, order_type="all").result() for op in (default, ours, esi)]
    results.append(stdlib(region_id=10000002, order_type="all"))
    assert len(results[0]) == 1000 and results[0] == results[1] == results[2] == results[3], "results differ"
    assert isinstance(results[2][0]["issued"], dt.datetime) and results[2][0]["issued"].tzinfo is not None

    calls: dict[str, Callable[[], Any]] = {
        "(a) requests.get(url).json()": lambda: requests.get(page_url).json(),
        "(b) bravado default (7.0.1 way)": lambda: default(region_id=10000002, order_type="all").result(),
        "(c) bravado + esi.unmarshal": lambda: ours(region_id=10000002, order_type="all").result(),
        "(d) django-esi esi_client_factory": lambda: esi(region_id=10000002, order_type="all").result(),
        "(e) django-esi, stdlib JSON (no orjson)": lambda: stdlib(region_id=10000002, order_type="all"),
    }
    body = requests.get(page_url).content
    convert = converter_for_operation(ours.operation, 200)
    decoded = json.loads(body)
    copies = iter([copy.deepcopy(decoded) for _ in range(repeat + 3)])
    calls["JSON decoding of the page"] = lambda: json.loads(body)
    calls["esi.unmarshal converter alone"] = lambda: convert(next(copies))
    calls.update(_face_calls(body, convert(copy.deepcopy(decoded))))
    figures = cpu_per_call(calls, repeat)
    base = figures["(a) requests.get(url).json()"]
    print(f"CPU per call on one 1000-order page ({len(body) // 1024} KiB), median of {repeat} calls")
    for name, seconds in figures.items():
        print(f"  {name:40s} {seconds * 1000:7.2f} ms  {seconds / base:5.2f}x (a)")
    ratio = figures["(d) django-esi esi_client_factory"] / base
    print(f"  django-esi vs requests: {ratio:.2f}x (target <= 1.0x): {'met' if ratio <= 1.0 else 'NOT met'}")
    print(f"  orjson used by (d): {jsonbody.HAVE_ORJSON}; load average {os.getloadavg()[0]:.1f}")
    return figures


def _face_calls(body: bytes, converted: Any) -> dict[str, Callable[[], Any]]:
    """Return the OpenAPI face's calls (f) and (g), and their pydantic parts, checked to give equal models."""
    from esi.openapi_clients import ESIClientProvider

    face = ESIClientProvider("2025-12-16", ua_appname="Bench", ua_version="1.0").client

    def result(json_bodies: bool) -> Any:
        operation = face.Market.GetMarketsRegionIdOrders(region_id=10000002, order_type="all")
        operation.json_bodies = json_bodies
        return operation.result(use_etag=False)

    models = result(True)
    assert len(models) == 1000 and models == result(False), "the face's models differ"
    adapter = face.Market.GetMarketsRegionIdOrders._adapter()
    assert adapter.validate_json(body) == models
    return {
        "(f) OpenAPI face result(), validate_json": lambda: result(True),
        "(g) the face, converted, validate_python": lambda: result(False),
        "validate_json of the bytes alone": lambda: adapter.validate_json(body, strict=True),
        "validate_python of converted alone": lambda: adapter.validate_python(converted),
    }


def rows(repeat: int = 100) -> list[Row]:
    """Return the table rows of this benchmark (see :mod:`bench.table`)."""
    with ServerProcess(_routes()) as server:
        figures = run(server.url, repeat)
    base = figures["(a) requests.get(url).json()"]
    old = figures["(b) bravado default (7.0.1 way)"]
    out = []
    for key, label in (
        ("(d) django-esi esi_client_factory", "CPU of result(), 1000 orders, dates converted (orjson)"),
        ("(e) django-esi, stdlib JSON (no orjson)", "the same, stdlib JSON (no orjson)"),
    ):
        ours = figures[key]
        met = ours <= base if key.startswith("(d)") else None
        target = "<= 1.0x requests.get().json()" if met is not None else ""
        out.append(
            Row(
                label, ours * 1000, base * 1000, old * 1000, "ms", target, met, "floor: requests.get().json()"
            )
        )
    return out


if __name__ == "__main__":
    main()
