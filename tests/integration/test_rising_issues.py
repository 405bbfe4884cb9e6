"""研判, a rising issue (issue 17): a township's cases of one category in the last 7 days against
the 8 weeks before — a significant rise raises one alert linking the week's cases, steady
counts raise none."""

from datetime import timedelta

import sqlalchemy as sa

from gridcase.cases.intake import create_case
from gridcase.extensions import db
from gridcase.stats.alerts import scan_alerts
from gridcase.stats.models import Alert, alert_cases
from tests.helpers import FENGQIAO, case_payload, in_december


def log(worker, when, n, category="E0105"):
    for i in range(n):
        body = case_payload(worker.scope_code, category=category, title=f"井盖破损 {when:%m%d}-{i}")
        create_case(worker, body, now=when + timedelta(minutes=i))


def test_a_spike_raises_one_rising_issue_and_steady_weeks_none(worker):
    now = in_december(28, 12)
    for week in range(1, 9):  # two a week for eight weeks: the baseline
        log(worker, now - timedelta(days=7 * week + 2), 2)
    log(worker, now - timedelta(days=1), 12)  # twelve in the last seven days
    log(worker, now - timedelta(days=3), 2, category="E0302")  # another category, steady
    for week in range(1, 9):
        log(worker, now - timedelta(days=7 * week + 3), 2, category="E0302")
    report = scan_alerts(now)
    assert report.raised["rising_issue"] == 1
    (alert,) = db.session.scalars(sa.select(Alert).where(Alert.kind == "rising_issue"))
    assert alert.township_code == FENGQIAO and alert.grid_code is None and "近7天12起" in alert.title
    linked = db.session.scalar(
        sa.select(sa.func.count()).select_from(alert_cases).where(alert_cases.c.alert_id == alert.id)
    )
    assert linked == 12
    assert scan_alerts(now + timedelta(hours=1)).raised["rising_issue"] == 0  # once that week
    alert.status = "closed"
    db.session.flush()
    assert scan_alerts(now + timedelta(hours=2)).raised["rising_issue"] == 0  # closed, still not again


def test_the_trends_table_says_week_on_week_and_year_on_year(api_as, worker, people):
    from gridcase.settings import utcnow

    now = utcnow()
    for week in range(1, 9):
        log(worker, now - timedelta(days=7 * week + 2), 2)
    log(worker, now - timedelta(days=2), 12)
    log(worker, now - timedelta(days=366), 10)  # the same week a year before: as many, nearly
    answer = api_as(people["township"]).get(f"/api/v1/stats/trends?region={FENGQIAO}")
    assert answer.status_code == 200, answer.json
    row = next(
        r
        for r in answer.json
        if r["category_code"] == "E01" and r["area_code"] == worker.grids[0].community_code
    )
    assert (row["current"], row["baseline_mean"], row["rising"]) == (12, 2.0, True)
    assert row["last_year"] == 10 and row["rising_on_last_year"] is False  # no rise on last year
    assert answer.json[0] == row  # the most significant first
    assert (
        api_as(worker).get(f"/api/v1/stats/trends?region={FENGQIAO}").status_code == 404
    )  # a grid worker: own grid
    assert api_as(worker).get(f"/api/v1/stats/trends?region={worker.grids[0].code}").status_code == 200


def test_the_command_centre_shows_the_trends(app, worker, people):
    from gridcase.settings import utcnow
    from tests.integration.test_attachments_and_pages import sign_in

    now = utcnow()
    for week in range(1, 9):
        log(worker, now - timedelta(days=7 * week + 2), 1)
    log(worker, now - timedelta(days=2), 9)
    client = app.test_client()
    sign_in(client, people["township"].username)
    html = client.get(f"/dashboard/trends?region={FENGQIAO}&lang=zh").get_data(as_text=True)
    assert 'id="trends"' in html and "趋势研判" in html
    row = html[html.index('<tr class="rising">') :]
    assert "<td>9</td>" in row[: row.index("</tr>")] and "上升" in row[: row.index("</tr>")]
    assert client.get("/dashboard/trends?region=330682000000").status_code == 404  # another city


def test_two_rising_issues_each_link_only_their_own_cases(worker):
    """The alerts of one scan are linked in one statement: each to its township and category's
    cases of the week, none to the other's."""
    now = in_december(28, 12)
    for category, spike in (("E0105", 12), ("E0302", 10)):
        for week in range(1, 9):
            log(worker, now - timedelta(days=7 * week + 2), 2, category=category)
        log(worker, now - timedelta(days=1), spike, category=category)
    assert scan_alerts(now).raised["rising_issue"] == 2
    linked = dict(
        db.session.execute(
            sa.select(Alert.title, sa.func.count())
            .join(alert_cases, alert_cases.c.alert_id == Alert.id)
            .where(Alert.kind == "rising_issue")
            .group_by(Alert.title)
        ).all()
    )
    # (each title says how many cases of the week it counted)
    by_spike = {
        next((n for n in (12, 10) if f"近7天{n}起" in title), title): links for title, links in linked.items()
    }
    assert by_spike == {12: 12, 10: 10}
