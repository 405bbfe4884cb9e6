"""Levels of the territory tree and the columns that carry a node's ancestors. Pure: no database."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l

from gridcase.vocabulary import LabelledEnum


class RegionLevel(LabelledEnum):
    """Levels of the territory tree, from the top down; the ladder's levels are some of them."""

    CITY = "city", _l("City")  # 市 (or a county-level city/district acting as the city)
    DISTRICT = "district", _l("District")  # 区县, only where a prefecture city inserts it
    TOWNSHIP = "township", _l("Township")  # 镇街 (乡镇/街道)
    COMMUNITY = "community", _l("Community")  # 村社区 (村/社区)
    GRID = "grid", _l("Grid")  # 网格


# The columns that name a node's ancestor at each level: regions, cases, alerts and rollups all
# carry them, so "inside this node" is one indexed equality, never a recursive query.
ANCESTOR_COLUMNS = {
    RegionLevel.CITY: "city_code",
    RegionLevel.DISTRICT: "district_code",
    RegionLevel.TOWNSHIP: "township_code",
    RegionLevel.COMMUNITY: "community_code",
    RegionLevel.GRID: "grid_code",
}


class GridKind(StrEnum):
    COMPREHENSIVE = "comprehensive"  # 综合网格
    DEDICATED = "dedicated"  # 专属网格 (a school, market, industrial park …)
