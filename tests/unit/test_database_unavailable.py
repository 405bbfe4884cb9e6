"""A database that does not answer is a passing condition: 503 with a clear message, not a 500."""

import socket

import config
from gridcase import create_app

UNAVAILABLE = {
    "code": 503,
    "status": "Service Unavailable",
    "message": "The database is not reachable; try again shortly.",
    "errors": {},
}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_database_answers_503_with_a_clear_message():
    """Nothing listens where the database should be (connection refused, as while PostgreSQL
    restarts): API clients, Open311 clients and the health check are told so, with a hint to
    retry, instead of a 500."""

    class Unreachable(config.TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"postgresql+psycopg://gridcase:gridcase@127.0.0.1:{_closed_port()}/nowhere"

    client = create_app(Unreachable).test_client()

    for response in (
        client.get("/api/v1/cases", headers={"Authorization": "Bearer any-token"}),
        client.post("/api/v1/auth/token", json={"username": "demo-worker", "password": "gridcase-demo"}),
    ):
        assert response.status_code == 503
        assert response.json == UNAVAILABLE
        assert response.headers["Retry-After"] == "5"

    open311 = client.get("/open311/v2/requests.json?service_request_id=330681-20261125-000001")
    assert open311.status_code == 503
    assert open311.json == [{"code": 503, "description": UNAVAILABLE["message"]}]

    assert client.get("/healthz").status_code == 503
