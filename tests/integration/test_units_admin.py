"""Unit administration by the city's admin (职能部门, 站所, 专业调委会), through the API
(/api/v1/units) and the pages (/admin/units): create, change, deactivate (refused while the unit
holds open assignments), categories with their limits and the default flag that moves, each
change audited; other roles are refused, another city's admin finds nothing."""

from __future__ import annotations

import re

import pyotp
import pytest
import sqlalchemy as sa

from gridcase.audit.models import AuditEntry
from gridcase.cases.intake import create_case
from gridcase.cases.operations import perform_action
from gridcase.extensions import db
from gridcase.settings import cipher, utcnow
from gridcase.units.models import CaseAssignment, Unit, UnitCategory
from tests.helpers import CITY, FENGQIAO, JIYANG, OTHER_CITY, add_other_city, case_payload, grid_in
from tests.integration.test_attachments_and_pages import csrf_from, sign_in

RLSBS = f"{FENGQIAO}-rlsbs"  # 枫桥镇人力社保所: the township's default unit for D1001 (欠薪)
SFS = f"{FENGQIAO}-sfs"  # 枫桥镇司法所
SLZ = f"{FENGQIAO}-slz"  # 枫桥镇水利站
NEW = f"{FENGQIAO}-ldzc"


def default_unit(region: str, category: str) -> str | None:
    return db.session.scalar(
        sa.select(UnitCategory.unit_code).where(
            UnitCategory.region_code == region,
            UnitCategory.category_code == category,
            UnitCategory.is_default,
        )
    )


def audit_of(target: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(sa.select(AuditEntry).where(AuditEntry.target == target).order_by(AuditEntry.id))
    )


def new_unit(**overrides) -> dict:
    body = {
        "code": NEW,
        "name": "枫桥镇劳动保障站",
        "name_en": "Labour station, 枫桥镇",
        "kind": "station",
        "region": FENGQIAO,
        "sign_days": 1,
        "finish_days": 10,
    }
    return {**body, **overrides}


def put(api, path: str, body: dict):
    """PUT as the signed-in user of an API client (the test client's own put, with its token)."""
    return api.client.put(path, json=body, headers={"Authorization": f"Bearer {api.token}"})


def test_a_unit_serves_a_township_district_or_city_not_a_grid(api_as, make_user):
    admin = api_as(make_user("admin", CITY))
    refused = admin.post("/api/v1/units", json=new_unit(region=grid_in(FENGQIAO).code))
    assert refused.status_code == 422
    assert refused.json["errors"]["region"] == ["A unit serves a township, district or city, not a grid."]


def dispatch_wage_case(make_user, unit_code: str) -> CaseAssignment:
    """A wage-arrears case of 枫桥镇 dispatched by the township centre to `unit_code`."""
    worker = make_user("grid_worker", grid_in(FENGQIAO).code)
    centre = make_user("township_coordinator", FENGQIAO)
    body = case_payload(
        worker.scope_code, kind="dispute", category="D1001", title="拖欠工资", severity="significant"
    )
    case = create_case(worker, body).case
    perform_action(
        centre, case.id, "dispatch", case.version, {"lead_unit": unit_code, "requirement": "核实欠薪"}
    )
    return db.session.scalars(sa.select(CaseAssignment).where(CaseAssignment.case_id == case.id)).one()


# --- the API ----------------------------------------------------------------------------------


def test_an_admin_creates_a_unit_with_categories_changes_it_and_every_change_is_audited(api_as, make_user):
    me = make_user("admin", CITY)
    admin = api_as(me)
    created = admin.post(
        "/api/v1/units",
        json=new_unit(
            categories=[{"category": "D1001", "sign_days": 2, "finish_days": 5}, {"category": "D01"}]
        ),
    )
    assert created.status_code == 201, created.json
    assert created.headers["Location"].endswith(f"/api/v1/units/{NEW}")
    body = created.json
    assert (body["level"], body["region"], body["city"], body["active"]) == ("township", FENGQIAO, CITY, True)
    handled = {c["category"]: c for c in body["categories"]}
    assert handled["D1001"] == {"category": "D1001", "default": False, "sign_days": 2, "finish_days": 5}
    assert "D0102" in handled and "D01" not in handled  # a parent stands for its leaves, as in the import

    changed = admin.patch(f"/api/v1/units/{NEW}", json={"name": "枫桥镇劳动保障所", "finish_days": 12})
    assert changed.status_code == 200, changed.json
    assert (changed.json["name"], changed.json["sign_days"], changed.json["finish_days"]) == (
        "枫桥镇劳动保障所",
        1,
        12,
    )
    assert admin.get(f"/api/v1/units/{NEW}").json["finish_days"] == 12

    entries = audit_of(NEW)
    assert [e.action for e in entries] == ["unit_created", "unit_changed"]
    assert all(e.actor_id == me.id and e.city_code == CITY for e in entries)
    assert entries[0].details["region"] == FENGQIAO
    assert entries[1].details == {
        "before": {"name": "枫桥镇劳动保障站", "finish_days": 10},
        "after": {"name": "枫桥镇劳动保障所", "finish_days": 12},
    }


