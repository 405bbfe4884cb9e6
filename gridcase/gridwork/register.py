"""The people and places of a grid (人房事物): its houses, the residents living in them and its
units and places, kept as the grid worker knows them, imported from and exported to the XLSX
template the offices fill in, one grid at a time.

The import checks every row of every sheet and reports each problem with its sheet and row
number; with any problem nothing is written (all or nothing). Otherwise houses are matched by
their number in the grid (房屋编号), residents by their ID number (or, without one, by their name
in the same house), places by their name in the grid — each inserted or updated in place; what
the file does not name is left as it is. A resident's name, ID number and phone, and a place's
person in charge and phone, are encrypted like a case's parties and shown masked; the export
names them in full, so it is a reveal with a reason, audited.

Who: the grid's own workers and the centres over the grid.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from geoalchemy2.shape import to_shape

from gridcase.audit.log import AuditAction, record
from gridcase.cases.parties import encrypted_person, in_clear, reveal_reason
from gridcase.errors import ImportRejected, NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.geo import SRID
from gridcase.gridwork.domain import HouseKind, PlaceKind, Residence, ResidentTag
from gridcase.gridwork.models import House, Place, Resident
from gridcase.gridwork.places import placed
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.people.privacy import (
    id_number_problem,
    mask_name,
    mask_phone,
    normalised_id_number,
)
from gridcase.people.privacy import phone_problem as phone_number_problem
from gridcase.people.roles import HANDLER_ROLES, Role
from gridcase.people.scope import covers_region
from gridcase.settings import cipher
from gridcase.stats.spreadsheets import xlsx_workbook
from gridcase.territory.levels import RegionLevel
from gridcase.territory.models import Region

HOUSES, RESIDENTS, PLACES = "房屋", "居民", "场所"
HEADERS = {
    HOUSES: ["房屋编号", "地址", "房屋类型", "经度", "纬度", "备注"],
    RESIDENTS: ["房屋编号", "姓名", "身份证号", "联系电话", "与户主关系", "人员类型", "人员标签"],
    PLACES: ["名称", "场所类型", "地址", "经度", "纬度", "负责人", "联系电话"],
}
# The words of the template (Chinese, as the offices write them) for each value; the codes are
# taken too.
HOUSE_KINDS = {
    "自建房": HouseKind.SELF_BUILT,
    "住宅楼": HouseKind.APARTMENT,
    "商住楼": HouseKind.MIXED,
    "其他": HouseKind.OTHER,
}
RESIDENCES = {"户籍": Residence.REGISTERED, "流动": Residence.FLOATING}
TAGS = {
    "独居老人": ResidentTag.ELDERLY_ALONE,
    "留守儿童": ResidentTag.LEFT_BEHIND_CHILD,
    "残疾人": ResidentTag.DISABLED,
    "低保户": ResidentTag.SUBSISTENCE,
    "特困人员": ResidentTag.EXTREME_POVERTY,
    "退役军人": ResidentTag.VETERAN,
    "重点人员": ResidentTag.KEY_PERSON,
}
PLACE_KINDS = {
    "商铺": PlaceKind.SHOP,
    "九小场所": PlaceKind.NINE_SMALL,
    "学校": PlaceKind.SCHOOL,
    "出租房": PlaceKind.RENTAL,
    "企业": PlaceKind.ENTERPRISE,
    "医疗机构": PlaceKind.CLINIC,
    "其他": PlaceKind.OTHER,
}
MAX_ROWS = 5000  # per sheet: a grid holds a few hundred households
_LIST = re.compile(r"[、,，;；\s]+")


@dataclass
class RegisterImport:
    created: dict[str, int] = field(default_factory=lambda: {HOUSES: 0, RESIDENTS: 0, PLACES: 0})
    updated: dict[str, int] = field(default_factory=lambda: {HOUSES: 0, RESIDENTS: 0, PLACES: 0})


def register_grid(user: User, grid_code: str) -> Region:
    """The grid, when the user works in it or is a centre over it.

    Raises:
        NotFound: no such grid in the user's scope.
    """
    grid = db.session.get(Region, grid_code)
    if grid is None or grid.level != RegionLevel.GRID.value:
        raise NotFound(Message("No grid %(grid_code)s in your scope.", grid_code=str(grid_code)))
    if user.role == Role.GRID_WORKER and grid.code in {g.code for g in user.grids}:
        return grid
    if user.role in HANDLER_ROLES and covers_region(user, grid):
        return grid
    raise NotFound(Message("No grid %(grid_code)s in your scope.", grid_code=str(grid_code)))


def template() -> io.BufferedIOBase:
    """The empty workbook to fill in: a sheet per kind, and the words each column takes."""
    words = [
        ["房屋类型", "、".join(HOUSE_KINDS)],
        ["人员类型", "、".join(RESIDENCES) + "（空着为户籍）"],
        ["人员标签", "、".join(TAGS) + "（可填多个，用“、”分隔）"],
        ["场所类型", "、".join(PLACE_KINDS)],
        ["经度、纬度", "WGS84（手机定位的坐标），可空着"],
    ]
    return xlsx_workbook(
        [*((sheet, header, []) for sheet, header in HEADERS.items()), ("填写说明", ["列", "可填"], words)]
    )


def import_register(user: User, grid_code: str, raw: bytes, now: datetime) -> RegisterImport:
    """Import a filled-in template for one grid, all or nothing.

    Raises:
        NotFound: no such grid in the user's scope.
        ImportRejected: every problem of the file, by sheet and row; nothing was written.
    """
    grid = register_grid(user, grid_code)
    sheets = _read(raw)
    problems: list[str] = []
    houses = _houses(sheets.get(HOUSES, []), grid, problems)
    known_refs = set(db.session.scalars(sa.select(House.ref).where(House.grid_code == grid.code))) | set(
        houses
    )
    residents = _residents(sheets.get(RESIDENTS, []), known_refs, problems)
    places = _places(sheets.get(PLACES, []), grid, problems)
    if problems:
        raise ImportRejected(
            Message("The register was not imported: correct these rows and send it again."), problems
        )
    return _write(grid, houses, residents, places, now)


def export_register(user: User, grid_code: str, reason: str, now: datetime) -> io.BufferedIOBase:
    """The grid's register in full (the template's sheets), for a reason written to the audit log.

    Raises:
        NotFound: no such grid in the user's scope.
        Unprocessable: no reason, or too short a one.
    """
    grid = register_grid(user, grid_code)
    reason = reveal_reason(reason, Message("Say why you need the register in full (at least a few words)."))
    record(AuditAction.REVEAL, actor=user, target=f"grid {grid.code} register", details={"reason": reason})
    box = cipher()

    def clear(value, field_name):
        return box.decrypt(value, field_name) if value else ""

    houses = db.session.scalars(
        sa.select(House).where(House.grid_code == grid.code).order_by(House.ref)
    ).all()
    kind_words = {kind: word for word, kind in HOUSE_KINDS.items()}
    house_rows = [
        [h.ref, h.address, kind_words[HouseKind(h.kind)], *_lon_lat(h.location), h.note] for h in houses
    ]
    residence_words = {value: word for word, value in RESIDENCES.items()}
    tag_words = {value: word for word, value in TAGS.items()}
    resident_rows = [
        [
            house.ref,
            clear(r.name_encrypted, "name"),
            clear(r.id_number_encrypted, "id_number"),
            clear(r.phone_encrypted, "phone"),
            r.relation,
            residence_words[Residence(r.residence)],
            "、".join(tag_words[ResidentTag(t)] for t in r.tags),
        ]
        for house in houses
        for r in house.residents
    ]
    place_words = {kind: word for word, kind in PLACE_KINDS.items()}
    places = db.session.scalars(
        sa.select(Place).where(Place.grid_code == grid.code).order_by(Place.name)
    ).all()
    place_rows = [
        [
            p.name,
            place_words[PlaceKind(p.kind)],
            p.address,
            *_lon_lat(p.location),
            clear(p.contact_encrypted, "name"),
            clear(p.contact_phone_encrypted, "phone"),
        ]
        for p in places
    ]
    rows = {HOUSES: house_rows, RESIDENTS: resident_rows, PLACES: place_rows}
    return xlsx_workbook([(sheet, header, rows[sheet]) for sheet, header in HEADERS.items()])


def looks_like_id_number(text: str) -> bool:
    return bool(text) and id_number_problem(text.strip()) is None


def find_households(user: User, grid_code: str, query: str = "") -> list[House]:
    """The grid's houses with their residents, the ones matching `query` (an address or house
    number in part, or a resident's ID number in full) — for the worker looking a household up."""
    grid = register_grid(user, grid_code)
    statement = sa.select(House).where(House.grid_code == grid.code)
    query = (query or "").strip()
    if looks_like_id_number(query):
        digest = cipher().lookup_hash(normalised_id_number(query))
        statement = statement.where(
            House.id.in_(sa.select(Resident.house_id).where(Resident.id_number_hash == digest))
        )
    elif query:
        pattern = f"%{query.replace('%', '').replace('_', '')}%"
        statement = statement.where(sa.or_(House.address.ilike(pattern), House.ref.ilike(pattern)))
    return list(db.session.scalars(statement.order_by(House.ref).limit(200)))


