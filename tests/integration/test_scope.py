"""Who sees which case: scope filtering in SQL, and 404 (never 403) outside scope."""

import pytest

from tests.helpers import CITY, FENGQIAO, JIYANG, case_payload, grid_in


@pytest.fixture
def fengqiao_case(api_as, make_user):
    worker = make_user("grid_worker", grid_in(FENGQIAO).code)
    return api_as(worker).post("/api/v1/cases", json=case_payload(grid_in(FENGQIAO).code)).json


def test_a_worker_of_another_township_cannot_see_the_case(api_as, make_user, fengqiao_case):
    outsider = api_as(make_user("grid_worker", grid_in(JIYANG).code))
    for ref in (fengqiao_case["id"], fengqiao_case["public_number"]):
        response = outsider.get(f"/api/v1/cases/{ref}")
        assert response.status_code == 404
        assert response.json["message"] == f"No case {ref} in your scope."
    assert outsider.get("/api/v1/cases").json["total"] == 0


def test_an_unknown_case_answers_exactly_like_a_hidden_one(api_as, make_user, fengqiao_case):
    outsider = api_as(make_user("township_coordinator", JIYANG))
    hidden = outsider.get(f"/api/v1/cases/{fengqiao_case['id']}")
    missing = outsider.get("/api/v1/cases/987654321")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json["message"].replace(str(fengqiao_case["id"]), "N") == missing.json["message"].replace(
        "987654321", "N"
    )


@pytest.mark.parametrize(
    ("role", "scope", "sees"),
    [
        ("grid_worker", "grid", True),
        ("grid_worker", "other_grid", False),
        ("community_mediator", "community", True),
        ("township_coordinator", FENGQIAO, True),
        ("township_coordinator", JIYANG, False),
        ("city_commander", CITY, True),
        ("admin", CITY, False),
        ("auditor", CITY, False),
    ],
)
def test_scope_by_role(api_as, make_user, fengqiao_case, role, scope, sees):
    grid = grid_in(FENGQIAO)
    scope_code = {
        "grid": grid.code,
        "other_grid": grid_in(FENGQIAO, 1).code,
        "community": grid.community_code,
    }.get(scope, scope)
    viewer = api_as(make_user(role, scope_code))
    assert viewer.get(f"/api/v1/cases/{fengqiao_case['id']}").status_code == (200 if sees else 404)
    assert viewer.get("/api/v1/cases").json["total"] == (1 if sees else 0)


def test_a_worker_with_two_grids_sees_both(api_as, make_user):
    first, second = grid_in(FENGQIAO, 0), grid_in(FENGQIAO, 1)
    reporter = api_as(make_user("grid_worker", second.code))
    case = reporter.post("/api/v1/cases", json=case_payload(second.code)).json
    both = api_as(make_user("grid_worker", first.code, grid_codes=[second.code]))
    assert both.get(f"/api/v1/cases/{case['id']}").status_code == 200


def test_the_reporter_always_sees_their_case(api_as, make_user):
    """A worker reporting across the boundary into the next town still follows their case."""
    worker = api_as(make_user("grid_worker", grid_in(JIYANG).code))
    case = worker.post("/api/v1/cases", json=case_payload(grid_in(FENGQIAO).code)).json
    assert worker.get(f"/api/v1/cases/{case['id']}").status_code == 200
    assert [c["id"] for c in worker.get("/api/v1/cases?reported_by=me").json["items"]] == [case["id"]]


class TestListing:
    @pytest.fixture
    def township(self, api_as, make_user):
        worker = api_as(make_user("grid_worker", grid_in(FENGQIAO).code))
        for severity in ("general", "general", "significant", "major"):
            worker.post("/api/v1/cases", json=case_payload(grid_in(FENGQIAO).code, severity=severity))
        worker.post(
            "/api/v1/cases",
            json=case_payload(grid_in(FENGQIAO).code, kind="dispute", category="D02", title="宅基地边界争执"),
        )
        return api_as(make_user("township_coordinator", FENGQIAO))

    def test_a_keyword_counts_its_matches_on_every_page(self, township):
        """A keyword search counts its matches in the pass that reads them for the page; past
        the last page, the total is still told."""
        title = case_payload(grid_in(FENGQIAO).code)["title"]
        keyword = title[:3]
        first = township.get(f"/api/v1/cases?q={keyword}&page_size=3").json
        assert first["total"] == 4 and len(first["items"]) == 3
        second = township.get(f"/api/v1/cases?q={keyword}&page_size=3&page=2").json
        assert second["total"] == 4 and len(second["items"]) == 1
        beyond = township.get(f"/api/v1/cases?q={keyword}&page_size=3&page=5").json
        assert beyond["total"] == 4 and beyond["items"] == []
        # The pages are the one ordered list cut in pages (the page is chosen among the matches'
        # ids, then its cases are read: in the same order).
        whole = township.get(f"/api/v1/cases?q={keyword}&page_size=10").json["items"]
        assert [c["id"] for c in first["items"] + second["items"]] == [c["id"] for c in whole]
        assert [c["created_at"] for c in whole] == sorted((c["created_at"] for c in whole), reverse=True)
        assert township.get("/api/v1/cases?q=宅基地").json["total"] == 1

    def test_filters(self, township):
        assert township.get("/api/v1/cases").json["total"] == 5
        assert township.get("/api/v1/cases?level=township").json["total"] == 1
        assert township.get("/api/v1/cases?level=community&level=city").json["total"] == 4
        assert township.get("/api/v1/cases?kind=dispute").json["total"] == 1
        assert township.get("/api/v1/cases?category=D02").json["total"] == 1
        assert township.get("/api/v1/cases?category=E01").json["total"] == 4  # a group matches its members
        assert township.get("/api/v1/cases?status=pending").json["total"] == 5
        assert township.get("/api/v1/cases?status=closed").json["total"] == 0
        assert township.get("/api/v1/cases?overdue=true").json["total"] == 0
        assert township.get("/api/v1/cases?q=宅基地").json["total"] == 1
        assert township.get(f"/api/v1/cases?region={grid_in(FENGQIAO).community_code}").json["total"] == 5
        assert township.get(f"/api/v1/cases?region={JIYANG}").json["total"] == 0

    def test_stable_pages(self, township):
        pages = [township.get(f"/api/v1/cases?page={n}&page_size=2").json for n in (1, 2, 3)]
        ids = [c["id"] for page in pages for c in page["items"]]
        assert len(ids) == len(set(ids)) == 5
        assert pages[0]["total"] == 5 and pages[2]["items"] and len(pages[2]["items"]) == 1
        again = [c["id"] for c in township.get("/api/v1/cases?page=1&page_size=2").json["items"]]
        assert again == ids[:2]

    def test_sort_by_severity(self, township):
        items = township.get("/api/v1/cases?sort=-severity").json["items"]
        assert items[0]["severity"] == "major"

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("page=0", "page"),
            ("page_size=500", "page_size"),
            ("sort=title", "sort"),
            ("status=done", "status"),
        ],
    )
    def test_bad_filters_are_422(self, township, query, field):
        response = township.get(f"/api/v1/cases?{query}")
        assert response.status_code == 422
        assert field in response.json["errors"]

    def test_unknown_region_filter_is_422(self, township):
        response = township.get("/api/v1/cases?region=111111111111")
        assert response.status_code == 422
