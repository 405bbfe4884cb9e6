"""Patrols (巡查): a grid worker walks the grid with the phone; the phone samples the GPS (about
every 30 s, or every 20 m moved), keeps the track and the findings while there is no signal, and
sends the patrol once, when it ends and the signal allows. Here the patrol is stored with its
track, its length on the ground (PostGIS, on the spheroid) and the grids it passed through;
each finding can become a case in one tap, its place and words carried over.

Source: 数字城管 巡查 practice (GB/T 30428 信息采集: the 信息采集员 patrols a 责任网格 on a set
rhythm, reports what is found with its place), and the 网格员 巡查走访 duties of the
网格化服务管理 rules (日常巡查, 发现问题及时上报).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from geoalchemy2 import Geography
from geoalchemy2.shape import to_shape

from gridcase.cases.models import Category
from gridcase.errors import Forbidden, NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.geo import SRID
from gridcase.gridwork.field_cases import case_from_the_field, refuse_a_second_case
from gridcase.gridwork.models import Patrol, PatrolFinding, PatrolGrid
from gridcase.gridwork.places import placed, region_in_scope, serialise_sends, worker_grid_at, worker_records
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.people.roles import Role
from gridcase.territory.levels import RegionLevel
from gridcase.territory.models import Region

# A phone's clock may run a little ahead of ours.
CLOCK_SKEW = timedelta(minutes=10)
MAX_POINTS = 5000  # a working day sampled every 20 m or 30 s, with room to spare
MAX_FINDINGS = 50
MAX_DURATION = timedelta(hours=16)


def record_patrol(worker: User, body: dict, client_key: str, now: datetime) -> tuple[Patrol, bool]:
    """Store a patrol the phone sends, once: a second send with the same key answers the patrol
    already stored. Returns (patrol, created).

    `body`: started_at, ended_at, points [{lon, lat, at}], findings [{at, lon, lat, note,
    category}], note — as PatrolInSchema loads them.

    Raises:
        Forbidden: not a grid worker.
        Unprocessable: a period that is not one (ends before it starts, in the future, longer
            than a working day), points or findings outside it, a finding's category unknown.
    """
    if worker.role != Role.GRID_WORKER:
        raise Forbidden(Message("Only a grid worker records patrols."))
    # Two sends of one patrol racing each other (a retry on a flaky line) store it once: the
    # second waits here for the first, then finds it.
    serialise_sends(worker, "patrol", client_key)
    existing = db.session.scalar(
        sa.select(Patrol).where(Patrol.worker_id == worker.id, Patrol.client_key == client_key)
    )
    if existing is not None:
        return existing, False
    started, ended = body["started_at"], body["ended_at"]
    points = sorted(body["points"], key=lambda p: p["at"])
    _check_period(started, ended, points, body["findings"], now)
    track = _track_wkt(points, started)
    home = worker_grid_at(worker, points[0]["lon"], points[0]["lat"]) if points else worker_grid_at(worker)
    patrol = Patrol(
        worker_id=worker.id,
        client_key=client_key,
        started_at=started,
        ended_at=ended,
        received_at=now,
        track=sa.func.ST_GeomFromText(track, SRID) if track else None,
        point_count=len(points),
        distance_m=_length_m(track),
        note=body.get("note", "").strip(),
        **placed(home),
    )
    db.session.add(patrol)
    db.session.flush()
    for code in _grids_covered(track, points):
        db.session.add(PatrolGrid(patrol_id=patrol.id, grid_code=code))
    for finding in body["findings"]:
        db.session.add(
            PatrolFinding(
                patrol_id=patrol.id,
                found_at=finding["at"],
                location=sa.func.ST_SetSRID(sa.func.ST_MakePoint(finding["lon"], finding["lat"]), SRID),
                note=finding["note"].strip(),
                category_code=finding.get("category"),
            )
        )
    db.session.flush()
    db.session.expire(patrol)
    return patrol, True


def visible_patrols(user: User) -> sa.ColumnElement[bool]:
    """A grid worker's own patrols; for the centres, the patrols placed in their scope."""
    return worker_records(user, Patrol)


def find_patrol(user: User, patrol_id: int) -> Patrol:
    """
    Raises:
        NotFound: no such patrol, or not the user's to see.
    """
    patrol = db.session.scalar(sa.select(Patrol).where(Patrol.id == patrol_id, visible_patrols(user)))
    if patrol is None:
        raise NotFound(Message("No patrol %(patrol_id)s in your scope.", patrol_id=str(patrol_id)))
    return patrol


def track_points(patrol: Patrol) -> list[tuple[float, float, float]]:
    """(lon, lat, seconds since the start) of each sample of the track."""
    if patrol.track is None:
        return []
    return [tuple(c) for c in to_shape(patrol.track).coords]