def grid_places(user: User, grid_code: str) -> list[Place]:
    grid = register_grid(user, grid_code)
    return list(db.session.scalars(sa.select(Place).where(Place.grid_code == grid.code).order_by(Place.name)))


def reveal_resident(user: User, resident_id: int, reason: str) -> dict:
    """A resident in clear, for someone who sees their grid and gives a reason (audited).

    Raises:
        NotFound: no such resident in a grid the user sees.
        Unprocessable: no reason, or too short a one.
    """
    resident = db.session.get(Resident, resident_id)
    if resident is None:
        raise NotFound(Message("No resident %(resident_id)s in your scope.", resident_id=str(resident_id)))
    register_grid(user, resident.grid_code)
    reason = reveal_reason(reason)
    record(AuditAction.REVEAL, actor=user, target=f"resident {resident.id}", details={"reason": reason})
    return in_clear(resident)


def set_outline(user: User, house_id: int, polygon: dict, now: datetime) -> House:
    """A house's outline (a GeoJSON Polygon in WGS84, e.g. traced by a GIS office): valid, with its
    centre inside the house's grid; the house's point becomes that centre when it has none.

    Raises:
        NotFound: no such house in a grid the user sees.
        Unprocessable: not a polygon, not a valid one, or its centre outside the grid.
    """
    house = db.session.get(House, house_id)
    if house is None:
        raise NotFound(Message("No house %(house_id)s in your scope.", house_id=str(house_id)))
    grid = register_grid(user, house.grid_code)
    problem = None
    if polygon.get("type") != "Polygon" or not polygon.get("coordinates"):
        problem = Message("Send a GeoJSON Polygon.")
    else:
        shape = sa.func.ST_SetSRID(sa.func.ST_GeomFromGeoJSON(json.dumps(polygon)), SRID)
        try:
            with db.session.begin_nested():
                valid, inside = db.session.execute(
                    sa.select(
                        sa.func.ST_IsValid(shape),
                        sa.func.ST_Covers(Region.boundary, sa.func.ST_PointOnSurface(shape)),
                    ).where(Region.code == grid.code)
                ).one()
        except sa.exc.DBAPIError:
            valid = inside = False
        if not valid:
            problem = Message("The polygon is not valid (its ring crosses itself or is not closed).")
        elif not inside:
            problem = Message("The outline lies outside the house's grid.")
    if problem:
        raise Unprocessable(problem, {"outline": [problem]})
    house.outline = shape
    if house.location is None:
        house.location = sa.func.ST_PointOnSurface(shape)
    house.updated_at = now
    db.session.flush()
    db.session.expire(house, ["outline", "location"])
    return house


