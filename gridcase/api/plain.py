"""Turning loaded request data into plain JSON values for the domain and the event log."""

from __future__ import annotations


def plain(value):
    """Enums to their values, dates and times to ISO 8601 text, recursively."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return getattr(value, "value", value)
