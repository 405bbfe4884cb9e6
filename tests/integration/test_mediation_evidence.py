"""Evidence files of a dispute beyond photos (issue 15): PDF documents and audio and video
recordings, checked by content, kept encrypted with their titles, listed without their bytes,
opened by the people mediating with a reason that is audited, rotated and erased like the parties.

The recordings in tests/fixtures/evidence were made by ffmpeg (Debian 12's 5.1):
  ffmpeg -f lavfi -i sine=frequency=440:duration=2 -ac 1 -ar 16000 -b:a 32k recording.mp3
  ffmpeg -f lavfi -i sine=frequency=440:duration=2 -ac 1 -ar 16000 -c:a aac -b:a 24k recording.m4a
  ffmpeg -f lavfi -i testsrc=size=96x64:rate=5:duration=2 -f lavfi -i sine=frequency=440:duration=2 \\
         -c:v libx264 -pix_fmt yuv420p -crf 40 -c:a aac -b:a 16k -ac 1 -shortest \\
         -movflags +faststart video.mp4
Debian's ffmpeg has no AMR encoder: the AMR file is written here, frame by frame (RFC 4867 §5).
"""

import io
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from gridcase.audit.models import AuditEntry
from gridcase.cases.intake import create_case
from gridcase.cases.operations import perform_action
from gridcase.extensions import db
from gridcase.mediation.evidence import add_evidence
from gridcase.mediation.models import MediationEvidence
from gridcase.people.retention import anonymise_closed_parties, rotate_keys
from gridcase.settings import utcnow
from tests.helpers import CITY, FENGQIAO, case_payload, grid_in, pdf_file, rotated_cipher
from tests.integration.test_attachments_and_pages import csrf_from, sign_in
from tests.integration.test_mediation_agreements import PARTIES
from tests.integration.test_mediation_sessions import dispute

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "evidence"
TITLE = "钱建国提供的借条扫描件"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def amr(frames: int = 100) -> bytes:
    """AMR-NB at 12.2 kbit/s: a header byte of frame type 7 and 31 bytes of speech per 20 ms."""
    return b"#!AMR\n" + (bytes([0x3C]) + bytes(range(31))) * frames


def upload(api, case, data: bytes, title: str = TITLE, name: str = "file.bin", key: str | None = None):
    return api.client.post(
        f"/api/v1/cases/{case.id}/evidence",
        data={"file": (io.BytesIO(data), name), "title": title},
        headers={"Authorization": f"Bearer {api.token}", **({"Idempotency-Key": key} if key else {})},
        content_type="multipart/form-data",
    )


