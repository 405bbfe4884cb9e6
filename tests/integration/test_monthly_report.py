"""The monthly report (issue 17): a month not over yet is a month-to-date, compared with the same
first days of the month before and titled so; a change is green only where it is better — a
count with no better direction (受理数) is not coloured."""

import re
from datetime import datetime, timedelta

from gridcase.cases.intake import create_case
from gridcase.settings import local_tz, utcnow
from gridcase.stats.rollups import refresh_rollups
from tests.helpers import FENGQIAO, case_payload
from tests.integration.test_attachments_and_pages import sign_in


def test_the_current_month_is_a_month_to_date_against_the_same_days(app, worker, people):
    today = utcnow().astimezone(local_tz()).date()
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
