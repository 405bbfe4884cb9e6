"""A case from something the worker found in the field (a patrol's finding, a concern heard on a
visit): logged by them in one tap, at the place it was found, its words as the description."""

from __future__ import annotations

from datetime import datetime

from gridcase.cases.intake import create_case
from gridcase.cases.models import Case, Category
from gridcase.errors import Unprocessable
from gridcase.extensions import db
from gridcase.messages import Message
from gridcase.people.models import User


def refuse_a_second_case(case_id: int | None) -> None:
    """
    Raises:
        Unprocessable: the record is a case already (it names the case).
    """
    if case_id is not None:
        case = db.session.get(Case, case_id)
        raise Unprocessable(Message("This is case %(number)s already.", number=case.public_number))


def case_from_the_field(
    user: User, category: str | None, title: str, text: str, point, found_at: datetime, now: datetime
) -> Case:
    """Log the case: the category chosen, a title (default: the first words), the point (a
    Shapely point in WGS84) and the time it was found as 事发时间.

    Raises:
        Unprocessable: no category or an unknown one (and whatever intake refuses).
    """
    if not category:
        problem = Message("Choose the category of the case.")
        raise Unprocessable(problem, {"category": [problem]})
    chosen = db.session.get(Category, category)
    if chosen is None:
        problem = Message("Unknown category: %(code)s.", code=category)
        raise Unprocessable(problem, {"category": [problem]})
    body = {
        "kind": chosen.kind,
        "category": category,
        "title": (title or "").strip()[:60] or text.strip()[:60],
        "description": text,
        "location": {"lon": point.x, "lat": point.y, "crs": "wgs84"},
        "people_involved": 0,
        "occurred_at": found_at,
    }
    return create_case(user, body, now=now).case