def test_documents_and_recordings_are_kept_sealed_and_opened_for_a_reason(api_as, people):
    case = dispute(people)
    mediator = api_as(people["mediator"])
    scan = pdf_file()
    added = upload(mediator, case, scan, name="jietiao.pdf")
    assert added.status_code == 201, added.json
    assert {k: added.json[k] for k in ("kind", "content_type", "pages", "size_bytes", "title")} == {
        "kind": "document",
        "content_type": "application/pdf",
        "pages": 2,
        "size_bytes": len(scan),
        "title": TITLE,
    }
    sound = upload(mediator, case, fixture("recording.m4a"), "第一次调解录音", "luyin.m4a").json
    assert (sound["kind"], sound["content_type"], sound["duration_seconds"]) == ("audio", "audio/mp4", 2.0)
    film = upload(mediator, case, fixture("video.mp4"), "现场视频", "xianchang.mp4").json
    assert (film["kind"], film["content_type"], film["duration_seconds"]) == ("video", "video/mp4", 2.0)

    # Sealed at rest: neither the bytes nor the title are in the row in clear.
    row = db.session.execute(
        sa.text("SELECT data_encrypted, title_encrypted FROM mediation_evidence WHERE id = :id"),
        {"id": added.json["id"]},
    ).one()
    assert scan[:200] not in bytes(row.data_encrypted) and TITLE.encode() not in bytes(row.title_encrypted)
    # Listed to everyone who sees the case; titled only for those mediating it.
    listed = mediator.get(f"/api/v1/cases/{case.id}/evidence").json
    assert [e["title"] for e in listed] == [TITLE, "第一次调解录音", "现场视频"]
    seen_by_worker = api_as(people["worker"]).get(f"/api/v1/cases/{case.id}/evidence").json
    assert [e["title"] for e in seen_by_worker] == [None, None, None]
    assert seen_by_worker[1]["sha256"] == sound["sha256"]
    timeline = mediator.get(f"/api/v1/cases/{case.id}").json["events"]
    assert [e["action"] for e in timeline[-3:]] == ["evidence"] * 3 and TITLE not in str(timeline)

    url = f"/api/v1/cases/{case.id}/evidence/{added.json['id']}/download"
    assert mediator.post(url, json={"reason": ""}).status_code == 422
    assert api_as(people["worker"]).post(url, json={"reason": "想看看借条"}).status_code == 403
    opened = mediator.post(url, json={"reason": "调解前核对借条原件"})
    assert opened.status_code == 200 and opened.data == scan
    assert opened.headers["Content-Type"] == "application/pdf"
    assert (
        opened.headers["Cache-Control"] == "no-store"
        and opened.headers["X-Content-Type-Options"] == "nosniff"
    )
    assert opened.headers["Content-Disposition"].startswith("attachment")
    audited = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == "reveal_personal_data",
            AuditEntry.actor_username == people["mediator"].username,
        )
    ).all()
    assert [(a.details["evidence_id"], a.details["reason"]) for a in audited] == [
        (added.json["id"], "调解前核对借条原件")
    ]
    assert mediator.get(f"/api/v1/cases/{case.id}").json["events"][-1]["action"] == "reveal"
    # Another case's file is not found through this one.
    other = dispute(people, "邻里排水纠纷")
    assert (
        mediator.post(url.replace(f"/{case.id}/", f"/{other.id}/"), json={"reason": "核对"}).status_code
        == 404
    )


def test_files_are_judged_by_their_content_not_their_name(app, api_as, people, monkeypatch):
    case = dispute(people)
    mediator = api_as(people["mediator"])
    voice = upload(mediator, case, amr(), "电话录音", "voice.amr").json
    assert (voice["content_type"], voice["duration_seconds"]) == ("audio/amr", 2.0)
    song = upload(mediator, case, fixture("recording.mp3"), "录音", "a.mp3").json
    assert (song["content_type"], song["kind"]) == ("audio/mpeg", "audio")

    def refused(data, name, title=TITLE):
        answer = upload(mediator, case, data, title, name)
        assert answer.status_code == 422, answer.json
        return answer.json["errors"]

    assert "file" in refused(b"MZ\x90\x00" + bytes(400), "recording.mp3")  # a program renamed
    video = fixture("video.mp4")
    assert "file" in refused(video[: len(video) // 2], "cut.mp4")  # an upload cut short
    assert "file" in refused(amr()[:-5], "cut.amr")
    assert "file" in refused(b"%PDF-1.7\n% not really a PDF\n", "fake.pdf")
    assert "file" in refused(b"", "empty.pdf")
    assert "title" in refused(pdf_file(), "a.pdf", title="   ")
    monkeypatch.setitem(app.config, "GRIDCASE_MAX_EVIDENCE_BYTES", 4096)
    assert "file" in refused(video, "big.mp4")
    monkeypatch.setitem(app.config, "GRIDCASE_MAX_EVIDENCE_FILES", 2)
    assert "file" in refused(pdf_file(), "third.pdf")  # the case has its two
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MediationEvidence)) == 2


def test_a_retried_upload_is_stored_once(api_as, people):
    case = dispute(people)
    mediator = api_as(people["mediator"])
    first = upload(mediator, case, fixture("recording.m4a"), key="4b1c2d")
    again = upload(mediator, case, fixture("recording.m4a"), key="4b1c2d")
    assert (first.status_code, again.status_code) == (201, 200) and first.json["id"] == again.json["id"]


