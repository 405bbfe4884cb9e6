"""Error pages for people in a browser (API clients get JSON from gridcase.errors)."""

from __future__ import annotations

from flask import render_template


def render_error_page(status: int, message: str):
    return render_template("error.html", status=status, message=message)
