"""考核 in a real Chromium: a township centre's ranking of its communities sorts by a column both
ways, drills down to a community's grids and downloads the spreadsheet the API's figures are
in; a grid worker's phone shows their own score as the API gives it."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from gridcase.cases.intake import create_case
from gridcase.cases.operations import perform_action
from gridcase.extensions import db
from gridcase.people.models import User
from gridcase.settings import utcnow
from gridcase.stats.rollups import refresh_rollups
from tests.browser.conftest import sign_in
from tests.helpers import case_payload

pytestmark = pytest.mark.browser


@pytest.fixture
def resolved_in_one_community(app, cleanup):
    """Three cases of demo-worker's grid (杜黄新村) this month, two resolved by its mediator: the
    one community with a score above its neighbours' (nobody patrolled any of them)."""
    titles = [f"考核测试{n} {uuid.uuid4().hex[:6]}" for n in range(3)]
    cleanup.extend(titles)
    with app.app_context():
        worker = db.session.scalar(sa.select(User).where(User.username == "demo-worker"))
        mediator = db.session.scalar(sa.select(User).where(User.username == "demo-community"))
        start = max(utcnow() - timedelta(hours=3), utcnow().replace(day=1, hour=1))
        for n, title in enumerate(titles):
            case = create_case(worker, case_payload(worker.scope_code, title=title), now=start).case
            if n < 2:
                perform_action(
                    mediator, case.id, "accept", case.version, {}, now=start + timedelta(minutes=10)
                )
                perform_action(
                    mediator,
                    case.id,
                    "resolve",
                    case.version,
                    {"outcome": "mediated"},
                    now=start + timedelta(minutes=20),
                )
        db.session.commit()
        refresh_rollups()
        db.session.commit()


def _scores(page) -> list[float | None]:
    values = page.locator("#ranking > tbody > tr > td:nth-child(3)").evaluate_all(
        "cells => cells.map(c => c.dataset.value)"
    )
    return [float(v) if v else None for v in values]


def test_the_ranking_sorts_drills_down_and_exports(desk, tmp_path, resolved_in_one_community):
    page = desk.new_page()
    sign_in(page, "demo-township")
    page.goto("/dashboard/")
    page.click("text=考核排名")
    page.wait_for_selector("#ranking")
    assert "村（社区）" in page.locator("h1").inner_text()
    api = page.request.get("/api/v1/assessment/rankings?subject=community").json()
    assert len(api["rows"]) == page.locator("#ranking > tbody > tr").count()
    # Ranked by place first: the scores fall down the table, the unscored last.
    shown = _scores(page)
    scored = [s for s in shown if s is not None]
    assert scored == sorted(scored, reverse=True) and shown[: len(scored)] == scored
    assert len(set(scored)) > 1  # 杜黄新村 above the others: a sort has something to order
    assert "杜黄新村" in page.locator("#ranking > tbody > tr").first.inner_text()

    score_header = page.locator("#ranking > thead th", has_text="得分").first
    score_header.locator("button").click()
    ascending = [s for s in _scores(page) if s is not None]
    assert ascending == sorted(ascending) and score_header.get_attribute("aria-sort") == "ascending"
    assert ascending[0] < ascending[-1]
    assert "杜黄新村" in page.locator("#ranking > tbody > tr").last.inner_text()
    score_header.locator("button").click()
    assert [s for s in _scores(page) if s is not None] == sorted(ascending, reverse=True)
    assert score_header.get_attribute("aria-sort") == "descending"

    # A score explains itself.
    first_row = page.locator("#ranking > tbody > tr").first
    first_row.locator("summary").click()
    explained = first_row.locator("table.explain")
    assert explained.is_visible() and "化解率" in explained.inner_text()
    assert "不适用" in explained.inner_text()  # 群众安全感满意率: measured outside gridcase

    # Drill down into a community: its grids.
    link = first_row.locator("td:nth-child(2) a")
    community = link.inner_text()
    link.click()
    page.wait_for_url("**subject=grid**")
    assert community in page.locator(".crumbs").inner_text()
    assert "网格" in page.locator("h1").inner_text()

    with page.expect_download() as download:
        page.click("#export-xlsx")
    path = tmp_path / "ranking.xlsx"
    download.value.save_as(path)
    region = page.url.split("region=")[1].split("&")[0]
    period = page.url.split("period=")[1].split("&")[0]
    api = page.request.get(f"/api/v1/assessment/rankings?subject=grid&region={region}&period={period}").json()
    rows = list(load_workbook(path)["网格考核排名"].iter_rows(values_only=True))[1:]
    assert [r[1] for r in rows] == [row["name"] for row in api["rows"]]
    assert [r[3] for r in rows] == [
        row["score"] if row["score"] is not None else "不参评" for row in api["rows"]
    ]


def test_a_grid_worker_sees_their_own_score_on_the_phone(phone, resolved_in_one_community):
    page = phone.new_page()
    sign_in(page, "demo-worker")
    page.goto("/m/")
    page.click("#score-link")
    page.wait_for_selector("#my-score")
    mine = page.request.get("/api/v1/assessment/my-score").json()["row"]
    shown = page.locator("#score-value").inner_text()
    assert shown == ("未参评" if mine["score"] is None else f"{mine['score']:.2f}")
    items = page.locator(".score-item")
    assert items.count() == len(mine["items"])
    reported = page.locator(".score-item[data-indicator=reported]").inner_text()
    assert (
        "事件上报数" in reported
        and f"{int(mine['items'][0]['value'])} · 目标 {round(mine['items'][0]['target'], 1):g}" in reported
    )
    assert mine["items"][0]["indicator"] == "reported" and mine["items"][0]["value"] >= 3
