"""The pages' forms: what a posted form came to, and how a refusal is shown.

The pages write their forms by hand (Flask-WTF only checks CSRF) and load them through the same
marshmallow schemas as the JSON API, so a rule is written once. A refused form comes back with
every value typed and each reason next to its field, in the page's language; nothing of it was
kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from gridcase.errors import GridcaseError
from gridcase.extensions import db
from gridcase.messages import say, say_all


@dataclass
class FormOutcome:
    """The result of handling a posted form (or of a plain GET)."""

    redirect: object | None = None
    status: int = 200
    action: str | None = None  # the form that failed
    message: str | None = None
    errors: dict = field(default_factory=dict)
    values: MultiDict = field(default_factory=MultiDict)

    def error(self, name: str) -> str:
        """The messages for one field (dotted names for nested ones; a list field's for each of
        its items), for the template."""
        node = self.errors
        for part in name.split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
            else:
                return ""
        return " ".join(_sentences(node))

    def value(self, action: str, name: str, default: str = "") -> str:
        """What the user typed into a field of `action`'s form, when that form failed."""
        return self.values.get(name, default) if self.action == action else default

    def refused(self, exc: Exception, conflict: tuple[str, str] | None = None) -> FormOutcome:
        """This form, refused by `exc`: nothing of it is kept, and the page says why.

        A thing out of the user's scope stays a 404, as everywhere (re-raised). A
        unique-constraint race (IntegrityError) is a 409, said by `conflict` (field, message).
        """
        db.session.rollback()
        if isinstance(exc, GridcaseError) and exc.status == 404:
            raise exc
        if isinstance(exc, ValidationError):
            self.status, self.errors = 422, say_all(exc.messages)
            self.message = _("Please correct the fields marked below.")
        elif isinstance(exc, IntegrityError):
            name, message = conflict or (
                "form",
                _("Someone else saved this a moment ago; reload and try again."),
            )
            self.status, self.errors = 409, {name: [message]}
            self.message = _("Please correct the fields marked below.")
        else:
            self.status, self.message = int(exc.status), say(exc.message)
            self.errors = say_all(exc.errors) if isinstance(exc.errors, dict) else {}
        return self


def _sentences(node) -> list[str]:
    if isinstance(node, dict):
        return [text for child in node.values() for text in _sentences(child)]
    if isinstance(node, list | tuple):
        return [text for child in node for text in _sentences(child)]
    return [str(node)]