# --- reading and checking ------------------------------------------------------------------


def _read(raw: bytes) -> dict[str, list[tuple[int, list]]]:
    """The sheets of the template: rows (row number, cells) under the expected header.

    Raises:
        ImportRejected: not an XLSX workbook, or a sheet whose header is not the template's.
    """
    from openpyxl import load_workbook  # half a second to import: only when a file comes

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is no workbook
        raise ImportRejected(
            Message("The file is not an XLSX workbook."),
            [Message("Use the template (GET /api/v1/register/template).")],
        ) from exc
    sheets, problems = {}, []
    for name, header in HEADERS.items():
        if name not in workbook.sheetnames:
            continue
        rows = workbook[name].iter_rows(values_only=True)
        first = [str(c).strip() if c is not None else "" for c in next(rows, [])]
        if first[: len(header)] != header:
            problems.append(
                Message("Sheet %(sheet)s: the first row must be the template's header.", sheet=name)
            )
            continue
        body = []
        for number, cells in enumerate(rows, start=2):
            cells = [c.strip() if isinstance(c, str) else c for c in list(cells)[: len(header)]]
            cells += [None] * (len(header) - len(cells))
            if any(c not in (None, "") for c in cells):
                body.append((number, cells))
        if len(body) > MAX_ROWS:
            problems.append(Message("Sheet %(sheet)s: at most %(n)s rows.", sheet=name, n=str(MAX_ROWS)))
        sheets[name] = body
    workbook.close()
    if not sheets and not problems:
        problems.append(Message("The workbook has none of the sheets 房屋, 居民, 场所."))
    if problems:
        raise ImportRejected(
            Message("The register was not imported: correct these rows and send it again."), problems
        )
    return sheets