def finding_to_case(user: User, finding_id: int, category: str | None, title: str, now: datetime):
    """The case a finding becomes: logged by the worker who found it, at the place it was found,
    with its words as the description; the finding keeps the case. Once.

    Raises:
        NotFound: no such finding of the user's patrols.
        Unprocessable: already a case, or no category (neither chosen now nor at finding).
        (and whatever intake refuses: a place outside the worker's grids, …)
    """
    finding = db.session.scalar(
        sa.select(PatrolFinding)
        .join(Patrol, Patrol.id == PatrolFinding.patrol_id)
        .where(PatrolFinding.id == finding_id, Patrol.worker_id == user.id)
        .with_for_update(of=PatrolFinding)
    )
    if finding is None:
        raise NotFound(Message("No finding %(finding_id)s of your patrols.", finding_id=str(finding_id)))
    refuse_a_second_case(finding.case_id)
    point = to_shape(finding.location)
    case = case_from_the_field(
        user, category or finding.category_code, title, finding.note, point, finding.found_at, now
    )
    finding.case_id = case.id
    return case


def coverage(user: User, since: datetime) -> tuple[int, int]:
    """(grids patrolled since `since`, grids) in the user's scope: the 巡查覆盖率."""
    grids = sa.select(Region.code).where(Region.level == RegionLevel.GRID.value, region_in_scope(user))
    patrolled = (
        sa.select(sa.func.count(sa.distinct(PatrolGrid.grid_code)))
        .join(Patrol, Patrol.id == PatrolGrid.patrol_id)
        .where(Patrol.started_at >= since, PatrolGrid.grid_code.in_(grids))
    )
    total = sa.select(sa.func.count()).select_from(grids.subquery())
    return db.session.scalar(patrolled), db.session.scalar(total)


def unpatrolled_grids(user: User, since: datetime, limit: int) -> list[str]:
    """Names of the grids in the user's scope no patrol crossed since `since` (up to `limit`)."""
    walked = (
        sa.select(PatrolGrid.grid_code)
        .join(Patrol, Patrol.id == PatrolGrid.patrol_id)
        .where(Patrol.started_at >= since)
    )
    return list(
        db.session.scalars(
            sa.select(Region.name)
            .where(Region.level == RegionLevel.GRID.value, region_in_scope(user), Region.code.not_in(walked))
            .order_by(Region.code)
            .limit(limit)
        )
    )


# --- helpers ---------------------------------------------------------------------------------


def _check_period(started: datetime, ended: datetime, points: list, findings: list, now: datetime) -> None:
    problems = {}
    if ended < started:
        problems["ended_at"] = [Message("A patrol ends after it starts.")]
    elif ended - started > MAX_DURATION:
        problems["ended_at"] = [Message("A patrol lasts at most 16 hours.")]
    if ended > now + CLOCK_SKEW:
        problems["ended_at"] = [Message("A patrol cannot end in the future.")]
    if len(points) > MAX_POINTS:
        problems["points"] = [Message("At most %(n)s points.", n=str(MAX_POINTS))]
    outside = [i for i, p in enumerate(points) if not started - CLOCK_SKEW <= p["at"] <= ended + CLOCK_SKEW]
    if outside:
        problems["points"] = [Message("Point %(i)s lies outside the patrol's time.", i=str(outside[0]))]
    late = [i for i, f in enumerate(findings) if not started - CLOCK_SKEW <= f["at"] <= ended + CLOCK_SKEW]
    if late:
        problems["findings"] = [Message("Finding %(i)s lies outside the patrol's time.", i=str(late[0]))]
    categories = {f["category"] for f in findings if f.get("category")}
    if categories:
        known = set(db.session.scalars(sa.select(Category.code).where(Category.code.in_(categories))))
        if categories - known:
            problems["findings"] = [
                Message("Unknown category: %(code)s.", code=sorted(categories - known)[0])
            ]
    if problems:
        raise Unprocessable(Message("The patrol cannot be saved as sent."), problems)


def _track_wkt(points: list, started: datetime) -> str | None:
    """LINESTRING M of the samples (M: seconds since the start), or None under two samples."""
    if len(points) < 2:
        return None
    coords = ", ".join(
        f"{p['lon']:.7f} {p['lat']:.7f} {max((p['at'] - started).total_seconds(), 0):.1f}" for p in points
    )
    return f"LINESTRING M ({coords})"


def _length_m(track: str | None) -> float:
    """The track's length on the ground, in metres (on the WGS84 spheroid)."""
    if track is None:
        return 0.0
    line = sa.func.ST_Force2D(sa.func.ST_GeomFromText(track, SRID))
    return float(db.session.scalar(sa.select(sa.func.ST_Length(sa.cast(line, Geography(srid=SRID))))))


def _grids_covered(track: str | None, points: list) -> list[str]:
    if track is not None:
        shape = sa.func.ST_Force2D(sa.func.ST_GeomFromText(track, SRID))
    elif points:
        shape = sa.func.ST_SetSRID(sa.func.ST_MakePoint(points[0]["lon"], points[0]["lat"]), SRID)
    else:
        return []
    return list(
        db.session.scalars(
            sa.select(Region.code)
            .where(Region.level == RegionLevel.GRID.value, sa.func.ST_Intersects(Region.boundary, shape))
            .order_by(Region.code)
        )
    )