def test_only_evidence_routes_take_bodies_beyond_the_upload_limit(app, api_as, people, monkeypatch):
    """MAX_CONTENT_LENGTH holds for every other request; an evidence upload may go up to
    GRIDCASE_MAX_EVIDENCE_BYTES."""
    long_call = amr(frames=2000)  # 64 kB: 40 seconds of speech
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 32 * 1024)
    case = dispute(people)
    mediator = api_as(people["mediator"])
    photo = mediator.client.post(
        f"/api/v1/cases/{case.id}/attachments",
        data={"file": (io.BytesIO(long_call), "big.jpg")},
        headers={"Authorization": f"Bearer {mediator.token}"},
        content_type="multipart/form-data",
    )
    assert photo.status_code == 413
    answer = upload(mediator, case, long_call, "电话录音", "call.amr")
    assert answer.status_code == 201 and answer.json["duration_seconds"] == 40.0


def test_only_those_mediating_an_open_dispute_add_evidence(api_as, people, make_user):
    case = dispute(people)
    assert upload(api_as(people["worker"]), case, pdf_file()).status_code == 403
    stranger = make_user("external_mediator", CITY)  # not invited
    assert upload(api_as(stranger), case, pdf_file()).status_code == 404


def test_evidence_is_rotated_and_erased_with_the_parties(app, make_user):
    township = make_user("township_coordinator", FENGQIAO)
    verifier = make_user("township_coordinator", FENGQIAO)
    long_ago = utcnow() - timedelta(days=4 * 365)
    body = case_payload(grid_in(FENGQIAO).code, kind="dispute", category="D0101", parties=PARTIES)
    case = create_case(township, body, now=long_ago, at_level="township").case
    recording = fixture("recording.m4a")
    evidence, _ = add_evidence(township, case.id, recording, "调解录音", long_ago)
    with rotated_cipher(app) as rotated:
        assert rotate_keys()["mediation_evidence"] == 1
        db.session.refresh(evidence)
        assert rotated.key_id(evidence.data_encrypted) == 2
        assert rotated.decrypt_bytes(evidence.data_encrypted, "evidence_data") == recording
    perform_action(township, case.id, "resolve", case.version, {"outcome": "mediated"}, now=long_ago)
    perform_action(
        verifier, case.id, "verify", case.version, {"passed": True}, now=long_ago + timedelta(days=1)
    )
    anonymise_closed_parties()
    db.session.refresh(evidence)
    assert evidence.data_encrypted is None and evidence.erased_at is not None
    assert evidence.sha256 and evidence.size_bytes == len(recording)  # the record of it stays


def test_the_page_takes_a_long_recording_and_says_what_is_wrong_with_a_bad_one(
    app, client, people, monkeypatch
):
    """The case page's form: a plain multipart post. Its body may pass MAX_CONTENT_LENGTH (the
    limit is raised before the CSRF check reads the form); a refused file is named in the
    page's language and nothing is stored."""
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 32 * 1024)
    case = dispute(people)
    sign_in(client, people["mediator"].username)
    path = f"/desk/cases/{case.public_number}"
    token = csrf_from(client.get(path).data)

    def post(data: bytes, title: str = "电话录音"):
        form = {"csrf_token": token, "title": title, "file": (io.BytesIO(data), "call.amr")}
        return client.post(f"{path}/evidence?lang=en", data=form, content_type="multipart/form-data")

    refused = post(b"RIFF\x00\x00\x00\x00WAVEfmt ")
    assert refused.status_code == 422
    assert "Only these files are accepted as evidence" in refused.get_data(as_text=True)
    taken = post(amr(frames=2000))  # 64 kB
    assert taken.status_code == 302 and taken.headers["Location"].endswith("#evidence")
    listed = db.session.scalars(sa.select(MediationEvidence.duration_seconds)).all()
    assert listed == [40.0]
