"""Open311 rules without a database: statuses, dates, arguments, attributes, the two formats."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from werkzeug.datastructures import MultiDict

from gridcase.open311.formats import render
from gridcase.open311.reporter import full_name, mask_email
from gridcase.open311.spec import (
    Open311Error,
    attribute_values,
    date_range,
    internal_statuses,
    open311_status,
    parse_attributes,
    parse_page,
    parse_w3c,
    status_notes,
    update_description,
    w3c,
)

NOW = datetime(2026, 11, 26, 1, 30, tzinfo=UTC)


def test_open_is_pending_or_in_progress_and_closed_is_everything_after():
    assert [open311_status(s) for s in ("pending", "in_progress", "resolved", "closed", "rejected")] == [
        "open",
        "open",
        "closed",
        "closed",
        "closed",
    ]
    assert internal_statuses(["open"]) == ["pending", "in_progress"]
    assert internal_statuses(["closed"]) == ["resolved", "closed", "rejected"]
    with pytest.raises(Open311Error) as refused:
        internal_statuses(["fixed"])
    assert refused.value.status == 400


SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_dates_are_w3c_with_a_time_zone_or_a_date_alone():
    assert parse_w3c("2026-11-26T01:30:00Z", "start_date", SHANGHAI) == NOW
    assert parse_w3c("2026-11-26T09:30:00+08:00", "start_date", SHANGHAI) == NOW
    # "+08:00" typed into a URL unencoded arrives as a space.
    assert parse_w3c("2026-11-26T09:30:00 08:00", "start_date", SHANGHAI) == NOW
    # A date alone (the W3C note's YYYY-MM-DD) is the start of that day in the city.
    assert parse_w3c("2026-11-26", "start_date", SHANGHAI) == datetime(2026, 11, 26, tzinfo=SHANGHAI)
    for bad in ("2026-11-26T09:30:00", "yesterday", "2026-13-40"):
        with pytest.raises(Open311Error, match="W3C datetime"):
            parse_w3c(bad, "start_date", SHANGHAI)
    assert w3c(NOW, SHANGHAI) == "2026-11-26T09:30:00+08:00"
    assert w3c(None, SHANGHAI) is None


def test_a_period_defaults_to_the_last_90_days_a_start_alone_runs_to_now():
    assert date_range(None, None, NOW, SHANGHAI) == (NOW - timedelta(days=90), NOW)
    start = "2026-06-01T00:00:00Z"  # more than 90 days before now: a start alone runs to now
    assert date_range(start, None, NOW, SHANGHAI) == (datetime(2026, 6, 1, tzinfo=UTC), NOW)
    assert date_range(None, "2026-10-01T00:00:00Z", NOW, SHANGHAI)[0] == datetime(2026, 7, 3, tzinfo=UTC)
    with pytest.raises(Open311Error, match="90 days"):
        date_range("2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z", NOW, SHANGHAI)
    with pytest.raises(Open311Error, match="before start_date"):
        date_range("2026-06-01T00:00:00Z", "2026-01-01T00:00:00Z", NOW, SHANGHAI)


def test_pages_and_attributes_are_read_as_clients_send_them():
    assert parse_page({}) == (1, 1000)
    assert parse_page({"page": "3", "page_size": "50"}) == (3, 50)
    for bad in ({"page": "0"}, {"page_size": "1001"}, {"page": "x"}):
        with pytest.raises(Open311Error):
            parse_page(bad)
    form = MultiDict(
        [
            ("attribute[people_involved]", "7"),
            ("attribute[may_intensify][]", "TRUE"),
            ("service_code", "E0102"),
        ]
    )
    assert parse_attributes(form) == {"people_involved": ["7"], "may_intensify": ["TRUE"]}
    assert attribute_values(parse_attributes(form)) == ({"people_involved": 7, "may_intensify": True}, {})
    assert attribute_values({"people_involved": [""]}) == ({}, {})
    # An attribute the service does not define is kept aside as sent, not refused.
    assert attribute_values({"fixmystreet_id": ["88123"]}) == ({}, {"fixmystreet_id": ["88123"]})
    with pytest.raises(Open311Error, match="whole number"):
        attribute_values({"people_involved": ["-3"]})
    with pytest.raises(Open311Error, match="true or false"):
        attribute_values({"may_intensify": ["maybe"]})


def test_citizens_read_statuses_in_fixed_words():
    assert status_notes("pending") == "已登记，等待受理。"
    assert status_notes("resolved", "mediated") == "已化解（调解成功），等待核查。"
    assert status_notes("closed", duplicate=True) == "与已登记的同一事项合并办理（重复件）。"
    assert update_description("verify", "in_progress", {}) == "核查未通过，重新办理。"
    assert (
        update_description("revisit", "in_progress", {"satisfaction": "dissatisfied"})
        == "回访不满意，重新办理。"
    )
    assert update_description("reject", "rejected", {"reason": "张三家的私事"}) == "不予受理。"


def test_xml_and_json_follow_the_spark_convention_of_the_spec():
    document = [{"service_code": "E0102", "metadata": True, "group": None, "lat": 29.7}]
    root = ET.fromstring(render("xml", "services", document))
    assert [c.tag for c in root] == ["service"]
    assert [(c.tag, c.text) for c in root[0]] == [
        ("service_code", "E0102"),
        ("metadata", "true"),
        ("group", None),
        ("lat", "29.7"),
    ]
    assert render("json", "services", document).decode().startswith("[")
    pasted = ET.fromstring(render("xml", "service_requests", [{"description": "井盖\x0b缺失\x00"}]))
    assert pasted.findtext("request/description") == "井盖缺失"  # still a readable document
    errors = ET.fromstring(render("xml", "errors", Open311Error(403, "Invalid api_key").body()))
    assert (errors.findtext("error/code"), errors.findtext("error/description")) == ("403", "Invalid api_key")


def test_reporters_are_masked_for_display():
    assert mask_email("zhangsan@example.com") == "z*******@example.com"
    assert mask_email("a@b.cn") == "a*@b.cn"
    assert full_name("三", "张") == "张三"
    assert full_name("John", "Smith") == "John Smith"
