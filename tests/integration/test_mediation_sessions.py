"""The mediation record and invited mediators (issue 15): sittings and inquiries with the
mediators by account and the parties present, their 笔录 encrypted at rest and read only by those
mediating; a mediator from outside (乡贤, lawyer) invited onto one dispute sees that case and no
other, records its sessions, and moves nothing."""

import sqlalchemy as sa

from gridcase.cases.intake import create_case
from gridcase.extensions import db
from gridcase.mediation.models import MediationSession
from gridcase.notifications.models import Notification
from gridcase.people.retention import rotate_keys
from tests.helpers import CITY, case_payload, in_december
from tests.integration.test_attachments_and_pages import csrf_from, sign_in
from tests.integration.test_mediation_agreements import PARTIES

RECORD = "申请人钱建国称：围墙越界约0.5米。被申请人孙丽华称：围墙系按原界址所建。"


def dispute(people, title="宅基地边界纠纷"):
    body = case_payload(
        people["worker"].scope_code, kind="dispute", category="D0101", title=title, parties=PARTIES
    )
    return create_case(people["worker"], body, now=in_december(7)).case


def session_body(case, **overrides):
    return {
        "kind": "mediation",
        "held_at": "2026-12-04T09:00:00+08:00",
        "place": "村调委会调解室",
        "party_ids": [p.id for p in case.parties],
        "record": RECORD,
        **overrides,
    }


def invite(api_as, people, case, mediator):
    answer = api_as(people["mediator"]).post(
        f"/api/v1/cases/{case.id}/invitations", json={"mediator_id": mediator.id}
    )
    assert answer.status_code == 201, answer.json
    return answer.json["id"]


def test_an_invited_mediator_sees_the_invited_case_and_no_other(api_as, people, make_user):
    case, other = dispute(people), dispute(people, "邻里排水纠纷")  # same grid, not invited
    outsider = make_user("external_mediator", CITY, display_name="陈乡贤")
    api = api_as(outsider)
    assert api.get(f"/api/v1/cases/{case.id}").status_code == 404  # not yet invited
    invitation = invite(api_as, people, case, outsider)
    assert api.get(f"/api/v1/cases/{case.id}").status_code == 200
    assert api.get(f"/api/v1/cases/{other.id}").status_code == 404
    listed = api.get("/api/v1/cases").json
    assert [c["id"] for c in listed["items"]] == [case.id]
    note = {"action": "note", "version": case.version, "text": "已电话约谈双方"}
    assert api.post(f"/api/v1/cases/{case.id}/actions", json=note).status_code == 200
    version = api.get(f"/api/v1/cases/{case.id}").json["version"]
    escalate = {"action": "escalate", "version": version, "reason": "双方分歧大"}
    assert api.post(f"/api/v1/cases/{case.id}/actions", json=escalate).status_code == 422
    reveal = {"reason": "约双方当事人到场调解"}
    assert (
        api.post(f"/api/v1/cases/{case.id}/parties/{case.parties[0].id}/reveal", json=reveal).status_code
        == 403
    )
    assert api.get("/api/v1/stats").status_code == 403
    told = db.session.scalars(sa.select(Notification).where(Notification.user_id == outsider.id)).all()
    assert [n.case_id for n in told] == [case.id] and "钱建国" not in told[0].message
    withdrawn = api_as(people["mediator"]).client.delete(
        f"/api/v1/cases/{case.id}/invitations/{invitation}",
        headers={"Authorization": f"Bearer {api_as(people['mediator']).token}"},
    )
    assert withdrawn.status_code == 204
    assert api.get(f"/api/v1/cases/{case.id}").status_code == 404


