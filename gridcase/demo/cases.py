"""A plausible half-year of cases for the demo city, so that the workbench, the dashboard and
the indicators have something true-to-life to show.

Every case goes through the real intake and the real actions (gridcase.cases.intake and
gridcase.cases.operations) at past moments, handled by a mediator of its community and a
coordinator of its township (created here, without a usable password: they are not logins).
The mix is seeded and deterministic: most small matters are settled in the village, some climb
to the township, a few reach the city, a few are still open or overdue today.
"""

from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from gridcase.cases.catalogue import leaf_codes
from gridcase.cases.intake import create_case
from gridcase.cases.models import Case, Category
from gridcase.cases.operations import perform_action
from gridcase.errors import GridcaseError
from gridcase.extensions import db
from gridcase.ladder.sweep import sweep
from gridcase.people.models import User
from gridcase.settings import local_tz, utcnow
from gridcase.territory.models import Region
from gridcase.units.models import Unit
from gridcase.units.queries import proposed_unit

SEED = 20261125
DAYS = 180
# The share of cases at a township or the city that its centre dispatches to a unit (条块联动),
# and of those the share the unit returns (退回) or the centre sends back for rework (返工).
DISPATCH_SHARE = 0.6
RETURN_SHARE = 0.08
REWORK_SHARE = 0.08
# Cases per household in an urban street (街道) against a town or village: the city draws more.
URBAN_WEIGHT = 2.0

INCIDENT_TITLES = {
    "E0102": ["路边垃圾堆放", "垃圾桶满溢未清运", "河岸垃圾堆积"],
    "E0104": ["道路泥浆未清扫", "路面油污"],
    "E0201": ["电线杆小广告", "楼道小广告"],
    "E0301": ["夜间施工噪音扰民"],
    "E0302": ["工地扬尘未覆盖"],
    "E0404": ["下水道堵塞返水"],
    "E0406": ["雨后道路积水"],
    "E0501": ["流动摊贩占道经营"],
    "E0504": ["店外占道经营"],
    "E0505": ["机动车乱停放堵路"],
    "E0507": ["楼下乱堆建筑材料"],
}
DISPUTE_TITLES = {
    "D02": ["楼上漏水邻里纠纷", "装修噪音邻里纠纷", "邻居通道堵塞纠纷"],
    "D03": ["宅基地边界纠纷", "房屋滴水檐纠纷"],
    "D0102": ["老人赡养纠纷"],
    "D1001": ["农民工工资拖欠"],
    "D05": ["合伙经营分红纠纷"],
    "D07": ["山林承包边界纠纷"],
    "D13": ["电动车碰撞赔偿纠纷"],
    "D14": ["物业费收缴纠纷"],
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙朱马胡郭何林罗高"
GIVEN = ["建国", "秀英", "伟", "芳", "军", "丽", "强", "敏", "磊", "静", "洋", "艳", "勇", "娟", "杰"]


def _id_number(rng: random.Random) -> str:
    """A syntactically valid (GB 11643) but made-up ID number of 诸暨 (330681)."""
    birth = datetime(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 50))
    body = f"330681{birth:%Y%m%d}{rng.randrange(100, 999)}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def _handlers() -> dict[str, User]:
    """One mediator per community and one coordinator per township (created once)."""
    handlers: dict[str, User] = {}
    existing = {
        u.username: u for u in db.session.scalars(sa.select(User).where(User.username.like("demo-%")))
    }
    nodes = db.session.scalars(
        sa.select(Region).where(Region.level.in_(["community", "township"])).order_by(Region.code)
    ).all()
    for node in nodes:
        role = "community_mediator" if node.level == "community" else "township_coordinator"
        username = f"demo-{node.level}-{node.code}"
        user = existing.get(username)
        if user is None:
            title = "调解员" if node.level == "community" else "综治中心"
            user = _not_a_login(username, role, node.code, f"{node.name}{title}")
        handlers[node.code] = user
    return handlers


def _worker_for(grid: Region, workers: dict[str, User]) -> User:
    if grid.code not in workers:
        username = f"demo-worker-{grid.code}"
        user = db.session.scalar(sa.select(User).where(User.username == username))
        workers[grid.code] = user or _not_a_login(username, "grid_worker", grid.code, f"{grid.name}网格员")
    return workers[grid.code]