def _problem(problems: list, sheet: str, row: int, column: str, what: str) -> None:
    problems.append(
        Message(
            "%(sheet)s, row %(row)s, %(column)s: %(what)s",
            sheet=sheet,
            row=str(row),
            column=column,
            what=what,
        )
    )


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed into a cell Excel kept as a float
    return str(value).strip()


def _point(row_cells: list, lon_index: int, grid: Region, sheet: str, row: int, problems: list):
    """(lon, lat) of a row, or None when both are blank; a point outside the grid is a problem."""
    lon, lat = row_cells[lon_index], row_cells[lon_index + 1]
    if lon in (None, "") and lat in (None, ""):
        return None
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        _problem(problems, sheet, row, "经度/纬度", "not a number")
        return None
    inside = db.session.scalar(
        sa.select(
            sa.func.ST_Covers(Region.boundary, sa.func.ST_SetSRID(sa.func.ST_MakePoint(lon, lat), SRID))
        ).where(Region.code == grid.code)
    )
    if not inside:
        _problem(problems, sheet, row, "经度/纬度", "the point lies outside the grid")
        return None
    return lon, lat


def _houses(rows, grid: Region, problems: list) -> dict[str, dict]:
    houses = {}
    for row, cells in rows:
        ref, address, kind = _text(cells[0]), _text(cells[1]), _text(cells[2])
        if not ref or len(ref) > 40:
            _problem(problems, HOUSES, row, "房屋编号", "required, up to 40 characters")
        elif ref in houses:
            _problem(problems, HOUSES, row, "房屋编号", f"{ref} appears twice")
        if not address:
            _problem(problems, HOUSES, row, "地址", "required")
        chosen = HOUSE_KINDS.get(kind) or (HouseKind(kind) if kind in HouseKind._value2member_map_ else None)
        if chosen is None:
            _problem(problems, HOUSES, row, "房屋类型", "one of " + "、".join(HOUSE_KINDS))
        point = _point(cells, 3, grid, HOUSES, row, problems)
        houses[ref] = {"address": address[:200], "kind": chosen, "point": point, "note": _text(cells[5])}
    return houses


def _residents(rows, known_refs: set[str], problems: list) -> list[dict]:
    residents, seen_ids = [], set()
    for row, cells in rows:
        ref, name, id_number, phone = (_text(c) for c in cells[:4])
        relation, residence, tags = _text(cells[4]), _text(cells[5]), _text(cells[6])
        if ref not in known_refs:
            _problem(
                problems, RESIDENTS, row, "房屋编号", f"no house {ref or '(blank)'} in the grid or the file"
            )
        if not name or len(name) > 50:
            _problem(problems, RESIDENTS, row, "姓名", "required, up to 50 characters")
        if id_number:
            if why := id_number_problem(id_number):
                _problem(problems, RESIDENTS, row, "身份证号", why)
            elif normalised_id_number(id_number) in seen_ids:
                _problem(problems, RESIDENTS, row, "身份证号", "the same ID number appears twice")
            seen_ids.add(normalised_id_number(id_number))
        if phone and (why := phone_number_problem(phone)):
            _problem(problems, RESIDENTS, row, "联系电话", why)
        chosen = RESIDENCES.get(residence or "户籍")
        if chosen is None:
            _problem(problems, RESIDENTS, row, "人员类型", "户籍 or 流动")
        words = [w for w in _LIST.split(tags) if w]
        unknown = [w for w in words if w not in TAGS]
        if unknown:
            _problem(problems, RESIDENTS, row, "人员标签", "unknown: " + "、".join(unknown))
        residents.append(
            {
                "ref": ref,
                "name": name,
                "id_number": normalised_id_number(id_number) if id_number else None,
                "phone": phone or None,
                "relation": relation[:20],
                "residence": chosen,
                "tags": sorted({TAGS[w].value for w in words if w in TAGS}),
            }
        )
    return residents


