"""The monthly report (issue 17): a month not over yet is a month-to-date, compared with the same
first days of the month before and titled so; a change is green only where it is better — a
count with no better direction (受理数) is not coloured. A closed month is issued (签发) by the
node's own centre and frozen: the page, the API and the documents read what was issued. The
DOCX holds the API's figures; the PDF and the charts are real files."""

import io
import re
from datetime import date, datetime, timedelta

from docx import Document
from PIL import Image

from gridcase.cases.intake import create_case
from gridcase.cases.operations import perform_action
from gridcase.extensions import db
from gridcase.settings import local_tz, utcnow
from gridcase.stats.report import Month
from gridcase.stats.rollups import refresh_rollups
from tests.helpers import CITY, FENGQIAO, JIYANG, case_payload
from tests.integration.test_attachments_and_pages import csrf_from, sign_in

REPORT = "/api/v1/stats/monthly-report"


def _today() -> date:
    return utcnow().astimezone(local_tz()).date()


def _last_month() -> Month:
    return Month.of(_today()).previous


def _log(worker, day: date, count: int, **overrides) -> list:
    """`count` cases in the worker's grid, logged at 10:00 local on `day`."""
    when = datetime.combine(day, datetime.min.time(), local_tz()) + timedelta(hours=10)
    return [
        create_case(worker, case_payload(worker.scope_code, title=f"月报{n}", **overrides), now=when).case
        for n in range(count)
    ]


def _resolve(mediator, case) -> None:
    for action, payload in (("accept", {}), ("resolve", {"outcome": "explained"})):
        db.session.refresh(case)
        perform_action(mediator, case.id, action, case.version, payload)


def _docx(answer) -> Document:
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    return Document(io.BytesIO(answer.data))


def test_the_current_month_is_a_month_to_date_against_the_same_days(app, worker, people):
    today = _today()
    first = today.replace(day=1)
    last_month_first = (first - timedelta(days=1)).replace(day=1)
    last_month_last = first - timedelta(days=1)
    # Last month: three cases on its 1st, five on its last day; this month: one.
    for n, day in enumerate([last_month_first] * 3 + [last_month_last] * 5):
        when = datetime.combine(day, datetime.min.time(), local_tz()) + timedelta(hours=10)
        create_case(worker, case_payload(worker.scope_code, title=f"上月{n}"), now=when)
    # The same days of last month hold its last day only when this month is as far along.
    same_days_expected = 8 if today.day >= last_month_last.day else 3
    this_month_start = datetime.combine(first, datetime.min.time(), local_tz()) + timedelta(minutes=1)
    create_case(worker, case_payload(worker.scope_code, title="本月"), now=max(utcnow(), this_month_start))
    refresh_rollups(full=True)
    client = app.test_client()
    sign_in(client, people["township"].username)
    html = client.get(f"/reports/monthly?region={FENGQIAO}&lang=zh").get_data(as_text=True)
    assert f"月度累计，截至{today.isoformat()}" in html and "同期" in html
    row = re.search(r"<td>受理数</td>\s*<td>(\d+)</td>\s*<td>(\d+)</td>\s*<td>(.*?)</td>", html, re.S)
    assert row is not None
    this_month, same_days = int(row.group(1)), int(row.group(2))
    assert this_month >= 1 and same_days == same_days_expected  # the same days, not the whole month
    assert 'class="up"' not in row.group(3) and 'class="down"' not in row.group(3)  # a count: plain
    earlier = (first - timedelta(days=1)).strftime("%Y-%m")
    whole = client.get(f"/reports/monthly?region={FENGQIAO}&month={earlier}&lang=zh").get_data(as_text=True)
    assert "月度累计" not in whole  # a past month is a whole month


def test_a_month_to_date_says_so_in_its_title_in_the_api_and_the_document(api_as, people, worker):
    _log(worker, _today(), 1)
    refresh_rollups(full=True)
    api = api_as(people["township"])
    report = api.get(f"{REPORT}?region={FENGQIAO}").json
    assert report["to_date"] == _today().isoformat() and "月度累计" in report["title"]
    paragraphs = [p.text for p in _docx(api.get(f"{REPORT}/document?region={FENGQIAO}")).paragraphs]
    assert any("月度累计" in p for p in paragraphs[:4])  # the title block
    assert "（未签发" in "\n".join(paragraphs)  # no date line before it is issued
    closed = api.get(f"{REPORT}?region={FENGQIAO}&month={_last_month()}").json
    assert closed["to_date"] is None and "月度累计" not in closed["title"]


