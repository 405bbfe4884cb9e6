"""Messages to people that the pages can say in the reader's language.

The domain modules are pure and speak English: a refusal's reason is what the JSON API answers
(`message`), and clients and tests rely on those words. A `Message` is that English text and,
alongside it, its template and the values filled in, so that a page can translate the template
(the English text is the catalogue's key) and name each value in Chinese (gridcase.web.labels).
"""

from __future__ import annotations


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
