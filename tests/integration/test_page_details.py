"""Details a real user trips on (issue 19, the domain and UX review's section 4): the tab's icon,
deadlines at midnight read as the end of the day before, and the phone's new-case heading that
fits both kinds of case."""

import io
from datetime import datetime

from gridcase.web.filters import deadline
from tests.helpers import SHANGHAI
from tests.integration.test_attachments_and_pages import sign_in


def test_every_page_has_an_icon_and_favicon_ico_answers(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/png" and icon.data.startswith(b"\x89PNG")
    assert 'rel="icon"' in client.get("/public/").get_data(as_text=True)
    assert 'rel="icon"' in client.get("/login").get_data(as_text=True)


def test_a_deadline_at_midnight_is_the_end_of_the_day_before(app):
    midnight = datetime(2026, 12, 26, 0, 0, tzinfo=SHANGHAI)
    assert deadline(midnight, "%m-%d %H:%M") == "12-25 24:00"
    assert deadline(midnight) == "2026-12-25 24:00"
    assert deadline(datetime(2026, 12, 26, 17, 30, tzinfo=SHANGHAI), "%m-%d %H:%M") == "12-26 17:30"
    assert deadline(None) == ""


def test_the_phone_heading_names_a_case_not_only_an_incident(app, worker):
    client = app.test_client()
    sign_in(client, worker.username)
    page = client.get("/m/new?lang=zh").get_data(as_text=True)
    assert "新建案件" in page and "新建事件" not in page


def test_the_phone_form_hears_its_field_errors_in_chinese(app, worker, api_as):
    """The review's 08b and 89: a wrong ID check digit and a negative 涉及人数 were said in English
    on the Chinese phone form; an API client still reads English."""
    from tests.helpers import FENGQIAO, case_payload, grid_in

    body = case_payload(
        grid_in(FENGQIAO).code,
        kind="dispute",
        category="D02",
        people_involved=-1,
        parties=[{"name": "王五", "role": "applicant", "id_number": "330681198001011235"}],
    )
    client = app.test_client()
    sign_in(client, worker.username)
    client.get("/m/?lang=zh")
    token = client.get("/csrf-token").json["csrf_token"]
    answer = client.post("/api/v1/cases", json=body, headers={"X-CSRFToken": token}).json
    assert answer["message"] == "提交的内容有误，请按提示逐项修改。"
    assert answer["errors"]["people_involved"] == ["须在0到100000之间。"]
    assert answer["errors"]["parties"]["0"]["id_number"] == [
        "身份证号码有误：校验位不符（可能有一位数字输错了）。"
    ]
    english = api_as(worker).post("/api/v1/cases", json=body).json
    assert english["message"] == "The request has invalid fields; see errors for each one."
    assert english["errors"]["people_involved"] == [
        "Must be greater than or equal to 0 and less than or equal to 100000."
    ]


def test_the_sweeps_reasons_read_in_the_pages_language(app, worker, make_user):
    """The review's 43, 84 and 63: "overdue" in the desk's timeline."""
    from datetime import timedelta

    from gridcase.cases.intake import create_case
    from gridcase.ladder.sweep import sweep
    from tests.helpers import FENGQIAO, case_payload

    case = create_case(worker, case_payload(worker.scope_code)).case
    sweep(case.due_at + timedelta(minutes=1))
    client = app.test_client()
    sign_in(client, make_user("township_coordinator", FENGQIAO).username)
    page = client.get(f"/desk/cases/{case.id}?lang=zh").get_data(as_text=True)
    assert "超过办理时限，系统自动上报" in page and "<p>overdue</p>" not in page


def test_a_mistyped_original_number_is_a_field_to_correct_not_a_lost_page(app, worker, make_user):
    """The review's 90: 标记重复件 with a wrong number replaced the page with a bare English 404."""
    import re

    from gridcase.cases.intake import create_case
    from tests.helpers import case_payload

    case = create_case(worker, case_payload(worker.scope_code)).case
    client = app.test_client()
    sign_in(client, make_user("community_mediator", worker.grids[0].community_code).username)
    page = client.get(f"/desk/cases/{case.id}?lang=zh").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post(
        f"/desk/cases/{case.id}",
        data={
            "csrf_token": token,
            "action": "mark_duplicate",
            "version": case.version,
            "original": "330681-20261204-999999",
        },
    )
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422 and case.public_number in text  # still the case's page
    assert "您的范围内没有案件 330681-20261204-999999。" in text


def test_a_failed_verification_without_a_note_ends_its_sentence(worker, make_user):
    """The review's 30: "核查未通过，请重新办理：" with nothing after the colon."""
    import sqlalchemy as sa

    from gridcase.cases.intake import create_case
    from gridcase.cases.operations import perform_action
    from gridcase.extensions import db
    from gridcase.notifications.models import Notification
    from gridcase.settings import utcnow
    from tests.helpers import FENGQIAO, case_payload

    case = create_case(worker, case_payload(worker.scope_code)).case
    mediator = make_user("community_mediator", worker.grids[0].community_code)
    township = make_user("township_coordinator", FENGQIAO)
    now = utcnow()
    perform_action(mediator, case.id, "accept", case.version, {}, now=now)
    perform_action(
        mediator, case.id, "resolve", case.version, {"outcome": "other", "summary": "已处理"}, now=now
    )
    perform_action(township, case.id, "verify", case.version, {"passed": False}, now=now)
    messages = db.session.scalars(
        sa.select(Notification.message).where(
            Notification.case_id == case.id, Notification.kind == "verification_failed"
        )
    ).all()
    assert messages and all(m.endswith("请重新办理。") for m in messages)


def test_a_case_without_an_address_says_its_grid(app, worker):
    from gridcase.cases.intake import create_case
    from tests.helpers import case_payload

    case = create_case(worker, {**case_payload(worker.scope_code), "address": ""}).case
    client = app.test_client()
    sign_in(client, worker.username)
    page = client.get(f"/m/cases/{case.public_number}?lang=zh").get_data(as_text=True)
    assert f"未填写，位于{worker.grids[0].name}" in page


def test_a_closed_case_takes_no_more_photos(app, worker, make_user, api_as):
    """The review's 85: a closed case still offered 添加照片."""
    from gridcase.cases.intake import create_case
    from gridcase.cases.operations import perform_action
    from gridcase.settings import utcnow
    from tests.helpers import FENGQIAO, case_payload
    from tests.integration.test_attachments_and_pages import jpeg

    case = create_case(worker, case_payload(worker.scope_code)).case
    mediator = make_user("community_mediator", worker.grids[0].community_code)
    now = utcnow()
    perform_action(mediator, case.id, "accept", case.version, {}, now=now)
    perform_action(
        mediator, case.id, "resolve", case.version, {"outcome": "other", "summary": "已处理"}, now=now
    )
    perform_action(
        make_user("township_coordinator", FENGQIAO),
        case.id,
        "verify",
        case.version,
        {"passed": True},
        now=now,
    )
    client = app.test_client()
    sign_in(client, worker.username)
    assert 'id="add-photos"' not in client.get(f"/m/cases/{case.public_number}?lang=zh").get_data(
        as_text=True
    )
    refused = api_as(worker).post(
        f"/api/v1/cases/{case.id}/attachments", data={"file": (io.BytesIO(jpeg()), "p.jpg")}
    )
    assert refused.status_code == 422


def test_the_audit_log_reads_in_words_not_codes(app, make_user, worker):
    """The review's 82: 操作 "login", 结果 "ok", details as JSON."""
    from tests.helpers import CITY, sign_in_with_second_factor

    client = app.test_client()
    sign_in(client, worker.username)  # a sign-in to read about
    auditor = make_user("auditor", CITY)
    reader = app.test_client()
    sign_in_with_second_factor(reader, auditor)
    page = reader.get("/audit/?lang=zh").get_data(as_text=True)
    assert "<td>登录</td>" in page and "<td>成功</td>" in page
    assert "<td>login</td>" not in page and '{"method"' not in page


def test_a_partys_fields_keep_their_labels(app, worker):
    """The review's 07 and 91: party inputs with placeholders only, cut off at 360 px."""
    import re

    client = app.test_client()
    sign_in(client, worker.username)
    page = client.get("/m/new?lang=zh").get_data(as_text=True)
    template = re.search(r'<template id="party-template">(.*?)</template>', page, re.S).group(1)
    for name in ("party_name", "party_id", "party_phone", "party_role"):
        assert re.search(
            rf'<label class="field"><span>[^<]+</span><(input|select) name="{name}"', template
        ), name
    assert "placeholder" not in template


def test_the_queue_says_each_cases_kind_and_source(app, worker, make_user):
    """The review's 20 and 40: no 类型 (事件/纠纷) nor 来源 in the queue."""
    from gridcase.cases.intake import create_case
    from tests.helpers import case_payload

    create_case(worker, case_payload(worker.scope_code, kind="dispute", category="D02"))
    client = app.test_client()
    sign_in(client, make_user("community_mediator", worker.grids[0].community_code).username)
    page = client.get("/desk/?lang=zh").get_data(as_text=True)
    assert "类型、类别与来源" in page and "矛盾纠纷 · " in page


def test_the_queue_filters_by_kind_and_by_the_day_logged(app, worker, make_user):
    """The review's 20 and 40: no date filter; 查询 below the fold at 768 px."""
    from datetime import timedelta

    from gridcase.cases.intake import create_case
    from gridcase.settings import utcnow
    from tests.helpers import case_payload

    old = create_case(
        worker, case_payload(worker.scope_code, title="上月的事"), now=utcnow() - timedelta(days=40)
    ).case
    new = create_case(
        worker, case_payload(worker.scope_code, kind="dispute", category="D02", title="今天的纠纷")
    ).case
    client = app.test_client()
    sign_in(client, make_user("community_mediator", worker.grids[0].community_code).username)
    today = utcnow().date().isoformat()
    recent = client.get(f"/desk/?filtered=1&from={today}&status=pending&lang=zh").get_data(as_text=True)
    assert new.public_number in recent and old.public_number not in recent
    disputes = client.get("/desk/?filtered=1&kind=dispute&status=pending&lang=zh").get_data(as_text=True)
    assert new.public_number in disputes and old.public_number not in disputes
    assert recent.index('class="filter-buttons"') < recent.index('name="q"')  # the buttons come first


def test_the_queue_exports_the_cases_it_shows(app, worker, make_user):
    """The review's 20: the queue had no export button. Its export holds the cases the queue's
    filters select, no more."""
    import csv
    import html
    import io as text_io
    import re

    from gridcase.cases.intake import create_case
    from tests.helpers import case_payload

    dispute = create_case(worker, case_payload(worker.scope_code, kind="dispute", category="D02")).case
    incident = create_case(worker, case_payload(worker.scope_code, title="路灯不亮")).case
    client = app.test_client()
    sign_in(client, make_user("community_mediator", worker.grids[0].community_code).username)
    page = client.get("/desk/?filtered=1&kind=dispute&status=pending&lang=zh").get_data(as_text=True)
    assert "导出当前列表" in page
    link = html.unescape(re.search(r'id="export-csv" href="([^"]+)"', page)[1])
    assert "kind=dispute" in link and "status=pending" in link
    rows = list(csv.reader(text_io.StringIO(client.get(link).get_data(as_text=True).lstrip("\ufeff"))))
    numbers = {cell for row in rows[1:] for cell in row}
    assert dispute.public_number in numbers and incident.public_number not in numbers
