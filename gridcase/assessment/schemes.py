"""A city's assessment schemes: the one in effect for a period, the versions, and a new version.

A version is never edited: changing a scheme makes the next version, in effect from the first
day of a month that has not yet passed (this month or later), so the scores of a closed period
never change. Until a city makes its own, version 0 — the example of
gridcase.assessment.domain.DEFAULT_SCHEMES — is in effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from gridcase.assessment.domain import DEFAULT_SCHEMES, Item, Subject, scheme_problems
from gridcase.assessment.models import AssessmentScheme, AssessmentSchemeItem
from gridcase.audit.log import AuditAction, record
from gridcase.errors import Forbidden, Unprocessable
from gridcase.extensions import db
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.people.roles import Role
from gridcase.people.scope import user_city_code
from gridcase.settings import local_tz

DEFAULT_NAME = "默认考核方案（示例）"


@dataclass(frozen=True)
class SchemeVersion:
    """A scheme as scores use it: version 0 is the built-in example."""

    subject: Subject
    version: int
    name: str
    effective_from: date | None
    items: tuple[Item, ...]
    id: int | None = None
    note: str = ""
    created_at: datetime | None = None
    created_by: str | None = None

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "subject": self.subject.value,
            "subject_label": self.subject.label,
            "version": self.version,
            "name": self.name,
            "effective_from": self.effective_from,
            "note": self.note,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "items": [
                {
                    "indicator": item.indicator,
                    "label": item.definition.label,
                    "kind": item.definition.kind,
                    "better": item.definition.better,
                    "points": item.points,
                    "target": item.target,
                    "cap": item.cap,
                    "unmeasured": item.definition.unmeasured,
                }
                for item in self.items
            ],
        }


def _default(subject: Subject) -> SchemeVersion:
    return SchemeVersion(subject, 0, DEFAULT_NAME, None, DEFAULT_SCHEMES[subject])


def _version(scheme: AssessmentScheme) -> SchemeVersion:
    return SchemeVersion(
        Subject(scheme.subject),
        scheme.version,
        scheme.name,
        scheme.effective_from,
        tuple(scheme.domain_items()),
        scheme.id,
        scheme.note,
        scheme.created_at,
        scheme.created_by.display_name,
    )


def scheme_in_effect(city_code: str, subject: Subject, day: date) -> SchemeVersion:
    """The version that scores a period beginning on `day`: the latest in effect by then."""
    scheme = db.session.scalars(
        sa.select(AssessmentScheme)
        .where(
            AssessmentScheme.city_code == city_code,
            AssessmentScheme.subject == subject.value,
            AssessmentScheme.effective_from <= day,
        )
        .order_by(AssessmentScheme.effective_from.desc(), AssessmentScheme.version.desc())
        .limit(1)
    ).first()
    return _version(scheme) if scheme else _default(subject)


def scheme_versions(viewer: User, subject: Subject) -> list[SchemeVersion]:
    """Every version of the viewer's city's scheme for the subject, newest first, version 0 last."""
    schemes = db.session.scalars(
        sa.select(AssessmentScheme)
        .where(
            AssessmentScheme.city_code == user_city_code(viewer), AssessmentScheme.subject == subject.value
        )
        .order_by(AssessmentScheme.version.desc())
    ).all()
    return [*(_version(scheme) for scheme in schemes), _default(subject)]


def create_scheme(viewer: User, data: dict, now: datetime) -> SchemeVersion:
    """The next version of the city's scheme for a subject (the city centre only).

    Raises:
        Forbidden: not the city's command centre.
        Unprocessable: items that cannot make a scheme, or an effective day not the first of a
            month, or one already passed.
    """
    if viewer.role != Role.CITY_COMMANDER:
        raise Forbidden(Message("Only the city centre sets its assessment schemes."))
    subject = Subject(data["subject"])
    items = [Item(i["indicator"], i["points"], i.get("target"), i.get("cap")) for i in data["items"]]
    problems = scheme_problems(subject, items)
    effective_from: date = data["effective_from"]
    this_month = now.astimezone(local_tz()).date().replace(day=1)
    if effective_from.day != 1 or effective_from < this_month:
        problems.setdefault("effective_from", []).append(
            Message(
                "A scheme takes effect on the first day of a month, %(day)s or later: "
                "a period already scored keeps its scheme.",
                day=str(this_month),
            )
        )
    if problems:
        raise Unprocessable(Message("The scheme cannot be used."), problems)
    city = user_city_code(viewer)
    # Two centre staff saving at once must not both make version n + 1.
    db.session.execute(
        sa.select(
            sa.func.pg_advisory_xact_lock(sa.func.hashtext(f"assessment_scheme:{city}:{subject.value}"))
        )
    )
    latest = db.session.scalar(
        sa.select(sa.func.max(AssessmentScheme.version)).where(
            AssessmentScheme.city_code == city, AssessmentScheme.subject == subject.value
        )
    )
    scheme = AssessmentScheme(
        city_code=city,
        subject=subject.value,
        version=(latest or 0) + 1,
        name=data["name"],
        effective_from=effective_from,
        note=data.get("note") or "",
        created_at=now,
        created_by_id=viewer.id,
        items=[
            AssessmentSchemeItem(
                position=index,
                indicator=item.indicator,
                points=Decimal(str(item.points)),
                target=None if item.target is None else Decimal(str(item.target)),
                cap=None if item.cap is None else Decimal(str(item.cap)),
            )
            for index, item in enumerate(items)
        ],
    )
    db.session.add(scheme)
    db.session.flush()
    record(
        AuditAction.CONFIGURATION_CHANGED,
        actor=viewer,
        target=f"assessment_scheme:{scheme.id}",
        details={"subject": subject.value, "version": scheme.version, "effective_from": str(effective_from)},
    )
    return _version(scheme)
