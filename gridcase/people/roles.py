"""Roles and the territory level each role's scope must be (DESIGN §1). Pure, no database."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    GRID_WORKER = "grid_worker"  # 网格员
    COMMUNITY_MEDIATOR = "community_mediator"  # 村社调委会/网格长
    TOWNSHIP_COORDINATOR = "township_coordinator"  # 镇街综治中心
    DISTRICT_COORDINATOR = "district_coordinator"  # 区县综治中心, where a district level exists
    CITY_COMMANDER = "city_commander"  # 市指挥中心
    ADMIN = "admin"  # 系统管理员
    AUDITOR = "auditor"  # 审计员
    # 外部系统接入: the system user an Open311 client reports as (gridcase.open311.clients);
    # it logs public cases only, reads nothing, and never signs in.
    OPEN311_CLIENT = "open311_client"


# The territory level of each role's scope node.
SCOPE_LEVEL = {
    Role.GRID_WORKER: "grid",
    Role.COMMUNITY_MEDIATOR: "community",
    Role.TOWNSHIP_COORDINATOR: "township",
    Role.DISTRICT_COORDINATOR: "district",
    Role.CITY_COMMANDER: "city",
    Role.ADMIN: "city",
    Role.AUDITOR: "city",
    Role.OPEN311_CLIENT: "city",
}

# Roles that handle cases at a ladder level; the level is their scope level.
HANDLER_ROLES = frozenset(
    {
        Role.COMMUNITY_MEDIATOR,
        Role.TOWNSHIP_COORDINATOR,
        Role.DISTRICT_COORDINATOR,
        Role.CITY_COMMANDER,
    }
)

# Roles that may read case content at all (admin and auditor may not, by default).
CASE_READER_ROLES = frozenset({Role.GRID_WORKER, *HANDLER_ROLES})

ROLE_NAMES_ZH = {
    Role.GRID_WORKER: "网格员",
    Role.COMMUNITY_MEDIATOR: "村社调解员",
    Role.TOWNSHIP_COORDINATOR: "镇街综治中心",
    Role.DISTRICT_COORDINATOR: "区县综治中心",
    Role.CITY_COMMANDER: "市指挥中心",
    Role.ADMIN: "系统管理员",
    Role.AUDITOR: "审计员",
    Role.OPEN311_CLIENT: "外部系统（Open311）",
}