def test_the_document_holds_the_figures_the_api_gives(api_as, people, worker):
    month = _last_month()
    cases = _log(worker, month.first, 4) + _log(worker, month.first.replace(day=10), 2, category="E0101")
    _log(worker, month.previous.first, 3)
    _resolve(people["mediator"], cases[0])
    refresh_rollups(full=True)
    api = api_as(people["township"])
    report = api.get(f"{REPORT}?region={FENGQIAO}&month={month}").json
    assert report["indicators"]["accepted"] == 6 and report["previous"]["accepted"] == 3
    assert report["issuer"] == "枫桥镇综治中心"
    document = _docx(api.get(f"{REPORT}/document?region={FENGQIAO}&month={month}&format=docx"))
    table = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    assert table[0] == ["指标", "本月", "上月", "变化"]
    by_name = {row[0]: row[1:] for row in table[1:]}
    assert len(by_name) == len(report["rows"])
    for row in report["rows"]:
        name = row["name"] + ("（小时）" if row["unit"] == "小时" else "")
        assert by_name[name] == [row["text"], row["previous_text"], row["change_text"]], name
    assert by_name["受理数"] == ["6", "3", "+3"]
    text = [p.text for p in document.paragraphs]
    assert text[0] == "枫桥镇综治中心" and report["period"] in "\n".join(text)
    assert all(paragraph in text for paragraph in report["analysis"])
    assert len(document.inline_shapes) == 3  # the trend, the areas and the categories


def test_issuing_freezes_the_month_while_an_unissued_one_moves(api_as, people, worker):
    month = _last_month()
    cases = _log(worker, month.first, 3)
    refresh_rollups(full=True)
    township, city = api_as(people["township"]), api_as(people["city"])
    body = {"region": FENGQIAO, "month": str(month)}
    draft = township.put(f"{REPORT}/draft", json={**body, "centre_text": "请各村社区做好排查。"})
    assert draft.status_code == 200 and draft.json["draft"] and draft.json["issued"] is None
    city_before = city.get(f"{REPORT}?region={CITY}&month={month}").json["indicators"]

    issued = township.post(f"{REPORT}/issue", json=body)  # no text: the draft's is issued
    assert issued.status_code == 201, issued.json
    assert issued.json["centre_text"] == "请各村社区做好排查。"
    assert issued.json["issued"]["by"] == people["township"].display_name
    assert issued.json["date_line"] == f"{_today().year}年{_today().month}月{_today().day}日"

    _log(worker, month.first.replace(day=2), 2)  # later: two more cases of that month, one resolved
    _resolve(people["mediator"], cases[0])
    refresh_rollups(full=True)
    frozen = township.get(f"{REPORT}?region={FENGQIAO}&month={month}").json
    assert frozen["indicators"]["accepted"] == 3 and frozen["indicators"]["resolved"] == 0
    assert frozen == issued.json
    city_after = city.get(f"{REPORT}?region={CITY}&month={month}").json["indicators"]  # not issued
    assert city_after["accepted"] == city_before["accepted"] + 2
    assert city_after["resolved"] == city_before["resolved"] + 1
    rows = _docx(township.get(f"{REPORT}/document?region={FENGQIAO}&month={month}")).tables[0].rows
    assert [cell.text for cell in rows[1].cells][:2] == ["受理数", "3"]
    client = township.client
    sign_in(client, people["township"].username)
    page = client.get(f"/reports/monthly?region={FENGQIAO}&month={month}&lang=zh").get_data(as_text=True)
    assert re.search(r"<td>受理数</td>\s*<td>3</td>", page) and 'name="action" value="issue"' not in page


def test_a_report_is_issued_once_and_only_after_its_month(api_as, people):
    township = api_as(people["township"])
    running = township.post(f"{REPORT}/issue", json={"region": FENGQIAO, "month": str(Month.of(_today()))})
    assert running.status_code == 422 and "not over" in running.json["message"]
    body = {"region": FENGQIAO, "month": str(_last_month()), "centre_text": "按期办结。"}
    assert township.post(f"{REPORT}/issue", json=body).status_code == 201
    again = township.post(f"{REPORT}/issue", json=body)
    assert again.status_code == 409 and "issued" in again.json["message"]
    assert township.put(f"{REPORT}/draft", json=body).status_code == 409  # what was signed stays


