"""Risk alerts (风险预警, DESIGN §5): raising them, and acknowledging and closing them.

Immediate rules are raised where the event happens: a major case and, at intake, a mass
incident (people involved at or above GRIDCASE_MASS_INCIDENT_THRESHOLD) or a dispute that may
intensify (可能激化); the sweep raises 督办 for cases overdue at the top of the ladder. Rules that
look across many cases run in the scheduler as set-based SQL (`scan_alerts`):

- hotspot (高发): at least GRIDCASE_HOTSPOT_COUNT cases of one category in one grid created
  within the last GRIDCASE_HOTSPOT_DAYS days (rejected cases and duplicates do not count);
- repeat party (重复当事人): one person, matched by the keyed hash of their ID number, party to
  at least GRIDCASE_REPEAT_PARTY_COUNT open (pending or in progress) disputes.

One alert stays open per situation (its dedup key: the case, the grid and category, or the
person) and links every case of it; while open, it gains the cases that newly match. Once an
alert is closed, the cases it linked do not raise it again: a new alert needs a new case.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from gridcase import locks
from gridcase.cases.domain import CaseKind
from gridcase.cases.models import Case, Category, accepted_sql, open_sql
from gridcase.errors import Forbidden, NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.locks import try_job_lock
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.people.roles import HANDLER_ROLES, Role
from gridcase.settings import local_tz, setting, utcnow
from gridcase.stats.alert_queries import alerts_in_scope
from gridcase.stats.models import Alert, AlertKind, AlertStatus, CloseOutcome, RiskGrade, alert_cases
from gridcase.stats.trend_rule import significant_rise
from gridcase.territory.models import Region


def raise_case_alert(
    case: Case, kind: AlertKind, title: str, at: datetime, severity: str = "red"
) -> int | None:
    """Open an alert about one case unless the same one is already open; returns its id."""
    key = f"{kind.value}:{case.id}"
    alert_id = db.session.scalar(
        insert(Alert)
        .values(
            kind=kind.value,
            severity=severity,
            title=title[:300],
            city_code=case.city_code,
            district_code=case.district_code,
            township_code=case.township_code,
            community_code=case.community_code,
            grid_code=case.grid_code,
            dedup_key=key,
            status="open",
            opened_at=at,
        )
        .on_conflict_do_nothing(index_elements=["dedup_key"], index_where=sa.text("status <> 'closed'"))
        .returning(Alert.id)
    )
    if alert_id is not None:
        db.session.execute(sa.insert(alert_cases).values(alert_id=alert_id, case_id=case.id))
    return alert_id


def raise_case_alerts(
    cases: list, kind: AlertKind, titles: list[str], at: datetime, severity: str = "red"
) -> int:
    """`raise_case_alert` for many cases at once (the sweep's batch): `cases` are rows with the
    case's id and territory columns, `titles` one a case. Two statements; returns how many
    alerts were opened (an alert already open for a case is left as it is)."""
    if not cases:
        return 0
    columns = {"dedup_key": [f"{kind.value}:{case.id}" for case in cases], "title": [t[:300] for t in titles]}
    columns |= {column: [getattr(case, column) for case in cases] for column in AREA_COLUMNS}
    arrays = ", ".join(f"CAST(:{name} AS text[])" for name in columns)
    opened = db.session.execute(
        sa.text(
            f"INSERT INTO alerts (kind, severity, status, opened_at, {', '.join(columns)}) "
            f"SELECT :kind, :severity, :status, :at, * FROM unnest({arrays}) "
            "ON CONFLICT (dedup_key) WHERE status <> 'closed' DO NOTHING RETURNING id, dedup_key"
        ),
        {**columns, "kind": kind.value, "severity": severity, "status": AlertStatus.OPEN.value, "at": at},
    ).all()
    if opened:
        case_of_key = dict(zip(columns["dedup_key"], (case.id for case in cases), strict=True))
        db.session.execute(
            sa.insert(alert_cases),
            [{"alert_id": row.id, "case_id": case_of_key[row.dedup_key]} for row in opened],
        )
    return len(opened)


def raise_area_alert(
    kind: AlertKind, title: str, area: dict, dedup_key: str, at: datetime, severity: str = "yellow"
) -> int | None:
    """Open an alert about a place rather than a case (a grid's missing report, a watched
    person's overdue follow-up) unless the same one is open; returns its id. `area`: the
    territory columns (city_code … grid_code) of the place."""
    return db.session.scalar(
        insert(Alert)
        .values(
            kind=kind.value,
            severity=severity,
            title=title[:300],
            **{column: area.get(column) for column in AREA_COLUMNS},
            dedup_key=dedup_key[:120],
            status="open",
            opened_at=at,
        )
        .on_conflict_do_nothing(index_elements=["dedup_key"], index_where=sa.text("status <> 'closed'"))
        .returning(Alert.id)
    )


AREA_COLUMNS = ("city_code", "district_code", "township_code", "community_code", "grid_code")


def raise_intake_alerts(case: Case, at: datetime) -> list[AlertKind]:
    """The immediate rules for a newly logged case: mass incident and may intensify."""
    raised = []
    people = case.people_involved
    if people >= int(setting("GRIDCASE_MASS_INCIDENT_THRESHOLD")):
        title = f"{case.public_number} 涉及{people}人，群体性{CaseKind(case.kind).zh}风险：{case.title}"
        if raise_case_alert(case, AlertKind.MASS_INCIDENT, title, at) is not None:
            raised.append(AlertKind.MASS_INCIDENT)
    if case.may_intensify:
        title = f"{case.public_number} 可能激化：{case.title}"
        if raise_case_alert(case, AlertKind.MAY_INTENSIFY, title, at) is not None:
            raised.append(AlertKind.MAY_INTENSIFY)
    return raised


# --- the scan ------------------------------------------------------------------------------------


@dataclass
class ScanReport:
    at: datetime
    ran: bool = True  # False: another scan held the lock
    raised: dict[str, int] = field(default_factory=dict)  # new alerts by kind
    linked: int = 0  # cases newly linked to open alerts

    def line(self) -> str:
        if not self.ran:
            return "Another alert scan is running; nothing done."
        raised = ", ".join(f"{n} {kind}" for kind, n in self.raised.items()) or "none"
        return f"Alert scan at {self.at.isoformat()}: raised {raised}; {self.linked} case link(s) added."


# Cases that count towards a hotspot at :now.
_HOTSPOT_CASES = f"""
    SELECT c.id, c.grid_code, c.category_code FROM cases c
    WHERE c.created_at > :since AND c.created_at <= :now
      AND {accepted_sql("c")}
"""
# Open disputes with the people party to them.
_OPEN_DISPUTE_PARTIES = f"""
    SELECT p.id_number_hash AS person, p.name_masked, c.id, c.city_code, c.district_code,
           c.township_code, c.community_code, c.grid_code
    FROM case_parties p JOIN cases c ON c.id = p.case_id
    WHERE p.id_number_hash IS NOT NULL AND c.kind = '{CaseKind.DISPUTE.value}' AND {open_sql("c")}
"""
# Some case of the group is not yet linked to a closed alert with the group's key.
_HAS_NEW_CASE = """
    bool_or(NOT EXISTS (
        SELECT 1 FROM alert_cases ac JOIN alerts a ON a.id = ac.alert_id
        WHERE ac.case_id = {cases}.id AND a.status = 'closed' AND a.dedup_key = {key}
    ))
"""


def _common(column: str) -> str:
    """The code at one level shared by every case of a group, else NULL."""
    return f"CASE WHEN count(DISTINCT {column}) = 1 AND count({column}) = count(*) THEN min({column}) END"


@dataclass(frozen=True)
class _GroupedRule:
    """A rule that looks across many cases: which cases count (`candidates`, each with its case
    `id`), the key of a group of them (SQL over a row named {0}), the groups that raise an alert
    (`groups`, over `candidates`; {has_new_case} keeps a group whose cases all had their alert
    closed from raising it again), and the alert each group raises (`alert`, over `groups`)."""

    kind: AlertKind
    candidates: str
    key: str
    groups: str
    alert: str


_HOTSPOT = _GroupedRule(
    AlertKind.HOTSPOT,
    candidates=_HOTSPOT_CASES,
    key="'hotspot:' || {0}.grid_code || ':' || {0}.category_code",
    groups="""
        SELECT grid_code, category_code, count(*) AS n FROM candidates
        GROUP BY grid_code, category_code
        HAVING count(*) >= :hotspot_count AND {has_new_case}
    """,
    alert="""
        SELECT 'hotspot', 'yellow',
               left(g.name || '：' || cat.name || ' ' || :days || '日内' || groups.n || '起，同类高发', 300),
               g.city_code, g.district_code, g.township_code, g.community_code, g.code,
               {key}, 'open', :now
        FROM groups JOIN regions g ON g.code = groups.grid_code
                    JOIN categories cat ON cat.code = groups.category_code
    """,
)
_REPEAT_PARTY = _GroupedRule(
    AlertKind.REPEAT_PARTY,
    candidates=_OPEN_DISPUTE_PARTIES,
    key="'repeat_party:' || {0}.person",
    groups=f"""
        SELECT person, count(DISTINCT id) AS n, min(name_masked) AS name,
               min(city_code) AS city_code, {_common("district_code")} AS district_code,
               {_common("township_code")} AS township_code,
               {_common("community_code")} AS community_code, {_common("grid_code")} AS grid_code
        FROM candidates GROUP BY person
        HAVING count(DISTINCT id) >= :party_count AND {{has_new_case}}
    """,
    alert="""
        SELECT 'repeat_party', 'yellow', '当事人' || name || '同时涉及' || n || '起未办结矛盾纠纷',
               city_code, district_code, township_code, community_code, grid_code, {key}, 'open', :now
        FROM groups
    """,
)


def _raise_grouped(rule: _GroupedRule, params: dict) -> tuple[int, int]:
    """Raise the rule's new alerts (one open alert per key), then link every counting case to
    its group's open alert; (alerts raised, case links added)."""
    has_new_case = _HAS_NEW_CASE.format(cases="candidates", key=rule.key.format("candidates"))
    raised = db.session.execute(
        sa.text(
            f"""
            WITH candidates AS ({rule.candidates}),
            groups AS ({rule.groups.format(has_new_case=has_new_case)})
            INSERT INTO alerts (kind, severity, title, city_code, district_code, township_code,
                                community_code, grid_code, dedup_key, status, opened_at)
            {rule.alert.format(key=rule.key.format("groups"))}
            ON CONFLICT (dedup_key) WHERE status <> 'closed' DO NOTHING
            """
        ),
        params,
    ).rowcount
    linked = db.session.execute(
        sa.text(
            f"""
            INSERT INTO alert_cases (alert_id, case_id)
            SELECT DISTINCT a.id, c.id FROM ({rule.candidates}) AS c
            JOIN alerts a ON a.dedup_key = {rule.key.format("c")} AND a.status <> 'closed'
            ON CONFLICT DO NOTHING
            """
        ),
        params,
    ).rowcount
    return raised, linked


def scan_alerts(now: datetime | None = None) -> ScanReport:
    """Raise and extend the hotspot and repeat-party alerts as of `now`, in the caller's
    transaction (the caller commits)."""
    now = now or utcnow()
    report = ScanReport(at=now)
    if not try_job_lock(locks.ALERT_SCAN):  # one scanner at a time
        report.ran = False
        return report
    days = int(setting("GRIDCASE_HOTSPOT_DAYS"))
    params = {
        "now": now,
        "since": now - timedelta(days=days),
        "days": days,
        "hotspot_count": int(setting("GRIDCASE_HOTSPOT_COUNT")),
        "party_count": int(setting("GRIDCASE_REPEAT_PARTY_COUNT")),
    }
    for rule in (_HOTSPOT, _REPEAT_PARTY):
        report.raised[rule.kind.value], linked = _raise_grouped(rule, params)
        report.linked += linked
    _widen_repeat_party_alerts()
    report.raised[AlertKind.RISING_ISSUE.value] = _raise_rising_issues(now)
    return report


WEEK = timedelta(days=7)


def _raise_rising_issues(now: datetime) -> int:
    """研判: for each township and top-level category, the cases of the last 7 days against the
    GRIDCASE_RISING_WEEKS 7-day windows before; a significant rise (trend_rule) raises a yellow
    alert linking the window's cases — once per township, category and week, closed or not."""
    weeks = int(setting("GRIDCASE_RISING_WEEKS"))
    rows = db.session.execute(
        sa.text(
            f"""
            SELECT c.township_code, coalesce(cat.parent_code, cat.code) AS top,
                   floor(extract(epoch FROM (:now - c.created_at)) / 604800)::int AS window, count(*) AS n
            FROM cases c JOIN categories cat ON cat.code = c.category_code
            WHERE c.created_at > :since AND c.created_at <= :now AND {accepted_sql("c")}
            GROUP BY 1, 2, 3
            """
        ),
        {"now": now, "since": now - WEEK * (weeks + 1)},
    ).all()
    counts: dict[tuple[str, str], list[int]] = {}
    for township, top, window, n in rows:
        counts.setdefault((township, top), [0] * (weeks + 1))[window] = n
    alpha, minimum = float(setting("GRIDCASE_RISING_ALPHA")), int(setting("GRIDCASE_RISING_MIN_COUNT"))
    year, week, _ = now.astimezone(local_tz()).isocalendar()
    raised: list[dict] = []
    for (township, top), series in sorted(counts.items()):
        rise = significant_rise(series[0], series[1:], alpha, minimum)
        key = f"rising_issue:{township}:{top}:{year}-W{week:02d}"
        if rise is None or db.session.scalar(sa.select(sa.exists().where(Alert.dedup_key == key))):
            continue
        place = db.session.get(Region, township)
        category = db.session.get(Category, top)
        title = (
            f"{place.name} {category.name}：近7天{rise.current}起，"
            f"前{weeks}周平均每周{rise.baseline_mean:.1f}起，显著上升（p={rise.p_value:.1g}）"
        )
        area = {"city_code": place.city_code, "district_code": place.district_code, "township_code": township}
        alert_id = raise_area_alert(AlertKind.RISING_ISSUE, title, area, key, now)
        if alert_id is not None:
            raised.append({"alert": alert_id, "township": township, "top": top})
    if raised:
        # Each alert links the window's cases of its township and category: one statement for
        # all of them, reading the week's cases once (a statement per alert crossed the
        # category's index with the creation time's each time: 0.3 s an alert at 5 M cases).
        db.session.execute(
            sa.text(
                f"""
                INSERT INTO alert_cases (alert_id, case_id)
                SELECT k.alert, c.id
                FROM cases c JOIN categories cat ON cat.code = c.category_code
                JOIN jsonb_to_recordset(CAST(:raised AS jsonb)) AS k(alert bigint, township text, top text)
                  ON k.township = c.township_code AND k.top = coalesce(cat.parent_code, cat.code)
                WHERE c.created_at > :since AND c.created_at <= :now AND {accepted_sql("c")}
                ON CONFLICT DO NOTHING
                """
            ),
            {"raised": json.dumps(raised), "since": now - WEEK, "now": now},
        )
    return len(raised)


def _widen_repeat_party_alerts() -> None:
    """A person's alert lies at the narrowest node holding all its cases; a new case elsewhere
    moves it up (so that the level that can see every case sees the alert)."""
    db.session.execute(
        sa.text(
            f"""
            UPDATE alerts a SET district_code = x.district_code, township_code = x.township_code,
                                community_code = x.community_code, grid_code = x.grid_code
            FROM (
                SELECT ac.alert_id, {_common("c.district_code")} AS district_code,
                       {_common("c.township_code")} AS township_code,
                       {_common("c.community_code")} AS community_code, {_common("c.grid_code")} AS grid_code
                FROM alert_cases ac
                JOIN alerts open_alert ON open_alert.id = ac.alert_id
                JOIN cases c ON c.id = ac.case_id
                WHERE open_alert.kind = 'repeat_party' AND open_alert.status <> 'closed'
                GROUP BY ac.alert_id
            ) AS x
            WHERE a.id = x.alert_id
              AND (a.grid_code, a.community_code, a.township_code, a.district_code)
                  IS DISTINCT FROM (x.grid_code, x.community_code, x.township_code, x.district_code)
            """
        )
    )


# --- acknowledging and closing -------------------------------------------------------------------


def _handled_alert(user: User, alert_id: int) -> Alert:
    if Role(user.role) not in HANDLER_ROLES:
        raise Forbidden("Your role does not handle risk alerts.")
    alert = db.session.scalar(
        sa.select(Alert).where(Alert.id == alert_id, alerts_in_scope(user)).with_for_update(of=Alert)
    )
    if alert is None:
        raise NotFound(Message("No alert %(alert_id)s in your scope.", alert_id=str(alert_id)))
    return alert


def acknowledge_alert(user: User, alert_id: int, note: str = "", now: datetime | None = None) -> Alert:
    """签收: the user has seen the alert and is acting on it.

    Raises:
        Forbidden: the role does not handle alerts (grid workers, admin, auditor).
        NotFound: no such alert in the user's scope.
        Unprocessable: the alert is not open.
    """
    alert = _handled_alert(user, alert_id)
    if alert.status != AlertStatus.OPEN:
        raise Unprocessable(
            f"Only an open alert can be acknowledged; this one is {alert.status}.",
            {"status": [f"The alert is {alert.status}."]},
        )
    alert.status = AlertStatus.ACKNOWLEDGED.value
    alert.acknowledged_at = now or utcnow()
    alert.acknowledged_by_id = user.id
    alert.acknowledge_note = note.strip() or None
    db.session.flush()
    return alert


def assess_alert(user: User, alert_id: int, data: dict, now: datetime | None = None) -> Alert:
    """研判: the assessment of an open or acknowledged alert — what the risk is (a note), its
    grade, who answers for it (a unit or a person) and by when they respond. An open alert is
    acknowledged by it too; a later assessment replaces the earlier one.

    Raises:
        Forbidden: the role does not handle alerts.
        NotFound: no such alert in the user's scope.
        Unprocessable: the alert is closed, or the response date has passed.
    """
    now = now or utcnow()
    alert = _handled_alert(user, alert_id)
    if alert.status == AlertStatus.CLOSED:
        raise Unprocessable("A closed alert is not assessed.", {"status": ["The alert is closed."]})
    if data["response_due"] < now.astimezone(local_tz()).date():
        raise Unprocessable(
            "The response is due today or later.", {"response_due": ["A date from today on."]}
        )
    if alert.status == AlertStatus.OPEN:
        alert.status = AlertStatus.ACKNOWLEDGED.value
        alert.acknowledged_at, alert.acknowledged_by_id = now, user.id
    alert.assessed_at, alert.assessed_by_id = now, user.id
    alert.assessment = data["assessment"].strip()
    alert.risk_grade = RiskGrade(data["risk_grade"]).value
    alert.responsible = data["responsible"].strip()
    alert.response_due = data["response_due"]
    db.session.flush()
    return alert


def close_alert(
    user: User, alert_id: int, note: str, outcome: CloseOutcome | str, now: datetime | None = None
) -> Alert:
    """销号: the risk is dealt with — defused, under control, or no risk after all; the note says
    how.

    Raises:
        Forbidden: the role does not handle alerts.
        NotFound: no such alert in the user's scope.
        Unprocessable: the alert is already closed, or the note is empty.
    """
    alert = _handled_alert(user, alert_id)
    if alert.status == AlertStatus.CLOSED:
        raise Unprocessable("The alert is already closed.", {"status": ["The alert is closed."]})
    if not note.strip():
        raise Unprocessable("Say how the risk was dealt with.", {"note": ["A note is required."]})
    alert.status = AlertStatus.CLOSED.value
    alert.closed_at = now or utcnow()
    alert.closed_by_id = user.id
    alert.note = note.strip()
    alert.close_outcome = CloseOutcome(outcome).value
    db.session.flush()
    return alert
