"""results_localized() over ESI's 8 languages at 50 ms latency.

A client of the bundled OpenAPI snapshot (compatibility date 2025-12-16, whose
``Accept-Language`` accepts 8 languages) asks a loopback server for one type in
every language, each answer after ``--latency`` seconds. In the same run:

* **results_localized()**: the languages fetched concurrently;
* **requests + thread pool**: ``requests`` fetching the same 8 answers from a
  thread pool with ``.json()``: what the machine allows (the floor is one latency);
  it and ``results_localized()`` take turns, ``--repeat`` rounds of one each, so
  that a change of the machine's load meets both alike (best and median printed);
* **baseline**: ``result(language=...)`` for each language, one after another
  (what django-esi 2.x did).

Run: ``.venv/bin/python bench/localized.py [--latency 0.05] [--repeat 15]``. Target (issue 13):
at most 1.15 latencies.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from concurrent.futures import ThreadPoolExecutor

from _common import Row, best_of, configure_django, take_turns

from bench._server import ServerProcess

LANGUAGES = ["en", "de", "fr", "ja", "ru", "zh", "ko", "es"]


def main() -> tuple[float, float, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    bodies = {
        lang: {
            "type_id": 587,
            "name": f"Rifter ({lang})",
            "published": True,
            "description": "",
            "group_id": 25,
        }
        for lang in LANGUAGES
    }
    with ServerProcess({"/universe/types/587": {"by_language": bodies}}, latency=args.latency) as server:
        configure_django(server.url)
        from esi.clients import EsiClientProvider

        client = EsiClientProvider(compatibility_date="2025-12-16").client

        def op():
            return client.Universe.get_universe_types_type_id(type_id=587)

        assert sorted(op().results_localized()) == sorted(LANGUAGES)  # warm up

        def concurrent():
            assert len(op().results_localized()) == len(LANGUAGES)

        def sequential():
            assert len({lang: op().result(language=lang) for lang in LANGUAGES}) == len(LANGUAGES)

        import requests

        session = requests.Session()
        url = server.url.rstrip("/") + "/universe/types/587"

        def plain():
            with ThreadPoolExecutor(len(LANGUAGES)) as pool:
                found = list(
                    pool.map(lambda lang: session.get(url, params={"language": lang}).json(), LANGUAGES)
                )
            assert len(found) == len(LANGUAGES)

        plain()  # warm up: connections
        times = take_turns(args.repeat, {"ours": concurrent, "plain": plain})
        ours, floor = min(times["ours"]), min(times["plain"])
        base = best_of(max(1, args.repeat // 3), sequential)
    print(
        f"{len(LANGUAGES)} languages, {args.latency * 1000:.0f} ms latency (best and median of {args.repeat}, "
        f"taking turns; load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    print(
        f"  results_localized()       : {ours:6.3f} s = {ours / args.latency:.2f} latencies (target <= 1.15); "
        f"median {statistics.median(times['ours']) / args.latency:.2f}"
    )
    print(
        f"  requests + thread pool    : {floor:6.3f} s = {floor / args.latency:.2f} latencies; "
        f"median {statistics.median(times['plain']) / args.latency:.2f}"
    )
    print(f"  baseline sequential loop  : {base:6.3f} s = {base / args.latency:.2f} latencies")
    return ours, floor, base


def rows(argv: list[str] | None = None) -> list[Row]:
    """Return the table rows of this benchmark (see :mod:`bench.table`)."""
    sys.argv[1:] = argv or []
    ours, floor, base = main()
    latency = 0.05
    return [
        Row(
            f"results_localized(), {len(LANGUAGES)} languages, 50 ms",
            ours,
            latency,
            None,
            "s",
            "<= 1.15x one latency",
            ours <= 1.15 * latency,
            f"requests + pool {floor:.3f} s; 2.x loop {base:.3f} s",
        )
    ]


if __name__ == "__main__":
    main()