def _not_a_login(
    username: str, role: str, scope: str, display_name: str, unit_code: str | None = None
) -> User:
    """A handler of the demo history. Its password is random and never shown, so nobody signs
    in as it; a quick hash is enough for a secret nobody knows."""
    user = User(
        username=username,
        display_name=display_name,
        password_hash=generate_password_hash(secrets.token_urlsafe(24), method="pbkdf2:sha256:1"),
        role=role,
        scope_code=scope,
        unit_code=unit_code,
    )
    if role == "grid_worker":
        user.grids = [db.session.get(Region, scope)]
    db.session.add(user)
    db.session.flush()
    return user


def load_demo_cases(count: int = 300) -> str:
    """Create the demo history unless the city already has cases. Returns what it did."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(Case)):
        return "Demo cases: the city already has cases; none added."
    rng = random.Random(SEED)
    leaves = leaf_codes()
    titles = {code: t for code, t in {**INCIDENT_TITLES, **DISPUTE_TITLES}.items() if code in leaves}
    kinds = {c.code: c.kind for c in db.session.scalars(sa.select(Category).where(Category.code.in_(titles)))}
    grids = db.session.scalars(sa.select(Region).where(Region.level == "grid").order_by(Region.code)).all()
    weights = _grid_weights(grids)
    city = db.session.scalar(sa.select(User).where(User.username == "demo-city"))
    handlers = _handlers()
    unit_people: dict[str, User] = {}  # unit code → who acts for it in the demo
    workers: dict[str, User] = {}
    now = utcnow()
    start = now - timedelta(days=DAYS)
    moments = sorted(start + timedelta(seconds=rng.randrange(0, DAYS * 86400)) for _ in range(count))
    created = 0
    for moment in moments:
        local = moment.astimezone(local_tz())
        moment = local.replace(
            hour=rng.choice([8, 9, 10, 11, 14, 15, 16, 17]), minute=rng.randrange(60)
        ).astimezone(moment.tzinfo)
        grid = rng.choices(grids, weights=weights)[0]
        code = rng.choice(list(titles))
        severity = rng.choices(["general", "significant", "major"], weights=[82, 15, 3])[0]
        lon, lat = _point_in(grid.code)
        body = {
            "kind": kinds[code],
            "category": code,
            "title": rng.choice(titles[code]),
            "description": "",
            "location": {
                "lon": lon + rng.uniform(-0.0004, 0.0004),
                "lat": lat + rng.uniform(-0.0003, 0.0003),
                "crs": "wgs84",
                "accuracy_m": round(rng.uniform(4, 30), 1),
            },
            "severity": severity,
            "people_involved": rng.choices([1, 2, 3, 4, 6], weights=[40, 30, 15, 10, 5])[0],
            "may_intensify": rng.random() < 0.04,
        }
        if kinds[code] == "dispute":
            body["parties"] = [
                {
                    "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                    "id_number": _id_number(rng),
                    "role": "applicant",
                },
                {"name": rng.choice(SURNAMES) + rng.choice(GIVEN), "role": "respondent"},
            ]
        try:
            case = create_case(_worker_for(grid, workers), body, now=moment).case
        except GridcaseError:  # jittered off the edge of the territory: skip it
            continue
        _play(case, rng, moment, now, handlers, city, unit_people)
        created += 1
    _labour_cases_of_the_demo_unit(now, rng)
    # What is overdue today climbs, as the scheduler would have done (one level, as after downtime).
    report = sweep(now)
    return (
        f"Demo cases: {created} cases over the last {DAYS} days; the sweep escalated "
        f"{len(report.escalated)} and put {len(report.marked_overdue)} under 督办."
    )


def _grid_weights(grids: list[Region]) -> list[float]:
    """How likely each grid is to report a case: its households, and more in the urban streets
    (街道), where people, traffic and shops are densest. So the history covers every township of
    the city, in proportion to its people."""
    streets = set(
        db.session.scalars(
            sa.select(Region.code).where(Region.level == "township", Region.name.like("%街道"))
        )
    )
    return [(g.households or 100) * (URBAN_WEIGHT if g.township_code in streets else 1) for g in grids]


def _point_in(grid_code: str) -> tuple[float, float]:
    return db.session.execute(
        sa.select(
            sa.func.ST_X(sa.func.ST_PointOnSurface(Region.boundary)),
            sa.func.ST_Y(sa.func.ST_PointOnSurface(Region.boundary)),
        ).where(Region.code == grid_code)
    ).one()


# Wage-arrears disputes of demo-worker's grid that demo-township dispatched to demo-unit's
# office: (title, people involved, days ago, how far it got), so that after `make run` the unit's
# queue and the case page show a case awaiting signature, one at work and one closed.
LABOUR_CASES = (
    ("某建筑工地拖欠12名农民工工资", 12, 1, "dispatched"),
    ("某制衣厂拖欠8名员工两个月工资", 8, 4, "signed"),
    ("某物流公司拖欠6名司机工资", 6, 12, "closed"),
)


def _labour_cases_of_the_demo_unit(now: datetime, rng: random.Random) -> None:
    names = ("demo-worker", "demo-township", "demo-unit")
    people = {u.username: u for u in db.session.scalars(sa.select(User).where(User.username.in_(names)))}
    worker, township, unit = (people.get(name) for name in names)
    if None in (worker, township, unit):
        return  # a city without the demo logins
    lon, lat = _point_in(worker.scope_code)
    for title, people_involved, days_ago, reached in LABOUR_CASES:
        at = now - timedelta(days=days_ago)
        body = {
            "kind": "dispute",
            "category": "D1001",
            "title": title,
            "description": "工人集体反映被拖欠工资，要求支付",
            "location": {"lon": lon, "lat": lat, "crs": "wgs84", "accuracy_m": 10.0},
            "people_involved": people_involved,  # a group dispute: it starts at the township
            "parties": [
                {
                    "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                    "id_number": _id_number(rng),
                    "role": "applicant",
                },
                {"name": title[1:4] + "负责人", "role": "respondent"},
            ],
        }
        case = create_case(worker, body, now=at).case
        requirement = "请核实欠薪人数和金额，督促用人单位按期支付，并反馈结果"
        assist = [f"{unit.unit_code.rsplit('-', 1)[0]}-sfs"] if reached == "signed" else []
        payload = {"lead_unit": unit.unit_code, "assist_units": assist, "requirement": requirement}
        if not _act(township, case, "dispatch", payload, at + timedelta(hours=2)) or reached == "dispatched":
            continue
        _act(unit, case, "sign", {}, at + timedelta(hours=3))
        _act(
            unit, case, "progress", {"text": "已约谈用人单位负责人，正在核对工资台账"}, at + timedelta(days=1)
        )
        if reached == "signed":
            continue
        summary = "用人单位已足额支付拖欠工资，工人签字确认"
        _act(unit, case, "resolve", {"outcome": "mediated", "summary": summary}, at + timedelta(days=5))
        _act(township, case, "verify", {"passed": True, "note": "电话回访工人确认"}, at + timedelta(days=6))


def _act(user: User, case: Case, action: str, payload: dict, at: datetime) -> bool:
    """Try an action; the rules may refuse it in this case's state, and the demo moves on."""
    try:
        perform_action(user, case.id, action, case.version, payload, now=at)
        return True
    except GridcaseError:
        return False


