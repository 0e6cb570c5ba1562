"""results() on the OpenAPI operations with cursor paging (x-pagination: cursor), against the fake."""

from __future__ import annotations

import pytest

from esi.clients import esi_client_factory
from esi.errors import IncompleteResponseError
from esi_testing import FakeESI
from esi_testing.factories import use_fake

SCOPE = "esi-corporations.read_projects.v1"


def _projects(n: int) -> list[dict]:
    return [
        {
            "id": f"00000000-0000-4000-8000-{i:012d}",
            "last_modified": f"2026-01-{(i % 28) + 1:02d}T12:00:00Z",
            "name": f"project {i}",
            "progress": {"current": i, "desired": 100},
            "state": "Active",
        }
        for i in range(n)
    ]


@pytest.fixture
def fake():
    with FakeESI("2025-12-16") as fake, fake.override_settings(), use_fake(fake):
        fake.add_data(
            {
                "operation": "GetCorporationsProjectsListing",
                "params": {"corporation_id": 98000001},
                "body": {"projects": _projects(25)},
            }
        )
        yield fake


def _call(fake, **kwargs):
    token = fake.issue_tokens(90000001, [SCOPE])["access_token"]
    client = esi_client_factory(compatibility_date="2025-12-16")
    op = client.Corporation_Projects.GetCorporationsProjectsListing
    return op(corporation_id=98000001, token=token, **kwargs)


def _cursor_calls(fake):
    return [e.query for e in fake.journal if e.operation == "get_corporations_corporation_id_projects"]


def test_results_follows_the_after_cursor_to_every_record(fake):
    listing = _call(fake, limit=10).results()
    assert [p["name"] for p in listing["projects"]] == [f"project {i}" for i in range(25)]
    # pages of 10, 10 and 5, then an empty page ends the walk
    assert [q.get("after") for q in _cursor_calls(fake)] == [["0"], ["10"], ["20"], ["25"]]
    assert listing["cursor"]["after"] == "25"  # poll from here for newer records


def test_result_is_one_page(fake):
    page = _call(fake, limit=10).result()
    assert len(page["projects"]) == 10 and len(_cursor_calls(fake)) == 1


def test_before_walks_backwards_and_keeps_time_order(fake):
    listing = _call(fake, limit=10, before="0").results()
    assert [p["name"] for p in listing["projects"]] == [f"project {i}" for i in range(25)]
    assert [q.get("before") for q in _cursor_calls(fake)][0] == ["0"]


def test_both_cursors_at_once_is_refused(fake):
    with pytest.raises(TypeError, match="before= or after="):
        _call(fake, before="0", after="0").results()


def test_a_cursor_that_never_ends_is_cut_short(fake, monkeypatch):
    import esi.operations

    monkeypatch.setattr(esi.operations, "MAX_CURSOR_PAGES", 2)
    with pytest.raises(IncompleteResponseError, match="2 cursor pages"):
        _call(fake, limit=10).results()


def test_uuid_ids_pass_without_a_bravado_warning(fake):
    import warnings

    token = fake.issue_tokens(90000001, [SCOPE])["access_token"]
    client = esi_client_factory(compatibility_date="2025-12-16")
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*format is not registered")
        project = client.Corporation_Projects.GetCorporationsProjectsDetail(
            corporation_id=98000001, project_id="00000000-0000-4000-8000-000000000003", token=token
        ).result()
    assert isinstance(project["id"], str)