def test_a_session_names_its_mediators_and_parties_and_keeps_its_record_encrypted(api_as, people, make_user):
    case = dispute(people)
    outsider = make_user("external_mediator", CITY, display_name="王律师")
    invite(api_as, people, case, outsider)
    body = session_body(case, mediator_ids=[people["mediator"].id])
    answer = api_as(outsider).post(f"/api/v1/cases/{case.id}/sessions", json=body)
    assert answer.status_code == 201, answer.json
    assert sorted(answer.json["mediators"]) == sorted(["王律师", people["mediator"].display_name])
    assert len(answer.json["attended"]) == 2 and "钱建国" not in answer.json["attended"]
    assert answer.json["record"] == RECORD
    stored = db.session.scalar(
        sa.select(MediationSession.record_encrypted).where(MediationSession.case_id == case.id)
    )
    assert RECORD.encode() not in bytes(stored) and "钱建国".encode() not in bytes(stored)
    # The township above reads the record; the grid worker sees that it was held, not what was said.
    assert api_as(people["township"]).get(f"/api/v1/cases/{case.id}/sessions").json[0]["record"] == RECORD
    seen_by_worker = api_as(people["worker"]).get(f"/api/v1/cases/{case.id}/sessions").json
    assert seen_by_worker[0]["record"] is None and seen_by_worker[0]["place"] == "村调委会调解室"
    timeline = api_as(people["worker"]).get(f"/api/v1/cases/{case.id}").json["events"]
    assert timeline[-1]["action"] == "session" and RECORD not in str(timeline[-1]["payload"])
    assert rotate_keys()["mediation_sessions"] >= 0  # the record is among the rotated columns
    assert api_as(people["mediator"]).get(f"/api/v1/cases/{case.id}/sessions").json[0]["record"] == RECORD


def test_a_session_record_is_refused_field_by_field(api_as, people, make_user):
    case, other = dispute(people), dispute(people, "邻里排水纠纷")
    api = api_as(people["mediator"])
    url = f"/api/v1/cases/{case.id}/sessions"
    stranger = make_user("external_mediator", CITY)  # not invited
    bad = session_body(
        case,
        held_at="2099-01-01T09:00:00+08:00",
        mediator_ids=[stranger.id, people["worker"].id],
        party_ids=[other.parties[0].id],
    )
    answer = api.post(url, json=bad)
    assert answer.status_code == 422
    assert set(answer.json["errors"]) == {"held_at", "mediator_ids", "party_ids"}
    assert api.post(url, json=session_body(case, record="")).status_code == 422
    assert api_as(people["worker"]).post(url, json=session_body(case)).status_code == 403
    assert api_as(stranger).post(url, json=session_body(case)).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MediationSession)) == 0


def test_only_a_handler_invites_and_only_a_mediator_of_the_roster(api_as, people, make_user):
    case = dispute(people)
    outsider = make_user("external_mediator", CITY)
    url = f"/api/v1/cases/{case.id}/invitations"
    assert api_as(people["worker"]).post(url, json={"mediator_id": outsider.id}).status_code == 403
    assert (
        api_as(people["mediator"]).post(url, json={"mediator_id": people["township"].id}).status_code == 422
    )
    assert api_as(people["mediator"]).post(url, json={"mediator_id": outsider.id}).status_code == 201
    again = api_as(people["mediator"]).post(url, json={"mediator_id": outsider.id})
    assert again.status_code == 422 and "mediator_id" in again.json["errors"]


def test_the_pages_of_an_invited_mediator(app, api_as, people, make_user):
    case = dispute(people)
    outsider = make_user("external_mediator", CITY, display_name="陈乡贤")
    invite(api_as, people, case, outsider)
    db.session.commit()
    client = app.test_client()
    landing = sign_in(client, outsider.username)
    assert landing.headers["Location"].endswith("/desk/invited")
    listed = client.get("/desk/invited?lang=en").get_data(as_text=True)
    assert case.public_number in listed
    page = client.get(f"/desk/cases/{case.public_number}?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Record a session or an inquiry" in html and "Show in full" not in html
    form = {
        "csrf_token": csrf_from(page.data),
        "kind": "investigation",
        "held_at": "2026-12-04T15:30",
        "place": "现场",
        "party_ids": [str(case.parties[0].id)],
        "record": "现场查看：围墙东端越界约0.5米。",
    }
    saved = client.post(f"/desk/cases/{case.public_number}/sessions?lang=en", data=form)
    assert saved.status_code == 302
    html = client.get(f"/desk/cases/{case.public_number}?lang=en").get_data(as_text=True)
    assert "现场查看：围墙东端越界约0.5米。" in html and "Inquiry" in html
    refused = client.post(f"/desk/cases/{case.public_number}/sessions?lang=en", data={**form, "record": ""})
    assert refused.status_code == 422 and "Write down what was said or found." in refused.get_data(
        as_text=True
    )
    assert client.get("/desk/?lang=en").status_code in (302, 403)  # the centre's queue is not theirs