def _handler_of(case: Case, handlers: dict[str, User], city: User) -> User:
    if case.level == "community":
        return handlers[case.community_code]
    if case.level == "township":
        return handlers[case.township_code]
    return city


def _play(
    case: Case,
    rng: random.Random,
    start: datetime,
    now: datetime,
    handlers: dict,
    city: User,
    unit_people: dict[str, User],
) -> None:
    """Take the case through a plausible life up to now."""
    at = start + timedelta(hours=rng.uniform(0.5, 20))
    if at >= now:
        return
    _act(_handler_of(case, handlers, city), case, "accept", {}, at)
    # One in five climbs: by its handler (大事) or because its time ran out (the sweep).
    if case.level != "city" and rng.random() < 0.2:
        at += timedelta(days=rng.uniform(0.5, 4))
        if at >= now:
            return
        _act(_handler_of(case, handlers, city), case, "escalate", {"reason": "涉及多方，需上级协调处理"}, at)
        _act(_handler_of(case, handlers, city), case, "accept", {}, at + timedelta(hours=2))
    if case.level != "community" and rng.random() < DISPATCH_SHARE:
        at += timedelta(hours=rng.uniform(1, 20))
        if at < now and _dispatched(case, rng, at, now, _handler_of(case, handlers, city), unit_people):
            return
    at += timedelta(days=rng.uniform(0.2, 6))
    if at >= now or rng.random() < 0.06:
        return  # still open today
    outcome = (
        rng.choice(["mediated", "agreement_signed", "explained", "referred_to_department"])
        if case.kind == "dispute"
        else rng.choice(["referred_to_department", "explained", "other"])
    )
    if not _act(
        _handler_of(case, handlers, city), case, "resolve", {"outcome": outcome, "summary": "已处理"}, at
    ):
        return
    at += timedelta(days=rng.uniform(0.5, 3))
    if at >= now:
        return
    verifier = city if case.resolved_level in ("township", "city") else handlers[case.township_code]
    passed = rng.random() > 0.05
    _act(verifier, case, "verify", {"passed": passed}, at)
    if passed and rng.random() < 0.6 and at + timedelta(days=2) < now:
        satisfaction = rng.choices(["satisfied", "basically_satisfied", "dissatisfied"], weights=[80, 16, 4])[
            0
        ]
        _act(verifier, case, "revisit", {"satisfaction": satisfaction}, at + timedelta(days=2))