def test_the_list_filters_by_level_region_category_and_active(api_as, make_user):
    admin = api_as(make_user("admin", CITY))
    every = admin.get("/api/v1/units").json
    assert every[0]["level"] == "city" and {u["level"] for u in every} == {"city", "township"}
    townships = admin.get("/api/v1/units?level=township").json
    assert townships and {u["level"] for u in townships} == {"township"}
    fengqiao = {u["code"] for u in admin.get(f"/api/v1/units?region={FENGQIAO}").json}
    assert {RLSBS, SFS, SLZ} <= fengqiao and all(code.startswith(FENGQIAO) for code in fengqiao)
    wages = {u["code"] for u in admin.get(f"/api/v1/units?region={FENGQIAO}&category=D1001").json}
    assert RLSBS in wages and SLZ not in wages
    assert admin.patch(f"/api/v1/units/{SLZ}", json={"active": False}).status_code == 200
    assert [u["code"] for u in admin.get(f"/api/v1/units?region={FENGQIAO}&active=false").json] == [SLZ]
    assert admin.get("/api/v1/units?level=grid").status_code == 422


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/api/v1/units", new_unit(sign_days=0), "sign_days"),
        ("post", "/api/v1/units", new_unit(finish_days=367), "finish_days"),
        ("post", "/api/v1/units", new_unit(sign_days=11, finish_days=10), "sign_days"),
        ("post", "/api/v1/units", new_unit(code="枫桥"), "code"),
        ("post", "/api/v1/units", new_unit(credit_code="12330681MB0000000X"), "credit_code"),
        ("post", "/api/v1/units", new_unit(region="330681999000"), "region"),
        ("patch", f"/api/v1/units/{RLSBS}", {"finish_days": 400}, "finish_days"),
        ("patch", f"/api/v1/units/{RLSBS}", {"sign_days": 30, "finish_days": 20}, "sign_days"),
        ("patch", f"/api/v1/units/{RLSBS}", {"sign_days": 2.5}, "sign_days"),
        (
            "put",
            f"/api/v1/units/{RLSBS}/categories",
            {"categories": [{"category": "D1001", "sign_days": 0}]},
            "categories",
        ),
        ("put", f"/api/v1/units/{RLSBS}/categories", {"categories": [{"category": "NOPE"}]}, "categories"),
    ],
)
def test_out_of_range_or_malformed_fields_are_refused_with_the_field_named(
    api_as, make_user, method, path, body, field
):
    admin = api_as(make_user("admin", CITY))
    before = db.session.get(Unit, RLSBS)
    limits = (before.sign_days, before.finish_days)
    refused = put(admin, path, body) if method == "put" else getattr(admin, method)(path, json=body)
    assert refused.status_code == 422, refused.json
    assert field in refused.json["errors"], refused.json
    db.session.expire_all()
    assert db.session.get(Unit, NEW) is None
    assert (db.session.get(Unit, RLSBS).sign_days, db.session.get(Unit, RLSBS).finish_days) == limits


def test_a_category_limit_longer_than_the_units_is_named_by_its_category(api_as, make_user):
    admin = api_as(make_user("admin", CITY))
    unit = db.session.get(Unit, RLSBS)
    too_long = {"categories": [{"category": "D1001", "sign_days": unit.finish_days + 1}]}
    refused = put(admin, f"/api/v1/units/{RLSBS}/categories", too_long)
    assert refused.status_code == 422
    assert "sign_days" in refused.json["errors"]["categories"]["D1001"]


