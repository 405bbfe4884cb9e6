"""The front desk (一窗受理): a centre registers a matter brought to it — a visitor (来访), a call,
a letter, a message online, a 12345 work order, a referral from above, a grid worker's report —
and does something with it at once (DESIGN §2, "Front desk").

What the desk does is made of the steps any handler takes, in one transaction, so each is in
the timeline as itself and follows the same rules: the case is created at the desk's own level
(a township centre accepting a small matter itself), then accepted (受理), and then dispatched
to units (派遣) or recorded as settled at the desk (当场化解, verified by someone else). Or the
desk only registers it and it goes to the level the rules give (登记转办).
"""

from __future__ import annotations

from datetime import datetime

from gridcase.cases.attachments import add_photo
from gridcase.cases.domain import Disposition
from gridcase.cases.intake import create_case
from gridcase.cases.lifecycle import Action
from gridcase.cases.models import Case
from gridcase.cases.operations import perform_action
from gridcase.errors import Forbidden, Unprocessable
from gridcase.geo import Crs, to_wgs84
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.people.roles import HANDLER_ROLES
from gridcase.people.scope import covers_region
from gridcase.settings import ladder, utcnow
from gridcase.territory.queries import get_region, locate_grid, point_in_grid


def register_at_desk(
    user: User,
    data: dict,
    disposition: Disposition,
    follow_up: dict | None = None,
    photos: list[bytes] = (),
    now: datetime | None = None,
) -> Case:
    """Register a matter at `user`'s desk and apply `disposition`; all or nothing.

    `data` is a validated intake (CaseCreateSchema) whose location may be replaced by `grid`
    (a grid of the desk's area: the case is put inside it, the address says where). `follow_up`
    is the dispatch's payload (lead_unit, assist_units, requirement) or the resolution's
    (outcome, summary).

    Raises:
        Forbidden: the user does not work at a centre's desk.
        Unprocessable: a field the rules refuse (no place, a place outside the desk's area, a
            matter too severe to accept here, a unit that does not serve the place …).
    """
    if user.role not in HANDLER_ROLES:
        raise Forbidden(Message("Only a centre's staff register matters at the front desk."))
    now = now or utcnow()
    data = {**data, "location": _place(user, data)}
    level = user.scope_level if user.scope_level in ladder() else ladder()[-1]
    at_level = None if disposition is Disposition.REGISTER else level
    case = create_case(user, data, now=now, at_level=at_level).case
    if disposition is not Disposition.REGISTER:
        perform_action(user, case.id, Action.ACCEPT, case.version, {"note": "窗口受理"}, now)
    if disposition is Disposition.DISPATCH:
        perform_action(user, case.id, Action.DISPATCH, case.version, follow_up or {}, now)
    elif disposition is Disposition.RESOLVE:
        perform_action(user, case.id, Action.RESOLVE, case.version, follow_up or {}, now)
    for raw in photos:
        add_photo(user, case.id, raw, now=now)
    return case


def _place(user: User, data: dict) -> dict:
    """The case's point: the pin, or a point inside the chosen grid; either within the desk's
    area (its grids are where its cases are)."""
    location, grid_code = data.get("location"), data.get("grid")
    if location:
        grid = locate_grid(*to_wgs84(location["lon"], location["lat"], location.get("crs", Crs.WGS84)))
    elif grid_code:
        point = point_in_grid(grid_code)
        if point is None:
            _refuse_place(Message("No grid has the code '%(code)s'.", code=grid_code))
        grid = get_region(grid_code)
        location = {"lon": point[0], "lat": point[1], "crs": Crs.WGS84, "accuracy_m": None}
    else:
        _refuse_place(Message("Put the pin on the map or choose the grid where it happened."))
    if grid is not None and not covers_region(user, grid):  # (no grid at all: intake says so)
        _refuse_place(Message("The place lies outside your area; register it where it belongs."))
    return location


def _refuse_place(reason: Message) -> None:
    raise Unprocessable(
        Message("The case cannot be saved; see errors for each field."), {"location": [reason]}
    )