def acting_person_of(unit: Unit, people: dict[str, User]) -> User:
    """Who acts for a unit in the demo: demo-unit for its own unit, else a handler who is not
    a login."""
    if unit.code not in people:
        username = f"demo-unit-{unit.code}"
        user = db.session.scalar(
            sa.select(User).where(User.unit_code == unit.code, User.role == "unit_handler").order_by(User.id)
        )
        if user is None:
            user = _not_a_login(username, "unit_handler", unit.region_code, f"{unit.name}承办人", unit.code)
        people[unit.code] = user
    return people[unit.code]


def _dispatched(
    case: Case, rng: random.Random, at: datetime, now: datetime, centre: User, units: dict
) -> bool:
    """The centre dispatches the case to the proposed unit, which signs (or returns it) and
    resolves it; the centre verifies (or sends it back once for rework) and revisits. False
    when the case was not dispatched after all (no unit proposed, or the rules refused)."""
    unit = proposed_unit(case)
    if unit is None or not _act(
        centre,
        case,
        "dispatch",
        {"lead_unit": unit.code, "requirement": "请核实情况，依法处理并按期反馈"},
        at,
    ):
        return False
    person = acting_person_of(unit, units)
    at += timedelta(hours=rng.uniform(0.5, 30))
    if at >= now:
        return True
    if rng.random() < RETURN_SHARE:
        _act(person, case, "return", {"reason": "not_our_duty", "note": "经核实不属于本单位职责范围"}, at)
        return True  # back in the centre's queue, to be dispatched again
    _act(person, case, "sign", {}, at)
    for attempt in range(2):
        at += timedelta(days=rng.uniform(0.5, 9))
        if at >= now or rng.random() < 0.04:
            return True  # still at the unit today
        summary = "已依法处理，当事人认可" if case.kind == "dispute" else "已现场处置完毕"
        _act(
            person,
            case,
            "resolve",
            {"outcome": rng.choice(["mediated", "explained", "other"]), "summary": summary},
            at,
        )
        at += timedelta(days=rng.uniform(0.5, 2))
        if at >= now:
            return True
        passed = attempt == 1 or rng.random() > REWORK_SHARE
        _act(centre, case, "verify", {"passed": passed, "note": "" if passed else "现场核查仍未整改到位"}, at)
        if passed:
            break
    if case.status == "closed" and rng.random() < 0.6 and at + timedelta(days=2) < now:
        satisfaction = rng.choices(["satisfied", "basically_satisfied", "dissatisfied"], weights=[78, 17, 5])[
            0
        ]
        _act(centre, case, "revisit", {"satisfaction": satisfaction}, at + timedelta(days=2))
    return True