def _places(rows, grid: Region, problems: list) -> dict[str, dict]:
    places = {}
    for row, cells in rows:
        name, kind, address = _text(cells[0]), _text(cells[1]), _text(cells[2])
        contact, phone = _text(cells[5]), _text(cells[6])
        if not name or len(name) > 120:
            _problem(problems, PLACES, row, "名称", "required, up to 120 characters")
        elif name in places:
            _problem(problems, PLACES, row, "名称", f"{name} appears twice")
        chosen = PLACE_KINDS.get(kind) or (PlaceKind(kind) if kind in PlaceKind._value2member_map_ else None)
        if chosen is None:
            _problem(problems, PLACES, row, "场所类型", "one of " + "、".join(PLACE_KINDS))
        if phone and (why := phone_number_problem(phone)):
            _problem(problems, PLACES, row, "联系电话", why)
        point = _point(cells, 3, grid, PLACES, row, problems)
        places[name] = {
            "kind": chosen,
            "address": address[:200],
            "point": point,
            "contact": contact[:50],
            "phone": phone,
        }
    return places


# --- writing --------------------------------------------------------------------------------


def _geometry(point):
    return sa.func.ST_SetSRID(sa.func.ST_MakePoint(point[0], point[1]), SRID) if point else None


def _write(grid: Region, houses: dict, residents: list, places: dict, now: datetime) -> RegisterImport:
    report, box = RegisterImport(), cipher()
    existing = {h.ref: h for h in db.session.scalars(sa.select(House).where(House.grid_code == grid.code))}
    for ref, data in houses.items():
        house = existing.get(ref)
        if house is None:
            house = House(ref=ref, **placed(grid))
            db.session.add(house)
            existing[ref] = house
            report.created[HOUSES] += 1
        else:
            report.updated[HOUSES] += 1
        house.address, house.kind, house.note = data["address"], data["kind"].value, data["note"]
        house.location, house.updated_at = _geometry(data["point"]), now
    db.session.flush()
    for data in residents:
        house = existing[data["ref"]]
        person = encrypted_person(data)  # encrypted and masked as a case's parties are
        resident = _same_resident(grid, house, data["name"], person["id_number_hash"])
        if resident is None:
            resident = Resident(grid_code=grid.code)
            db.session.add(resident)
            report.created[RESIDENTS] += 1
        else:
            report.updated[RESIDENTS] += 1
        resident.house_id = house.id
        for column, value in person.items():
            setattr(resident, column, "" if value is None and column.endswith("_masked") else value)
        resident.relation, resident.residence, resident.tags = (
            data["relation"],
            data["residence"].value,
            data["tags"],
        )
        resident.updated_at = now
        db.session.flush()
    known = {p.name: p for p in db.session.scalars(sa.select(Place).where(Place.grid_code == grid.code))}
    for name, data in places.items():
        place = known.get(name)
        if place is None:
            place = Place(name=name, **placed(grid))
            db.session.add(place)
            report.created[PLACES] += 1
        else:
            report.updated[PLACES] += 1
        place.kind, place.address, place.location = (
            data["kind"].value,
            data["address"],
            _geometry(data["point"]),
        )
        place.contact_encrypted = box.encrypt(data["contact"], "name") if data["contact"] else None
        place.contact_masked = mask_name(data["contact"]) if data["contact"] else ""
        place.contact_phone_encrypted = box.encrypt(data["phone"], "phone") if data["phone"] else None
        place.contact_phone_masked = mask_phone(data["phone"]) if data["phone"] else ""
        place.updated_at = now
    db.session.flush()
    return report


def _same_resident(grid: Region, house: House, name: str, digest: str | None) -> Resident | None:
    """The resident a row names: by ID number in the grid; without one, by name in the house."""
    if digest:
        return db.session.scalar(
            sa.select(Resident).where(Resident.grid_code == grid.code, Resident.id_number_hash == digest)
        )
    box = cipher()
    for resident in db.session.scalars(sa.select(Resident).where(Resident.house_id == house.id)):
        if resident.id_number_hash is None and box.decrypt(resident.name_encrypted, "name") == name:
            return resident
    return None


def _lon_lat(location) -> list:
    if location is None:
        return ["", ""]
    point = to_shape(location)
    return [point.x, point.y]
