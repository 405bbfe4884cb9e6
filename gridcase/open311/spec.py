"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) rules that need no database:
the error type, statuses, W3C dates, list and page arguments, and the service attributes.

The spec's two statuses map onto the lifecycle: `open` is pending or in progress, `closed` is
resolved, closed or rejected (DESIGN §2). What a citizen reads about a status comes from a fixed
vocabulary here, never from the free text handlers write, which may name people.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from gridcase.cases.domain import OPEN_STATUSES, Status
from gridcase.cases.public_words import status_notes, update_description  # noqa: F401  (the spec's texts)
from gridcase.text import ascii_digits

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# The discovery document's changeset: bump it when the services or their definitions change
# shape, so that clients refresh what they cache.
CHANGESET = "2026-11-26 00:00"
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
MIME_TYPES = ["text/xml", "application/json"]

MAX_SPAN = timedelta(days=90)  # "may not span more than 90 days"
DEFAULT_PAGE_SIZE = 1000  # "first 1000 requests returned"
MAX_PAGE_SIZE = 1000
DESCRIPTION_MAX = 4000  # "free form text limited to 4,000 characters"
PERSONAL_FIELD_MAX = 200
MEDIA_URL_MAX = 500

OPEN, CLOSED = "open", "closed"


class Open311Error(Exception):
    """An error in the spec's format: `[{"code", "description"}]` with an HTTP status.

    The spec asks for 404 when a resource does not exist, 403 for a missing or wrong api_key
    and 400 for anything else a request gets wrong.
    """

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description

    def body(self) -> list[dict]:
        return [{"code": self.status, "description": self.description}]


def open311_status(status: str) -> str:
    """open: reported and being handled; closed: resolved, closed or rejected."""
    return OPEN if Status(status) in OPEN_STATUSES else CLOSED


def internal_statuses(wanted: list[str]) -> list[str]:
    """The case statuses behind a list of Open311 statuses.

    Raises:
        Open311Error: a status other than open or closed.
    """
    unknown = [s for s in wanted if s not in (OPEN, CLOSED)]
    if unknown:
        raise Open311Error(400, f"status must be open or closed (comma-separated), not {unknown[0]!r}.")
    return [s.value for s in Status if open311_status(s) in wanted]


def w3c(moment: datetime | None, tz: tzinfo) -> str | None:
    """A W3C datetime with the local offset, to the second: 2026-11-26T09:30:00+08:00."""
    return moment.astimezone(tz).isoformat(timespec="seconds") if moment else None


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# "+08:00" sent unencoded in a query string arrives as " 08:00": the plus read as a space.
_SPACED_OFFSET = re.compile(r"^(.*T[0-9:.]+) (\d{2}:?\d{2})$")


def parse_w3c(text: str, name: str, tz: tzinfo) -> datetime:
    """A W3C datetime argument (the profile of ISO 8601 the spec names): with its time zone (Z
    or ±hh:mm), or a date alone (YYYY-MM-DD, which the W3C note allows), read as the start of
    that day in the jurisdiction's time zone.

    Raises:
        Open311Error: not such a datetime.
    """
    value = text.strip()
    if _DATE_ONLY.match(value):
        try:
            return datetime.fromisoformat(value).replace(tzinfo=tz)
        except ValueError:
            value = ""
    spaced = _SPACED_OFFSET.match(value)
    if spaced:
        value = f"{spaced.group(1)}+{spaced.group(2)}"
    try:
        moment = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise Open311Error(
            400,
            f"{name} must be a W3C datetime with its time zone, such as 2026-01-01T00:00:00Z, "
            "or a date such as 2026-01-01.",
        )
    return moment


def date_range(start: str | None, end: str | None, now: datetime, tz: tzinfo) -> tuple[datetime, datetime]:
    """The period a list covers. "When not specified, the range defaults to most recent 90 days":
    nothing given is the last 90 days; a start alone runs to now, an end alone is the 90 days
    before it; both may not span more than 90 days.

    Raises:
        Open311Error: a malformed date, end before start, or both given more than 90 days apart.
    """
    start_at = parse_w3c(start, "start_date", tz) if start else None
    end_at = parse_w3c(end, "end_date", tz) if end else None
    if start_at and end_at:
        if end_at < start_at:
            raise Open311Error(400, "end_date is before start_date.")
        if end_at - start_at > MAX_SPAN:
            raise Open311Error(400, "start_date and end_date may not span more than 90 days.")
        return start_at, end_at
    if start_at:
        return start_at, max(now, start_at)
    if end_at:
        return end_at - MAX_SPAN, end_at
    return now - MAX_SPAN, now


