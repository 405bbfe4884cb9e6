"""Exports: the case list as CSV and XLSX with exactly the list's filters, personal data masked,
and the indicator table of a node and its children."""

import csv
import io
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from gridcase.cases.intake import create_case
from gridcase.cases.operations import perform_action
from gridcase.extensions import db
from gridcase.stats.exports import masked_parties
from gridcase.stats.rollups import refresh_rollups
from tests.helpers import CITY, FENGQIAO, JIYANG, SHANGHAI, case_payload, grid_in

MONDAY = datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)
ID_NUMBER = "110105194912310021"
PHONE = "13812348000"


# A refused request rolls back what it has not committed, the sign-in's token too: commit it.
COMMIT_SIGN_IN = True


@pytest.fixture
def cases(make_user):
    """Four cases of 枫桥镇 over a week (one a dispute with a party, one resolved) and one of 暨阳街道."""
    grid = grid_in(FENGQIAO)
    worker = make_user("grid_worker", grid.code)
    mediator = make_user("community_mediator", grid.community_code)
    made = {
        "garbage": create_case(worker, case_payload(grid.code, title="桥头垃圾"), now=MONDAY).case,
        "dispute": create_case(
            worker,
            case_payload(
                grid.code,
                kind="dispute",
                category="D02",
                title="楼上漏水",
                parties=[
                    {"name": "张三丰", "id_number": ID_NUMBER, "phone": PHONE, "role": "applicant"},
                    {"name": "李四", "role": "respondent"},
                ],
            ),
            now=MONDAY + timedelta(days=1),
        ).case,
        "formula": create_case(
            worker,
            case_payload(grid.code, title='=HYPERLINK("http://evil","点我")'),
            now=MONDAY + timedelta(days=2),
        ).case,
        "late": create_case(
            worker, case_payload(grid.code, title="十日后"), now=MONDAY + timedelta(days=10)
        ).case,
    }
    perform_action(
        mediator, made["garbage"].id, "resolve", 1, {"outcome": "mediated"}, now=MONDAY + timedelta(hours=5)
    )
    jiyang = grid_in(JIYANG).code
    made["elsewhere"] = create_case(make_user("grid_worker", jiyang), case_payload(jiyang), now=MONDAY).case
    db.session.commit()
    return made


def read_csv(response) -> list[dict]:
    assert response.status_code == 200, response.json
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith("\ufeff".encode())  # Excel reads UTF-8 only with the byte-order mark
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def read_xlsx(response) -> list[dict]:
    assert response.status_code == 200, response.json
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_the_csv_export_has_the_lists_cases_in_its_order(api_as, make_user, cases):
    township = api_as(make_user("township_coordinator", FENGQIAO))
    listed = township.get("/api/v1/cases?sort=created_at").json["items"]
    rows = read_csv(township.get("/api/v1/cases/export?format=csv&sort=created_at"))
    assert [row["编号"] for row in rows] == [case["public_number"] for case in listed]
    assert len(rows) == 4  # not the case of 暨阳街道
    garbage = rows[0]
    assert garbage["标题"] == "桥头垃圾"
    assert (garbage["类型"], garbage["类别"], garbage["状态"], garbage["当前层级"]) == (
        "事件",
        "暴露垃圾",
        "已化解",
        "村（社区）",
    )
    assert garbage["乡镇/街道"] == "枫桥镇" and garbage["网格"] == grid_in(FENGQIAO).name
    assert (garbage["登记时间"], garbage["化解时间"]) == ("2026-03-02 09:00", "2026-03-02 14:00")
    assert (garbage["化解方式"], garbage["按期化解"], garbage["超期未办结"]) == ("调解成功", "是", "否")
    assert rows[3]["超期未办结"] == "是"  # open, long past its due time


def test_personal_data_is_exported_masked_only(api_as, make_user, cases):
    township = api_as(make_user("township_coordinator", FENGQIAO))
    for response in (
        township.get("/api/v1/cases/export?kind=dispute"),
        township.get("/api/v1/cases/export?kind=dispute&format=xlsx"),
    ):
        raw = response.get_data()
        rows = read_xlsx(response) if response.mimetype.endswith("sheet") else read_csv(response)
        assert [row["标题"] for row in rows] == ["楼上漏水"]
        assert (
            rows[0]["当事人（已脱敏）"] == "张**（申请人，110105********0021，138****8000）；李*（被申请人）"
        )
        if not response.mimetype.endswith("sheet"):
            text = raw.decode("utf-8-sig")
            for secret in ("张三丰", ID_NUMBER, PHONE, "李四"):
                assert secret not in text