def test_making_a_unit_the_default_moves_the_flag_from_the_unit_that_had_it(api_as, make_user):
    admin = api_as(make_user("admin", CITY))
    assert default_unit(FENGQIAO, "D1001") == RLSBS
    sfs = db.session.get(Unit, SFS)
    kept = [{"category": h.category_code, "default": h.is_default} for h in sfs.handles]
    moved = put(
        admin,
        f"/api/v1/units/{SFS}/categories",
        {"categories": [*kept, {"category": "D1001", "default": True, "finish_days": 20}]},
    )
    assert moved.status_code == 200, moved.json
    assert {"category": "D1001", "default": True, "sign_days": None, "finish_days": 20} in moved.json[
        "categories"
    ]
    assert default_unit(FENGQIAO, "D1001") == SFS
    old = {c["category"]: c for c in admin.get(f"/api/v1/units/{RLSBS}").json["categories"]}
    assert old["D1001"]["default"] is False  # still handles it, no longer proposed
    assert default_unit(JIYANG, "D1001") == f"{JIYANG}-rlsbs"  # another township's is untouched

    (lost,) = [e for e in audit_of(RLSBS) if e.action == "unit_changed"]
    assert lost.details == {"default_moved_to": SFS, "categories": ["D1001"]}
    (gained,) = [e for e in audit_of(SFS) if e.action == "unit_changed"]
    assert gained.details["defaults_taken_from"] == {"D1001": RLSBS}


def test_a_unit_with_an_open_assignment_is_not_deactivated(api_as, make_user):
    admin = api_as(make_user("admin", CITY))
    assignment = dispatch_wage_case(make_user, RLSBS)
    assert assignment.status == "pending"
    db.session.commit()  # a refused request rolls back what is not committed (the test's savepoint)

    refused = admin.patch(f"/api/v1/units/{RLSBS}", json={"active": False})
    assert refused.status_code == 422
    assert "open assignment" in refused.json["message"] and "active" in refused.json["errors"]
    db.session.expire_all()
    assert db.session.get(Unit, RLSBS).active is True

    # Once the assignment is no longer open, the unit is deactivated.
    assignment.status = "withdrawn"
    assignment.withdrawn_at = utcnow()
    db.session.flush()
    deactivated = admin.patch(f"/api/v1/units/{RLSBS}", json={"active": False})
    assert deactivated.status_code == 200 and deactivated.json["active"] is False
    assert [e.details for e in audit_of(RLSBS) if e.action == "unit_changed"] == [
        {"before": {"active": True}, "after": {"active": False}}
    ]


@pytest.mark.parametrize(
    ("role", "scope"), [("city_commander", CITY), ("auditor", CITY), ("township_coordinator", FENGQIAO)]
)
def test_only_admins_manage_units(api_as, make_user, role, scope):
    other = api_as(make_user(role, scope))
    assert other.get("/api/v1/units").status_code == 403
    assert other.get(f"/api/v1/units/{RLSBS}").status_code == 403
    assert other.post("/api/v1/units", json=new_unit()).status_code == 403
    assert other.patch(f"/api/v1/units/{RLSBS}", json={"active": False}).status_code == 403
    assert put(other, f"/api/v1/units/{RLSBS}/categories", {"categories": []}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Unit, NEW) is None and db.session.get(Unit, RLSBS).active
    assert len(db.session.get(Unit, RLSBS).handles) > 0


def test_an_admin_of_another_city_finds_none_of_this_citys_units(api_as, make_user):
    add_other_city()
    outsider = api_as(make_user("admin", OTHER_CITY))
    assert outsider.get("/api/v1/units").json == []
    assert outsider.get(f"/api/v1/units/{RLSBS}").status_code == 404
    assert outsider.patch(f"/api/v1/units/{RLSBS}", json={"name": "改名"}).status_code == 404
    assert put(outsider, f"/api/v1/units/{RLSBS}/categories", {"categories": []}).status_code == 404
    # Nor does it create a unit serving this city.
    refused = outsider.post("/api/v1/units", json=new_unit())
    assert refused.status_code == 422 and "region" in refused.json["errors"]
    db.session.expire_all()
    assert db.session.get(Unit, RLSBS).name != "改名" and db.session.get(Unit, RLSBS).handles
    assert audit_of(RLSBS) == []


def test_a_taken_code_is_a_conflict(api_as, make_user):
    admin = api_as(make_user("admin", CITY))
    taken = admin.post("/api/v1/units", json=new_unit(code=RLSBS))
    assert taken.status_code == 409 and "code" in taken.json["errors"]


