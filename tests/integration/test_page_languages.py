"""One language per page (issue 19): every page, walked in Chinese and in English by the role
that works on it, says nothing that missed the translation catalogue.

Two nets catch a message that did not come through the catalogue:
- every message looked up in the catalogue on a Chinese page is found there (a fallback on the
  Chinese translations records each msgid it is asked for: a missing entry, or a text the code
  passed to gettext that no extraction can see);
- the visible text of an English page holds no Chinese, and of a Chinese page no English
  sentence, once the data the page shows — place, people's, unit and category names, case titles,
  numbers and codes — is taken out: a text written into a template or the code without the
  catalogue.
"""

from __future__ import annotations

import gettext
import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from flask import session
from flask_babel import get_domain, refresh
from werkzeug.exceptions import NotFound

from gridcase.assessment.models import AssessmentScheme
from gridcase.assessment.schemes import DEFAULT_NAME as DEFAULT_SCHEME_NAME
from gridcase.cases.intake import create_case
from gridcase.cases.models import Case, Category
from gridcase.extensions import db
from gridcase.mediation.models import CourtReferral
from gridcase.people.models import User
from gridcase.stats.models import Alert
from gridcase.territory.models import Region
from gridcase.units.models import Unit
from tests.helpers import CITY, FENGQIAO, case_payload, grid_in, sign_in_with_second_factor
from tests.integration.test_attachments_and_pages import sign_in

# The pages each role works on ({case}, {alert}, {user} and {unit} are filled in by the walk).
PAGES_BY_ROLE: dict[str, list[str]] = {
    "anonymous": [
        "/login",
        "/public/",
        "/public/map",
        "/public/report",
        "/public/track",
        "/revisit",
        "/no-such-page",
    ],
    "grid_worker": [
        "/m/",
        "/m/cases",
        "/m/cases/{case}",
        "/m/new",
        "/m/notifications",
        "/m/households",
        "/m/patrol",
        "/m/score",
        "/m/visits",
        "/account",
    ],
    "community_mediator": [
        "/desk/",
        "/desk/cases/{case}",
        "/desk/new",
        "/desk/notifications",
        "/desk/follow-ups",
        "/desk/patrols",
        "/desk/screening",
        "/desk/watch",
        "/desk/cases/330681-20261204-999999",
        "/reports/monthly",
    ],
    "external_mediator": ["/desk/invited"],
    "township_coordinator": ["/desk/", "/desk/cases/{case}", "/dashboard/"],
    "city_commander": [
        "/dashboard/",
        "/dashboard/alerts/{alert}",
        "/dashboard/assessment",
        "/dashboard/assessment/schemes",
        "/dashboard/trends",
        "/dashboard/units",
        "/desk/triage",
        "/reports/monthly",
        "/desk/cases/{case}",
    ],
    "admin": [
        "/admin/users",
        "/admin/users/{user}",
        "/admin/units",
        "/admin/units/{unit}",
        "/admin/units/new",
    ],
    "auditor": ["/audit/"],
    "unit_handler": ["/desk/unit"],
}

# Page addresses that answer no page of their own: forms' POST targets aside (the walk reads
# GET pages only), these are files, JSON, redirects or the machine interfaces.
NOT_PAGES = {
    "/",  # a redirect to the role's home
    "/favicon.ico",
    "/manifest.webmanifest",
    "/sw.js",
    "/csrf-token",
    "/healthz",
    "/public/map.json",
    "/public/nearby",
    "/public/challenge",
    "/login/second-factor",  # walked by every sign-in with a second factor
}

SCOPES = {
    "grid_worker": "grid",
    "community_mediator": "community",
    "township_coordinator": FENGQIAO,
    "city_commander": CITY,
    "admin": CITY,
    "auditor": CITY,
    "external_mediator": CITY,
}


