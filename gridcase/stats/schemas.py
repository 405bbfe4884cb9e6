"""What a person sends to act on a risk alert (签收, 研判, 销号): one definition for the JSON API
and the command centre's pages."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gridcase.stats.models import CloseOutcome, RiskGrade


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
