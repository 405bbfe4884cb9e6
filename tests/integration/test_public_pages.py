"""The public pages (issue 18): a citizen's report lands in the community's queue through the
intake; the tracking page, the map and the nearby list hold no person's name, phone or ID number;
disputes never reach the map; the proof of work, the per-address limits and the look-up limit
hold off abuse; the reporter rates the handling with the same code once it is resolved."""

import hashlib
import re

import pytest
import sqlalchemy as sa

from gridcase.cases.intake import create_case
from gridcase.cases.models import Case
from gridcase.cases.operations import perform_action
from gridcase.channels.public import leading_zero_bits
from gridcase.extensions import db
from gridcase.settings import utcnow
from tests.helpers import FENGQIAO, case_payload, grid_in, point_in

COMMIT_SIGN_IN = False
REPORTER_NAME, REPORTER_PHONE = "李小四", "13900001111"
PARTY = {"name": "王五", "id_number": "330681198001011234", "phone": "13700002222", "role": "applicant"}


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def solved(client) -> dict:
    """The proof of work, computed as the page's script computes it."""
    answer = client.get("/public/challenge").json
    n = 0
    while leading_zero_bits(hashlib.sha256(f"{answer['challenge']}:{n}".encode()).digest()) < answer["bits"]:
        n += 1
    return {"challenge": answer["challenge"], "solution": str(n)}


def report(client, **overrides):
    token = csrf(client.get("/public/report").get_data(as_text=True))
    lon, lat = point_in(grid_in(FENGQIAO).code)
    form = {
        "csrf_token": token,
        "category": "E0102",
        "description": "菜场门口垃圾堆了三天",
        "lon": str(lon),
        "lat": str(lat),
        "name": REPORTER_NAME,
        "phone": REPORTER_PHONE,
        **solved(client),
        **overrides,
    }
    return client.post("/public/report", data=form)


def number_and_code(response) -> tuple[str, str]:
    page = response.get_data(as_text=True)
    number = re.search(r'id="case-number">([^<]+)<', page).group(1)
    code = re.search(r'id="tracking-code">([^<]+)<', page).group(1)
    return number, code


def track(client, number, code):
    token = csrf(client.get("/public/track").get_data(as_text=True))
    return client.post("/public/track", data={"csrf_token": token, "number": number, "code": code})


def test_a_report_reaches_the_community_queue_and_nothing_public_names_a_person(client, api_as, make_user):
    sent = report(client)
    assert sent.status_code == 200, sent.get_data(as_text=True)
    number, code = number_and_code(sent)
    case = db.session.scalar(sa.select(Case).where(Case.public_number == number))
    assert (case.source, case.category_code, case.level) == ("public", "E0102", "community")
    assert case.informant is not None and case.informant.name_masked != REPORTER_NAME  # encrypted, masked
    mediator = api_as(make_user("community_mediator", grid_in(FENGQIAO).community_code))
    queue = mediator.get("/api/v1/cases", query_string={"status": "pending"}).json
    assert number in [c["public_number"] for c in queue["items"]]

    page = track(client, number, code).get_data(as_text=True)
    assert "已登记" in page and case.category.name in page
    public = [
        page,
        client.get("/public/map.json").get_data(as_text=True),
        client.get(
            f"/public/nearby?category=E0102&lon={point_in(case.grid_code)[0]}&lat={point_in(case.grid_code)[1]}"
        ).get_data(as_text=True),
    ]
    for text in public:
        for secret in (REPORTER_NAME, REPORTER_PHONE, "菜场门口垃圾堆了三天"):
            assert secret not in text


def test_the_map_shows_public_incidents_rounded_and_never_a_dispute(client, make_user):
    worker = make_user("grid_worker", grid_in(FENGQIAO).code)
    incident = create_case(worker, case_payload(worker.scope_code, category="E0102")).case
    dispute = create_case(
        worker, case_payload(worker.scope_code, kind="dispute", category="D02", parties=[PARTY])
    ).case
    features = client.get("/public/map.json").json["features"]
    numbers = {f["properties"]["number"] for f in features}
    assert incident.public_number in numbers and dispute.public_number not in numbers
    mine = next(f for f in features if f["properties"]["number"] == incident.public_number)
    lon, lat = mine["geometry"]["coordinates"]
    assert abs(lon / 0.0005 - round(lon / 0.0005)) < 1e-6 and abs(lat / 0.0005 - round(lat / 0.0005)) < 1e-6
    assert set(mine["properties"]) == {"number", "category", "status_text", "open", "reported_on"}
    text = client.get("/public/map.json").get_data(as_text=True)
    assert all(secret not in text for secret in PARTY.values() if secret != "applicant")


