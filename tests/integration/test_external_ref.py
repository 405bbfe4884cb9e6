"""A hotline's work-order number (工单号): a system posting cases through the API keeps its own
number on each case — shown, searchable, and one case per number and system."""

from tests.helpers import FENGQIAO, case_payload, grid_in

REF = "12345-20261204-000123"


def test_a_work_order_number_is_kept_shown_searchable_and_used_once(api_as, make_user):
    hotline = api_as(make_user("township_coordinator", FENGQIAO))  # the township's 12345 desk
    grid = grid_in(FENGQIAO).code
    created = hotline.post("/api/v1/cases", json=case_payload(grid, source="hotline", external_ref=REF))
    assert created.status_code == 201 and created.json["external_ref"] == REF
    number = created.json["public_number"]
    found = hotline.get(f"/api/v1/cases?q={REF}").json["items"]
    assert [c["public_number"] for c in found] == [number]

    again = hotline.post(
        "/api/v1/cases", json=case_payload(grid, source="hotline", external_ref=REF, title="另一")
    )
    assert again.status_code == 409 and number in again.json["errors"]["external_ref"][0]
    other_system = api_as(make_user("township_coordinator", FENGQIAO))
    assert other_system.post("/api/v1/cases", json=case_payload(grid, external_ref=REF)).status_code == 201
    bad = hotline.post("/api/v1/cases", json=case_payload(grid, external_ref="工单 1"))
    assert bad.status_code == 422 and "external_ref" in bad.json["errors"]


def test_a_retry_of_the_request_that_logged_a_work_order_gets_its_case(api_as, make_user):
    # The hotline's first answer was lost: its retry, with the same Idempotency-Key, is answered
    # with the case, not refused as a second case of the work order.
    hotline = api_as(make_user("township_coordinator", FENGQIAO))
    body = case_payload(grid_in(FENGQIAO).code, source="hotline", external_ref=REF)
    first = hotline.post("/api/v1/cases", json=body, headers={"Idempotency-Key": REF})
    retry = hotline.post("/api/v1/cases", json=body, headers={"Idempotency-Key": REF})
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json["id"] == first.json["id"] and retry.headers["Idempotent-Replayed"] == "true"
    another_key = hotline.post("/api/v1/cases", json=body, headers={"Idempotency-Key": "other"})
    assert another_key.status_code == 409
