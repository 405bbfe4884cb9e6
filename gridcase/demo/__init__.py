"""The reference data every deployment needs, and the demo city with its demo logins.

`load_reference` loads the category catalogue and the holiday calendars shipped in geodata/.
`load_demo` adds the demo territory (诸暨市, see geodata/README.md) and one login per role.
Both are safe to run again: everything is inserted or updated in place, and existing demo users
are left as they are.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from gridcase.cases.catalogue import load_catalogue_file
from gridcase.extensions import db
from gridcase.ladder.clock import import_calendar_file
from gridcase.people.auth import create_user
from gridcase.people.models import User
from gridcase.people.roles import UNIT_ROLES
from gridcase.settings import cipher, utcnow
from gridcase.territory.importer import import_geodata, load_feature_collection
from gridcase.units.importer import import_units, load_units_file

GEODATA = Path(__file__).resolve().parents[2] / "geodata"
DEMO_CITY = GEODATA / "zhuji"
DEMO_PASSWORD = "gridcase-demo"

# Level order matters: each file's parents come from the one before it.
DEMO_FILES = (
    ("city", "city.geojson"),
    ("township", "townships.geojson"),
    ("community", "communities.geojson"),
    ("grid", "grids.geojson"),
)

# The demo's two-factor secrets (city commander and admin sign in with a second factor). Add
# them to an authenticator app, or print the current code: `flask --app wsgi gridcase demo-otp demo-city`.
DEMO_TOTP_SECRETS = {
    "demo-city": "GRIDCASEDEMOCITYGRIDCASEDEMOCITY",
    "demo-admin": "GRIDCASEDEMOADMNGRIDCASEDEMOADMN",
}

DEMO_CITY_CODE = "330681000000"  # 诸暨市
DEMO_TOWNSHIP_CODE = "330681109000"  # 枫桥镇 (its real 统计用区划代码; see geodata/README.md)


def load_reference() -> list[str]:
    """Load the catalogue and every calendar year in geodata/."""
    lines = [f"Catalogue: {load_catalogue_file(str(GEODATA / 'categories.json'))} categories."]
    for path in sorted((GEODATA / "calendar").glob("*.json")):
        lines.append(f"Calendar {path.stem}: {import_calendar_file(str(path))} exception days.")
    return lines


# The unit of the demo's unit logins: 枫桥镇's 人力社保所 (labour disputes, 拖欠劳动报酬 first).
DEMO_UNIT_CODE = f"{DEMO_TOWNSHIP_CODE}-rlsbs"


def demo_users() -> list[tuple[str, str, str, str]]:
    """(username, display name, role, scope: a territory code, or a unit's for a unit role) of
    the demo logins."""
    community, grid = _first_community_and_grid(DEMO_TOWNSHIP_CODE)
    return [
        ("demo-worker", "网格员 王小明", "grid_worker", grid),
        ("demo-community", "调解员 李淑芬", "community_mediator", community),
        ("demo-township", "枫桥镇综治中心 陈建国", "township_coordinator", DEMO_TOWNSHIP_CODE),
        ("demo-city", "市指挥中心 赵敏", "city_commander", DEMO_CITY_CODE),
        ("demo-admin", "系统管理员", "admin", DEMO_CITY_CODE),
        ("demo-auditor", "审计员", "auditor", DEMO_CITY_CODE),
        ("demo-unit", "枫桥镇人力社保所 周海燕", "unit_handler", DEMO_UNIT_CODE),
        ("demo-unit-head", "枫桥镇人力社保所所长 吴国强", "unit_head", DEMO_UNIT_CODE),
    ]


def _first_community_and_grid(township_code: str) -> tuple[str, str]:
    from gridcase.territory.models import Region

    grid = db.session.scalar(
        sa.select(Region)
        .where(Region.level == "grid", Region.township_code == township_code)
        .order_by(Region.code)
        .limit(1)
    )
    return grid.community_code, grid.code


def load_demo() -> list[str]:
    """Reference data, the demo territory and the demo logins; returns what it did, line by line."""
    lines = load_reference()
    for level, filename in DEMO_FILES:
        report = import_geodata(load_feature_collection(str(DEMO_CITY / filename)), level)
        lines.append(report.summary())
    lines.append(import_units(load_units_file(str(DEMO_CITY / "units.json"))).summary())
    for username, display_name, role, scope in demo_users():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            if role in UNIT_ROLES:
                user = create_user(username, DEMO_PASSWORD, role, None, display_name, unit_code=scope)
            else:
                user = create_user(username, DEMO_PASSWORD, role, scope, display_name)
            lines.append(f"Demo login {username} ({role} of {scope}).")
        if username in DEMO_TOTP_SECRETS and user.totp_confirmed_at is None:
            user.totp_secret_encrypted = cipher().encrypt(DEMO_TOTP_SECRETS[username], "totp")
            user.totp_confirmed_at = utcnow()
            lines.append(f"Demo login {username}: two-factor secret {DEMO_TOTP_SECRETS[username]}.")
    return lines
