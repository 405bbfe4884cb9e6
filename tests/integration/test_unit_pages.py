"""The workbench pages of 条块联动: the centre dispatches from the case page (the proposed unit
chosen), a unit's people find the case in their unit's queue with its light, sign for it, return
it or resolve it from the case page; what a unit holds no assignment of is a 404."""

import re

import pytest
import sqlalchemy as sa

from gridcase.cases.intake import create_case
from gridcase.cases.models import Case
from gridcase.extensions import db
from gridcase.units.assignments import case_assignments
from tests.helpers import FENGQIAO, case_payload, grid_in
from tests.integration.test_attachments_and_pages import csrf_from, sign_in

RLSBS, SFS, PCS = f"{FENGQIAO}-rlsbs", f"{FENGQIAO}-sfs", f"{FENGQIAO}-pcs"


@pytest.fixture
def people(make_user):
    return {
        "worker": make_user("grid_worker", grid_in(FENGQIAO).code),
        "centre": make_user("township_coordinator", FENGQIAO),
        "rlsbs": make_user("unit_handler", None, unit_code=RLSBS),
        "police": make_user("unit_handler", None, unit_code=PCS),
    }


@pytest.fixture
def wage_case(people):
    body = case_payload(
        people["worker"].scope_code,
        kind="dispute",
        category="D1001",
        title="某工地拖欠12名农民工工资",
        people_involved=12,
    )
    return create_case(people["worker"], body).case


def page_client(app, user, lang="en"):
    """Signed in as `user`, pages in `lang` (the choice is kept in the session)."""
    client = app.test_client()
    landing = sign_in(client, user.username)
    assert landing.status_code == 302
    assert client.get(f"{landing.headers['Location']}?lang={lang}").status_code == 200
    return client


def post_action(client, case, action, **fields):
    page = client.get(f"/desk/cases/{case.public_number}")
    version = db.session.scalar(sa.select(Case.version).where(Case.id == case.id))
    data = {"csrf_token": csrf_from(page.data), "action": action, "version": str(version), **fields}
    return client.post(f"/desk/cases/{case.public_number}", data=data)


def test_the_centre_dispatches_from_the_case_page_with_the_proposed_unit(app, people, wage_case):
    centre = page_client(app, people["centre"])
    page = centre.get(f"/desk/cases/{wage_case.public_number}").get_data(as_text=True)
    # The category's default unit for the place is proposed, and chosen unless changed.
    lead = re.search(r'<select name="lead_unit".*?</select>', page, re.S).group(0)
    assert re.search(rf'<option value="{RLSBS}" selected>[^<]*人力社保所', lead)
    assert f'name="assist_units" value="{SFS}"' in page

    refused = post_action(centre, wage_case, "dispatch", lead_unit=RLSBS, requirement="")
    assert refused.status_code == 422 and case_assignments(wage_case.id) == []

    done = post_action(
        centre, wage_case, "dispatch", lead_unit=RLSBS, assist_units=[SFS], requirement="三日内核实欠薪金额"
    )
    assert done.status_code == 302
    assert [(a.unit_code, a.role, a.status) for a in case_assignments(wage_case.id)] == [
        (RLSBS, "lead", "pending"),
        (SFS, "assist", "pending"),
    ]
    page = centre.get(f"/desk/cases/{wage_case.public_number}").get_data(as_text=True)
    assert 'id="assignments"' in page and "三日内核实欠薪金额" in page


def test_a_unit_signs_from_its_queue_and_resolves_on_the_case_page(app, people, wage_case):
    centre = page_client(app, people["centre"])
    post_action(centre, wage_case, "dispatch", lead_unit=RLSBS, requirement="核实欠薪金额")
    handler = page_client(app, people["rlsbs"])

    landing = sign_in(app.test_client(), people["rlsbs"].username)
    assert landing.headers["Location"] == "/desk/unit"
    queue = handler.get("/desk/unit").get_data(as_text=True)
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{wage_case.public_number}.*?</tr>", queue, re.S).group(0)
    assert 'class="row-green"' in row and 'class="light light-green"' in row  # signing clock, green
    assert "Awaiting signature" in row and "Lead unit" in row

    page = handler.get(f"/desk/cases/{wage_case.public_number}").get_data(as_text=True)
    assert 'value="sign"' in page and 'value="return"' in page and 'value="resolve"' not in page
    assert post_action(handler, wage_case, "sign").status_code == 302
    assert case_assignments(wage_case.id)[0].status == "signed"

    page = handler.get(f"/desk/cases/{wage_case.public_number}").get_data(as_text=True)
    assert 'value="resolve"' in page and 'value="progress"' in page and 'id="add-photos"' in page
    resolved = post_action(handler, wage_case, "resolve", outcome="mediated", summary="企业已足额支付")
    assert resolved.status_code == 302
    assert case_assignments(wage_case.id)[0].status == "done"
    assert db.session.scalar(sa.select(Case.status).where(Case.id == wage_case.id)) == "resolved"
    finished = handler.get("/desk/unit?show=done").get_data(as_text=True)
    assert wage_case.public_number in finished


