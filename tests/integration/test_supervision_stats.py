"""督办 counted for assessment (督办考核): per target of the city's 督办单 — the township's centre,
a unit — how many it received, red cards, replies in time (an open one past its deadline is
late now), accepted, and supervised again; through the API and on the page by unit."""

from gridcase.stats.queries import stats_query
from gridcase.stats.supervision_stats import supervision_table
from tests.helpers import FENGQIAO, in_december
from tests.integration.test_attachments_and_pages import sign_in
from tests.integration.test_supervision import RLSBS, act, township_case

at = in_december
DECEMBER = {"region": FENGQIAO, "from": "2026-12-01", "to": "2026-12-31"}


def supervised_twice_and_a_unit_once(people):
    """枫桥镇: a yellow card answered in time but not accepted, then a red one left unanswered
    past its deadline; 人力社保所: a yellow card answered in time and accepted."""
    city, township = people["city"], people["township"]
    first = township_case(people)
    act(city, first, "supervise", at(7, 11), note="三日内落实", reply_days=3)
    act(township, first, "reply_supervision", at(8), text="已约谈")
    act(city, first, "evaluate_supervision", at(8, 14), accepted=False, note="须一次性支付")
    second = township_case(people)
    act(township, second, "dispatch", at(7, 11), lead_unit=RLSBS, requirement="核实欠薪")
    act(people["unit"], second, "sign", at(7, 14))
    act(city, second, "supervise", at(8), note="加快核实", target_unit=RLSBS)
    act(people["unit"], second, "reply_supervision", at(8, 14), text="已核对")
    act(city, second, "evaluate_supervision", at(9), accepted=True, note="认可")


def test_each_target_is_counted_with_its_red_cards_and_replies(people):
    supervised_twice_and_a_unit_once(people)
    query = stats_query(people["city"], {**DECEMBER, "from": at(1).date(), "to": at(31).date()})
    table = supervision_table(query, now=at(20))
    rows = {(t["unit_code"] or t["node_code"]): t for t in table["targets"]}
    township, unit = rows[FENGQIAO], rows[RLSBS]
    assert (township["name"], township["level"]) == ("枫桥镇", "township")
    assert township["counts"] == {
        "supervised": 2,
        "yellow": 1,
        "red": 1,
        "reply_due": 2,  # the red one is past its deadline unanswered
        "replied_on_time": 1,
        "accepted": 0,
        "again": 1,
        "evaluated": 1,
    }
    assert township["indicators"] == {"reply_on_time_rate": 0.5, "acceptance_rate": 0.0}
    assert unit["counts"]["supervised"] == 1 and unit["indicators"]["acceptance_rate"] == 1.0
    # Before the red card's deadline, its reply is not judged yet.
    early = supervision_table(query, now=at(8, 15))
    assert {t["node_code"]: t["counts"]["reply_due"] for t in early["targets"] if t["level"]}[FENGQIAO] == 1


def test_the_api_and_the_page_by_unit_show_it(app, api_as, people):
    supervised_twice_and_a_unit_once(people)
    body = api_as(people["city"]).get("/api/v1/stats/supervision", query_string=DECEMBER).json
    assert {t["name"] for t in body["targets"]} == {"枫桥镇", "枫桥镇人力社保所"}
    outside = api_as(people["worker"]).get("/api/v1/stats/supervision", query_string=DECEMBER)
    assert outside.status_code == 404  # a grid worker reads only their grids' figures
    client = app.test_client()
    sign_in(client, people["township"].username)
    page = client.get(f"/dashboard/units?region={FENGQIAO}&from=2026-12-01&to=2026-12-31&lang=en")
    html = page.get_data(as_text=True)
    assert 'id="supervision"' in html and "Red cards" in html and "枫桥镇人力社保所" in html
