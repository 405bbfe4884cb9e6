"""The authorisation matrix: every role × every endpoint of the JSON API × a thing in and out of
the role's scope, with the exact status each must answer, from the one table below.

"Out of scope" is the nearest miss for each role: another grid for a grid worker, another
community for a mediator, another township for a township coordinator, another city for the
city-wide roles. Outside scope a case answers 404, never 403 (DESIGN §1: no existence leak); 403
is for a role that never may. A route under /api/v1/ missing from the table fails the suite, so
no new endpoint is left out.

Each request runs in a savepoint rolled back after it, so every cell sees the same world.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from gridcase.cases.attachments import add_photo
from gridcase.cases.intake import create_case
from gridcase.cases.models import Case
from gridcase.cases.operations import perform_action
from gridcase.channels.clients import create_client
from gridcase.channels.models import Open311Client, Open311Request
from gridcase.channels.triage import new_token
from gridcase.extensions import db
from gridcase.mediation.evidence import DATA_FIELD, TITLE_FIELD
from gridcase.mediation.invitations import invite_mediator
from gridcase.mediation.models import CourtReferral, MediationEvidence
from gridcase.notifications.inbox import Kind, notify_user
from gridcase.people.models import User
from gridcase.settings import cipher, local_tz, utcnow
from gridcase.stats.models import Alert, alert_cases
from gridcase.units.models import Unit
from gridcase.webhooks.models import WebhookDelivery
from gridcase.webhooks.subscriptions import create_subscription
from tests.helpers import (
    CITY,
    FENGQIAO,
    JIYANG,
    OTHER_CITY,
    OTHER_GRID,
    add_other_city,
    case_payload,
    grid_in,
    pdf_file,
    point_in,
)
from tests.reliability.budget import REPORT
from tests.reliability.signin import bearer, enrol_second_factor, system_user_token, token_from_client

ROLES = (
    "grid_worker",
    "community_mediator",
    "township_coordinator",
    "city_commander",
    "admin",
    "auditor",
    "open311_client",
)
# The people of a unit (条块联动): each row says what they get in `Row.units`, the same for a
# unit's handler and its head. "In" is a case dispatched to their unit and signed for; "out" a
# case of the same grid that their unit holds no assignment of.
UNIT_ROLES = ("unit_handler", "unit_head")
# A mediator from outside (特邀调解员): "in" is the case they are invited to, "out" a case of the
# same grid they are not. Each row says what they get in `Row.external`, else what a unit's
# people get.
EXTERNAL = "external_mediator"
UNIT = f"{FENGQIAO}-rlsbs"  # 枫桥镇人力社保所
OTHER_TOWNSHIP = "330682001000"  # of the other city (tests.helpers.add_other_city)
UNIT_OUT = f"{OTHER_TOWNSHIP}-sfs"  # a unit of the other city, out of every admin's scope here
PASSWORD = "correct-horse-battery"
# Another city beside the demo city, so that city-wide roles have something outside their scope.


# --- the world every cell runs against ----------------------------------------------------------


@dataclass
class World:
    users: dict[str, User]
    tokens: dict[str, str]
    case_in: Case  # in the grid of the grid worker, inside every role's scope
    cases_out: dict[str, Case]  # per role: the nearest case outside its scope
    regions_out: dict[str, str]  # per role: a territory node outside its scope
    points: dict[str, tuple[float, float]] = field(default_factory=dict)  # "in" and per role "out"
    photos: dict[int, int] = field(default_factory=dict)  # case id → attachment id
    alerts: dict[int, int] = field(default_factory=dict)  # case id → alert id
    notifications: dict[str, int] = field(default_factory=dict)  # role → its own; "other" → not
    channels: dict[str, int] = field(default_factory=dict)  # role → its own e-mail; "other" → not
    agreements: dict[int, int] = field(default_factory=dict)  # case id → its 人民调解协议书
    evidence: dict[int, int] = field(default_factory=dict)  # case id → an evidence file (a PDF)
    invitation: int = 0  # the external mediator's invitation to the case inside
    another_mediator: int = 0  # a second invited mediator of the roster, to invite
    webhooks: dict[str, tuple[int, int]] = field(default_factory=dict)  # in/out → (webhook, delivery)

    def case(self, role: str, scope: str) -> Case:
        return self.case_in if scope == "in" else self.cases_out[role]

    def region(self, role: str, scope: str) -> str:
        return self.users[role].scope_code if scope == "in" else self.regions_out[role]


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(out, "JPEG")
    return out.getvalue()


def _reporter(make_user, grid_code: str) -> User:
    return make_user("grid_worker", grid_code)


@pytest.fixture
def world(app, make_user, client) -> World:
    add_other_city()
    db.session.add(
        Unit(
            code=UNIT_OUT,
            name="邻市司法所",
            kind="station",
            level="township",
            region_code=OTHER_TOWNSHIP,
            city_code=OTHER_CITY,
            sign_days=1,
            finish_days=10,
        )
    )
    grid = grid_in(FENGQIAO)
    other_grid = next(
        g for i in range(1, 20) if (g := grid_in(FENGQIAO, i)).code != grid.code and g.community_code
    )
    other_community_grid = next(
        g for i in range(1, 60) if (g := grid_in(FENGQIAO, i)).community_code != grid.community_code
    )
    jiyang_grid = grid_in(JIYANG)
    users = {
        "grid_worker": make_user("grid_worker", grid.code),
        "community_mediator": make_user("community_mediator", grid.community_code),
        "township_coordinator": make_user("township_coordinator", FENGQIAO),
        "city_commander": make_user("city_commander", CITY),
        "admin": make_user("admin", CITY),
        "auditor": make_user("auditor", CITY),
        **{role: make_user(role, None, unit_code=UNIT) for role in UNIT_ROLES},
        EXTERNAL: make_user(EXTERNAL, CITY),
    }
    other_admin = make_user("admin", OTHER_CITY)
    client_row, _ = create_client("矩阵测试系统")
    users["open311_client"] = client_row.user
    webhook_in, _ = create_subscription(
        users["admin"], {"name": "in", "url": "http://127.0.0.1:9/in", "event_types": ["case.event"]}
    )
    webhook_out, _ = create_subscription(
        other_admin, {"name": "out", "url": "http://127.0.0.1:9/out", "event_types": ["case.event"]}
    )

    def new_case(grid_code: str) -> Case:
        party = {"name": "张三", "id_number": "110105194912310029", "phone": "13812348000"}
        body = case_payload(
            grid_code,
            kind="dispute",
            category="D02",
            parties=[party],
            may_intensify=True,
            informant={"name": "李四", "phone": "13900001111"},
        )
        case = create_case(_reporter(make_user, grid_code), body).case
        return case

    case_in = new_case(grid.code)
    by_grid = {
        g: new_case(g) for g in (other_grid.code, other_community_grid.code, jiyang_grid.code, OTHER_GRID)
    }
    city_out = by_grid[OTHER_GRID]
    same_grid = new_case(grid.code)
    _dispatch_and_sign(users["community_mediator"], users["unit_handler"], case_in)
    cases_out = {
        "grid_worker": by_grid[other_grid.code],
        "community_mediator": by_grid[other_community_grid.code],
        "township_coordinator": by_grid[jiyang_grid.code],
        **{role: city_out for role in ("city_commander", "admin", "auditor", "open311_client")},
        **{role: same_grid for role in (*UNIT_ROLES, EXTERNAL)},
    }
    regions_out = {
        "grid_worker": other_grid.code,
        "community_mediator": other_community_grid.community_code,
        "township_coordinator": JIYANG,
        **{role: OTHER_CITY for role in ("city_commander", "admin", "auditor", "open311_client")},
        **{role: JIYANG for role in UNIT_ROLES},
        EXTERNAL: OTHER_CITY,
    }
    w = World(users, {}, case_in, cases_out, regions_out)
    w.invitation = invite_mediator(users["community_mediator"], case_in.id, users[EXTERNAL].id, utcnow()).id
    w.another_mediator = make_user(EXTERNAL, CITY).id
    w.points["in"] = point_in(grid.code)
    for role, code in regions_out.items():
        w.points[role] = point_in(code)
    from gridcase.mediation.agreements import record_agreement

    for case in (case_in, same_grid, *by_grid.values()):
        w.photos[case.id] = add_photo(case.reporter, case.id, _jpeg())[0].id
        terms = {"terms": "矩阵", "performance_deadline": utcnow().date()}
        w.agreements[case.id] = record_agreement(case, users["community_mediator"], terms, utcnow()).id
        w.evidence[case.id] = _evidence_on(case)
        w.alerts[case.id] = db.session.scalar(
            sa.select(Alert.id)
            .join(alert_cases, alert_cases.c.alert_id == Alert.id)
            .where(alert_cases.c.case_id == case.id)
        )
    for user in users.values():
        notify_user(user.id, case_in, Kind.NEW_CASE, "矩阵", utcnow())
    notify_user(case_in.reporter_id, case_in, Kind.NEW_CASE, "别人的", utcnow())
    db.session.flush()
    from gridcase.notifications.models import Notification

    for role, user in [*users.items(), ("other", case_in.reporter)]:
        w.notifications[role] = db.session.scalar(
            sa.select(Notification.id).where(Notification.user_id == user.id).order_by(Notification.id.desc())
        )
    from gridcase.notifications.outbound import add_channel

    for index, (role, user) in enumerate([*users.items(), ("other", case_in.reporter)]):
        w.channels[role] = add_channel("email", f"matrix{index}@example.cn", user=user).id
    for scope, hook in (("in", webhook_in), ("out", webhook_out)):
        delivery = db.session.scalar(
            sa.select(WebhookDelivery.id).where(WebhookDelivery.subscription_id == hook.id).limit(1)
        )
        w.webhooks[scope] = (hook.id, delivery)
    for user in users.values():
        if user.role in app.config["GRIDCASE_TWO_FACTOR_ROLES"]:
            enrol_second_factor(user)
    db.session.commit()  # the rolled-back outer transaction keeps it to this test
    for role, user in users.items():
        if role == "open311_client":
            w.tokens[role] = system_user_token(user)
        else:
            w.tokens[role] = token_from_client(client, user.username, PASSWORD)
    return w


def _dispatch_and_sign(mediator: User, handler: User, case: Case) -> None:
    """The community dispatches its case to the unit (its own small matter), which signs for it."""
    for user, action, payload in (
        (mediator, "dispatch", {"lead_unit": UNIT, "requirement": "核实欠薪情况"}),
        (handler, "sign", {}),
    ):
        version = db.session.scalar(sa.select(Case.version).where(Case.id == case.id))
        perform_action(user, case.id, action, version, payload)


# --- the table ------------------------------------------------------------------------------------

# A request for a role and scope: (path, keyword arguments of the test client's open()).
Request = Callable[[World, str, str], tuple[str, dict]]


@dataclass(frozen=True)
class Row:
    method: str
    rule: str
    request: Request
    inside: tuple[int, ...]  # one status per role, in ROLES order
    outside: tuple[int, ...] | None = None  # None: the same as inside (nothing is scoped)
    # (inside, outside) for a unit's handler and head; None: what every role above gets, where
    # they all get the same.
    units: tuple[int, int] | None = None
    # (inside, outside) for an invited mediator; None: what a unit's people get.
    external: tuple[int, int] | None = None

    def expected(self, role: str, scope: str) -> int:
        statuses = self.inside if scope == "in" else (self.outside or self.inside)
        if role in ROLES:
            return statuses[ROLES.index(role)]
        if role == EXTERNAL and self.external is not None:
            return self.external[0 if scope == "in" else 1]
        if self.units is not None:
            return self.units[0 if scope == "in" else 1]
        assert len(set(statuses)) == 1, f"{self.method} {self.rule}: say what a unit's people get"
        return statuses[0]


def every(status: int) -> tuple[int, ...]:
    return (status,) * len(ROLES)


def _case_path(suffix: str = "") -> Request:
    return lambda w, role, scope: (f"/api/v1/cases/{w.case(role, scope).id}{suffix}", {})


def _note(w: World, role: str, scope: str):
    case = w.case(role, scope)
    version = db.session.scalar(sa.select(Case.version).where(Case.id == case.id))
    return f"/api/v1/cases/{case.id}/actions", {
        "json": {"action": "note", "version": version, "text": "矩阵"}
    }


def _reveal(w: World, role: str, scope: str):
    case = w.case(role, scope)
    body = {"reason": "约双方当事人到村调委会调解，需电话联系"}
    return f"/api/v1/cases/{case.id}/parties/{case.parties[0].id}/reveal", {"json": body}


def _informant(w: World, role: str, scope: str):
    return f"/api/v1/cases/{w.case(role, scope).id}/informant/reveal", {
        "json": {"reason": "回电告知受理情况"}
    }


def _agreement(w: World, role: str, scope: str):
    case = w.case(role, scope)
    path = f"/api/v1/cases/{case.id}/agreements/{w.agreements[case.id]}/document"
    return path, {"json": {"reason": "打印协议书供双方签字"}}


def _sessions(w: World, role: str, scope: str):
    case = w.case(role, scope)
    body = {"kind": "mediation", "held_at": "2026-01-05T09:00:00+08:00", "record": "双方陈述"}
    return f"/api/v1/cases/{case.id}/sessions", {"json": body}


def _invite(w: World, role: str, scope: str):
    case = w.case(role, scope)
    return f"/api/v1/cases/{case.id}/invitations", {"json": {"mediator_id": w.another_mediator}}


def _invitation(w: World, role: str, scope: str):
    return f"/api/v1/cases/{w.case(role, scope).id}/invitations/{w.invitation}", {}


def _case_file(w: World, role: str, scope: str):
    return f"/api/v1/cases/{w.case(role, scope).id}/case-file", {"json": {"reason": "调阅卷宗备查"}}


def _evidence_on(case: Case) -> int:
    """A PDF on the case, stored as an upload stores it (whoever mediates each case differs)."""
    box, data = cipher(), pdf_file(pages=1)
    evidence = MediationEvidence(
        case_id=case.id,
        uploaded_by_id=case.reporter_id,
        created_at=utcnow(),
        kind="document",
        content_type="application/pdf",
        extension="pdf",
        title_encrypted=box.encrypt("借条", TITLE_FIELD),
        size_bytes=len(data),
        sha256="0" * 64,
        pages=1,
        data_encrypted=box.encrypt_bytes(data, DATA_FIELD),
    )
    db.session.add(evidence)
    db.session.flush()
    return evidence.id


def _evidence_upload(w: World, role: str, scope: str):
    data = {"file": (io.BytesIO(pdf_file(pages=1)), "jietiao.pdf"), "title": "借条"}
    return f"/api/v1/cases/{w.case(role, scope).id}/evidence", {"data": data}


def _evidence_download(w: World, role: str, scope: str):
    case = w.case(role, scope)
    path = f"/api/v1/cases/{case.id}/evidence/{w.evidence[case.id]}/download"
    return path, {"json": {"reason": "调解前核对借条"}}


COURT = "330681000000-fyssfw"  # 诸暨市人民法院诉讼服务中心


def _court_referral(suffix: str = "", body: dict | None = None, referred: bool = True) -> Request:
    """…/court-referral{suffix} of the case; with `referred`, a court's referral awaiting its
    result is put on it first (inside the cell's savepoint, so only this cell sees it)."""

    def build(w: World, role: str, scope: str):
        case = w.case(role, scope)
        if referred:
            today = utcnow().date()
            db.session.execute(
                sa.insert(CourtReferral).values(
                    case_id=case.id,
                    court_unit_code=COURT,
                    court_number="(2026)浙0681民诉前调1号",
                    referred_on=today,
                    due_on=today.replace(year=today.year + 1),
                    note="",
                    recorded_by_id=case.reporter_id,
                    recorded_at=utcnow(),
                )
            )
        return f"/api/v1/cases/{case.id}/court-referral{suffix}", {"json": body} if body is not None else {}

    return build


def _patrol_of(w: World, role: str, scope: str):
    """A patrol with a finding (a broken manhole cover) of the world's grid worker ("in"), or of
    the worker who logged the role's nearest case outside its scope, stored as the phone sends
    it (inside the cell's savepoint)."""
    from gridcase.gridwork.patrols import record_patrol

    worker, case = _worker_of(w, role, scope)
    lon, lat = point_in(case.grid_code)
    start = utcnow() - timedelta(hours=1)
    points = [
        {"lon": lon, "lat": lat, "at": start},
        {"lon": lon + 0.0002, "lat": lat, "at": start + timedelta(seconds=30)},
    ]
    finding = {"at": start, "lon": lon, "lat": lat, "note": "井盖破损", "category": "E0105"}
    body = {
        "started_at": start,
        "ended_at": start + timedelta(minutes=5),
        "points": points,
        "findings": [finding],
    }
    return record_patrol(worker, {**body, "note": ""}, "matrix", utcnow())[0]


def _patrol(w: World, role: str, scope: str):
    return f"/api/v1/patrols/{_patrol_of(w, role, scope).id}", {}


def _finding_case(w: World, role: str, scope: str):
    finding = _patrol_of(w, role, scope).findings[0]
    return f"/api/v1/patrols/findings/{finding.id}/case", {"json": {}}


def _worker_of(w: World, role: str, scope: str) -> tuple[User, Case]:
    """The grid worker whose record a cell asks for, and the case whose grid it lies in: the
    world's grid worker inside; outside, the worker who logged the role's nearest case out."""
    case = w.case_in if scope == "in" else w.cases_out[role]
    worker = w.users["grid_worker"] if scope == "in" else case.reporter
    if worker.role != "grid_worker":  # the role-change test has made them a mediator
        worker = case.reporter
    return worker, case


def _visit(suffix: str = "", body: dict | None = None, photo: bool = False, files: bool = False) -> Request:
    """…/visits/{id}{suffix} of a visit (to a household, two residents met) of the worker of
    _worker_of, stored as the phone sends it (inside the cell's savepoint)."""
    from gridcase.gridwork.visits import record_visit

    def build(w: World, role: str, scope: str):
        worker, case = _worker_of(w, role, scope)
        lon, lat = point_in(case.grid_code)
        visit, _ = record_visit(
            worker,
            {
                "kind": "household",
                "topic": "care",
                "visited_at": utcnow() - timedelta(minutes=10),
                "people_met": "王秀英、李建华",
                "content": "独居老人，屋顶漏雨",
                "concerns": "屋顶漏雨",
                "lon": lon,
                "lat": lat,
            },
            None,
            utcnow(),
        )
        if photo:
            visit.photo, visit.photo_sha256 = _jpeg(), "0" * 64
            db.session.flush()
        kwargs = {"data": {"file": (io.BytesIO(_jpeg()), "visit.jpg")}} if files else {}
        if body is not None:
            kwargs["json"] = body
        return f"/api/v1/visits/{visit.id}{suffix}", kwargs

    return build


def _new_visit(w: World, role: str, scope: str):
    lon, lat = point_in(w.case_in.grid_code)
    body = {
        "kind": "diary",
        "visited_at": utcnow().isoformat(),
        "content": "村口路灯不亮",
        "lon": lon,
        "lat": lat,
    }
    return "/api/v1/visits", {"json": body}


def _watch_item(suffix: str = "", body: dict | None = None) -> Request:
    """…/watch-items/{id}{suffix} of a watched person the worker of _worker_of answers for
    (stored inside the cell's savepoint)."""
    from gridcase.gridwork.watch import add_watch_item

    def build(w: World, role: str, scope: str):
        worker, case = _worker_of(w, role, scope)
        lon, lat = point_in(case.grid_code)
        person = {"name": "赵德明", "id_number": "11010519491231002X", "phone": "13500001111"}
        item = add_watch_item(
            worker,
            {"kind": "person", "category": "community_correction", "grade": "high", "person": person,
             "lon": lon, "lat": lat, "rhythm_days": 30},
            utcnow(),
        )  # fmt: skip
        return f"/api/v1/watch-items/{item.id}{suffix}", {"json": body} if body is not None else {}

    return build


def _new_watch_item(w: World, role: str, scope: str):
    lon, lat = w.points["in" if scope == "in" else role]
    body = {
        "kind": "hazard",
        "category": "gas",
        "grade": "medium",
        "title": "液化气瓶露天存放",
        "lon": lon,
        "lat": lat,
    }
    return "/api/v1/watch-items", {
        "json": {**body, "rhythm_days": 7, "responsible_id": w.users["grid_worker"].id}
    }


def _round(suffix: str = "", body: dict | None = None) -> Request:
    """…/screening-rounds/{id}{suffix}: a round over 枫桥镇 inside, over a township of the other
    city outside (stored inside the cell's savepoint)."""
    from gridcase.gridwork.models import ScreeningRound

    def build(w: World, role: str, scope: str):
        region, city = (FENGQIAO, CITY) if scope == "in" else (OTHER_TOWNSHIP, OTHER_CITY)
        due = utcnow().date() + timedelta(days=5)
        round_ = ScreeningRound(
            region_code=region, city_code=city, period="矩阵", due_on=due,
            opened_by_id=w.users["township_coordinator"].id, opened_at=utcnow(),
        )  # fmt: skip
        db.session.add(round_)
        db.session.flush()
        grid = w.case_in.grid_code if scope == "in" else OTHER_GRID
        payload = {**body, "grid_code": grid} if body is not None else None
        return f"/api/v1/screening-rounds/{round_.id}{suffix}", {"json": payload} if payload else {}

    return build


def _new_round(w: World, role: str, scope: str):
    due = (utcnow().date() + timedelta(days=5)).isoformat()
    return "/api/v1/screening-rounds", {
        "json": {"region": w.region(role, scope), "period": "矩阵", "due_on": due}
    }


def _register_book(grid_code: str) -> bytes:
    """A grid's register: a house with one resident, a place."""
    from openpyxl import Workbook

    lon, lat = point_in(grid_code)
    book = Workbook()
    houses = book.active
    houses.title = "房屋"
    houses.append(["房屋编号", "地址", "房屋类型", "经度", "纬度", "备注"])
    houses.append(["1号", "枫桥村1号", "自建房", lon, lat, ""])
    residents = book.create_sheet("居民")
    residents.append(["房屋编号", "姓名", "身份证号", "联系电话", "与户主关系", "人员类型", "人员标签"])
    residents.append(["1号", "王秀英", "11010519491231002X", "13812348000", "户主", "户籍", "独居老人"])
    places = book.create_sheet("场所")
    places.append(["名称", "场所类型", "地址", "经度", "纬度", "负责人", "联系电话"])
    places.append(["红红小吃店", "九小场所", "枫桥村口", lon, lat, "陈红", "13900001111"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _grid_register(suffix: str, body: dict | None = None, upload: bool = False) -> Request:
    """/grids/{code}{suffix} of the world's grid inside, of the role's nearest case's grid outside."""

    def build(w: World, role: str, scope: str):
        grid = w.case(role, scope).grid_code
        kwargs = {"data": {"file": (io.BytesIO(_register_book(grid)), "r.xlsx")}} if upload else {}
        if body is not None:
            kwargs["json"] = body
        return f"/api/v1/grids/{grid}{suffix}", kwargs

    return build


def _resident_reveal(w: World, role: str, scope: str):
    from gridcase.gridwork.models import Resident
    from gridcase.gridwork.register import import_register

    worker, case = _worker_of(w, role, scope)
    import_register(worker, case.grid_code, _register_book(case.grid_code), utcnow())
    resident = db.session.scalar(sa.select(Resident.id).where(Resident.grid_code == case.grid_code))
    return f"/api/v1/residents/{resident}/reveal", {"json": {"reason": "入户走访前核对"}}


def _house_outline(w: World, role: str, scope: str):
    from gridcase.gridwork.models import House
    from gridcase.gridwork.register import import_register

    worker, case = _worker_of(w, role, scope)
    import_register(worker, case.grid_code, _register_book(case.grid_code), utcnow())
    house = db.session.scalar(sa.select(House.id).where(House.grid_code == case.grid_code))
    lon, lat, d = *point_in(case.grid_code), 0.0001
    ring = [
        [lon - d, lat - d],
        [lon + d, lat - d],
        [lon + d, lat + d],
        [lon - d, lat + d],
        [lon - d, lat - d],
    ]
    return f"/api/v1/houses/{house}/outline", {
        "json": {"outline": {"type": "Polygon", "coordinates": [ring]}}
    }


def _new_patrol(w: World, role: str, scope: str):
    lon, lat = point_in(w.case_in.grid_code)
    start = utcnow() - timedelta(hours=1)
    body = {
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(minutes=30)).isoformat(),
        "points": [{"lon": lon, "lat": lat, "at": (start + timedelta(minutes=1)).isoformat()}],
    }
    return "/api/v1/patrols", {"json": body, "headers": {"Idempotency-Key": f"matrix-{role}-{scope}"}}


def _photo_upload(w: World, role: str, scope: str):
    data = {"file": (io.BytesIO(_jpeg()), "photo.jpg")}
    return f"/api/v1/cases/{w.case(role, scope).id}/attachments", {"data": data}


def _intake(w: World, role: str, scope: str):
    lon, lat = w.points["in" if scope == "in" else role]
    body = case_payload(w.case_in.grid_code, location={"lon": lon, "lat": lat, "crs": "wgs84"})
    return "/api/v1/cases", {"json": body}


def _alert(suffix: str = "", body: dict | None = None) -> Request:
    def build(w: World, role: str, scope: str):
        return f"/api/v1/alerts/{w.alerts[w.case(role, scope).id]}{suffix}", {"json": body} if body else {}

    return build


def _webhook(suffix: str = "", body: dict | None = None, delivery: bool = False) -> Request:
    def build(w: World, role: str, scope: str):
        hook, delivery_id = w.webhooks[scope]
        path = f"/api/v1/webhooks/{hook}{suffix}".replace("<delivery>", str(delivery_id))
        return path, {"json": body} if body is not None else {}

    return build


def _region(template: str) -> Request:
    return lambda w, role, scope: (template.format(code=w.region(role, scope)), {})


def _monthly_report_text(path: str, closed: bool) -> Request:
    """The centre's text of the role's node (or the nearest node outside its scope) for this
    month (a draft) or for last month (`closed`: over, so it can be issued)."""

    def build(w: World, role: str, scope: str):
        month = utcnow().astimezone(local_tz()).date().replace(day=1)
        if closed:
            month = month - timedelta(days=1)
        body = {"region": w.region(role, scope), "month": f"{month:%Y-%m}", "centre_text": "矩阵"}
        return path, {"json": body}

    return build


def _point(template: str) -> Request:
    def build(w: World, role: str, scope: str):
        lon, lat = w.points["in" if scope == "in" else role]
        return template.format(lon=lon, lat=lat), {}

    return build


def _fixed(path: str, **kwargs) -> Request:
    return lambda w, role, scope: (path, kwargs)


def _new_scheme(w: World, role: str, scope: str):
    this_month = utcnow().astimezone(local_tz()).date().replace(day=1)
    body = {
        "subject": "unit",
        "name": "部门考核",
        "effective_from": this_month.isoformat(),
        "items": [{"indicator": "finish_on_time_rate", "points": 100, "target": 0.9}],
    }
    return "/api/v1/assessment/schemes", {"json": body}


def _waiting_request(w: World, scope: str) -> int:
    """A request from another system waiting for triage in the demo city ("in") or the other."""
    client_row = db.session.scalar(
        sa.select(Open311Client).where(Open311Client.user_id == w.users["open311_client"].id)
    )
    fields = {"kind": "incident", "category": "E0401", "title": "路面塌陷", "description": "路面塌陷",
              "address": "某路口", "source": "public"}  # fmt: skip
    row = Open311Request(
        client_id=client_row.id,
        token=new_token(),
        city_code=CITY if scope == "in" else OTHER_CITY,
        category_code="E0401",
        description="路面塌陷",
        address_string="某路口",
        case_fields=fields,
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    return row.id


def _place(w: World, role: str, scope: str):
    lon, lat = w.points["in"]
    return f"/api/v1/triage/{_waiting_request(w, scope)}/place", {"json": {"lon": lon, "lat": lat}}


def _dismiss(w: World, role: str, scope: str):
    return f"/api/v1/triage/{_waiting_request(w, scope)}/dismiss", {"json": {"reason": "测试"}}


def _token(w: World, role: str, scope: str):
    return "/api/v1/auth/token", {"json": {"username": w.users[role].username, "password": PASSWORD}}


def _notification(w: World, role: str, scope: str):
    return f"/api/v1/notifications/{w.notifications[role if scope == 'in' else 'other']}/read", {}


def _channel(w: World, role: str, scope: str):
    return f"/api/v1/notifications/channels/{w.channels[role if scope == 'in' else 'other']}", {}


def _user(suffix: str = "", body: dict | None = None) -> Request:
    """A user of the role's city (the reporter of the case inside) or of the other city."""

    def build(w: World, role: str, scope: str):
        user_id = w.case(role if scope == "out" else "admin", scope).reporter_id
        return f"/api/v1/users/{user_id}{suffix}", {"json": body} if body is not None else {}

    return build


def _new_user(w: World, role: str, scope: str):
    grid = w.case_in.grid_code if scope == "in" else OTHER_GRID
    return "/api/v1/users", {"json": {"username": f"new-{role}", "role": "grid_worker", "scope": grid}}


def _unit(suffix: str = "", body: dict | None = None) -> Request:
    """枫桥镇人力社保所 (of the demo city), or a unit of the other city."""

    def build(w: World, role: str, scope: str):
        code = UNIT if scope == "in" else UNIT_OUT
        return f"/api/v1/units/{code}{suffix}", {"json": body} if body is not None else {}

    return build


def _new_unit(w: World, role: str, scope: str):
    region = FENGQIAO if scope == "in" else OTHER_TOWNSHIP
    body = {"code": f"new-{role}", "name": "新单位", "kind": "station", "region": region}
    return "/api/v1/units", {"json": {**body, "sign_days": 1, "finish_days": 10}}


ASSESSMENT = {
    "assessment": "矩阵",
    "risk_grade": "low",
    "responsible": "枫桥镇综治中心",
    "response_due": "2099-12-31",
}
WEBHOOK = {"name": "新", "url": "http://127.0.0.1:9/new", "event_types": ["case.created"]}
ADMIN_ONLY = (403, 403, 403, 403, 200, 403, 403)
ADMIN_ONLY_CREATED = (403, 403, 403, 403, 201, 403, 403)
ADMIN_ONLY_OUT = (403, 403, 403, 403, 404, 403, 403)
NEVER_FOR_UNITS = (403, 403)  # a unit's people log no cases, read no statistics, manage nothing
ON_THE_ASSIGNMENT = (200, 404)  # their unit's case, or any other (404, even in the same grid)
#                                         worker mediator township city admin auditor open311
TABLE = [
    # A password alone: city commanders and admins also need their second factor.
    Row("POST", "/api/v1/auth/token", _token, (200, 200, 200, 401, 401, 200, 401), units=(200, 200)),
    Row("GET", "/api/v1/openapi.json", _fixed("/api/v1/openapi.json"), every(200)),
    Row("GET", "/api/v1/docs", _fixed("/api/v1/docs"), every(200)),
    Row("GET", "/api/v1/regions/<code>", _region("/api/v1/regions/{code}"), every(200)),
    Row("GET", "/api/v1/regions/<code>/children", _region("/api/v1/regions/{code}/children"), every(200)),
    Row("GET", "/api/v1/grids/locate", _point("/api/v1/grids/locate?lon={lon}&lat={lat}"), every(200)),
    Row("GET", "/api/v1/categories", _fixed("/api/v1/categories"), every(200)),
    Row("GET", "/api/v1/cases", _region("/api/v1/cases?region={code}"), every(200)),
    Row(
        "POST",
        "/api/v1/cases",
        _intake,
        (201, 201, 201, 201, 403, 403, 201),
        (201, 201, 201, 422, 403, 403, 422),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "GET",
        "/api/v1/cases/duplicates",
        _point("/api/v1/cases/duplicates?category=E0102&lon={lon}&lat={lat}"),
        every(200),
    ),
    Row("GET", "/api/v1/cases/points", _region("/api/v1/cases/points?region={code}"), every(200)),
    Row("GET", "/api/v1/cases/export", _region("/api/v1/cases/export?region={code}"), every(200)),
    Row(
        "GET",
        "/api/v1/cases/<ref>",
        _case_path(),
        (200, 200, 200, 200, 404, 404, 404),
        every(404),
        units=ON_THE_ASSIGNMENT,
    ),
    Row(  # a unit's people report progress (the unit's own steps), not the centre's notes
        "POST",
        "/api/v1/cases/<ref>/actions",
        _note,
        (200, 200, 200, 200, 404, 404, 404),
        every(404),
        units=(422, 404),
        external=(200, 404),  # notes beside their sessions, nothing that moves the case
    ),
    Row(  # the sessions are listed to whoever sees the case; their records only to those mediating
        "GET",
        "/api/v1/cases/<ref>/sessions",
        _case_path("/sessions"),
        (200, 200, 200, 200, 404, 404, 404),
        every(404),
        units=ON_THE_ASSIGNMENT,
    ),
    Row(
        "POST",
        "/api/v1/cases/<ref>/sessions",
        _sessions,
        (403, 201, 201, 201, 404, 404, 404),
        every(404),
        units=(403, 404),
        external=(201, 404),
    ),
    Row(  # evidence files are listed to whoever sees the case; titled and opened by those mediating
        "GET",
        "/api/v1/cases/<ref>/evidence",
        _case_path("/evidence"),
        (200, 200, 200, 200, 404, 404, 404),
        every(404),
        units=ON_THE_ASSIGNMENT,
    ),
    Row(
        "POST",
        "/api/v1/cases/<ref>/evidence",
        _evidence_upload,
        (403, 201, 201, 201, 404, 404, 404),
        every(404),
        units=(403, 404),
        external=(201, 404),
    ),
    Row(
        "POST",
        "/api/v1/cases/<ref>/evidence/<id:evidence_id>/download",
        _evidence_download,
        (403, 200, 200, 200, 404, 404, 404),
        every(404),
        units=(403, 404),
        external=(200, 404),
    ),
    Row(  # a court's referral (诉前调解) is seen by whoever sees the case
        "GET",
        "/api/v1/cases/<ref>/court-referral",
        _court_referral(),
        (200, 200, 200, 200, 404, 404, 404),
        every(404),
        units=ON_THE_ASSIGNMENT,
    ),
    Row(  # … and recorded, extended and reported back by its handlers, where it is or above
        "POST",
        "/api/v1/cases/<ref>/court-referral",
        _court_referral(
            body={
                "court_unit_code": COURT,
                "court_number": "(2026)浙0681民诉前调2号",
                "referred_on": "2026-01-05",
            },
            referred=False,
        ),
        (403, 201, 201, 201, 404, 404, 404),
        every(404),
        units=(403, 404),
    ),
    Row(
        "POST",
        "/api/v1/cases/<ref>/court-referral/extension",
        _court_referral("/extension", {"due_on": "2099-01-01", "note": "双方当事人同意延长"}),
        (403, 200, 200, 200, 404, 404, 404),
        every(404),
        units=(403, 404),
    ),
    Row(
        "POST",
        "/api/v1/cases/<ref>/court-referral/result",
        _court_referral("/result", {"result": "failed", "note": "调解不成"}),
        (403, 200, 200, 200, 404, 404, 404),
        every(404),
        units=(403, 404),
    ),
    Row(  # the handler where the case is (here the community; the city anywhere) invites
        "POST",
        "/api/v1/cases/<ref>/invitations",
        _invite,
        (403, 201, 403, 201, 404, 404, 404),
        every(404),
        units=(403, 404),
    ),
    Row(
        "DELETE",
        "/api/v1/cases/<ref>/invitations/<id:invitation_id>",
        _invitation,
        (403, 204, 403, 204, 404, 404, 404),
        every(404),
        units=(403, 404),
    ),
    Row(
        "POST",
        "/api/v1/cases/<ref>/attachments",
        _photo_upload,
        (201, 201, 201, 201, 404, 404, 404),
        every(404),
        units=(201, 404),  # evidence, once their unit has signed for the case
    ),
    Row(
        "GET",
        "/api/v1/attachments/<id:attachment_id>",
        lambda w, role, scope: (f"/api/v1/attachments/{w.photos[w.case(role, scope).id]}", {}),
        (200, 200, 200, 200, 404, 404, 404),
        every(404),
        units=ON_THE_ASSIGNMENT,
    ),
    Row(
        "POST",
        "/api/v1/cases/<ref>/parties/<id:party_id>/reveal",
        _reveal,
        (403, 200, 200, 200, 404, 404, 404),
        every(404),
        units=ON_THE_ASSIGNMENT,  # with a reason, once their unit has signed for it
        external=(403, 404),  # an invited mediator reveals nobody
    ),
    Row(
        "POST",
        "/api/v1/cases/<ref>/informant/reveal",
        _informant,
        (403, 200, 200, 200, 404, 404, 404),
        every(404),
        units=ON_THE_ASSIGNMENT,
        external=(403, 404),  # an invited mediator reveals nobody
    ),
    Row(
        "POST",
        "/api/v1/cases/<ref>/agreements/<id:agreement_id>/document",
        _agreement,
        (403, 200, 200, 200, 404, 404, 404),
        every(404),
        units=ON_THE_ASSIGNMENT,
        external=(403, 404),  # an invited mediator reveals nobody
    ),
    Row(  # the committee's record: its handlers, not a unit on its assignment
        "POST",
        "/api/v1/cases/<ref>/case-file",
        _case_file,
        (403, 200, 200, 200, 404, 404, 404),
        every(404),
        units=(403, 404),
    ),
    Row(
        "GET",
        "/api/v1/audit",
        _fixed("/api/v1/audit"),
        (403, 403, 403, 403, 403, 200, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "GET",
        "/api/v1/audit/export",
        _fixed("/api/v1/audit/export"),
        (403, 403, 403, 403, 403, 200, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row("GET", "/api/v1/patrols", _fixed("/api/v1/patrols"), every(200)),  # each sees their own or none
    Row(  # grid workers patrol
        "POST",
        "/api/v1/patrols",
        _new_patrol,
        (201, 403, 403, 403, 403, 403, 403),
        units=(403, 403),
    ),
    Row(  # a worker's own patrols, and the centres' in their scope
        "GET",
        "/api/v1/patrols/<id:patrol_id>",
        _patrol,
        (200, 200, 200, 200, 404, 404, 404),
        every(404),
        units=(404, 404),
    ),
    Row(  # only the worker who found it makes a finding a case
        "POST",
        "/api/v1/patrols/findings/<id:finding_id>/case",
        _finding_case,
        (201, 404, 404, 404, 404, 404, 404),
        every(404),
        units=(404, 404),
    ),
    Row("GET", "/api/v1/visits", _fixed("/api/v1/visits"), every(200)),  # each sees their own or none
    Row("POST", "/api/v1/visits", _new_visit, (201, 403, 403, 403, 403, 403, 403), units=(403, 403)),
    Row(  # a worker's own visits, and the centres' in their scope
        "GET",
        "/api/v1/visits/<id:visit_id>",
        _visit(),
        (200, 200, 200, 200, 404, 404, 404),
        every(404),
        units=(404, 404),
    ),
    Row(
        "GET",
        "/api/v1/visits/<id:visit_id>/photo",
        _visit("/photo", photo=True),
        (200, 200, 200, 200, 404, 404, 404),
        every(404),
        units=(404, 404),
    ),
    Row(  # its photo and its case only by the worker who wrote it
        "POST",
        "/api/v1/visits/<id:visit_id>/photo",
        _visit("/photo", files=True),
        (201, 404, 404, 404, 404, 404, 404),
        every(404),
        units=(404, 404),
    ),
    Row(
        "POST",
        "/api/v1/visits/<id:visit_id>/case",
        _visit("/case", {"category": "E0105"}),
        (201, 404, 404, 404, 404, 404, 404),
        every(404),
        units=(404, 404),
    ),
    Row(  # whom it met, in clear for a reason: who sees the visit
        "POST",
        "/api/v1/visits/<id:visit_id>/people/reveal",
        _visit("/people/reveal", {"reason": "安排关爱帮扶"}),
        (200, 200, 200, 200, 404, 404, 404),
        every(404),
        units=(404, 404),
    ),
    Row("GET", "/api/v1/watch-items", _fixed("/api/v1/watch-items"), every(200)),  # each sees theirs or none
    Row(  # a worker in their grid, a centre in its scope (naming the grid's worker)
        "POST",
        "/api/v1/watch-items",
        _new_watch_item,
        (201, 201, 201, 201, 404, 404, 404),
        (422, 422, 422, 422, 404, 404, 404),
        units=(404, 404),
    ),
    Row(
        "GET",
        "/api/v1/watch-items/<id:item_id>",
        _watch_item(),
        (200, 200, 200, 200, 404, 404, 404),
        every(404),
        units=(404, 404),
    ),
    Row(
        "POST",
        "/api/v1/watch-items/<id:item_id>/follow-ups",
        _watch_item("/follow-ups", {"note": "按时报到"}),
        (201, 201, 201, 201, 404, 404, 404),
        every(404),
        units=(404, 404),
    ),
    Row(  # a centre closes it, not the worker
        "POST",
        "/api/v1/watch-items/<id:item_id>/close",
        _watch_item("/close", {"reason": "矫正期满"}),
        (422, 200, 200, 200, 404, 404, 404),
        every(404),
        units=(404, 404),
    ),
    Row(
        "POST",
        "/api/v1/watch-items/<id:item_id>/person/reveal",
        _watch_item("/person/reveal", {"reason": "月度走访前核对联系方式"}),
        (200, 200, 200, 200, 404, 404, 404),
        every(404),
        units=(404, 404),
    ),
    Row("GET", "/api/v1/screening-rounds", _fixed("/api/v1/screening-rounds"), every(200)),
    Row(  # a township, district or city centre calls a round over its scope
        "POST",
        "/api/v1/screening-rounds",
        _new_round,
        (403, 403, 201, 201, 403, 403, 403),
        (403, 403, 404, 404, 403, 403, 403),
        units=(403, 403),
    ),
    Row(
        "GET",
        "/api/v1/screening-rounds/<id:round_id>",
        _round(),
        (200, 200, 200, 200, 404, 404, 404),
        every(404),
        units=(404, 404),
    ),
    Row(  # the grid's worker, or a centre over the grid
        "POST",
        "/api/v1/screening-rounds/<id:round_id>/reports",
        _round("/reports", {"disputes_found": 0}),
        (201, 201, 201, 201, 404, 404, 404),
        every(404),
        units=(404, 404),
    ),
    Row("GET", "/api/v1/register/template", _fixed("/api/v1/register/template"), every(200)),
    Row(  # a grid's register: its own workers and the centres over it
        "POST",
        "/api/v1/grids/<code>/register",
        _grid_register("/register", upload=True),
        (200, 200, 200, 200, 404, 404, 404),
        every(404),
        units=(404, 404),
    ),
    Row(
        "POST",
        "/api/v1/grids/<code>/register/export",
        _grid_register("/register/export", {"reason": "年度核对"}),
        (200, 200, 200, 200, 404, 404, 404),
        every(404),
        units=(404, 404),
    ),
    Row(
        "GET",
        "/api/v1/grids/<code>/houses",
        _grid_register("/houses"),
        (200, 200, 200, 200, 404, 404, 404),
        every(404),
        units=(404, 404),
    ),
    Row(
        "POST",
        "/api/v1/grids/<code>/houses/search",
        _grid_register("/houses/search", {"q": "1号"}),
        (200, 200, 200, 200, 404, 404, 404),
        every(404),
        units=(404, 404),
    ),
    Row(
        "GET",
        "/api/v1/grids/<code>/places",
        _grid_register("/places"),
        (200, 200, 200, 200, 404, 404, 404),
        every(404),
        units=(404, 404),
    ),
    Row(
        "PUT",
        "/api/v1/houses/<id:house_id>/outline",
        _house_outline,
        (200, 200, 200, 200, 404, 404, 404),
        every(404),
        units=(404, 404),
    ),
    Row(
        "POST",
        "/api/v1/residents/<id:resident_id>/reveal",
        _resident_reveal,
        (200, 200, 200, 200, 404, 404, 404),
        every(404),
        units=(404, 404),
    ),
    Row("GET", "/api/v1/notifications", _fixed("/api/v1/notifications"), every(200)),
    Row("POST", "/api/v1/notifications/<id:notification_id>/read", _notification, every(200), every(404)),
    Row("POST", "/api/v1/notifications/read-all", _fixed("/api/v1/notifications/read-all"), every(200)),
    Row("GET", "/api/v1/notifications/channels", _fixed("/api/v1/notifications/channels"), every(200)),
    Row(
        "POST",
        "/api/v1/notifications/channels",
        _fixed("/api/v1/notifications/channels", json={"kind": "sms", "address": "13900001111"}),
        every(201),
    ),
    Row("DELETE", "/api/v1/notifications/channels/<id:channel_id>", _channel, every(204), every(404)),
    Row(
        "GET",
        "/api/v1/stats",
        _region("/api/v1/stats?region={code}"),
        (200, 200, 200, 200, 403, 403, 403),
        (404, 404, 404, 404, 403, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(  # 研判's trends: whoever reads statistics, for a node in scope
        "GET",
        "/api/v1/stats/trends",
        _region("/api/v1/stats/trends?region={code}"),
        (200, 200, 200, 200, 403, 403, 403),
        (404, 404, 404, 404, 403, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "GET",
        "/api/v1/stats/export",
        _region("/api/v1/stats/export?region={code}"),
        (200, 200, 200, 200, 403, 403, 403),
        (404, 404, 404, 404, 403, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "GET",
        "/api/v1/stats/units",
        _region("/api/v1/stats/units?region={code}"),
        (200, 200, 200, 200, 403, 403, 403),
        (404, 404, 404, 404, 403, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "GET",
        "/api/v1/stats/supervision",
        _region("/api/v1/stats/supervision?region={code}"),
        (200, 200, 200, 200, 403, 403, 403),
        (404, 404, 404, 404, 403, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(  # 月报: whoever reads statistics, for a node in scope
        "GET",
        "/api/v1/stats/monthly-report",
        _region("/api/v1/stats/monthly-report?region={code}"),
        (200, 200, 200, 200, 403, 403, 403),
        (404, 404, 404, 404, 403, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "GET",
        "/api/v1/stats/monthly-report/document",
        _region("/api/v1/stats/monthly-report/document?region={code}&format=docx"),
        (200, 200, 200, 200, 403, 403, 403),
        (404, 404, 404, 404, 403, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "GET",
        "/api/v1/stats/monthly-report/chart",
        _region("/api/v1/stats/monthly-report/chart?region={code}&chart=trend"),
        (200, 200, 200, 200, 403, 403, 403),
        (404, 404, 404, 404, 403, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(  # only the node's own centre (township, district, city) writes and issues its report
        "PUT",
        "/api/v1/stats/monthly-report/draft",
        _monthly_report_text("/api/v1/stats/monthly-report/draft", closed=False),
        (403, 403, 200, 200, 403, 403, 403),
        (404, 404, 404, 404, 403, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "POST",
        "/api/v1/stats/monthly-report/issue",
        _monthly_report_text("/api/v1/stats/monthly-report/issue", closed=True),
        (403, 403, 201, 201, 403, 403, 403),
        (404, 404, 404, 404, 403, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(  # triage is the city centre's
        "GET",
        "/api/v1/triage",
        _fixed("/api/v1/triage"),
        (403, 403, 403, 200, 403, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "POST",
        "/api/v1/triage/<int:request_id>/place",
        _place,
        (403, 403, 403, 201, 403, 403, 403),
        (403, 403, 403, 404, 403, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "POST",
        "/api/v1/triage/<int:request_id>/dismiss",
        _dismiss,
        (403, 403, 403, 204, 403, 403, 403),
        (403, 403, 403, 404, 403, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row("GET", "/api/v1/assessment/indicators", _fixed("/api/v1/assessment/indicators"), every(200)),
    Row(  # a city's schemes are its published rules: anyone of the city reads them
        "GET", "/api/v1/assessment/schemes", _fixed("/api/v1/assessment/schemes?subject=grid"), every(200)
    ),
    Row(  # only the city centre sets them
        "POST",
        "/api/v1/assessment/schemes",
        _new_scheme,
        (403, 403, 403, 201, 403, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(  # rankings are the centres'; a grid worker has their own score only
        "GET",
        "/api/v1/assessment/rankings",
        _region("/api/v1/assessment/rankings?subject=grid&region={code}"),
        (403, 200, 200, 200, 403, 403, 403),
        (403, 404, 404, 404, 403, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "GET",
        "/api/v1/assessment/rankings/export",
        _region("/api/v1/assessment/rankings/export?subject=grid&region={code}"),
        (403, 200, 200, 200, 403, 403, 403),
        (403, 404, 404, 404, 403, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "GET",
        "/api/v1/assessment/my-score",
        _fixed("/api/v1/assessment/my-score"),
        (200, 403, 403, 403, 403, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "GET",
        "/api/v1/alerts",
        _fixed("/api/v1/alerts"),
        (200, 200, 200, 200, 403, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "GET",
        "/api/v1/alerts/<id:alert_id>",
        _alert(),
        (200, 200, 200, 200, 403, 403, 403),
        (404, 404, 404, 404, 403, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "POST",
        "/api/v1/alerts/<id:alert_id>/acknowledge",
        _alert("/acknowledge", {"note": "矩阵"}),
        (403, 200, 200, 200, 403, 403, 403),
        (403, 404, 404, 404, 403, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "POST",
        "/api/v1/alerts/<id:alert_id>/close",
        _alert("/close", {"note": "矩阵", "outcome": "controlled"}),
        (403, 200, 200, 200, 403, 403, 403),
        (403, 404, 404, 404, 403, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "POST",
        "/api/v1/alerts/<id:alert_id>/assess",
        _alert("/assess", ASSESSMENT),
        (403, 200, 200, 200, 403, 403, 403),
        (403, 404, 404, 404, 403, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "GET",
        "/api/v1/webhooks",
        _fixed("/api/v1/webhooks"),
        (403, 403, 403, 403, 200, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "POST",
        "/api/v1/webhooks",
        _fixed("/api/v1/webhooks", json=WEBHOOK),
        (403, 403, 403, 403, 201, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "GET",
        "/api/v1/webhooks/<id:webhook_id>",
        _webhook(),
        (403, 403, 403, 403, 200, 403, 403),
        (403, 403, 403, 403, 404, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "PATCH",
        "/api/v1/webhooks/<id:webhook_id>",
        _webhook(body={"name": "改名"}),
        (403, 403, 403, 403, 200, 403, 403),
        (403, 403, 403, 403, 404, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "DELETE",
        "/api/v1/webhooks/<id:webhook_id>",
        _webhook(),
        (403, 403, 403, 403, 204, 403, 403),
        (403, 403, 403, 403, 404, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "POST",
        "/api/v1/webhooks/<id:webhook_id>/pause",
        _webhook("/pause"),
        (403, 403, 403, 403, 200, 403, 403),
        (403, 403, 403, 403, 404, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "POST",
        "/api/v1/webhooks/<id:webhook_id>/resume",
        _webhook("/resume"),
        (403, 403, 403, 403, 200, 403, 403),
        (403, 403, 403, 403, 404, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "GET",
        "/api/v1/webhooks/<id:webhook_id>/deliveries",
        _webhook("/deliveries"),
        (403, 403, 403, 403, 200, 403, 403),
        (403, 403, 403, 403, 404, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row("GET", "/api/v1/users", _fixed("/api/v1/users"), ADMIN_ONLY, units=NEVER_FOR_UNITS),
    Row(
        "POST",
        "/api/v1/users",
        _new_user,
        ADMIN_ONLY_CREATED,
        (403, 403, 403, 403, 422, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row("GET", "/api/v1/users/<id:user_id>", _user(), ADMIN_ONLY, ADMIN_ONLY_OUT, units=NEVER_FOR_UNITS),
    Row(
        "PATCH",
        "/api/v1/users/<id:user_id>",
        _user(body={"display_name": "改名"}),
        ADMIN_ONLY,
        ADMIN_ONLY_OUT,
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "POST",
        "/api/v1/users/<id:user_id>/reset-password",
        _user("/reset-password"),
        ADMIN_ONLY,
        ADMIN_ONLY_OUT,
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "POST",
        "/api/v1/users/<id:user_id>/reset-two-factor",
        _user("/reset-two-factor"),
        ADMIN_ONLY,
        ADMIN_ONLY_OUT,
        units=NEVER_FOR_UNITS,
    ),
    Row("GET", "/api/v1/units", _fixed("/api/v1/units"), ADMIN_ONLY, units=NEVER_FOR_UNITS),
    Row(
        "POST",
        "/api/v1/units",
        _new_unit,
        ADMIN_ONLY_CREATED,
        (403, 403, 403, 403, 422, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
    Row("GET", "/api/v1/units/<string:code>", _unit(), ADMIN_ONLY, ADMIN_ONLY_OUT, units=NEVER_FOR_UNITS),
    Row(
        "PATCH",
        "/api/v1/units/<string:code>",
        _unit(body={"name": "改名"}),
        ADMIN_ONLY,
        ADMIN_ONLY_OUT,
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "PUT",
        "/api/v1/units/<string:code>/categories",
        _unit("/categories", body={"categories": [{"category": "D1001"}]}),
        ADMIN_ONLY,
        ADMIN_ONLY_OUT,
        units=NEVER_FOR_UNITS,
    ),
    # The other JSON endpoints: health, and Open311 (its own api_key, never a bearer token).
    Row("GET", "/healthz", _fixed("/healthz"), every(200)),
    Row("GET", "/open311/v2/services.<any(json, xml):fmt>", _fixed("/open311/v2/services.json"), every(200)),
    Row(  # a grid worker's case is no Open311 request, whoever asks
        "GET",
        "/open311/v2/requests/<service_request_id>.<any(json, xml):fmt>",
        lambda w, role, scope: (f"/open311/v2/requests/{w.case(role, scope).public_number}.json", {}),
        every(404),
    ),
    Row(
        "POST",
        "/open311/v2/requests.<any(json, xml):fmt>",
        _fixed("/open311/v2/requests.json", data={"service_code": "E0102", "lat": "29.6", "long": "120.3"}),
        every(403),
        units=NEVER_FOR_UNITS,
    ),
    Row(
        "POST",
        "/api/v1/webhooks/<id:webhook_id>/deliveries/<id:delivery_id>/retry",
        _webhook("/deliveries/<delivery>/retry"),
        (403, 403, 403, 403, 422, 403, 403),
        (403, 403, 403, 403, 404, 403, 403),
        units=NEVER_FOR_UNITS,
    ),
]


# --- the tests ------------------------------------------------------------------------------------


def _rules_under_api(app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_the_table_lists_every_api_route_and_method(app):
    listed = {(row.method, row.rule) for row in TABLE}
    assert len(listed) == len(TABLE), "a route is listed twice"
    assert _rules_under_api(app) - listed == set(), "add these to TABLE with each role's status"
    every_rule = {(m, rule.rule) for rule in app.url_map.iter_rules() for m in rule.methods}
    assert listed - every_rule == set(), "TABLE lists routes the app no longer has"


def test_each_role_gets_exactly_the_status_the_table_says(app, client, transaction, world):
    mismatches, requests = [], 0
    for role in (*ROLES, *UNIT_ROLES, EXTERNAL):
        for row in TABLE:
            for scope in ("in", "out"):
                db.session.commit()  # the session's own savepoint must not enclose ours
                savepoint = transaction.begin_nested()
                try:
                    path, kwargs = row.request(world, role, scope)
                    headers = {**bearer(world.tokens[role]), **kwargs.pop("headers", {})}
                    response = client.open(path, method=row.method, headers=headers, **kwargs)
                    status, text = response.status_code, response.get_data().decode(errors="replace")
                    response.close()  # a streamed export holds its request open until then
                finally:
                    db.session.rollback()
                    savepoint.rollback()
                    db.session.expire_all()
                requests += 1
                want = row.expected(role, scope)
                if status != want:
                    detail = text[:200] if status >= 300 else ""
                    mismatches.append(
                        f"{role} {row.method} {row.rule} [{scope}]: {status}, table says {want} {detail}"
                    )
                elif status >= 300 and path.startswith("/api/"):
                    assert response.mimetype == "application/json" and {"code", "message"} <= set(
                        response.json
                    )
    assert mismatches == [], "\n".join(mismatches)
    REPORT.add(
        "inputs tried",
        f"authorisation matrix: {len(ROLES) + len(UNIT_ROLES) + 1} roles × {len(TABLE)} endpoints × "
        f"in and out of scope, {requests} requests, each answered exactly as the table says",
    )


# Endpoints that take no bearer token: the document, its page, health, Open311 and sign-in.
NO_TOKEN = ("/api/v1/openapi.json", "/api/v1/docs", "/healthz", "/open311/", "/api/v1/auth/token")


def test_after_a_role_change_the_old_token_opens_no_endpoint(app, client, transaction, world):
    """A user moved to another role and scope signs in again: every endpoint of the table that
    takes a bearer token answers 401 to the token they held."""
    admin, worker = world.tokens["admin"], world.users["grid_worker"]
    moved = client.patch(
        f"/api/v1/users/{worker.id}",
        json={"role": "community_mediator", "scope": world.case_in.community_code},
        headers=bearer(admin),
    )
    assert moved.status_code == 200, moved.json
    db.session.commit()
    old, opened, checked = world.tokens["grid_worker"], [], 0
    for row in TABLE:
        db.session.commit()
        savepoint = transaction.begin_nested()  # a request's builder may add what it needs
        try:
            path, kwargs = row.request(world, "grid_worker", "in")
            if path.startswith(NO_TOKEN):
                continue
            headers = {**bearer(old), **kwargs.pop("headers", {})}
            status = client.open(path, method=row.method, headers=headers, **kwargs).status_code
        finally:
            db.session.rollback()
            savepoint.rollback()
            db.session.expire_all()
        checked += 1
        if status != 401:
            opened.append(f"{row.method} {row.rule}: {status}")
    assert opened == []
    REPORT.add(
        "inputs tried", f"role change: the old token refused (401) by all {checked} endpoints taking one"
    )


def test_an_auditor_of_another_city_reads_none_of_this_citys_entries(client, world, make_user):
    outsider = make_user("auditor", OTHER_CITY)
    db.session.commit()
    token = token_from_client(client, outsider.username, PASSWORD)
    ours = world.tokens["auditor"]
    theirs_sees = client.get("/api/v1/audit?page_size=500", headers=bearer(token)).json["items"]
    ours_sees = client.get("/api/v1/audit?page_size=500", headers=bearer(ours)).json["items"]
    city_users = {user.username for user in world.users.values()}
    assert any(entry["actor_username"] in city_users for entry in ours_sees)
    assert not any(entry["actor_username"] in city_users for entry in theirs_sees)
    export = client.get("/api/v1/audit/export", headers=bearer(token)).get_data(as_text=True)
    assert not any(username in export for username in city_users)