class VisibleText(HTMLParser):
    """The text a person reads on a page: text nodes outside script and style, and the
    attributes a browser shows or reads aloud (placeholder, title, alt, aria-label, a button's
    value). An element that names its own language (the link to the page in the other language,
    中文 or English) is in that language, not the page's."""

    SHOWN_ATTRIBUTES = ("placeholder", "title", "alt", "aria-label")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0
        self._other_language: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("script", "style", "template"):
            self._hidden += 1
        if attributes.get("lang") and tag != "html":
            self._other_language.append(tag)
        if self._other_language:
            return
        self.parts.extend(attributes[name] for name in self.SHOWN_ATTRIBUTES if attributes.get(name))
        if tag == "input" and attributes.get("type") in ("submit", "button") and attributes.get("value"):
            self.parts.append(attributes["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1
        if self._other_language and self._other_language[-1] == tag:
            self._other_language.pop()

    def handle_data(self, data):
        if not self._hidden and not self._other_language and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.parts


# A code the pages look up in case it is a message (a value in the audit log's details: a role, a
# territory code, "password+totp") and show as it is when it is not: no sentence for a person.
CODE = re.compile(r"^[a-z0-9_+.\-]*$")


class MissedMessages(gettext.NullTranslations):
    """The Chinese catalogue's fallback: every msgid asked for and not found in the catalogue."""

    def __init__(self) -> None:
        super().__init__()
        self.missed: set[str] = set()

    def _miss(self, message: str) -> None:
        if not CODE.match(message):
            self.missed.add(message)

    def gettext(self, message):
        self._miss(message)
        return message

    def ngettext(self, singular, plural, n):
        self._miss(singular)
        return singular if n == 1 else plural

    def pgettext(self, context, message):
        self._miss(message)
        return message

    def npgettext(self, context, singular, plural, n):
        self._miss(singular)
        return singular if n == 1 else plural


@pytest.fixture
def missed_messages(app):
    """Records what the Chinese pages ask of the catalogue and do not find."""
    recorder = MissedMessages()
    with app.test_request_context("/"):
        session["lang"] = "zh"
        translations = get_domain().get_translations()
    assert translations._fallback is None
    translations._fallback = recorder
    yield recorder
    translations._fallback = None


CHINESE = re.compile(r"[\u3400-\u9fff]")
# An English sentence or phrase: two words of letters in a row (a lone word such as a code, PDF,
# Word, Open311 or a unit like km is not a sentence).
ENGLISH_PHRASE = re.compile(r"[A-Za-z][a-z]+(?:[ '’-][A-Za-z][a-z]+)+")


def data_names() -> list[str]:
    """What the pages show as data, longest first: territory, people, units, categories, titles."""
    names: set[str] = set()
    names.update(db.session.scalars(sa.select(Region.name)))
    names.update(filter(None, db.session.scalars(sa.select(User.display_name))))
    names.update(db.session.scalars(sa.select(User.username)))
    names.update(db.session.scalars(sa.select(Unit.name)))
    names.update(db.session.scalars(sa.select(Category.name)))
    names.update(db.session.scalars(sa.select(Case.title)))
    names.update(filter(None, db.session.scalars(sa.select(Case.address))))
    names.update(filter(None, db.session.scalars(sa.select(Case.description))))
    names.update(filter(None, db.session.scalars(sa.select(Unit.name_en))))
    names.update(db.session.scalars(sa.select(AssessmentScheme.name)))
    names.add(DEFAULT_SCHEME_NAME)  # the scheme in effect before a city writes its own
    names.update(filter(None, db.session.scalars(sa.select(CourtReferral.court_number))))
    return sorted(filter(None, names), key=len, reverse=True)


MASKED_NAME = re.compile(r"[\u3400-\u9fff]\*+")  # a party's masked name: 王*


def without_data(text: str, names: list[str]) -> str:
    text = MASKED_NAME.sub(" ", text)
    for name in names:
        if name in text:
            text = text.replace(name, " ")
    return text


def every_page_address(app) -> set[str]:
    """The app's GET pages (HTML for a person), by their rule."""
    rules = set()
    for rule in app.url_map.iter_rules():
        path = rule.rule
        if "GET" not in rule.methods or path.startswith(("/api/", "/static", "/open311")):
            continue
        rules.add(path)
    return rules - NOT_PAGES


def walked_rules(app, walked: list[str]) -> set[str]:
    adapter = app.url_map.bind("localhost")
    rules = set()
    for path in walked:
        try:
            rule, _ = adapter.match(path, method="GET", return_rule=True)
        except NotFound:  # (a missing address is walked for the error page)
            continue
        rules.add(rule.rule)
    return rules


def test_the_walk_covers_every_page(app):
    """A page added to the app is added to the walk below, or named here as not a page."""
    sample = {"case": "330681-20261204-000001", "alert": 1, "user": 1, "unit": "330681109000-rlsbs"}
    walked = [path.format(**sample) for paths in PAGES_BY_ROLE.values() for path in paths]
    missing = every_page_address(app) - walked_rules(app, walked)
    assert missing == set(), f"pages the language walk does not visit: {sorted(missing)}"


@pytest.fixture
def walk(app, make_user):
    """Clients signed in per role, and the addresses of the pages each reads."""
    grid = grid_in(FENGQIAO)
    users = {}
    for role, scope in SCOPES.items():
        code = {"grid": grid.code, "community": grid.community_code}.get(scope, scope)
        users[role] = make_user(role, code)
    users["unit_handler"] = make_user("unit_handler", None, unit_code=f"{FENGQIAO}-rlsbs")
    case = create_case(
        users["grid_worker"],
        case_payload(
            grid.code,
            kind="dispute",
            category="D02",
            may_intensify=True,
            parties=[{"name": "王五", "role": "applicant", "phone": "13812348000"}],
        ),
    ).case
    alert = db.session.scalars(sa.select(Alert).order_by(Alert.id.desc()).limit(1)).one()
    unit = db.session.scalars(sa.select(Unit).order_by(Unit.code).limit(1)).one()
    db.session.flush()
    fill = {"case": case.public_number, "alert": alert.id, "user": users["grid_worker"].id, "unit": unit.code}
    clients = {}
    for role in PAGES_BY_ROLE:
        client = app.test_client()
        if role in ("city_commander", "admin"):
            sign_in_with_second_factor(client, users[role])
        elif role != "anonymous":
            sign_in(client, users[role].username)
        clients[role] = client
    return clients, {role: [p.format(**fill) for p in paths] for role, paths in PAGES_BY_ROLE.items()}


def read_pages(clients, pages, lang: str) -> dict[str, str]:
    texts = {}
    for role, paths in pages.items():
        client = clients[role]
        for path in paths:
            answer = client.get(path, query_string={"lang": lang})
            assert answer.status_code in (200, 404), f"{role} {path}: {answer.status_code}"
            texts[f"{role} {path}"] = answer.get_data(as_text=True)
    return texts


def listed(found: dict) -> str:
    return "\n".join(f"{page}: {found[page]}" for page in sorted(found))


def test_the_chinese_pages_find_every_message_in_the_catalogue(walk, missed_messages):
    clients, pages = walk
    read_pages(clients, pages, "zh")
    assert not missed_messages.missed, "not in the catalogue:\n" + "\n".join(sorted(missed_messages.missed))


def test_the_chinese_pages_show_no_english_sentence(walk):
    clients, pages = walk
    names = data_names()
    found = {}
    for page, html in read_pages(clients, pages, "zh").items():
        english = {
            phrase
            for text in visible_text(html)
            for phrase in ENGLISH_PHRASE.findall(without_data(text, names))
        }
        if english:
            found[page] = sorted(english)
    assert not found, "English on Chinese pages:\n" + listed(found)


def test_the_english_pages_show_no_chinese(walk):
    clients, pages = walk
    names = data_names()
    found = {}
    for page, html in read_pages(clients, pages, "en").items():
        chinese = {text for text in visible_text(html) if CHINESE.search(without_data(text, names))}
        if chinese:
            found[page] = sorted(chinese)
    assert not found, "Chinese on English pages:\n" + listed(found)


def test_a_label_of_a_literal_follows_each_pages_language(app):
    """Jinja calls a plain filter on a literal once, when it compiles the template: the label
    filters are called each time, so the language of the first request does not stick."""
    template = app.jinja_env.from_string("{{ 'confirmed'|confirmation }} {{ '化解率'|term }}")
    said = {}
    for lang in ("zh", "en", "zh"):
        with app.test_request_context("/"):
            session["lang"] = lang
            refresh()  # (the test's app context outlives the request: forget its language)
            said.setdefault(lang, set()).add(template.render())
    assert said == {"zh": {"法院裁定确认有效 化解率"}, "en": {"Confirmed by the court Resolution rate"}}
