"""Schema pieces every front door and every domain reuses: local-date periods, paging, pages of
items, code-and-name pairs, and fields computed from the object they describe.

The JSON API documents them in its OpenAPI document (flask-smorest); the pages load their forms
through the same schemas, so a rule is written once for both.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from marshmallow import Schema, fields, missing, validate

from gridcase.settings import MAX_PAGE

# The dates a filter may name: any a case or an audit entry could have. Past them, the date
# arithmetic of a period (the day after `to`, its weeks) would leave the calendar.
FILTER_DATES = validate.Range(date(1900, 1, 1), date(2999, 12, 31))


class PeriodArgsSchema(Schema):
    """`from` and `to`: local dates, both inclusive, loaded under those names (`from` is a
    Python keyword, hence the attribute name `from_` here)."""

    from_ = fields.Date(
        data_key="from",
        attribute="from",
        load_default=None,
        validate=FILTER_DATES,
        metadata={"description": "Created on or after (local date)."},
    )
    to = fields.Date(
        load_default=None,
        validate=FILTER_DATES,
        metadata={"description": "Created on or before (local date)."},
    )


class PageArgsSchema(Schema):
    """`page` (from 1) and `page_size` (at most 100; 20 unless asked)."""

    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    page_size = fields.Integer(load_default=20, validate=validate.Range(1, 100))


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    """The schema of one page of a list: `{items, total, page, page_size}`. `name` is its name
    in the OpenAPI document (e.g. "CaseListSchema" → CaseList)."""
    return type(
        name,
        (Schema,),
        {
            "items": fields.List(fields.Nested(item_schema)),
            "total": fields.Integer(),
            "page": fields.Integer(),
            "page_size": fields.Integer(),
        },
    )


class CodeNameSchema(Schema):
    code = fields.String()
    name = fields.String()


class Computed(fields.Field):
    """A field whose value a function computes from the whole object. Combine it with the field
    class of its type, which serialises the value and names the type in the OpenAPI document:
    `class ComputedString(Computed, fields.String)`. The function may answer `missing` to leave
    the field out."""

    def __init__(self, function: Callable, **kwargs):
        super().__init__(**kwargs)
        self.function = function

    def get_value(self, obj, attr, accessor=None, default=missing):
        return self.function(obj)


class ComputedString(Computed, fields.String):
    pass


class ComputedFloat(Computed, fields.Float):
    pass


class ComputedBoolean(Computed, fields.Boolean):
    pass


class ComputedList(Computed, fields.List):
    def __init__(self, function: Callable, cls_or_instance, **kwargs):
        fields.List.__init__(self, cls_or_instance, **kwargs)
        self.function = function


class ComputedNested(Computed, fields.Nested):
    """A nested document made from the object itself (a case's location is four of its
    columns), or from what `function` returns."""

    def __init__(self, nested, function: Callable = lambda obj: obj, **kwargs):
        fields.Nested.__init__(self, nested, **kwargs)
        self.function = function
