"""The front desk (一窗受理): a centre registers a matter brought to it — who brought it
(encrypted, masked, revealed with a reason), when and where it happened, its parties and
photos — and accepts it, dispatches it, records it settled at the desk, or registers it for
the level the rules give. A refused form keeps nothing."""

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from gridcase.audit.models import AuditEntry
from gridcase.cases.intake import create_case
from gridcase.cases.models import Case, CaseAttachment, CaseInformant
from gridcase.cases.operations import perform_action
from gridcase.cases.queries import case_events
from gridcase.extensions import db
from gridcase.people.retention import anonymise_closed_parties, rotate_keys
from gridcase.settings import utcnow
from gridcase.units.models import CaseAssignment
from tests.helpers import FENGQIAO, case_payload, grid_in, point_in, rotated_cipher
from tests.integration.test_attachments_and_pages import csrf_from, jpeg, sign_in

RLSBS = f"{FENGQIAO}-rlsbs"  # 枫桥镇人力社保所


@pytest.fixture
def desk(app, make_user):
    """A township coordinator's browser at the front desk of 枫桥镇."""
    user = make_user("township_coordinator", FENGQIAO)
    client = app.test_client()
    sign_in(client, user.username)
    return client, user


def visitor_form(client, **overrides) -> dict:
    """A 来访: a wage dispute, with the visitor's name, phone and ID number, two parties and
    a pin in the first grid of 枫桥镇."""
    lon, lat = point_in(grid_in(FENGQIAO).code)
    form = {
        "csrf_token": csrf_from(client.get("/desk/new").data),
        "source": "visit",
        "occurred_at": "2026-12-01T09:30",
        "informant.name": "赵春花",
        "informant.phone": "13812345678",
        "informant.id_number": "11010519491231002X",
        "kind": "dispute",
        "category": "D1001",
        "title": "讨要工资",
        "description": "工地拖欠三个月工资",
        "people_involved": "2",
        "lon": f"{lon:.6f}",
        "lat": f"{lat:.6f}",
        "address": "枫桥镇某工地",
        "parties.0.name": "赵春花",
        "parties.0.role": "applicant",
        "parties.1.name": "某建筑公司",
        "parties.1.role": "respondent",
        "disposition": "accept",
    }
    form.update(overrides)
    return form


def newest_case() -> Case | None:
    return db.session.scalar(sa.select(Case).order_by(Case.id.desc()).limit(1))


def test_a_visitor_is_registered_and_accepted_at_the_township(desk):
    client, user = desk
    before = newest_case()
    answer = client.post("/desk/new", data=visitor_form(client))
    assert answer.status_code == 302
    case = newest_case()
    assert case is not before and answer.location.endswith(f"/desk/cases/{case.public_number}")
    assert (case.source, case.level, case.status, case.assignee_id) == (
        "visit",
        "township",
        "in_progress",
        user.id,
    )
    assert case.occurred_at.isoformat() == "2026-12-01T01:30:00+00:00"  # 09:30 in Beijing
    assert [e.action for e in case_events(case)] == ["create", "accept"]
    # The visitor is stored encrypted: neither the name nor the phone is in the row's bytes.
    row = db.session.execute(sa.select(CaseInformant.__table__).where(CaseInformant.case_id == case.id)).one()
    stored = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in row)
    assert "赵春花".encode() not in stored and b"13812345678" not in stored
    page = client.get(f"/desk/cases/{case.public_number}?lang=en").get_data(as_text=True)
    assert "Person who brought it" in page and "赵**" in page and "138****5678" in page
    assert "赵春花" not in page


def test_the_visitor_is_revealed_with_a_reason_that_is_audited(desk):
    client, _user = desk
    client.post("/desk/new", data=visitor_form(client))
    case = newest_case()
    page = client.get(f"/desk/cases/{case.public_number}")
    url = f"/desk/cases/{case.public_number}/informant/reveal"
    refused = client.post(url, data={"csrf_token": csrf_from(page.data), "reason": ""})
    assert refused.status_code == 422
    shown = client.post(url, data={"csrf_token": csrf_from(page.data), "reason": "回电告知受理情况"})
    assert shown.status_code == 200 and "13812345678" in shown.get_data(as_text=True)
    audit = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.target.like(f"%{case.public_number} informant"))
    )
    assert audit is not None and audit.details["reason"] == "回电告知受理情况"
    assert case_events(case)[-1].payload == {"informant": True, "reason": "回电告知受理情况"}