def test_only_the_nodes_own_centre_issues_and_only_in_scope(api_as, people, worker):
    body = {"month": str(_last_month()), "centre_text": ""}
    assert (
        api_as(worker).post(f"{REPORT}/issue", json={**body, "region": worker.scope_code}).status_code == 403
    )
    mediator = people["mediator"]
    assert (
        api_as(mediator).post(f"{REPORT}/issue", json={**body, "region": mediator.scope_code}).status_code
        == 403
    )
    assert (
        api_as(people["city"]).post(f"{REPORT}/issue", json={**body, "region": FENGQIAO}).status_code == 403
    )
    township = api_as(people["township"])
    assert township.post(f"{REPORT}/issue", json={**body, "region": JIYANG}).status_code == 404
    assert api_as(worker).get(f"{REPORT}?region={FENGQIAO}").status_code == 404  # as the stats do
    assert api_as(worker).get(f"{REPORT}?region={worker.scope_code}").status_code == 200
    bad = township.get(f"{REPORT}?region={FENGQIAO}&month=2026-13")
    assert bad.status_code == 422 and bad.json["errors"]["month"] == ["A month is written like 2026-11."]


def test_the_centre_saves_and_issues_from_the_page(app, people, worker):
    month = _last_month()
    _log(worker, month.first, 2)
    refresh_rollups(full=True)
    client = app.test_client()
    sign_in(client, people["township"].username)
    url = f"/reports/monthly?region={FENGQIAO}&month={month}&lang=zh"
    page = client.get(url).get_data(as_text=True)
    form = {"csrf_token": csrf_from(page.encode()), "region": FENGQIAO, "month": str(month)}
    saved = client.post(url, data={**form, "action": "draft", "centre_text": "一、加强排查。"})
    assert saved.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "一、加强排查。" in page and 'value="issue"' in page and "未签发" in page
    too_long = client.post(url, data={**form, "action": "draft", "centre_text": "长" * 3001})
    assert too_long.status_code == 422 and "请更正" in too_long.get_data(as_text=True)
    assert (
        client.post(url, data={**form, "action": "issue", "centre_text": "一、加强排查。"}).status_code == 302
    )
    page = client.get(url).get_data(as_text=True)
    assert "一、加强排查。" in page and 'value="issue"' not in page and "未签发" not in page
    assert "枫桥镇综治中心" in page and f"{_today().year}年{_today().month}月{_today().day}日" in page


def test_the_pdf_and_the_charts_are_real_files(api_as, people, worker):
    month = _last_month()
    _log(worker, month.first, 3)
    refresh_rollups(full=True)
    api = api_as(people["township"])
    pdf = api.get(f"{REPORT}/document?region={FENGQIAO}&month={month}&format=pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    for chart in ("trend", "areas", "categories"):
        png = api.get(f"{REPORT}/chart?region={FENGQIAO}&month={month}&chart={chart}")
        assert png.status_code == 200 and png.mimetype == "image/png"
        image = Image.open(io.BytesIO(png.data))
        assert image.format == "PNG" and image.width >= 600
    assert api.get(f"{REPORT}/chart?region={FENGQIAO}&chart=pie").status_code == 422


def test_the_analysis_names_a_category_rising_against_the_months_before(api_as, people, worker):
    month = _last_month()
    quiet = month.previous.previous.previous
    _log(worker, quiet.first, 1)  # the baseline: one case three months before, none since
    _log(worker, month.first, 8)  # then eight in the month
    refresh_rollups(full=True)
    report = api_as(people["township"]).get(f"{REPORT}?region={FENGQIAO}&month={month}").json
    assert report["baseline_months"] == 3
    assert [r["name"] for r in report["rising"]] == ["市容环境"]
    rising = next(p for p in report["analysis"] if "同类上升" in p)
    assert "显著上升的大类有：市容环境8件" in rising
    assert report["trend"][-1] == {
        "month": str(month),
        "label": f"{month.month}月",
        "accepted": 8,
        "resolved": 0,
        "partial": False,
    }
    assert any("受理最多的网格" in p for p in report["analysis"])
