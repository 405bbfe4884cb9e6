"""人民调解 in a real Chromium (issue 15, "Done means"): a community mediator records an inquiry,
mediates a dispute to an agreement and downloads the 协议书 as DOCX and as PDF (opened here:
python-docx reads the parties and terms, the PDF's text holds the number in Chinese); `sweep --at`
reaches the performance deadline, the mediator is told, records "not performed" and the
application for 司法确认 with its 30-day window shown; an invited mediator sees that case and gets
404 for another; the case file opens with its parts in order."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from docx import Document

from gridcase.cases.intake import create_case
from gridcase.cases.operations import perform_action
from gridcase.extensions import db
from gridcase.mediation.case_file import PARTS
from gridcase.notifications.models import Notification
from gridcase.people.auth import create_user
from gridcase.people.models import User
from gridcase.settings import local_tz, utcnow
from tests.browser.conftest import sign_in
from tests.helpers import CITY, case_payload, pdf_file
from tests.integration.test_mediation_agreements import pdf_text

pytestmark = pytest.mark.browser
DESK = {"width": 1366, "height": 860}
PARTIES = [
    {"name": "钱建国", "id_number": "11010519491231002X", "phone": "13500001111", "role": "applicant"},
    {"name": "孙丽华", "phone": "13600002222", "role": "respondent"},
]


def accepted_dispute(app, title: str) -> tuple[str, str]:
    """A dispute in demo-worker's grid accepted by the community; (its number, another's)."""
    with app.app_context():
        worker = db.session.scalar(sa.select(User).where(User.username == "demo-worker"))
        mediator = db.session.scalar(sa.select(User).where(User.username == "demo-community"))
        numbers = []
        for suffix in ("", " 另案"):
            body = case_payload(
                worker.scope_code, kind="dispute", category="D0101", title=title + suffix, parties=PARTIES
            )
            case = create_case(worker, body).case
            perform_action(mediator, case.id, "accept", case.version, {})
            numbers.append(case.public_number)
        db.session.commit()
        return numbers[0], numbers[1]


def invited_mediator(app) -> tuple[str, int]:
    username = f"xiangxian-{uuid.uuid4().hex[:6]}"
    with app.app_context():
        user = create_user(username, "correct-horse-battery", "external_mediator", CITY, "乡贤 陈德高")
        db.session.commit()
        return username, user.id


def download(page, form_selector: str, fmt: str):
    page.check(f"{form_selector} input[name=format][value={fmt}]")
    with page.expect_download() as caught:
        page.click(f"{form_selector} button[type=submit]")
    return caught.value


def downloaded(download) -> bytes:
    """What a download saved."""
    return Path(download.path()).read_bytes()


def test_mediate_to_an_agreement_follow_it_up_and_bind_the_file(app, browser, live_server, cleanup):
    title = f"宅基地边界纠纷 {uuid.uuid4().hex[:6]}"
    cleanup.extend([title, title + " 另案"])
    number, other = accepted_dispute(app, title)
    outsider, outsider_id = invited_mediator(app)
    with app.app_context():
        now = utcnow().astimezone(local_tz())
    today = now.date()
    deadline = today + timedelta(days=1)
    # Sessions are recorded after they are held: times an hour or two ago, whatever the hour CI runs at.
    inquiry_at = (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    sitting_at = (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")

    page = browser.new_context(
        base_url=live_server, viewport=DESK, locale="zh-CN", accept_downloads=True
    ).new_page()
    sign_in(page, "demo-community")
    page.goto(f"/desk/cases/{number}")
    # An inquiry on the spot, with both parties present.
    page.click("#session-form summary")
    page.check("#session-form input[name=kind][value=investigation]")
    page.fill("#session-form input[name=held_at]", inquiry_at)
    page.fill("#session-form input[name=place]", "争议围墙现场")
    for box in page.locator("#session-form input[name=party_ids]").all():
        box.check()
    page.fill("#session-form textarea[name=record]", "现场查看：围墙东端越界约0.5米，双方均在场。")
    page.click("#session-form button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert page.locator("#sessions", has_text="围墙东端越界约0.5米").count() == 1
    # Evidence beyond photos: a file that is not what its name says is refused, in Chinese; a
    # scanned PDF is taken, listed with its pages, and opened again for a reason.
    scan = pdf_file(pages=1)
    page.click("#evidence-form summary")  # (a refused form comes back open)
    for name, content in (("录音.mp3", b"not a recording at all"), ("界址协议.pdf", scan)):
        page.fill("#evidence-form input[name=title]", "围墙界址协议扫描件")
        page.set_input_files(
            "#evidence-form input[name=file]",
            files=[{"name": name, "mimeType": "application/octet-stream", "buffer": content}],
        )
        page.click("#evidence-form button[type=submit]")
        if content != scan:
            assert page.locator("#evidence-form .field-error", has_text="证据材料只接受以下格式").count() == 1
    page.wait_for_selector(".flash-success")
    item = page.locator("#sessions .evidence-file", has_text="围墙界址协议扫描件")
    assert item.count() == 1 and "1 页" in item.inner_text()
    item.locator("summary").click()
    item.locator("input[name=reason]").fill("调解前核对界址协议")
    with page.expect_download() as caught:
        item.locator("button[type=submit]").click()
    assert downloaded(caught.value) == scan
    # Invite a 乡贤 from the city's roster.
    page.select_option("#invitations select[name=mediator_id]", str(outsider_id))
    page.click("#invitations button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert page.locator("#invitations", has_text="乡贤 陈德高").count() == 1
    # Mediate to an agreement.
    page.click("#action-mediate summary")
    page.fill("#action-mediate input[name='session.held_at']", sitting_at)
    page.fill("#action-mediate textarea[name='session.summary']", "双方陈述，达成协议")
    page.fill("#action-mediate textarea[name='agreement.facts']", "双方因宅基地边界围墙位置发生争执")
    page.fill("#action-mediate textarea[name='agreement.disputed_points']", "围墙是否越界约0.5米")
    page.fill(
        "#action-mediate textarea[name='agreement.terms']", "孙丽华拆除越界部分围墙；钱建国承担拆除费用800元"
    )
    page.fill("#action-mediate textarea[name='agreement.performance_method']", "现场拆除，现金支付")
    page.fill("#action-mediate input[name='agreement.performance_deadline']", deadline.isoformat())
    page.click("#action-mediate button[type=submit]")
    page.wait_for_selector("#agreements")
    with app.app_context():
        agreement = _agreement_of(number)
    # The 协议书 as DOCX, then as PDF.
    form = f"#agreement-{agreement['id']}"
    page.click(f"{form} summary")
    page.fill(f"{form} input[name=reason]", "打印协议书供双方签字")
    docx = download(page, form, "docx")
    assert docx.suggested_filename.endswith(".docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(downloaded(docx))).paragraphs)
    assert "申请人：钱建国" in text and "11010519491231002X" in text and "拆除越界部分围墙" in text
    page.goto(f"/desk/cases/{number}")
    page.click(f"{form} summary")
    page.fill(f"{form} input[name=reason]", "打印协议书供双方签字")
    pdf = download(page, form, "pdf")
    assert pdf.suggested_filename.endswith(".pdf")
    assert agreement["number"] in pdf_text(downloaded(pdf))

    # `sweep --at` the performance deadline: the mediator is told.
    result = app.test_cli_runner().invoke(args=["gridcase", "sweep", "--at", f"{deadline.isoformat()}T09:00"])
    assert result.exit_code == 0 and "agreement(s) due for performance" in result.output
    with app.app_context():
        mediator_id = db.session.scalar(sa.select(User.id).where(User.username == "demo-community"))
        told = db.session.scalars(
            sa.select(Notification.message).where(
                Notification.user_id == mediator_id, Notification.kind == "performance_due"
            )
        ).all()
    assert any(number in message for message in told)
    # Not performed: the page points to 司法确认 and shows its window; the mediator records the application.
    page.goto(f"/desk/cases/{number}")
    page.click(f"#performance-{agreement['id']} summary")
    page.check(f"#performance-{agreement['id']} input[name=performance][value=not_performed]")
    page.fill(f"#performance-{agreement['id']} input[name=note]", "孙丽华未拆除围墙")
    page.click(f"#performance-{agreement['id']} button[type=submit]")
    page.wait_for_selector(".flash-success")
    agreements = page.locator("#agreements")
    assert agreements.locator(".performance", has_text="未履行").count() == 1
    window = agreement["confirmation_due"]
    assert agreements.locator(".confirmation", has_text=window).count() == 1  # the 30-day window
    page.click(f"#confirmation-{agreement['id']} summary")
    page.click(f"#confirmation-{agreement['id']} button[type=submit]")  # the first court listed
    page.wait_for_selector(".flash-success")
    assert agreements.locator(".confirmation", has_text="已申请").count() == 1

    # The case file opens with its parts in order.
    page.click("#case-file-form summary")
    page.fill("#case-file-form input[name=reason]", "调阅卷宗备查")
    bundle = download(page, "#case-file-form", "docx")
    paragraphs = [p.text for p in Document(io.BytesIO(downloaded(bundle))).paragraphs]
    contents = paragraphs.index("卷内目录")
    assert paragraphs[contents + 1 : contents + len(PARTS) - 1] == [
        f"{n}. {part}" for n, part in enumerate(PARTS[2:], start=1)
    ]
    assert "现场查看：围墙东端越界约0.5米，双方均在场。" in paragraphs

    # The invited 乡贤: the invited case, and 404 for another.
    guest = browser.new_context(base_url=live_server, viewport=DESK, locale="zh-CN").new_page()
    sign_in(guest, outsider, "correct-horse-battery")
    assert (
        guest.url.endswith("/desk/invited") and guest.locator("#invited-cases", has_text=number).count() == 1
    )
    assert guest.goto(f"/desk/cases/{number}").status == 200
    assert guest.locator("#session-form").count() == 1 and guest.locator("text=查看完整信息").count() == 0
    assert guest.goto(f"/desk/cases/{other}").status == 404


def _agreement_of(number: str) -> dict:
    row = db.session.execute(
        sa.text(
            "SELECT a.id, a.year, a.sequence, a.confirmation_due FROM mediation_agreements a "
            "JOIN cases c ON c.id = a.case_id WHERE c.public_number = :n"
        ),
        {"n": number},
    ).one()
    return {
        "id": row.id,
        "number": f"〔{row.year}〕第{row.sequence}号",
        "confirmation_due": row.confirmation_due.isoformat(),
    }