def test_a_grid_chosen_without_a_pin_places_the_case_inside_it(desk):
    client, _user = desk
    grid = grid_in(FENGQIAO, 1)
    form = visitor_form(client, lon="", lat="", grid=grid.code, source="letter")
    assert client.post("/desk/new", data=form).status_code == 302
    case = newest_case()
    assert (case.grid_code, case.source) == (grid.code, "letter")


def test_a_place_outside_the_desk_area_or_no_place_is_refused_and_nothing_is_kept(app, desk):
    client, _user = desk
    other = db.session.scalar(
        sa.text(
            "SELECT code FROM regions WHERE level = 'grid' AND township_code <> :t ORDER BY code LIMIT 1"
        ),
        {"t": FENGQIAO},
    )
    before = newest_case()
    outside = client.post("/desk/new?lang=en", data=visitor_form(client, lon="", lat="", grid=other))
    assert outside.status_code == 422
    assert "outside your area" in outside.get_data(as_text=True)
    nowhere = client.post("/desk/new?lang=en", data=visitor_form(client, lon="", lat=""))
    assert nowhere.status_code == 422 and "Put the pin on the map" in nowhere.get_data(as_text=True)
    # The refused form comes back with what was typed.
    assert 'value="讨要工资"' in nowhere.get_data(as_text=True)
    assert newest_case() is before


def test_the_desk_dispatches_to_a_unit_at_once(desk):
    client, _user = desk
    missing = client.post("/desk/new?lang=en", data=visitor_form(client, disposition="dispatch"))
    assert missing.status_code == 422  # no lead unit, no requirement: nothing saved
    form = visitor_form(client, disposition="dispatch", lead_unit=RLSBS, requirement="核实欠薪，督促支付")
    assert client.post("/desk/new", data=form).status_code == 302
    case = newest_case()
    assert [e.action for e in case_events(case)] == ["create", "accept", "dispatch"]
    units = db.session.scalars(sa.select(CaseAssignment.unit_code).where(CaseAssignment.case_id == case.id))
    assert list(units) == [RLSBS]


def test_a_matter_settled_at_the_desk_waits_for_someone_else_to_verify_it(desk):
    client, user = desk
    form = visitor_form(
        client, disposition="resolve", outcome="explained", summary="当场解释政策，来访人表示理解"
    )
    assert client.post("/desk/new", data=form).status_code == 302
    case = newest_case()
    assert (case.status, case.resolved_by_id, case.resolution_outcome) == ("resolved", user.id, "explained")
    assert case.verify_due_at is not None
    mine = client.get("/desk/?filtered=1&verify=me&lang=en").get_data(as_text=True)
    assert f'/desk/cases/{case.public_number}"' not in mine  # the resolver never verifies their own work


def test_registered_only_it_goes_to_the_level_the_rules_give(desk):
    client, _user = desk
    form = visitor_form(client, disposition="register", kind="incident", category="E0102", title="垃圾")
    form.pop("parties.0.name"), form.pop("parties.1.name")
    assert client.post("/desk/new", data=form).status_code == 302
    case = newest_case()
    assert (case.level, case.status, case.assignee_id) == ("community", "pending", None)


def test_a_matter_too_severe_for_the_desk_level_is_not_accepted_there(desk):
    client, _user = desk
    before = newest_case()
    answer = client.post("/desk/new?lang=en", data=visitor_form(client, severity="major"))
    assert answer.status_code == 422 and "starts at the City level" in answer.get_data(as_text=True)
    assert newest_case() is before


