"""results_localized() over ESI's 8 languages at 50 ms latency.

A client of the bundled OpenAPI snapshot (compatibility date 2025-12-16, whose
``Accept-Language`` accepts 8 languages) asks a loopback server for one type in
every language, each answer after ``--latency`` seconds. In the same run:

* **results_localized()**: the languages fetched concurrently;
* **baseline**: ``result(language=...)`` for each language, one after another
  (what django-esi 2.x did).

Run: ``.venv/bin/python bench/localized.py [--latency 0.05]``. Target: under 2 latencies.
"""

from __future__ import annotations

import argparse

from _common import best_of, configure_django

from bench._server import ServerProcess

LANGUAGES = ["en", "de", "fr", "ja", "ru", "zh", "ko", "es"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=5)
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

        ours = best_of(args.repeat, concurrent)
        base = best_of(args.repeat, sequential)
    print(f"{len(LANGUAGES)} languages, {args.latency * 1000:.0f} ms latency (best of {args.repeat})")
    print(f"  results_localized()       : {ours:6.3f} s = {ours / args.latency:.2f} latencies (target < 2)")
    print(f"  baseline sequential loop  : {base:6.3f} s = {base / args.latency:.2f} latencies")


if __name__ == "__main__":
    main()