def test_the_xlsx_export_has_chinese_headers_and_typed_cells(api_as, make_user, cases):
    township = api_as(make_user("township_coordinator", FENGQIAO))
    response = township.get("/api/v1/cases/export?format=xlsx&sort=created_at")
    assert response.headers["Content-Disposition"].startswith("attachment; filename=gridcase-cases-")
    rows = read_xlsx(response)
    assert list(rows[0])[:4] == ["编号", "类型", "类别", "标题"]
    assert rows[0]["登记时间"] == datetime(2026, 3, 2, 9, 0)  # local time, a real date cell
    assert rows[0]["涉及人数"] == 0
    # A title that looks like a formula stays text: it never runs in the commander's Excel.
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    cell = sheet.cell(row=4, column=4)
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://evil","点我")', "s")


def test_a_formula_like_title_is_defused_in_csv(api_as, make_user, cases):
    township = api_as(make_user("township_coordinator", FENGQIAO))
    rows = read_csv(township.get("/api/v1/cases/export?q=HYPERLINK"))
    assert [row["标题"] for row in rows] == ['\'=HYPERLINK("http://evil","点我")']


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-03-02&to=2026-03-04",
        "status=resolved",
        "status=pending&status=in_progress",
        "kind=incident&sort=-created_at",
        "region=330681001000",
        "q=垃圾",
        "overdue=true",
        "category=E01",
    ],
)
def test_the_export_takes_exactly_the_lists_filters(api_as, make_user, cases, query):
    city = api_as(make_user("city_commander", CITY))
    listed = city.get(f"/api/v1/cases?{query}&page_size=100")
    assert listed.status_code == 200, listed.json
    rows = read_csv(city.get(f"/api/v1/cases/export?{query}"))
    assert [row["编号"] for row in rows] == [case["public_number"] for case in listed.json["items"]]


def test_the_list_filters_by_local_creation_date(api_as, make_user, cases):
    city = api_as(make_user("city_commander", CITY))
    body = city.get("/api/v1/cases?from=2026-03-03&to=2026-03-04&sort=created_at").json
    assert [case["title"] for case in body["items"]] == ["楼上漏水", '=HYPERLINK("http://evil","点我")']


def test_an_export_beyond_the_cap_is_refused_clearly(app, monkeypatch, api_as, make_user, cases):
    monkeypatch.setitem(app.config, "GRIDCASE_EXPORT_MAX_ROWS", 3)
    township = api_as(make_user("township_coordinator", FENGQIAO))
    response = township.get("/api/v1/cases/export")
    assert response.status_code == 422
    assert response.json["message"] == (
        "The export would hold 4 cases; at most 3 can be exported at once. "
        "Narrow the filters, for example with from and to."
    )
    assert township.get("/api/v1/cases/export?from=2026-03-05").status_code == 200


def test_an_export_outside_scope_is_empty(api_as, make_user, cases):
    other = api_as(make_user("township_coordinator", JIYANG))
    rows = read_csv(other.get(f"/api/v1/cases/export?region={FENGQIAO}"))
    assert rows == []
    assert other.get("/api/v1/cases/export?format=pdf").status_code == 422


def test_the_indicator_table_exports_the_node_and_its_children(api_as, make_user, cases):
    refresh_rollups(full=True)
    city = api_as(make_user("city_commander", CITY))
    rows = read_csv(city.get("/api/v1/stats/export?from=2026-03-01&to=2026-03-31"))
    assert [row["区域名称"] for row in rows][:1] == ["诸暨市"] and len(rows) == 1 + 23  # its 23 townships
    by_code = {row["区域代码"]: row for row in rows}
    assert by_code[CITY]["层级"] == "市" and by_code[FENGQIAO]["层级"] == "镇街"
    assert by_code[CITY]["受理数（件）"] == "5" and by_code[FENGQIAO]["受理数（件）"] == "4"
    assert by_code[FENGQIAO]["化解率（%）"] == "25.0"
    assert by_code[FENGQIAO]["超期未办结（件）"] == "3"
    assert by_code[FENGQIAO]["满意率（%）"] == ""  # nothing revisited
    assert (by_code[CITY]["起始日期"], by_code[CITY]["截止日期"]) == ("2026-03-01", "2026-03-31")

    sheet_rows = read_xlsx(city.get(f"/api/v1/stats/export?format=xlsx&region={FENGQIAO}"))
    assert sheet_rows[0]["区域代码"] == FENGQIAO and sheet_rows[0]["受理数（件）"] == 4
    assert sheet_rows[0]["化解率（%）"] == 25.0
    assert {row["层级"] for row in sheet_rows[1:]} == {"村（社区）"}
    assert api_as(make_user("admin", CITY)).get("/api/v1/stats/export").status_code == 403


def test_masked_parties_read_as_one_cell():
    text = masked_parties(
        [
            {"role": "applicant", "name": "张*", "id_number": "110105********0123", "phone": "138****8000"},
            {"role": "respondent", "name": "李*", "id_number": None, "phone": None},
        ]
    )
    assert text == "张*（申请人，110105********0123，138****8000）；李*（被申请人）"
