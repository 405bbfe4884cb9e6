"""A synthetic city history for the benchmarks: cases spread over the demo city's grids and
three years, inserted set-based with generate_series (not through the API), deterministic for a
given size (setseed).

The shape, roughly what a county-level city sees: 30 % disputes; 90 % general, 8 % significant,
2 % major; 2 % rejected and 1 % duplicates; a fifth escalated once and a twentieth twice; most
cases resolved within days and closed after a week; recent cases still open, a few old ones
forgotten; 60 % of resolved cases revisited, mostly satisfied.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from gridcase.extensions import db

SPAN_DAYS = 3 * 365
LEVELS = ("community", "township", "city")
LIMIT_DAYS = (3, 7, 15)


def prepare() -> None:
    """Lookup tables of the grids (with a point in each) and of the leaf categories, numbered."""
    db.session.execute(sa.text("DROP TABLE IF EXISTS bench_grids, bench_categories"))
    db.session.execute(
        sa.text(
            """
            CREATE TABLE bench_grids AS
            SELECT row_number() OVER (ORDER BY code) AS n, code, community_code, township_code,
                   district_code, city_code, ST_PointOnSurface(boundary) AS point
            FROM regions WHERE level = 'grid'
            """
        )
    )
    db.session.execute(
        sa.text(
            """
            CREATE TABLE bench_categories AS
            SELECT row_number() OVER (ORDER BY c.code) AS n, c.code, c.kind
            FROM categories c
            WHERE c.active AND NOT EXISTS (SELECT 1 FROM categories child WHERE child.parent_code = c.code)
            """
        )
    )


def case_indexes() -> list[tuple[str, str]]:
    """(name, definition) of the indexes of `cases` that are not constraints."""
    return [
        (row.indexname, row.indexdef)
        for row in db.session.execute(
            sa.text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename = 'cases' AND indexname NOT IN "
                "(SELECT conname FROM pg_constraint WHERE conrelid = 'cases'::regclass)"
            )
        )
    ]


def insert_cases(
    count: int,
    now: datetime,
    reporter_id: int,
    span_days: float = SPAN_DAYS,
    seed: float = 0.42,
    tag: str = "B",
    touched_at: datetime | None = None,
) -> int:
    """Insert `count` cases created over the `span_days` days before `now`; returns how many.
    Their public numbers end in `tag` and an 8-digit sequence (bench numbers, unlike real ones);
    `touched_at` sets their updated_at (default: their last change in the history)."""
    db.session.execute(sa.text("SELECT setseed(:seed)"), {"seed": seed})
    grids = db.session.scalar(sa.text("SELECT count(*) FROM bench_grids"))
    categories = db.session.scalar(sa.text("SELECT count(*) FROM bench_categories"))
    statement = sa.text(
        f"""
        WITH r AS (
            -- Ages fall as s rises (each case within its own slot of the span), so cases come
            -- out in creation order, as they arrive, with no sort of millions of rows.
            SELECT s, random() AS r_grid, random() AS r_cat,
                   (:count - s + random()) / :count AS r_age, random() AS r_sev,
                   random() AS r_status, random() AS r_esc, random() AS r_acc, random() AS r_res,
                   random() AS r_sat, random() AS r_misc, random() AS r_time, random() AS r_x,
                   random() AS r_y
            FROM generate_series(1, :count) AS s
        ),
        a AS (
            SELECT r.*, :now - make_interval(secs => r.r_age * :span_days * 86400) AS created_at,
                   r.r_age * :span_days AS age_days,
                   CASE WHEN r.r_sev < 0.90 THEN 'general' WHEN r.r_sev < 0.98 THEN 'significant'
                        ELSE 'major' END AS severity,
                   CASE WHEN r.r_sev < 0.90 THEN 1 WHEN r.r_sev < 0.98 THEN 2 ELSE 3 END AS initial_rank
            FROM r
        ),
        b AS (
            SELECT a.*,
                   least(a.initial_rank + CASE WHEN a.r_esc < 0.75 THEN 0 WHEN a.r_esc < 0.95 THEN 1
                                               ELSE 2 END, 3) AS highest_rank,
                   CASE WHEN a.r_status < 0.02 THEN 'rejected'
                        WHEN a.r_status < 0.03 THEN 'duplicate'
                        WHEN a.r_status < 0.03 + 0.97 * (0.6 * exp(-a.age_days / 3) + 0.001)
                            THEN CASE WHEN a.r_acc < 0.8 THEN 'in_progress' ELSE 'pending' END
                        WHEN a.age_days > 7 AND a.r_misc < 0.9 THEN 'closed'
                        ELSE 'resolved' END AS fate
            FROM a
        ),
        c AS (
            SELECT b.*,
                   CASE WHEN b.fate IN ('rejected', 'pending') THEN NULL
                        ELSE least(:now, b.created_at + make_interval(secs => b.r_acc ^ 3 * 48 * 3600))
                   END AS accepted_at,
                   b.created_at + make_interval(days => 3 * (b.highest_rank - b.initial_rank))
                       AS level_started_at,
                   (ARRAY{list(LIMIT_DAYS)})[b.highest_rank] AS limit_days
            FROM b
        ),
        d AS (
            SELECT c.*,
                   CASE WHEN c.fate IN ('resolved', 'closed')
                        THEN least(:now, c.accepted_at + make_interval(
                            secs => c.r_res ^ 2 * 24 * 3600 * (3 + 7 * (c.highest_rank - c.initial_rank))))
                   END AS resolved_at
            FROM c
        )
        INSERT INTO cases (
            public_number, kind, category_code, title, description, severity, people_involved,
            may_intensify, source, location, location_accuracy_m, location_crs, address, city_code,
            district_code, township_code, community_code, grid_code, status, level, initial_level,
            highest_level, resolved_level, level_started_at, warn_at, due_at, extension_days,
            escalation_count, reopen_count, reporter_id, resolution_outcome, resolved_on_time,
            satisfaction, created_at, accepted_at, resolved_at, closed_at, revisited_at, updated_at,
            version
        )
        SELECT
            '330681-' || to_char(d.created_at AT TIME ZONE :tz, 'YYYYMMDD') || '-' || :tag
                || lpad(d.s::text, 8, '0'),
            cat.kind, cat.code,
            CASE WHEN d.fate = 'duplicate' THEN 'dup ' ELSE 'bench ' END || d.s, '',
            d.severity, CASE WHEN d.r_misc < 0.97 THEN 1 ELSE 2 + floor(d.r_time * 9)::int END,
            d.r_misc > 0.995, 'grid_worker',
            -- Scattered up to ~150 m around a point of the grid, as cases are (not stacked on
            -- one point): the location index and the intake's duplicate search meet a real spread.
            ST_Translate(g.point, (d.r_x - 0.5) * 0.003, (d.r_y - 0.5) * 0.003), 10, 'wgs84', '',
            g.city_code, g.district_code,
            g.township_code, g.community_code, g.code,
            CASE WHEN d.fate = 'duplicate' THEN 'closed' ELSE d.fate END,
            (ARRAY{list(LEVELS)})[d.highest_rank], (ARRAY{list(LEVELS)})[d.initial_rank],
            (ARRAY{list(LEVELS)})[d.highest_rank],
            CASE WHEN d.fate IN ('resolved', 'closed') THEN (ARRAY{list(LEVELS)})[d.highest_rank] END,
            d.level_started_at,
            d.level_started_at + make_interval(secs => d.limit_days * 0.8 * 86400),
            d.level_started_at + make_interval(days => d.limit_days), 0,
            d.highest_rank - d.initial_rank,
            CASE WHEN d.fate IN ('resolved', 'closed') AND d.r_time < 0.03 THEN 1 ELSE 0 END,
            :reporter,
            CASE WHEN d.fate IN ('resolved', 'closed') THEN 'mediated' END,
            CASE WHEN d.fate IN ('resolved', 'closed') THEN d.r_time < 0.9 END,
            CASE WHEN d.fate IN ('resolved', 'closed') AND d.r_sat < 0.60
                 THEN CASE WHEN d.r_sat < 0.51 THEN 'satisfied' WHEN d.r_sat < 0.57
                           THEN 'basically_satisfied' ELSE 'dissatisfied' END END,
            d.created_at, d.accepted_at, d.resolved_at,
            CASE WHEN d.fate IN ('closed', 'duplicate')
                 THEN least(:now, coalesce(d.resolved_at, d.created_at) + interval '3 days') END,
            CASE WHEN d.fate IN ('resolved', 'closed') AND d.r_sat < 0.60
                 THEN least(:now, d.resolved_at + interval '2 days') END,
            coalesce(:touched_at, greatest(d.created_at, d.accepted_at, d.resolved_at)),
            1
        FROM d
        JOIN bench_grids g ON g.n = 1 + floor(d.r_grid * {grids})::int
        JOIN bench_categories cat ON cat.n = 1 + floor(d.r_cat * {categories})::int
        """
    )
    params = {
        "count": count,
        "now": now,
        "span_days": span_days,
        "reporter": reporter_id,
        "tz": "Asia/Shanghai",
        "tag": tag,
        "touched_at": touched_at,
    }
    inserted = db.session.execute(statement, params).rowcount
    # A duplicate points at the case inserted just before it (ids are consecutive in one insert).
    db.session.execute(
        sa.text(
            "UPDATE cases SET duplicate_of_id = id - 1 WHERE title LIKE 'dup %' AND duplicate_of_id IS NULL "
            "AND EXISTS (SELECT 1 FROM cases o WHERE o.id = cases.id - 1)"
        )
    )
    return inserted


def one_day_of_changes(count: int, now: datetime, reporter_id: int, tag: str) -> int:
    """What a day brings at a city of `count` cases over three years: the day's new cases, and
    about twice as many earlier cases of the last month accepted or resolved. Returns the
    number of cases changed."""
    per_day = max(1, round(count / SPAN_DAYS))
    # The day's cases, as the refresh job finds them: changed since its last run.
    new = insert_cases(per_day, now, reporter_id, span_days=1, seed=0.17, tag=tag, touched_at=now)
    changed = db.session.execute(
        sa.text(
            """
            UPDATE cases SET
                status = CASE WHEN status = 'pending' THEN 'in_progress' ELSE 'resolved' END,
                accepted_at = coalesce(accepted_at, :now),
                resolved_at = CASE WHEN status = 'pending' THEN NULL ELSE :now END,
                resolved_level = CASE WHEN status = 'pending' THEN NULL ELSE level END,
                resolved_on_time = CASE WHEN status = 'pending' THEN NULL ELSE :now <= due_at END,
                resolution_outcome = CASE WHEN status = 'pending' THEN NULL ELSE 'mediated' END,
                updated_at = :now, version = version + 1
            WHERE id IN (
                SELECT id FROM cases
                WHERE status IN ('pending', 'in_progress') AND created_at > :now - interval '30 days'
                  AND created_at < :now - interval '1 day'
                ORDER BY id LIMIT :limit
            )
            """
        ),
        {"now": now, "limit": 2 * per_day},
    ).rowcount
    return new + changed


def vacuum(*tables: str) -> None:
    """VACUUM (ANALYZE) the tables, outside a transaction (VACUUM refuses to run in one): the
    state autovacuum keeps a live database's tables in (their visibility map set, so that an
    index-only scan reads no table pages of rows nobody changed)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in tables:
            connection.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
