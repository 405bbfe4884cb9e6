"""Jinja filters: local times and domain names in the page language."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from gridcase.settings import local_tz
from gridcase.web import labels


def local_time(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(local_tz()).strftime(fmt)


def register_filters(app: Flask) -> None:
    app.add_template_filter(local_time, "local_time")
    for name in (
        "STATUS",
        "LEVEL",
        "SEVERITY",
        "KIND",
        "LIGHT",
        "OUTCOME",
        "SATISFACTION",
        "PARTY_ROLE",
        "SOURCE",
        "ROLE",
        "ACTION",
        "NOTIFICATION",
    ):
        mapping = getattr(labels, name)
        app.add_template_filter(lambda value, m=mapping: m.get(value, value or ""), name.lower())
