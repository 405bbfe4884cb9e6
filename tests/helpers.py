"""Helpers for integration tests: places in the demo city and valid request bodies."""

import base64
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import pyotp
import sqlalchemy as sa
from geoalchemy2 import WKTElement

from gridcase.extensions import db
from gridcase.people.privacy import PersonalDataCipher
from gridcase.settings import cipher, utcnow
from gridcase.territory.models import Region

FENGQIAO = "330681109000"  # 枫桥镇
JIYANG = "330681001000"  # 暨阳街道
CITY = "330681000000"
SHANGHAI = ZoneInfo("Asia/Shanghai")  # the demo city's time zone


def in_december(day: int, hour: int = 10) -> datetime:
    """A local moment of December 2026, whose 7th is the Monday of an ordinary working week: the
    clock of the tests that count working days (units, verification, supervision, messages)."""
    return datetime(2026, 12, day, hour, tzinfo=SHANGHAI)


OTHER_CITY = "330682000000"  # a second city, made by add_other_city
OTHER_GRID = "330682001001001"


def grid_in(township_code: str, index: int = 0) -> Region:
    """The index-th grid (by code) of a township of the demo city."""
    return db.session.scalars(
        sa.select(Region)
        .where(Region.level == "grid", Region.township_code == township_code)
        .order_by(Region.code)
        .offset(index)
        .limit(1)
    ).one()


def point_in(region_code: str) -> tuple[float, float]:
    """A point inside a region (PostGIS's point on surface)."""
    row = db.session.execute(
        sa.select(
            sa.func.ST_X(sa.func.ST_PointOnSurface(Region.boundary)),
            sa.func.ST_Y(sa.func.ST_PointOnSurface(Region.boundary)),
        ).where(Region.code == region_code)
    ).one()
    return row[0], row[1]


def case_payload(grid_code: str, **overrides) -> dict:
    """A valid case body located inside `grid_code`."""
    lon, lat = point_in(grid_code)
    body = {
        "kind": "incident",
        "category": "E0102",
        "title": "路边暴露垃圾",
        "description": "桥头有一堆生活垃圾未清运",
        "location": {"lon": lon, "lat": lat, "crs": "wgs84", "accuracy_m": 6.5},
        "address": "枫桥镇桥头",
        "severity": "general",
        "people_involved": 0,
    }
    body.update(overrides)
    return body


_OWNER_ENGINES: dict[str, sa.Engine] = {}


def owner_engine(app) -> sa.Engine:
    """An engine of the role that owns the tables (MIGRATION_DATABASE_URL), for what the app's
    own role may not do: clean-ups of the event log, tampering as an attacker with the owner's
    rights would."""
    url = app.config.get("MIGRATION_DATABASE_URL") or app.config["SQLALCHEMY_DATABASE_URI"]
    if url not in _OWNER_ENGINES:
        _OWNER_ENGINES[url] = sa.create_engine(url, poolclass=sa.pool.NullPool)
    return _OWNER_ENGINES[url]


def delete_committed_cases(app, ids) -> None:
    """Remove cases a concurrency or browser test had to commit, with every row that points at
    them (found from the foreign keys, so new tables are covered). The event log refuses
    DELETE, so its trigger is bypassed for this clean-up only, as the tables' owner."""
    ids = [i for i in ids if i is not None]
    if not ids:
        return
    with owner_engine(app).begin() as connection:
        referencing = connection.execute(
            sa.text(
                """
                SELECT c.conrelid::regclass::text, a.attname
                FROM pg_constraint c
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                WHERE c.contype = 'f' AND c.confrelid = 'cases'::regclass AND c.conrelid <> 'cases'::regclass
                """
            )
        ).all()
        connection.execute(
            sa.text(
                "DELETE FROM alerts WHERE id IN (SELECT alert_id FROM alert_cases WHERE case_id = ANY(:ids))"
            ),
            {"ids": ids},
        )
        connection.execute(sa.text("ALTER TABLE case_events DISABLE TRIGGER case_events_no_change"))
        for table, column in referencing:
            connection.execute(sa.text(f'DELETE FROM {table} WHERE "{column}" = ANY(:ids)'), {"ids": ids})
        connection.execute(sa.text("ALTER TABLE case_events ENABLE TRIGGER case_events_no_change"))
        connection.execute(
            sa.text("UPDATE cases SET duplicate_of_id = NULL WHERE duplicate_of_id = ANY(:ids)"), {"ids": ids}
        )
        connection.execute(sa.text("DELETE FROM cases WHERE id = ANY(:ids)"), {"ids": ids})


def add_other_city() -> None:
    """A small second city (a square far from 诸暨) with one township, community and grid;
    flushed, never committed."""
    square = "MULTIPOLYGON(((121 30,121.01 30,121.01 30.01,121 30.01,121 30)))"
    codes = {"city": OTHER_CITY, "township": "330682001000", "community": "330682001001", "grid": OTHER_GRID}
    parent = None
    for level, code in codes.items():
        db.session.add(
            Region(
                code=code,
                name=f"邻市{level}",
                level=level,
                parent_code=parent,
                city_code=None if level == "city" else OTHER_CITY,
                township_code=codes["township"] if level in ("community", "grid") else None,
                community_code=codes["community"] if level == "grid" else None,
                boundary=WKTElement(square, srid=4326),
                area_m2=1_000_000,
                grid_kind="comprehensive" if level == "grid" else None,
            )
        )
        parent = code
        db.session.flush()


@contextmanager
def rotated_cipher(app, keep_old_key: bool = True) -> Iterator[PersonalDataCipher]:
    """The app encrypting under a new data key 2 for the block (with the old key 1 kept to
    decrypt, unless `keep_old_key` is False); the old cipher is put back afterwards."""
    old = cipher()
    keys = [(2, base64.b64encode(os.urandom(32)).decode())]
    if keep_old_key:
        keys.append((1, app.config["GRIDCASE_DATA_KEY"]))
    rotated = PersonalDataCipher(app.config["GRIDCASE_DATA_KEY"], app.config["GRIDCASE_LOOKUP_KEY"], keys)
    app.extensions["gridcase.cipher"] = rotated
    try:
        yield rotated
    finally:
        app.extensions["gridcase.cipher"] = old


def pdf_file(pages: int = 2) -> bytes:
    """A small real PDF (fpdf2) of `pages` pages: a scan as an office scanner would send it."""
    from fpdf import FPDF

    document = FPDF()
    document.set_font("helvetica", size=14)
    for page in range(pages):
        document.add_page()
        document.cell(text=f"Scanned page {page + 1}")
    return bytes(document.output())


def sign_in_with_second_factor(client, user) -> None:
    """Sign a city commander (or an administrator) in on the pages: their authenticator enrolled
    here, the password, then the code."""
    secret = pyotp.random_base32()
    user.totp_secret_encrypted = cipher().encrypt(secret, "totp")
    user.totp_confirmed_at = utcnow()
    db.session.flush()
    token = client.get("/login").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    client.post(
        "/login", data={"username": user.username, "password": "correct-horse-battery", "csrf_token": token}
    )
    step = client.get("/login/second-factor").get_data(as_text=True)
    if 'name="csrf_token"' in step:  # (a role that needs no second factor is signed in already)
        csrf = step.split('name="csrf_token" value="')[1].split('"')[0]
        client.post("/login/second-factor", data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf})
