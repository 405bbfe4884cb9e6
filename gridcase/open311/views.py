"""Open311 GeoReport v2 at /open311/v2/: a plain Flask blueprint (the spec fixes the URLs,
formats and error shape, so it stays out of the JSON API's OpenAPI document).

Every resource answers in XML or JSON by its extension, `.xml` or `.json`, as the spec does;
every error, in the format asked, is the spec's `[{"code", "description"}]` /
`<errors><error>…` with the matching HTTP status.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from gridcase.channels.clients import authenticate_client, jurisdictions
from gridcase.errors import (
    RETRY_AFTER_SECONDS,
    Forbidden,
    GridcaseError,
    NotFound,
    Unauthorized,
    database_unavailable_message,
)
from gridcase.extensions import db
from gridcase.open311.formats import render
from gridcase.open311.service_requests import (
    get_request,
    list_requests,
    list_updates,
    request_for_token,
    submit_request,
)
from gridcase.open311.services import list_services, service_definition
from gridcase.open311.spec import CHANGESET, CONTENT_TYPES, MIME_TYPES, SPECIFICATION, Open311Error

log = logging.getLogger(__name__)

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
FMT = "<any(json, xml):fmt>"


def respond(fmt: str, root: str, document, status: int = 200) -> Response:
    """The document in the asked format, with the spec's UTF-8 content type; never cached, in
    either format (a request's status changes)."""
    response = Response(render(fmt, root, document), status=status, content_type=CONTENT_TYPES[fmt])
    response.headers["Cache-Control"] = "no-store"
    return response


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (0 < len(key.strip()) <= 128 and key.isprintable()):
        raise Open311Error(400, "The Idempotency-Key header must be 1 to 128 printable characters.")
    return key.strip() if key else None


def resolve_jurisdiction(given: str | None) -> tuple[str, str]:
    """(jurisdiction_id, city code) of a request. The argument is optional while the endpoint
    serves one jurisdiction, as the spec allows.

    Raises:
        Open311Error: 404 for an unknown jurisdiction_id, 400 when one is needed and missing.
    """
    known = jurisdictions()
    given = (given or "").strip()
    if given:
        if given not in known:
            raise Open311Error(
                404, f"jurisdiction_id {given!r} was not found; this endpoint serves: {', '.join(known)}."
            )
        return given, known[given]
    if len(known) != 1:
        raise Open311Error(
            400, f"jurisdiction_id was not provided; this endpoint serves several: {', '.join(known)}."
        )
    return next(iter(known.items()))


def _api_key() -> str | None:
    """The client's key, from the form body (the spec's place) or an X-Api-Key header; never
    from the query string, which proxies and access logs keep in clear."""
    return request.form.get("api_key") or request.headers.get("X-Api-Key")


def _endpoint_url() -> str:
    """The endpoint's address as configured (GRIDCASE_PUBLIC_URL), never the request's Host
    header, which anyone can set to send clients elsewhere."""
    return current_app.config["GRIDCASE_PUBLIC_URL"].rstrip("/") + bp.url_prefix


def _jurisdiction() -> tuple[str, str]:
    return resolve_jurisdiction(request.values.get("jurisdiction_id"))


@bp.get("/")
def root():
    """The endpoint's root serves its discovery document (Service Discovery's recommendation),
    in JSON when the client prefers it, else in XML, the spec's required format."""
    best = request.accept_mimetypes.best_match(["text/xml", "application/xml", "application/json"])
    return discovery("json" if best == "application/json" else "xml")


@bp.get(f"/discovery.{FMT}")
def discovery(fmt):
    """Service discovery: where the GeoReport v2 endpoint is and which formats it speaks."""
    production = current_app.config.get("ENV_NAME") == "production"
    document = {
        "changeset": CHANGESET,
        "contact": current_app.config["GRIDCASE_OPEN311_CONTACT"],
        "key_service": current_app.config["GRIDCASE_OPEN311_KEY_SERVICE"],
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": _endpoint_url(),
                "changeset": CHANGESET,
                "type": "production" if production else "test",
                "formats": MIME_TYPES,
            }
        ],
    }
    return respond(fmt, "discovery", document)


@bp.get(f"/services.{FMT}")
def services(fmt):
    """GET Service List: the public categories a request may name."""
    _jurisdiction()
    return respond(fmt, "services", list_services())