def test_a_return_needs_its_reason_in_words_and_keeps_what_was_typed(app, people, wage_case):
    post_action(
        page_client(app, people["centre"]), wage_case, "dispatch", lead_unit=RLSBS, requirement="核实"
    )
    handler = page_client(app, people["rlsbs"])
    refused = post_action(handler, wage_case, "return", reason="outside_area", note="")
    assert refused.status_code == 422
    assert '<option value="outside_area" selected>' in refused.get_data(as_text=True)
    assert case_assignments(wage_case.id)[0].status == "pending"

    assert (
        post_action(handler, wage_case, "return", reason="outside_area", note="工地在店口镇").status_code
        == 302
    )
    centre_page = page_client(app, people["centre"]).get(f"/desk/cases/{wage_case.public_number}")
    text = centre_page.get_data(as_text=True)
    assert "Outside our area: 工地在店口镇" in text  # the reason shown to the centre
    # The unit no longer sees a case it returned.
    assert handler.get(f"/desk/cases/{wage_case.public_number}").status_code == 404


def test_a_police_station_handler_gets_404_for_a_case_not_dispatched_to_it(app, people, wage_case):
    post_action(
        page_client(app, people["centre"]), wage_case, "dispatch", lead_unit=RLSBS, requirement="核实"
    )
    police = page_client(app, people["police"])
    assert police.get(f"/desk/cases/{wage_case.public_number}").status_code == 404
    assert wage_case.public_number not in police.get("/desk/unit").get_data(as_text=True)
    assert police.get("/desk/").status_code == 302  # the coordinators' queue is not theirs


def test_the_timeline_tells_each_units_step_in_chinese(app, people, wage_case):
    post_action(
        page_client(app, people["centre"]), wage_case, "dispatch", lead_unit=RLSBS, requirement="核实"
    )
    handler = page_client(app, people["rlsbs"])
    post_action(handler, wage_case, "return", reason="not_our_duty", note="应由住建部门处理")
    centre = page_client(app, people["centre"], lang="zh")
    page = centre.get(f"/desk/cases/{wage_case.public_number}").get_data(as_text=True)
    timeline = page[page.index('class="timeline"') :]
    assert timeline.index("退回") < timeline.index("派遣")  # newest first
    assert "枫桥镇人力社保所: 非本单位职责" in timeline and "应由住建部门处理" in timeline
    assert "主办单位: 枫桥镇人力社保所" in timeline and "要求: 核实" in timeline


def test_the_centres_queue_shows_a_returned_case_and_the_unit_sees_its_latest_requirement(
    app, people, wage_case
):
    centre = page_client(app, people["centre"])
    post_action(centre, wage_case, "dispatch", lead_unit=RLSBS, requirement="旧要求：核实")
    handler = page_client(app, people["rlsbs"])
    post_action(handler, wage_case, "return", reason="information_missing", note="未写明用工单位")
    queue = centre.get("/desk/").get_data(as_text=True)
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{wage_case.public_number}.*?</tr>", queue, re.S).group(0)
    assert "Returned by 枫桥镇人力社保所: Information missing" in row  # awaits a dispatch again

    post_action(centre, wage_case, "dispatch", lead_unit=RLSBS, requirement="新要求：用工单位为某建筑公司")
    queue = centre.get("/desk/").get_data(as_text=True)
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{wage_case.public_number}.*?</tr>", queue, re.S).group(0)
    assert "Returned by" not in row and "Lead unit: 枫桥镇人力社保所" in row
    page = handler.get(f"/desk/cases/{wage_case.public_number}").get_data(as_text=True)
    units = re.search(r'<section class="card" id="assignments">.*?</section>', page, re.S).group(0)
    assert "新要求：用工单位为某建筑公司" in units and "旧要求" not in units


def test_the_timeline_tells_each_units_step_in_english(app, people, wage_case):
    post_action(
        page_client(app, people["centre"]), wage_case, "dispatch", lead_unit=RLSBS, requirement="核实"
    )
    post_action(
        page_client(app, people["rlsbs"]), wage_case, "return", reason="outside_area", note="在店口镇"
    )
    page = (
        page_client(app, people["centre"])
        .get(f"/desk/cases/{wage_case.public_number}")
        .get_data(as_text=True)
    )
    timeline = page[page.index('class="timeline"') :]
    assert timeline.index("Return") < timeline.index("Dispatch")
    assert "枫桥镇人力社保所: Outside our area" in timeline and "Lead unit: 枫桥镇人力社保所" in timeline
