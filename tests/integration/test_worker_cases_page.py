"""The phone's "my cases" (issue 16): open, done or all of the worker's cases, found by title or
number — closed ones too, which the home page leaves out."""

from gridcase.cases.intake import create_case
from gridcase.cases.operations import perform_action
from tests.helpers import case_payload, in_december
from tests.integration.test_attachments_and_pages import sign_in


def test_my_cases_shows_closed_ones_and_finds_by_title(app, worker, people):
    open_case = create_case(
        worker, case_payload(worker.scope_code, title="桥头垃圾堆放"), now=in_december(1)
    ).case
    done = create_case(worker, case_payload(worker.scope_code, title="路灯损坏"), now=in_december(1)).case
    mediator = people["mediator"]
    perform_action(mediator, done.id, "accept", done.version, {}, now=in_december(1, 11))
    perform_action(
        mediator,
        done.id,
        "resolve",
        done.version,
        {"outcome": "other", "summary": "已修复"},
        now=in_december(2),
    )
    client = app.test_client()
    sign_in(client, worker.username)
    home = client.get("/m/?lang=zh").get_data(as_text=True)
    open_list = home[home.index("我的在办案件") :]
    assert "桥头垃圾堆放" in open_list and "路灯损坏" not in open_list  # the home lists open ones only
    assert "全部案件（含已结案）与搜索" in home
    both = client.get("/m/cases?show=all&lang=zh").get_data(as_text=True)
    assert "桥头垃圾堆放" in both and "路灯损坏" in both
    finished = client.get("/m/cases?show=done&lang=zh").get_data(as_text=True)
    assert "路灯损坏" in finished and "桥头垃圾堆放" not in finished
    found = client.get("/m/cases?show=all&q=路灯&lang=zh").get_data(as_text=True)
    assert "路灯损坏" in found and "桥头垃圾堆放" not in found
    by_number = client.get(f"/m/cases?show=all&q={open_case.public_number}&lang=zh").get_data(as_text=True)
    assert "桥头垃圾堆放" in by_number and "路灯损坏" not in by_number
    long = client.get("/m/cases?q=" + "长" * 120)
    assert long.status_code == 200 and "最多100个字符" in long.get_data(as_text=True)


def test_all_my_notifications_and_marking_them_read(app, worker):
    from gridcase.notifications.inbox import Kind, notify_user
    from gridcase.settings import utcnow
    from tests.integration.test_attachments_and_pages import csrf_from

    case = create_case(worker, case_payload(worker.scope_code, title="井盖缺失"), now=in_december(1)).case
    for n in range(7):
        notify_user(worker.id, case, Kind.YOUR_CASE, f"通知{n}", utcnow())
    client = app.test_client()
    sign_in(client, worker.username)
    page = client.get("/m/notifications?lang=zh")
    html = page.get_data(as_text=True)
    assert all(f"通知{n}" in html for n in range(7)) and "全部标为已读" in html
    assert client.post("/m/notifications", data={"csrf_token": csrf_from(page.data)}).status_code == 302
    assert 'class="unread"' not in client.get("/m/notifications?lang=zh").get_data(as_text=True)
