"""The `regions` table: every node of the territory tree, grids included (DESIGN §1)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from geoalchemy2 import Geometry, WKBElement

from gridcase.extensions import db
from gridcase.geo import SRID
from gridcase.territory.levels import ANCESTOR_COLUMNS, RegionLevel


class Region(db.Model):
    """A territory node (行政区划 or 网格) with its boundary in EPSG:4326.

    Each node also stores the codes of its ancestors, so that "inside my scope" is one indexed
    equality on the same column a case carries, never a recursive query.
    """

    __tablename__ = "regions"

    code: so.Mapped[str] = so.mapped_column(sa.String(15), primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    level: so.Mapped[str] = so.mapped_column(sa.String(16), index=True)
    parent_code: so.Mapped[str | None] = so.mapped_column(
        sa.ForeignKey("regions.code", ondelete="RESTRICT"), index=True
    )
    city_code: so.Mapped[str | None] = so.mapped_column(sa.String(15), index=True)
    district_code: so.Mapped[str | None] = so.mapped_column(sa.String(15), index=True)
    township_code: so.Mapped[str | None] = so.mapped_column(sa.String(15), index=True)
    community_code: so.Mapped[str | None] = so.mapped_column(sa.String(15), index=True)

    boundary: so.Mapped[WKBElement] = so.mapped_column(
        Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), deferred=True
    )
    area_m2: so.Mapped[float] = so.mapped_column(sa.Float, default=0.0)

    # Grid attributes (NULL for other levels).
    grid_kind: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    households: so.Mapped[int | None] = so.mapped_column(sa.Integer)
    population: so.Mapped[int | None] = so.mapped_column(sa.Integer)

    created_at: so.Mapped[datetime] = so.mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    updated_at: so.Mapped[datetime] = so.mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), onupdate=sa.func.now()
    )

    parent: so.Mapped[Region | None] = so.relationship(remote_side=[code], back_populates="children")
    children: so.Mapped[list[Region]] = so.relationship(back_populates="parent", order_by="Region.code")

    __table_args__ = (
        sa.CheckConstraint("level IN ('city', 'district', 'township', 'community', 'grid')", name="level"),
        sa.CheckConstraint(
            "grid_kind IS NULL OR grid_kind IN ('comprehensive', 'dedicated')", name="grid_kind"
        ),
        sa.CheckConstraint("households IS NULL OR households >= 0", name="households"),
        sa.CheckConstraint("population IS NULL OR population >= 0", name="population"),
    )

    def ancestor_code(self, level: str) -> str | None:
        """The code of this node's ancestor at `level` (itself when it is at that level)."""
        if self.level == level:
            return self.code
        column = ANCESTOR_COLUMNS.get(RegionLevel(level))
        return getattr(self, column) if column and column != "grid_code" else None

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name} ({self.level})>"