@bp.get(f"/services/<service_code>.{FMT}")
def service(service_code, fmt):
    """GET Service Definition: the attributes a request of this service may carry."""
    _jurisdiction()
    return respond(fmt, "service_definition", service_definition(service_code))


@bp.get(f"/requests.{FMT}")
def requests_list(fmt):
    """GET Service Requests: filters service_request_id, service_code, start_date, end_date,
    status (open, closed), and page/page_size."""
    _, city_code = _jurisdiction()
    return respond(fmt, "service_requests", list_requests(city_code, request.args))


@bp.post(f"/requests.{FMT}")
def requests_create(fmt):
    """POST Service Request (form-encoded, with api_key): the case is registered at once and its
    public number is the service_request_id. An Idempotency-Key header makes retries safe."""
    jurisdiction_id, _ = _jurisdiction()
    client = authenticate_client(_api_key(), jurisdiction_id)
    created = submit_request(client, request.form, idempotency_key=_idempotency_key())
    db.session.commit()
    return respond(fmt, "service_requests", [created], 201)


@bp.get(f"/requests/<service_request_id>.{FMT}")
def request_detail(service_request_id, fmt):
    """GET Service Request: one request by its id (the case's public number)."""
    _, city_code = _jurisdiction()
    return respond(fmt, "service_requests", get_request(city_code, service_request_id))


@bp.get(f"/tokens/<token>.{FMT}")
def token(token, fmt):
    """GET service_request_id from a token: a request kept for the city centre's triage gets
    its case's number here once the centre has placed it (null until then)."""
    _, city_code = _jurisdiction()
    return respond(fmt, "service_requests", request_for_token(city_code, token))


@bp.get(f"/servicerequestupdates.{FMT}")
def request_updates(fmt):
    """GET Service Request Updates: each status change of a request (start_date, end_date,
    page, page_size), oldest first."""
    _, city_code = _jurisdiction()
    # The root FixMyStreet's consumer and fixtures use for the updates extension.
    return respond(fmt, "service_requests_updates", list_updates(city_code, request.args))


@bp.route("/<path:anything>", methods=["GET", "POST"])
def unknown(anything):
    """Anything else under /open311/v2/ is a 404 in the spec's error format."""
    raise Open311Error(404, f"There is no Open311 resource at /open311/v2/{anything}.")


# --- errors in the spec's shape ---------------------------------------------------------------


def _error_format() -> str:
    fmt = (request.view_args or {}).get("fmt")
    if fmt in CONTENT_TYPES:
        return fmt
    return "json" if request.path.endswith(".json") else "xml"  # XML: the spec's required format


def _error(status: int, description: str) -> Response:
    # Nothing is committed on the way to an error; the request's session is discarded at teardown.
    return respond(_error_format(), "errors", Open311Error(status, description).body(), status)


def spec_error(status: int, message: str, errors=None) -> Response:
    """The app-wide error handlers' answer under /open311/ (what fails before the blueprint's
    own handlers: a method the route does not take, a body too large): the spec's error
    document in the asked format, as every other Open311 error."""
    return _error(status, str(message))


@bp.errorhandler(Open311Error)
def handle_open311_error(exc: Open311Error):
    return _error(exc.status, exc.description)


@bp.errorhandler(GridcaseError)
def handle_domain_error(exc: GridcaseError):
    if isinstance(exc, NotFound):
        return _error(404, exc.message)
    if isinstance(exc, Forbidden | Unauthorized):
        return _error(403, exc.message)
    return _error(400, exc.message)


@bp.errorhandler(HTTPException)
def handle_http_error(exc: HTTPException):
    status = exc.code or 400
    return _error(status, exc.description or "The request could not be processed.")


@bp.errorhandler(OperationalError)
def handle_database_unavailable(exc: OperationalError):
    log.warning("Database unavailable on %s %s: %s", request.method, request.path, exc.orig)
    response = _error(503, database_unavailable_message(exc))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@bp.errorhandler(Exception)
def handle_unexpected(exc: Exception):
    log.exception("Unhandled Open311 error on %s %s", request.method, request.path)
    return _error(500, "Something went wrong on our side; the error has been logged.")