def test_the_proof_of_work_is_needed_and_spent_once(client):
    work = solved(client)
    assert report(client, **work).status_code == 200
    again = report(client, **work)
    assert again.status_code == 422 and "重新加载" in again.get_data(as_text=True)
    forged = report(client, challenge=work["challenge"].rsplit(".", 1)[0] + ".0000", solution="1")
    assert forged.status_code == 422
    unsolved = report(client, solution="")
    assert unsolved.status_code == 422


def test_reports_from_one_address_are_limited(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "GRIDCASE_PUBLIC_REPORTS_PER_HOUR", 2)
    assert report(client).status_code == 200
    assert report(client).status_code == 200
    third = report(client)
    assert third.status_code == 429 and "稍后" in third.get_data(as_text=True)


def test_bad_input_is_said_on_the_page_and_nothing_is_saved(client):
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Case))
    outside = report(client, lon="121.47", lat="31.23")
    assert outside.status_code == 422 and "网格" in outside.get_data(as_text=True)
    assert 'value="菜场门口垃圾堆了三天"' not in outside.get_data(as_text=True)  # (a textarea keeps it)
    assert "菜场门口垃圾堆了三天" in outside.get_data(as_text=True)
    dispute = report(client, category="D02")
    assert dispute.status_code == 422
    empty = report(client, description="")
    assert empty.status_code == 422
    no_pin = report(client, lon="", lat="")
    assert no_pin.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == before


def test_wrong_codes_are_limited_per_address(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "GRIDCASE_PUBLIC_TRACK_FAILURES_PER_HOUR", 3)
    number, code = number_and_code(report(client))
    for _ in range(3):
        assert track(client, number, "WRONGCODE").status_code == 404
    blocked = track(client, number, code)  # even the right code waits now
    assert blocked.status_code == 429


def test_the_reporter_rates_the_handling_with_the_same_code_once_resolved(client, make_user):
    number, code = number_and_code(report(client))
    case = db.session.scalar(sa.select(Case).where(Case.public_number == number))
    page = track(client, number, code).get_data(as_text=True)
    assert 'id="revisit-form"' not in page  # not resolved yet
    mediator = make_user("community_mediator", case.community_code)
    now = utcnow()
    perform_action(mediator, case.id, "accept", case.version, {}, now=now)
    perform_action(
        mediator, case.id, "resolve", case.version, {"outcome": "other", "summary": "已清运"}, now=now
    )
    page = track(client, number, code).get_data(as_text=True)
    assert 'id="revisit-form"' in page and "已清运" not in page  # a handler's words stay inside
    token = csrf(page)
    answered = client.post(
        "/public/track/revisit",
        data={"csrf_token": token, "number": number, "code": code, "satisfaction": "satisfied"},
    )
    assert answered.status_code == 200 and 'id="thanks"' in answered.get_data(as_text=True)
    db.session.refresh(case)
    assert (case.satisfaction, case.revisit_method) == ("satisfied", "code")
    twice = client.post(
        "/public/track/revisit",
        data={"csrf_token": token, "number": number, "code": code, "satisfaction": "dissatisfied"},
    )
    assert twice.status_code == 422
    db.session.refresh(case)
    assert case.satisfaction == "satisfied"


@pytest.mark.parametrize("path", ["/public/", "/public/report", "/public/track", "/public/map"])
def test_the_public_pages_need_no_account_and_speak_both_languages(client, path):
    chinese = client.get(f"{path}?lang=zh")
    assert chinese.status_code == 200 and "群众" in chinese.get_data(as_text=True)
    english = client.get(f"{path}?lang=en")
    assert english.status_code == 200 and "Citizen reports" in english.get_data(as_text=True)


def test_limits_count_an_ipv6_network_as_one_address_and_a_challenge_is_spent_once(client, app, monkeypatch):
    from gridcase.channels.public import address_key

    assert address_key("2001:db8:1:2::a") == address_key("2001:db8:1:2:ffff::1")  # one /64
    assert address_key("2001:db8:1:3::a") != address_key("2001:db8:1:2::a")
    assert address_key("::ffff:10.0.0.1") == address_key("10.0.0.1")
    work = solved(client)
    issued, nonce, signature = work["challenge"].split(".")
    # The same challenge written otherwise is no new challenge.
    for variant in (f"{issued}.{nonce.upper()}.{signature}", f"{issued}.{nonce} .{signature}"):
        assert report(client, challenge=variant, solution=work["solution"]).status_code == 422


def test_a_report_forgets_its_address_after_a_day(client):
    from datetime import timedelta

    from gridcase.channels.models import PublicReport

    number, _ = number_and_code(report(client))
    row = db.session.scalar(
        sa.select(PublicReport)
        .join(Case, Case.id == PublicReport.case_id)
        .where(Case.public_number == number)
    )
    assert row.address_hash
    row.created_at = row.created_at - timedelta(days=2)
    db.session.flush()
    report(client)  # any later report clears the hashes over a day old
    db.session.refresh(row)
    assert row.address_hash == ""
