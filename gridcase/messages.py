"""Messages to people that the pages can say in the reader's language.

The domain speaks English: a refusal's reason is what the JSON API answers (`message`), and
clients and tests rely on those words. A `Message` is that English text and, alongside it, its
template and the values filled in, so that a page can translate the template (the English text
is the catalogue's key) and name each value in the reader's language: a value that is a member
of the vocabulary (gridcase.vocabulary) says its own label.
"""

from __future__ import annotations

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


def say(message):
    """A message (a `Message`, or a plain string) in the page language: the template through
    the catalogue, each vocabulary value by its label. A text the catalogue does not know is
    said as it is."""
    if isinstance(message, Message):
        if not message.values:
            return gettext(message.template)
        values = {name: getattr(value, "label", value) for name, value in message.values.items()}
        return gettext(message.template) % values
    return gettext(message) if isinstance(message, str) and message else message


def say_all(errors):
    """`say` for every message of a field-by-field error dict (lists, nested dicts)."""
    if isinstance(errors, dict):
        return {field: say_all(value) for field, value in errors.items()}
    if isinstance(errors, list):
        return [say_all(item) for item in errors]
    return say(errors) if isinstance(errors, str) else errors