def repeated(args, name: str) -> str:
    """An argument that "can be declared multiple times, comma delimited": repeated keys
    (service_code=A&service_code=B) joined as one comma list, never cut to the first."""
    getlist = getattr(args, "getlist", None)
    values = getlist(name) if getlist else [args.get(name) or ""]
    return ",".join(value for value in values if value)


def parse_list(text: str | None) -> list[str]:
    """A comma-delimited argument (service_request_id, service_code, status)."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def parse_page(args: Mapping[str, str]) -> tuple[int, int]:
    """The pagination extension: `page` from 1 and `page_size` up to 1000.

    Raises:
        Open311Error: not whole numbers in range.
    """
    numbers = []
    for name, default, top in (("page", 1, None), ("page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)):
        raw = (args.get(name) or "").strip()
        try:
            value = int(raw) if raw else default
        except ValueError:
            value = 0
        if value < 1 or (top and value > top):
            limit = f"1 to {top}" if top else "1 or more"
            raise Open311Error(400, f"{name} must be a whole number, {limit}.")
        numbers.append(value)
    return numbers[0], numbers[1]


_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")


def parse_attributes(form: Mapping) -> dict[str, list[str]]:
    """`attribute[code]=value` (and `attribute[code][]=v1&attribute[code][]=v2`) → {code: [values]}."""
    found: dict[str, list[str]] = {}
    getlist = getattr(form, "getlist", None)
    for key in form:
        match = _ATTRIBUTE_KEY.match(key)
        if match:
            values = getlist(key) if getlist else [form[key]]
            found.setdefault(match.group(1), []).extend(values)
    return found


# --- service definitions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Attribute:
    """One attribute of a service definition; each maps to a field of the case it creates."""

    code: str
    datatype: str
    description: str
    order: int
    required: bool = False
    datatype_description: str | None = None
    values: tuple[tuple[str, str], ...] = field(default=())

    def document(self) -> dict:
        body = {
            "variable": True,
            "code": self.code,
            "datatype": self.datatype,
            "required": self.required,
            "datatype_description": self.datatype_description,
            "order": self.order,
            "description": self.description,
        }
        if self.values:
            body["values"] = [{"key": key, "name": name} for key, name in self.values]
        return body


# Every public category records these on the case: people_involved feeds the mass-incident
# alert (聚集人数) and may_intensify the 可能激化 alert (DESIGN §5). Nothing else is asked,
# because nothing else would be used.
ATTRIBUTES = (
    Attribute(
        "people_involved",
        "number",
        "现场涉及或聚集的人数（估计）。 Roughly how many people are involved or gathered there.",
        1,
        datatype_description="0 到 100000 的整数 (a whole number, 0 to 100000)",
    ),
    Attribute(
        "may_intensify",
        "singlevaluelist",
        "现场是否有争吵、冲突，可能激化？ Is there a quarrel or conflict that may escalate?",
        2,
        values=(("false", "否 No"), ("true", "是 Yes")),
    ),
)


def attribute_values(raw: dict[str, list[str]]) -> tuple[dict, dict[str, list[str]]]:
    """Validated attribute values as case fields, and the attributes the service does not define
    as sent ({code: [values]}): a client may add its own (FixMyStreet's `fixmystreet_id`), and
    they are kept as a note for the handlers rather than refused.

    Raises:
        Open311Error: a value a defined attribute refuses.
    """
    known = {a.code for a in ATTRIBUTES}
    extra = {
        code: [value[:200] for value in values[:10]] for code, values in raw.items() if code not in known
    }
    values: dict = {}
    people = [v for v in raw.get("people_involved", []) if v.strip()]
    if people:
        text = people[-1].strip()
        if not ascii_digits(text) or int(text) > 100_000:
            raise Open311Error(400, "attribute[people_involved] must be a whole number from 0 to 100000.")
        values["people_involved"] = int(text)
    intensify = [v for v in raw.get("may_intensify", []) if v.strip()]
    if intensify:
        text = intensify[-1].strip().lower()
        if text not in ("true", "false"):
            raise Open311Error(400, "attribute[may_intensify] must be true or false.")
        values["may_intensify"] = text == "true"
    return values, dict(sorted(extra.items())[:20])
