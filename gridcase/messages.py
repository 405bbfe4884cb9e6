"""Messages to people that the pages can say in the reader's language.

The domain speaks English: a refusal's reason is what the JSON API answers (`message`), and
clients and tests rely on those words. A `Message` is that English text and, alongside it, its
template and the values filled in, so that a page can translate the template (the English text
is the catalogue's key) and name each value in the reader's language: a value that is a member
of the vocabulary (gridcase.vocabulary) says its own label.
"""

from __future__ import annotations

import re

from flask_babel import gettext


class Message(str):
    """English text made from a %-template; `template` and `values` are kept for translation.

    >>> m = Message("Only the %(level)s level may '%(action)s' it.", level="township", action="accept")
    >>> m, m.template, m.values["level"]
    ("Only the township level may 'accept' it.", "Only the %(level)s level may '%(action)s' it.", 'township')
    """

    template: str
    values: dict[str, str]

    def __new__(cls, template: str, **values: str) -> Message:
        message = super().__new__(cls, template % values if values else template)
        message.template, message.values = template, values
        return message


# marshmallow's own field messages that forms meet most, as catalogue keys: the pages say them
# through `say`; the API answers them in English.
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


# marshmallow's messages that carry values (a range, a length, a choice): the English text is
# matched and said again through the catalogue's template with the same values.
FIELD_PATTERNS = (
    (
        re.compile(
            r"^Must be greater than or equal to (?P<min>\S+) and less than or equal to (?P<max>\S+)\.$"
        ),
        Message("Must be greater than or equal to %(min)s and less than or equal to %(max)s."),
    ),
    (
        re.compile(r"^Must be greater than or equal to (?P<min>\S+)\.$"),
        Message("Must be greater than or equal to %(min)s."),
    ),
    (
        re.compile(r"^Must be less than or equal to (?P<max>\S+)\.$"),
        Message("Must be less than or equal to %(max)s."),
    ),
    (
        re.compile(r"^Length must be between (?P<min>\d+) and (?P<max>\d+)\.$"),
        Message("Length must be between %(min)s and %(max)s."),
    ),
    (
        re.compile(r"^Shorter than minimum length (?P<min>\d+)\.$"),
        Message("Shorter than minimum length %(min)s."),
    ),
    (
        re.compile(r"^Longer than maximum length (?P<max>\d+)\.$"),
        Message("Longer than maximum length %(max)s."),
    ),
    (re.compile(r"^Must be one of: (?P<choices>.*)\.$"), Message("Must be one of: %(choices)s.")),
)


def say(message):
    """A message (a `Message`, or a plain string) in the page language: the template through
    the catalogue, each vocabulary value by its label (a value that is itself a Message, said
    too). A text the catalogue does not know is matched against marshmallow's messages with
    values, else said as it is."""
    if isinstance(message, Message):
        if not message.values:
            return gettext(message.template)
        values = {
            name: say(value) if isinstance(value, Message) else getattr(value, "label", value)
            for name, value in message.values.items()
        }
        return gettext(message.template) % values
    if not isinstance(message, str) or not message:
        return message
    said = gettext(message)
    if said == message:
        for pattern, template in FIELD_PATTERNS:
            match = pattern.match(message)
            if match:
                return gettext(template.template) % match.groupdict()
    return said


def say_all(errors):
    """`say` for every message of a field-by-field error dict (lists, nested dicts)."""
    if isinstance(errors, dict):
        return {field: say_all(value) for field, value in errors.items()}
    if isinstance(errors, list):
        return [say_all(item) for item in errors]
    return say(errors) if isinstance(errors, str) else errors
