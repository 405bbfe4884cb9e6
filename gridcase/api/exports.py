"""GET /api/v1/cases/export: the case list as a spreadsheet, with exactly the list's filters."""

from __future__ import annotations

from flask import Response, send_file, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from gridcase.api.security import auth_required
from gridcase.audit.log import AuditAction, record_now
from gridcase.cases.schemas import CaseQueryArgsSchema
from gridcase.people.sessions import current_user
from gridcase.replica import reads_from_replica
from gridcase.settings import local_tz, utcnow
from gridcase.stats.exports import CASE_HEADER, case_rows, count_for_export
from gridcase.stats.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, csv_chunks, xlsx_file

blp = Blueprint(
    "case_exports",
    __name__,
    url_prefix="/api/v1/cases",
    description="Exports of the case list (数据导出), personal data masked.",
)


class CaseExportArgsSchema(CaseQueryArgsSchema):
    """The list's filters and order (no paging), and the file's format."""

    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]))

    class Meta:
        exclude = ("page", "page_size")


@blp.route("/export")
class CaseExport(MethodView):
    @auth_required
    @reads_from_replica
    @blp.arguments(CaseExportArgsSchema(), location="query")
    @blp.response(200, description="CSV (UTF-8 with BOM, streamed) or XLSX.")
    @blp.alt_response(422, description="More cases match than one export may hold; narrow the filters.")
    def get(self, args):
        """The cases of GET /api/v1/cases with the same filters and order, as CSV or XLSX.

        Chinese column headers; parties appear masked only (张*, 110105********0123, 138****8000).
        At most GRIDCASE_EXPORT_MAX_ROWS (100 000) cases: beyond, 422 asks for narrower filters."""
        fmt = args.pop("format")
        filters = args
        viewer = current_user()
        rows = count_for_export(viewer, filters)
        record_now(
            AuditAction.DATA_EXPORTED,
            actor=viewer,
            target="cases",
            details={
                "format": fmt,
                "rows": rows,
                "filters": {k: _as_text(v) for k, v in filters.items() if v},
            },
        )
        name = f"gridcase-cases-{utcnow().astimezone(local_tz()):%Y%m%d-%H%M}.{fmt}"
        if fmt == "xlsx":
            workbook = xlsx_file("案件", CASE_HEADER, case_rows(viewer, filters))
            return send_file(workbook, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=name)
        return Response(
            stream_with_context(csv_chunks(CASE_HEADER, case_rows(viewer, filters))),
            mimetype=CSV_MIMETYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


def _as_text(value) -> str:
    """A filter as the audit log keeps it: enums by their values (['pending'], not the enum)."""
    if isinstance(value, list | tuple):
        return str([getattr(item, "value", item) for item in value])
    return str(getattr(value, "value", value))