def test_photos_and_scanned_letters_are_attached(desk):
    client, _user = desk
    form = visitor_form(client)
    form["photos"] = [(io.BytesIO(jpeg()), "letter.jpg"), (io.BytesIO(jpeg()), "site.jpg")]
    assert client.post("/desk/new", data=form, content_type="multipart/form-data").status_code == 302
    case = newest_case()
    count = db.session.scalar(sa.select(sa.func.count()).where(CaseAttachment.case_id == case.id))
    assert count == 2


def test_a_hotline_posts_the_caller_and_the_time_through_the_api(api_as, make_user):
    hotline = api_as(make_user("township_coordinator", FENGQIAO))
    body = case_payload(
        grid_in(FENGQIAO).code,
        source="hotline",
        external_ref="12345-20261205-000007",
        informant={"name": "李四", "phone": "13900001111"},
        occurred_at="2026-12-04T20:00:00+08:00",
    )
    created = hotline.post("/api/v1/cases", json=body)
    assert created.status_code == 201
    assert created.json["informant"] == {"name": "李*", "phone": "139****1111", "id_number": None}
    assert created.json["occurred_at"].startswith("2026-12-04T12:00:00")
    future = hotline.post(
        "/api/v1/cases", json={**body, "external_ref": None, "occurred_at": "2099-01-01T00:00:00Z"}
    )
    assert future.status_code == 422 and "occurred_at" in future.json["errors"]
    bad_phone = hotline.post(
        "/api/v1/cases", json={**body, "external_ref": None, "informant": {"name": "李四", "phone": "12"}}
    )
    assert bad_phone.status_code == 422 and "informant" in bad_phone.json["errors"]


def test_a_grid_worker_and_a_unit_have_no_front_desk(app, make_user):
    for role, scope, extra in [
        ("grid_worker", grid_in(FENGQIAO).code, {}),
        ("unit_handler", None, {"unit_code": RLSBS}),
    ]:
        client = app.test_client()
        sign_in(client, make_user(role, scope, **extra).username)
        assert client.get("/desk/new").status_code in (302, 403)


def test_the_person_who_brought_it_is_rotated_and_anonymised_like_a_party(app, make_user):
    township = make_user("township_coordinator", FENGQIAO)
    verifier = make_user("township_coordinator", FENGQIAO)
    long_ago = utcnow() - timedelta(days=4 * 365)
    body = case_payload(
        grid_in(FENGQIAO).code, source="call", informant={"name": "孙大伟", "phone": "13700002222"}
    )
    case = create_case(township, body, now=long_ago, at_level="township").case
    perform_action(township, case.id, "resolve", case.version, {"outcome": "explained"}, now=long_ago)
    perform_action(
        verifier, case.id, "verify", case.version, {"passed": True}, now=long_ago + timedelta(days=1)
    )

    with rotated_cipher(app) as rotated:
        assert rotate_keys()["case_informants"] == 1
        db.session.refresh(case.informant)
        assert rotated.key_id(case.informant.phone_encrypted) == 2
        assert rotated.decrypt(case.informant.phone_encrypted, "phone") == "13700002222"

    anonymise_closed_parties()
    db.session.refresh(case.informant)
    person = case.informant
    assert (person.name_masked, person.phone_encrypted, person.anonymised_at is not None) == (
        "已匿名",
        None,
        True,
    )


def test_the_api_reveals_the_person_who_brought_it_for_a_reason(api_as, make_user):
    township = make_user("township_coordinator", FENGQIAO)
    caller = {"name": "周小川", "phone": "13700003333"}
    body = case_payload(grid_in(FENGQIAO).code, source="call", informant=caller)
    case = create_case(township, body, at_level="township").case
    other = api_as(make_user("township_coordinator", FENGQIAO))
    assert other.post(f"/api/v1/cases/{case.id}/informant/reveal", json={"reason": ""}).status_code == 422
    shown = other.post(f"/api/v1/cases/{case.id}/informant/reveal", json={"reason": "回电告知受理情况"})
    assert shown.status_code == 200 and shown.json == {**caller, "id_number": None}
