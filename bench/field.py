"""The people and places of the throughput benchmarks, in the bench database: grid workers who log
cases (the demo worker and a few more, each in a grid of their own, spread over the city) and
random points inside the grids (ST_GeneratePoints, seeded), shared by the HTTP clients and by
pgbench so that both look up and insert at the same places.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from gridcase.demo import DEMO_PASSWORD
from gridcase.extensions import db
from gridcase.people.auth import create_user
from gridcase.people.models import User

# Points generated in each grid; the city's 1,289 grids give 25,780 places to look up.
POINTS_PER_GRID = 20
POINTS_SEED = 7
GRID_STRIDE = 37


@dataclass(frozen=True)
class Worker:
    username: str
    password: str
    grid_code: str
    points: tuple[tuple[float, float], ...]  # (lon, lat) inside the grid


def prepare_points() -> int:
    """(Re)build bench_points: POINTS_PER_GRID random points in every grid, numbered from 1,
    with the grid's codes. Returns how many."""
    db.session.execute(sa.text("DROP TABLE IF EXISTS bench_points, bench_intake_points"))
    db.session.execute(
        sa.text(
            """
            CREATE TABLE bench_points AS
            SELECT row_number() OVER (ORDER BY r.code, d.path) AS n, r.code AS grid_code, r.city_code,
                   r.district_code, r.township_code, r.community_code, d.geom,
                   ST_X(d.geom) AS lon, ST_Y(d.geom) AS lat
            FROM regions r, ST_Dump(ST_GeneratePoints(r.boundary, :per_grid, :seed)) AS d
            WHERE r.level = 'grid'
            """
        ),
        {"per_grid": POINTS_PER_GRID, "seed": POINTS_SEED},
    )
    db.session.execute(sa.text("ALTER TABLE bench_points ADD PRIMARY KEY (n)"))
    db.session.execute(sa.text("ANALYZE bench_points"))
    return db.session.scalar(sa.text("SELECT count(*) FROM bench_points"))


def city_points() -> list[tuple[float, float]]:
    """Every point of bench_points, for look-ups anywhere in the city."""
    return [(row.lon, row.lat) for row in db.session.execute(sa.text("SELECT lon, lat FROM bench_points"))]


def prepare_workers(count: int) -> list[Worker]:
    """`count` grid workers, the demo worker first, the others (bench-worker-NN, created once)
    in grids spread over the city; and bench_intake_points, the points of their grids numbered
    from 1, for pgbench. The caller commits."""
    grids = list(db.session.scalars(sa.text("SELECT code FROM regions WHERE level = 'grid' ORDER BY code")))
    demo = db.session.scalar(sa.select(User).where(User.username == "demo-worker"))
    # Worker NN's grid depends on NN only (a stride through the grids in code order, which
    # crosses the townships), so the workers created once fit any later number of clients.
    chosen = [demo.scope_code]
    for i in range(1, count):
        code = grids[i * GRID_STRIDE % len(grids)]
        chosen.append(code if code not in chosen else grids[(i * GRID_STRIDE + 1) % len(grids)])
    names = ["demo-worker"] + [f"bench-worker-{i:02d}" for i in range(1, count)]
    for username, grid in zip(names[1:], chosen[1:], strict=True):
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            create_user(username, DEMO_PASSWORD, "grid_worker", grid, f"压测网格员 {username[-2:]}")
        elif user.scope_code != grid:
            raise RuntimeError(f"{username} exists in grid {user.scope_code}, not {grid}: drop it first.")
    db.session.execute(
        sa.text(
            """
            CREATE TABLE bench_intake_points AS
            SELECT row_number() OVER (ORDER BY n) AS n, grid_code, city_code, district_code,
                   township_code, community_code, geom, lon, lat
            FROM bench_points WHERE grid_code = ANY(:grids)
            """
        ),
        {"grids": chosen},
    )
    db.session.execute(sa.text("ALTER TABLE bench_intake_points ADD PRIMARY KEY (n)"))
    db.session.execute(sa.text("ANALYZE bench_intake_points"))
    points: dict[str, list[tuple[float, float]]] = {code: [] for code in chosen}
    for row in db.session.execute(sa.text("SELECT grid_code, lon, lat FROM bench_intake_points ORDER BY n")):
        points[row.grid_code].append((row.lon, row.lat))
    return [
        Worker(username, DEMO_PASSWORD, grid, tuple(points[grid]))
        for username, grid in zip(names, chosen, strict=True)
    ]


def leaf_categories() -> dict[str, list[str]]:
    """Active leaf categories of the catalogue by kind (incident, dispute)."""
    kinds: dict[str, list[str]] = {"incident": [], "dispute": []}
    for row in db.session.execute(sa.text("SELECT code, kind FROM bench_categories ORDER BY n")):
        kinds[row.kind].append(row.code)
    return kinds
