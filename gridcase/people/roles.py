"""Roles, the territory level each role's scope must be, and who handles each ladder level
(DESIGN §1). Pure: no database."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from gridcase.vocabulary import LabelledEnum


class Role(LabelledEnum):
    GRID_WORKER = "grid_worker", _l("Grid worker")  # 网格员
    COMMUNITY_MEDIATOR = "community_mediator", _l("Community mediator")  # 村社调委会/网格长
    TOWNSHIP_COORDINATOR = "township_coordinator", _l("Township coordinator")  # 镇街综治中心
    # 区县综治中心, where a district level exists
    DISTRICT_COORDINATOR = "district_coordinator", _l("District coordinator")
    CITY_COMMANDER = "city_commander", _l("City command centre")  # 市指挥中心
    ADMIN = "admin", _l("Administrator")  # 系统管理员
    AUDITOR = "auditor", _l("Auditor")  # 审计员
    # 外部系统接入: the system user an Open311 client reports as (gridcase.channels.clients);
    # it logs public cases only, reads nothing, and never signs in.
    OPEN311_CLIENT = "open311_client", _l("Open311 client system")
    # The people of a unit cases are dispatched to (站所, 职能部门, 调委会: gridcase.units): they
    # see only the cases their unit holds an assignment of, and act on that assignment.
    UNIT_HANDLER = "unit_handler", _l("Unit case officer")  # 承办人
    UNIT_HEAD = "unit_head", _l("Unit head")  # 负责人
    # 特邀调解员: a mediator from outside the offices (乡贤, a lawyer, a social organisation) on
    # the city's roster; sees only the cases a coordinator invited them to (gridcase.mediation).
    EXTERNAL_MEDIATOR = "external_mediator", _l("Invited mediator")


UNIT_ROLES = frozenset({Role.UNIT_HANDLER, Role.UNIT_HEAD})
# Roles whose scope is not a piece of territory: they see what they are given — a unit's
# people its assignments, an invited mediator the cases they are invited to — and nothing by area.
GIVEN_CASES_ROLES = frozenset({*UNIT_ROLES, Role.EXTERNAL_MEDIATOR})
# The territory levels a unit may serve (a township's stations, a district's or a city's
# departments); a unit role's scope is its unit's region.
UNIT_LEVELS = ("township", "district", "city")


# The territory level of each role's scope node (unit roles: their unit's region, at one of
# UNIT_LEVELS).
SCOPE_LEVEL = {
    Role.GRID_WORKER: "grid",
    Role.COMMUNITY_MEDIATOR: "community",
    Role.TOWNSHIP_COORDINATOR: "township",
    Role.DISTRICT_COORDINATOR: "district",
    Role.CITY_COMMANDER: "city",
    Role.ADMIN: "city",
    Role.AUDITOR: "city",
    Role.OPEN311_CLIENT: "city",
    Role.EXTERNAL_MEDIATOR: "city",  # the city's roster of invited mediators (特邀调解员名册)
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

# The role that handles cases at each ladder level (the inverse of SCOPE_LEVEL for handlers).
HANDLER_ROLE_OF_LEVEL = {SCOPE_LEVEL[role]: role for role in HANDLER_ROLES}

# Roles that may read case content at all (admin and auditor may not, by default): they also
# read statistics and risk alerts, each within their scope.
CASE_READER_ROLES = frozenset({Role.GRID_WORKER, *HANDLER_ROLES})


def scope_level_problem(role: Role, scope_code: str, scope_level: str) -> str | None:
    """Why the territory node `scope_code` (of `scope_level`) cannot be the scope of `role`, or None."""
    if role in UNIT_ROLES:
        if scope_level in UNIT_LEVELS:
            return None
        return (
            f"A {role.value} belongs to a unit of a township, district or city; "
            f"{scope_code} is a {scope_level}."
        )
    needed = SCOPE_LEVEL[role]
    if scope_level == needed:
        return None
    return f"A {role.value} needs a scope at {needed} level; {scope_code} is a {scope_level}."