# --- the pages --------------------------------------------------------------------------------


@pytest.fixture
def admin_page(app, make_user):
    """An administrator of the demo city with an authenticator, signed in to the pages, which
    speak English to them."""
    user = make_user("admin", CITY, display_name="市系统管理员")
    secret = pyotp.random_base32()
    user.totp_secret_encrypted = cipher().encrypt(secret, "totp")
    user.totp_confirmed_at = utcnow()
    db.session.flush()
    client = app.test_client()
    assert sign_in(client, user.username).status_code == 302
    token = csrf_from(client.get("/login/second-factor").data)
    landed = client.post("/login/second-factor", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
    assert landed.status_code == 302
    assert 'lang="en"' in client.get("/admin/units?lang=en").get_data(as_text=True)  # pages in English
    db.session.commit()  # a refused form rolls back what is not committed (the test's savepoint)
    return client


def post_form(client, path: str, data: dict, page: str):
    """Post a page form with the CSRF token of the page it is on."""
    token = csrf_from(client.get(page).data)
    return client.post(path, data={**data, "csrf_token": token})


def error_next_to(html: str, form: str, field: str) -> str:
    """The error shown right after a field's input (which is marked invalid), or ''."""
    match = re.search(
        rf'name="{field}"[^>]*aria-invalid="true" aria-describedby="{form}-{field}-error">\s*</label>'
        rf'<p class="field-error" role="alert" id="{form}-{field}-error">([^<]*)</p>',
        html,
    )
    return match.group(1) if match else ""


def unit_rows(html: str) -> list[str]:
    return re.findall(r'<td class="mono small"><a href="/admin/units/[^"]+">([^<]+)</a></td>', html)


def test_the_units_page_lists_the_citys_units_by_level_and_region_from_the_admin_menu(admin_page):
    users_page = admin_page.get("/admin/users").get_data(as_text=True)
    assert 'href="/admin/units"' in users_page  # in the admin's navigation

    every = unit_rows(admin_page.get("/admin/units").get_data(as_text=True))
    assert f"{CITY}-ldbzjc" in every and RLSBS in every and every[0].startswith(CITY)
    townships = unit_rows(admin_page.get("/admin/units?level=township").get_data(as_text=True))
    assert RLSBS in townships and f"{CITY}-ldbzjc" not in townships
    fengqiao = unit_rows(admin_page.get(f"/admin/units?region={FENGQIAO}").get_data(as_text=True))
    assert RLSBS in fengqiao and f"{JIYANG}-rlsbs" not in fengqiao
    bad = admin_page.get("/admin/units?level=grid")
    assert bad.status_code == 200 and "Must be one of" in bad.get_data(as_text=True)


def test_a_new_unit_is_made_on_its_page_and_a_refused_one_says_why_next_to_the_field(admin_page):
    refused = post_form(
        admin_page,
        "/admin/units/new",
        {**new_unit(sign_days="0", name_en=""), "finish_days": "10"},
        "/admin/units/new",
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert error_next_to(html, "create", "sign_days") == "A whole number of working days from 1 to 366."
    assert NEW in html  # what was typed is kept
    assert db.session.get(Unit, NEW) is None

    created = post_form(admin_page, "/admin/units/new", {**new_unit(), "sign_days": "2"}, "/admin/units/new")
    assert created.status_code == 302 and created.headers["Location"] == f"/admin/units/{NEW}"
    page = admin_page.get(f"/admin/units/{NEW}").get_data(as_text=True)
    assert "枫桥镇劳动保障站" in page and f"Unit {NEW} created" in page
    assert (db.session.get(Unit, NEW).sign_days, db.session.get(Unit, NEW).level) == (2, "township")
    assert [e.action for e in audit_of(NEW)] == ["unit_created"]

    taken = post_form(admin_page, "/admin/units/new", new_unit(code=RLSBS), "/admin/units/new")
    assert taken.status_code == 409
    assert error_next_to(taken.get_data(as_text=True), "create", "code") == "This unit code is taken."


def test_the_unit_page_changes_details_and_refuses_limits_out_of_order(admin_page):
    page = f"/admin/units/{SFS}"
    fields = {
        "form": "details",
        "name": "枫桥镇司法所（调解）",
        "name_en": "",
        "kind": "station",
        "credit_code": "",
    }
    refused = post_form(admin_page, page, {**fields, "sign_days": "9", "finish_days": "3"}, page)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert error_next_to(html, "details", "sign_days") == "Signing cannot take longer than finishing."
    assert db.session.get(Unit, SFS).name == "枫桥镇司法所"

    saved = post_form(admin_page, page, {**fields, "sign_days": "2", "finish_days": "20"}, page)
    assert saved.status_code == 302
    db.session.expire_all()
    unit = db.session.get(Unit, SFS)
    assert (unit.name, unit.name_en, unit.sign_days, unit.finish_days) == (
        "枫桥镇司法所（调解）",
        None,
        2,
        20,
    )
    assert "Changes saved." in admin_page.get(page).get_data(as_text=True)
    assert [e.action for e in audit_of(SFS)] == ["unit_changed"]


def test_deactivating_on_the_page_is_refused_while_the_unit_holds_an_open_assignment(admin_page, make_user):
    dispatch_wage_case(make_user, RLSBS)
    db.session.commit()
    page = f"/admin/units/{RLSBS}"
    refused = post_form(admin_page, page, {"form": "active", "active": "false"}, page)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "still holds open assignments and cannot be deactivated" in html
    assert "Traceback" not in html
    db.session.expire_all()
    assert db.session.get(Unit, RLSBS).active is True

    done = post_form(
        admin_page, f"/admin/units/{SLZ}", {"form": "active", "active": "false"}, f"/admin/units/{SLZ}"
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Unit, SLZ).active is False
    assert "Unit deactivated." in admin_page.get(f"/admin/units/{SLZ}").get_data(as_text=True)


def test_the_categories_form_moves_the_default_and_names_a_bad_limit_by_its_row(admin_page):
    page = f"/admin/units/{SFS}"
    sfs = db.session.get(Unit, SFS)
    ticked = [h.category_code for h in sfs.handles]
    defaults = [h.category_code for h in sfs.handles if h.is_default]
    form = {"handles": [*ticked, "D1001"], "default": [*defaults, "D1001"], "finish_days-D1001": "15"}

    refused = post_form(admin_page, f"{page}/categories", {**form, "sign_days-D1001": "400"}, page)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'id="categories-D1001-error">A whole number of working days from 1 to 366.' in html
    assert default_unit(FENGQIAO, "D1001") == RLSBS

    saved = post_form(admin_page, f"{page}/categories", form, page)
    assert saved.status_code == 302
    db.session.expire_all()
    assert default_unit(FENGQIAO, "D1001") == SFS
    handled = db.session.get(UnitCategory, (SFS, "D1001"))
    assert (handled.is_default, handled.sign_days, handled.finish_days) == (True, None, 15)
    assert db.session.get(UnitCategory, (RLSBS, "D1001")).is_default is False
    assert [c.category_code for c in db.session.get(Unit, SFS).handles] == sorted([*ticked, "D1001"])
    assert [e.details.get("default_moved_to") for e in audit_of(RLSBS)] == [SFS]


def test_the_unit_pages_are_for_admins_of_the_city_and_forms_carry_the_csrf_token(app, admin_page, make_user):
    add_other_city()
    outsider = make_user("admin", OTHER_CITY)
    secret = pyotp.random_base32()
    outsider.totp_secret_encrypted = cipher().encrypt(secret, "totp")
    outsider.totp_confirmed_at = utcnow()
    commander = make_user("city_commander", CITY)
    db.session.commit()

    other = app.test_client()
    sign_in(other, outsider.username)
    token = csrf_from(other.get("/login/second-factor").data)
    other.post("/login/second-factor", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
    assert other.get(f"/admin/units/{RLSBS}").status_code == 404
    assert unit_rows(other.get("/admin/units").get_data(as_text=True)) == []
    token = csrf_from(other.get("/admin/units/new").data)
    refused = other.post(
        f"/admin/units/{RLSBS}", data={"form": "active", "active": "false", "csrf_token": token}
    )
    assert refused.status_code == 404

    not_admin = app.test_client()
    sign_in(not_admin, commander.username)
    assert not_admin.get("/admin/units").status_code == 302  # sent to their own pages

    no_token = admin_page.post(f"/admin/units/{SLZ}", data={"form": "active", "active": "false"})
    assert no_token.status_code == 400
    db.session.expire_all()
    assert db.session.get(Unit, RLSBS).active and db.session.get(Unit, SLZ).active
