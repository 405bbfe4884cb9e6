"""Jinja filters: local times, and domain values by their labels in the page language."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask
from flask_babel import lazy_gettext as _l
from jinja2 import pass_context

from gridcase.cases.domain import (
    ON_SPOT_OUTCOMES,
    STAFF_REVISIT_METHODS,
    CaseKind,
    Outcome,
    PartyRole,
    RevisitMethod,
    Satisfaction,
    Severity,
    Source,
    Status,
    SupervisionGrade,
    SupervisionStatus,
)
from gridcase.cases.lifecycle import event_action_label
from gridcase.gridwork.domain import (
    HouseKind,
    PlaceKind,
    Residence,
    ResidentTag,
    VisitKind,
    VisitTopic,
    WatchCategory,
)
from gridcase.ladder.limits import Light
from gridcase.mediation.domain import Confirmation, Performance, ReferralResult, SessionKind
from gridcase.notifications.inbox import Kind
from gridcase.notifications.outbound import ChannelKind
from gridcase.people.roles import Role
from gridcase.settings import local_tz, utcnow
from gridcase.stats.models import AlertStatus, CloseOutcome, RiskGrade
from gridcase.territory.levels import RegionLevel
from gridcase.units.lifecycle import AssignmentRole, AssignmentStatus, ReturnReason
from gridcase.units.queue import unit_name
from gridcase.web import audit_words
from gridcase.web.terms import alert_title, notification_text, term

# filter name → the enum whose labels it shows: `{{ case.status|status }}`
VOCABULARY_FILTERS = {
    "status": Status,
    "level": RegionLevel,
    "severity": Severity,
    "kind": CaseKind,
    "light": Light,
    "outcome": Outcome,
    "satisfaction": Satisfaction,
    "party_role": PartyRole,
    "source": Source,
    "role": Role,
    "notification": Kind,
    "return_reason": ReturnReason,
    "assignment_role": AssignmentRole,
    "assignment_status": AssignmentStatus,
    "alert_status": AlertStatus,
    "card": SupervisionGrade,
    "revisit_method": RevisitMethod,
    "supervision_status": SupervisionStatus,
    "risk_grade": RiskGrade,
    "close_outcome": CloseOutcome,
    "channel_kind": ChannelKind,
    "performance": Performance,
    "confirmation": Confirmation,
    "session_kind": SessionKind,
    "referral_result": ReferralResult,
    "visit_kind": VisitKind,
    "visit_topic": VisitTopic,
    "watch_category": WatchCategory,
    "house_kind": HouseKind,
    "residence": Residence,
    "resident_tag": ResidentTag,
    "place_kind": PlaceKind,
}


def local_time(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(local_tz()).strftime(fmt)


# The reasons the sweep writes into the events it makes (gridcase.ladder.sweep), said in the
# page's language; a person's own reason is shown as they wrote it.
SYSTEM_REASONS = {
    "overdue": _l("The time limit passed: escalated automatically"),
    "overdue at the top level": _l("Overdue at the top level: under supervision"),
}


def event_reason(reason: str) -> str:
    said = SYSTEM_REASONS.get(reason)
    return str(said) if said is not None else reason


def deadline(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A due time as people read one: a deadline at midnight is the end of the day before,
    "12-25 24:00", not "12-26 00:00" (which reads as a day later than meant)."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = value.astimezone(local_tz())
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0) and "%H:%M" in fmt:
        return (local - timedelta(days=1)).strftime(fmt.replace("%H:%M", "24:00"))
    return local.strftime(fmt)


def case_people(case: dict) -> list[tuple]:
    """The people a case page lists, as (key, party role, masked person): the person who brought
    it (key 'informant', no party role) first, then the parties (key: the party's id)."""
    informant = [("informant", None, case["informant"])] if case.get("informant") else []
    return informant + [(p["id"], p["role"], p) for p in case.get("parties", [])]


def said_when_shown(label_of):
    """A label filter Jinja never folds: on a literal (`'confirmed'|confirmation`) Jinja calls a
    plain filter once, when it compiles the template, in that request's language; a filter that
    takes the context is called each time the page is made."""

    @pass_context
    def label(_context, value):
        return label_of(value)

    return label


def register_filters(app: Flask) -> None:
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(said_when_shown(term), "term")
    app.add_template_filter(notification_text, "notification_text")
    app.add_template_filter(alert_title, "alert_title")
    app.add_template_filter(deadline, "deadline")
    app.add_template_filter(said_when_shown(event_reason), "event_reason")
    app.add_template_filter(said_when_shown(audit_words.action_label), "audit_action")
    app.add_template_filter(said_when_shown(audit_words.result_label), "audit_result")
    app.add_template_filter(said_when_shown(audit_words.details_text), "audit_details")
    app.add_template_filter(said_when_shown(event_action_label), "action")
    for name, vocabulary in VOCABULARY_FILTERS.items():
        app.add_template_filter(said_when_shown(vocabulary.label_of), name)
    # The value lists of the forms (outcomes, satisfaction …), in their enums' order.
    app.jinja_env.globals.update(
        Outcome=Outcome,
        ON_SPOT_OUTCOMES=ON_SPOT_OUTCOMES,
        Satisfaction=Satisfaction,
        Severity=Severity,
        CaseKind=CaseKind,
        PartyRole=PartyRole,
        ReturnReason=ReturnReason,
        RevisitMethod=RevisitMethod,
        Performance=Performance,
        ReferralResult=ReferralResult,
        VisitKind=VisitKind,
        VisitTopic=VisitTopic,
        STAFF_REVISIT_METHODS=STAFF_REVISIT_METHODS,
        unit_name_of=unit_name,
        case_people=case_people,
        now_utc=utcnow,  # "late?" of a deadline shown on a page  # the deskbar names a unit's person's unit
    )
