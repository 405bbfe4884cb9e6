"""回访 by the person themselves, in a real Chromium: a dispute of demo-worker's grid is resolved
by the community's mediator, whose own revisit is refused; the township prints a revisit slip
for a party; the party opens the survey on their phone with the code (no account) and answers;
the satisfaction indicator counts one more independent revisit, and the dashboard says so."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from gridcase.cases.intake import create_case
from gridcase.cases.operations import perform_action
from gridcase.extensions import db
from gridcase.people.models import User
from gridcase.settings import local_tz, utcnow
from gridcase.stats.rollups import refresh_rollups
from tests.browser.conftest import sign_in
from tests.helpers import FENGQIAO, case_payload

pytestmark = pytest.mark.browser


def community_resolved_dispute(app, title: str) -> str:
    with app.app_context():
        users = {
            u.username: u for u in db.session.scalars(sa.select(User).where(User.username.like("demo-%")))
        }
        worker, mediator = users["demo-worker"], users["demo-community"]
        body = case_payload(
            worker.scope_code,
            kind="dispute",
            category="D0101",
            title=title,
            parties=[{"name": "冯晓东", "phone": "13911112222"}, {"name": "陈某", "role": "respondent"}],
        )
        case = create_case(worker, body).case
        perform_action(mediator, case.id, "accept", case.version, {})
        perform_action(
            mediator, case.id, "resolve", case.version, {"outcome": "mediated", "summary": "调解成功"}
        )
        db.session.commit()
        return case.public_number


def revisits_today(app, page) -> int:
    """Independent revisits of 枫桥镇 today, as the stats API says after a refresh."""
    with app.app_context():
        refresh_rollups(full=True)
        db.session.commit()
        today = utcnow().astimezone(local_tz()).date().isoformat()
    return page.evaluate(
        """(url) => fetch(url, {headers: {Accept: "application/json"}}).then(r => r.json())
                     .then(body => body.indicators.revisited)""",
        f"/api/v1/stats?region={FENGQIAO}&from={today}&to={today}",
    )


def test_a_party_answers_the_revisit_with_the_code_and_the_indicator_moves(app, desk, phone, cleanup):
    title = f"邻里纠纷 {uuid.uuid4().hex[:6]}"
    cleanup.append(title)
    number = community_resolved_dispute(app, title)

    handler = desk.new_page()
    sign_in(handler, "demo-community")
    handler.goto(f"/desk/cases/{number}")
    assert handler.locator("#action-verify").count() == 0  # (the township verifies it)
    assert (
        handler.locator("#action-revisit").count() == 0
        and handler.locator("#action-revisit-slip").count() == 0
    )
    refused = handler.evaluate(
        """([url, token]) => fetch(url, {method: "POST", headers: {"Content-Type": "application/json",
              "X-CSRFToken": token, Accept: "application/json"},
              body: JSON.stringify({action: "revisit", version: 3, satisfaction: "satisfied"})})
            .then(r => r.json().then(body => [r.status, body.message]))""",
        [f"/api/v1/cases/{number}/actions", handler.get_attribute("meta[name=csrf-token]", "content")],
    )
    assert refused[0] == 422
    assert "回访由承办人以外的人员进行" in refused[1] or "Someone other than who handled" in refused[1]
    handler.close()

    township = desk.new_page()
    sign_in(township, "demo-township")
    before = revisits_today(app, township)
    township.goto(f"/desk/cases/{number}")
    township.click("#action-revisit-slip summary")
    township.select_option("#action-revisit-slip select[name=addressee]", label="申请人 冯**")
    township.click("#action-revisit-slip button[type=submit]")
    code = township.text_content("#revisit-code")
    assert township.locator("#revisit-slip img.qr").count() == 1

    party = phone.new_page()  # the party's own phone: no account
    party.goto(f"/revisit?code={code}")
    assert party.locator("#revisit", has_text=number).count() == 1
    party.check("input[name=satisfaction][value=satisfied]")
    party.fill("textarea[name=comment]", "调解员很公道")
    party.click("#revisit button[type=submit]")
    party.wait_for_selector("#revisit-done")  # (the answer's page, however busy the machine)
    assert party.locator("#revisit-done").count() == 1
    party.goto(f"/revisit?code={code}")  # once only
    assert party.locator(".form-error").count() == 1

    after = revisits_today(app, township)
    assert after == before + 1
    township.goto(f"/dashboard/?region={FENGQIAO}")
    tile = township.locator(".tile[data-key=satisfaction_rate] .tile-sub")
    tile.wait_for(state="attached")
    township.wait_for_function(
        "(n) => document.querySelector('.tile[data-key=satisfaction_rate] .tile-sub').textContent.includes(n)",
        arg=str(after),
    )
    with app.app_context():
        satisfaction, method = db.session.execute(
            sa.text("SELECT satisfaction, revisit_method FROM cases WHERE public_number = :n"), {"n": number}
        ).one()
    assert (satisfaction, method) == ("satisfied", "code")
