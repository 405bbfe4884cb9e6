"""Names of domain values for people, in the page language."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from gridcase.messages import Message

STATUS = {
    "pending": _l("Pending"),
    "in_progress": _l("In progress"),
    "resolved": _l("Resolved"),
    "closed": _l("Closed"),
    "rejected": _l("Rejected"),
}
LEVEL = {
    "grid": _l("Grid"),
    "community": _l("Community"),
    "township": _l("Township"),
    "district": _l("District"),
    "city": _l("City"),
}
SEVERITY = {
    "general": _l("General"),
    "significant": _l("Significant"),
    "major": _l("Major"),
    "critical": _l("Critical"),
}
KIND = {"incident": _l("Incident"), "dispute": _l("Dispute")}
LIGHT = {"green": _l("On time"), "yellow": _l("Due soon"), "red": _l("Overdue")}
OUTCOME = {
    "mediated": _l("Mediated"),
    "agreement_signed": _l("Agreement signed"),
    "referred_to_court": _l("Referred to court"),
    "referred_to_department": _l("Referred to a department"),
    "explained": _l("Explained"),
    "other": _l("Other"),
}
SATISFACTION = {
    "satisfied": _l("Satisfied"),
    "basically_satisfied": _l("Basically satisfied"),
    "dissatisfied": _l("Dissatisfied"),
}
PARTY_ROLE = {
    "applicant": _l("Applicant"),
    "respondent": _l("Respondent"),
    "third_party": _l("Third party"),
    "other": _l("Other"),
}
SOURCE = {
    "grid_worker": _l("Grid worker"),
    "public": _l("Public"),
    "hotline": _l("12345 hotline"),
    "referral": _l("Referral"),
}
ROLE = {
    "grid_worker": _l("Grid worker"),
    "community_mediator": _l("Community mediator"),
    "township_coordinator": _l("Township coordinator"),
    "district_coordinator": _l("District coordinator"),
    "city_commander": _l("City command centre"),
    "admin": _l("Administrator"),
    "auditor": _l("Auditor"),
    "open311_client": _l("Open311 client system"),
}
ACTION = {
    "create": _l("Logged"),
    "accept": _l("Accept"),
    "assign": _l("Assign"),
    "note": _l("Note"),
    "mediate": _l("Mediate"),
    "resolve": _l("Resolve"),
    "verify": _l("Verify"),
    "revisit": _l("Revisit"),
    "reopen": _l("Reopen"),
    "escalate": _l("Escalate"),
    "take_over": _l("Take over"),
    "hand_down": _l("Hand down"),
    "reject": _l("Reject"),
    "supervise": _l("Supervise"),
    "request_extension": _l("Request extension"),
    "decide_extension": _l("Decide extension"),
    "mark_duplicate": _l("Mark duplicate"),
    "attach": _l("Photo added"),
    "reveal": _l("Personal data viewed"),
    "auto_escalate": _l("Escalated automatically (overdue)"),
    "mark_overdue": _l("Overdue at the top level: supervised"),
}
NOTIFICATION = {
    "new_case": _l("New case"),
    "escalated": _l("Escalated to you"),
    "handed_down": _l("Handed down to you"),
    "taken_over": _l("Taken over"),
    "extension_requested": _l("Extension requested"),
    "extension_decided": _l("Extension decided"),
    "verification_failed": _l("Verification failed"),
    "supervised": _l("Supervised"),
    "overdue": _l("Overdue"),
    "assigned": _l("Assigned to you"),
    "reopened": _l("Reopened"),
}


# marshmallow's own field messages that forms meet most, as catalogue keys (the pages say them
# through `say`; the API answers them in English).
FIELD_MESSAGES = (
    Message("Missing data for required field."),
    Message("Field may not be null."),
    Message("Not a valid string."),
    Message("Not a valid integer."),
    Message("Not a valid number."),
    Message("Not a valid datetime."),
    Message("Not a valid date."),
    Message("Not a valid boolean."),
    Message("Unknown field."),
)

# Which table names a value of a domain message, by the value's name in its template.
_VALUE_NAMES = {"status": STATUS, "level": LEVEL, "to_level": LEVEL, "action": ACTION}


def say(message) -> str:
    """A domain message (gridcase.messages.Message, or a plain string) in the page language:
    the template through the catalogue, each value by its name in that language. A text the
    catalogue does not know is said as it is."""
    if isinstance(message, Message):
        values = {
            name: str(_VALUE_NAMES.get(name, {}).get(value, value)) for name, value in message.values.items()
        }
        return gettext(message.template) % values if values else gettext(message.template)
    return gettext(message) if isinstance(message, str) and message else message


def say_all(errors):
    """`say` for every message of a field-by-field error dict (lists, nested dicts)."""
    if isinstance(errors, dict):
        return {field: say_all(value) for field, value in errors.items()}
    if isinstance(errors, list):
        return [say_all(item) for item in errors]
    return say(errors) if isinstance(errors, str) else errors
