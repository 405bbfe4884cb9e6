"""What a person sends to act on a risk alert (签收, 研判, 销号) and on a monthly report (its
month, the centre's text to save or issue): one definition for the JSON API and the pages."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gridcase.stats.models import CloseOutcome, RiskGrade
from gridcase.stats.monthly_reports import MAX_CENTRE_TEXT
from gridcase.stats.report import Month


class AcknowledgeSchema(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class CloseSchema(Schema):
    note = fields.String(
        required=True,
        validate=validate.Length(1, 2000),
        metadata={"description": "How the risk was dealt with."},
    )
    outcome = fields.Enum(
        CloseOutcome,
        by_value=True,
        required=True,
        metadata={"description": "defused (已化解), controlled (已稳控) or unfounded (不构成风险)."},
    )


class AssessSchema(Schema):
    """研判."""

    assessment = fields.String(
        required=True, validate=validate.Length(1, 2000), metadata={"description": "What the risk is."}
    )
    risk_grade = fields.Enum(
        RiskGrade, by_value=True, required=True, metadata={"description": "high, medium or low"}
    )
    responsible = fields.String(
        required=True,
        validate=validate.Length(1, 100),
        metadata={"description": "The unit or person who answers for the risk (责任单位/责任人)."},
    )
    response_due = fields.Date(
        required=True, metadata={"description": "Respond by this day (today or later)."}
    )


class MonthField(fields.String):
    """A month written YYYY-MM, loaded as a Month (gridcase.stats.report)."""

    default_error_messages = {"invalid_month": "A month is written like 2026-11."}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return Month.parse(text.strip())
        except ValueError:
            raise self.make_error("invalid_month") from None

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(value)


REGION_FIELD_DESCRIPTION = "A territory code in your scope; default: your scope."


class MonthlyReportArgsSchema(Schema):
    region = fields.String(load_default=None, metadata={"description": REGION_FIELD_DESCRIPTION})
    month = MonthField(
        load_default=None,
        metadata={"description": "YYYY-MM; default: this month (a month-to-date).", "example": "2026-11"},
    )


class MonthlyReportTextSchema(Schema):
    """The centre's text of a node's month (编者按、工作要求): saved as a draft, or issued (签发)."""

    region = fields.String(load_default=None, metadata={"description": REGION_FIELD_DESCRIPTION})
    month = MonthField(required=True, metadata={"description": "YYYY-MM", "example": "2026-11"})
    centre_text = fields.String(
        load_default=None,
        validate=validate.Length(max=MAX_CENTRE_TEXT),
        metadata={
            "description": (
                f"The centre's own text, at most {MAX_CENTRE_TEXT} characters; when issuing, "
                "omitted keeps the saved draft's."
            )
        },
    )
