"""Turning loaded request data into plain JSON values for the domain and the event log."""

from __future__ import annotations

from datetime import date

from marshmallow import validate

# The dates a filter may name: any a case or an audit entry could have. Past them, the date
# arithmetic of a period (the day after `to`, its weeks) would leave the calendar.
FILTER_DATES = validate.Range(date(1900, 1, 1), date(2999, 12, 31))


def plain(value):
    """Enums to their values, dates and times to ISO 8601 text, recursively."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return getattr(value, "value", value)
