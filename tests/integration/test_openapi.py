"""The OpenAPI document describes every JSON endpoint the app serves, and the API page loads
its assets from the app itself."""

import re

import pytest

from gridcase.cases.lifecycle import Action
from gridcase.cases.schemas import PAYLOADS

# Routes under /api/v1/ that are not JSON endpoints of the API itself.
NOT_IN_THE_DOCUMENT = {"/api/v1/openapi.json", "/api/v1/docs"}


def openapi_path(rule: str) -> str:
    """Flask's /cases/<ref> and /x/<int:id> → OpenAPI's /cases/{ref} and /x/{id}."""
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json


def test_every_api_route_and_method_is_documented(app, document):
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule in NOT_IN_THE_DOCUMENT:
            continue
        path = openapi_path(rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method.lower() not in document["paths"].get(path, {}):
                missing.append(f"{method} {path}")
    assert missing == []


def test_secured_endpoints_declare_the_bearer_scheme(document):
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    case_list = document["paths"]["/api/v1/cases"]["get"]
    assert case_list["security"] == [{"bearerAuth": []}]
    assert "422" in document["paths"]["/api/v1/cases"]["post"]["responses"]


def test_the_api_page_serves_swagger_ui_from_the_app(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and all(a.startswith("/") for a in assets)  # nothing from a CDN
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_every_action_body_is_documented_with_its_fields(document):
    schemas = document["components"]["schemas"]
    body = document["paths"]["/api/v1/cases/{ref}/actions"]["post"]["requestBody"]
    union = schemas[body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    mapping = union["discriminator"]["mapping"]
    assert set(mapping) == {action.value for action in Action}
    for action, schema in PAYLOADS.items():
        documented = schemas[mapping[action.value].rsplit("/", 1)[1]]
        assert documented["properties"]["action"]["enum"] == [action.value]
        assert set(documented["properties"]) == {"action", "version", *schema().fields}
        required = {name for name, field in schema().fields.items() if field.required}
        assert set(documented["required"]) == {"action", "version"} | required
