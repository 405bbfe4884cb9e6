"""Details a real user trips on (issue 19, the domain and UX review's section 4): the tab's icon,
deadlines at midnight read as the end of the day before, and the phone's new-case heading that
fits both kinds of case."""

from datetime import datetime

from gridcase.web.filters import deadline
from tests.helpers import SHANGHAI
from tests.integration.test_attachments_and_pages import sign_in


def test_every_page_has_an_icon_and_favicon_ico_answers(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/png" and icon.data.startswith(b"\x89PNG")
    assert 'rel="icon"' in client.get("/public/").get_data(as_text=True)
    assert 'rel="icon"' in client.get("/login").get_data(as_text=True)


def test_a_deadline_at_midnight_is_the_end_of_the_day_before(app):
    midnight = datetime(2026, 12, 26, 0, 0, tzinfo=SHANGHAI)
    assert deadline(midnight, "%m-%d %H:%M") == "12-25 24:00"
    assert deadline(midnight) == "2026-12-25 24:00"
    assert deadline(datetime(2026, 12, 26, 17, 30, tzinfo=SHANGHAI), "%m-%d %H:%M") == "12-26 17:30"
    assert deadline(None) == ""


def test_the_phone_heading_names_a_case_not_only_an_incident(app, worker):
    client = app.test_client()
    sign_in(client, worker.username)
    page = client.get("/m/new?lang=zh").get_data(as_text=True)
    assert "新建案件" in page and "新建事件" not in page
