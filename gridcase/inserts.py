"""New rows written by Core and kept in the session as loaded objects.

A flush of the unit of work sorts the session's changes, works out every relationship's
dependencies and writes each object; for one new case it cost 1.2 ms of Python, against 0.5 ms
for the same INSERT through Core (measured for issue 20). `insert_together` is for a hot path
that makes new objects and knows their relationships and their primary keys (reserved from
their sequences beforehand): it writes several kinds of them, and other INSERTs besides, in one
statement, each a data-modifying WITH of the last, reads nothing back, and puts the objects in
the session as if they had been flushed and loaded, so what follows reads them without a SELECT
and changes them as usual (a later flush writes an UPDATE). A new case, its parties, its first
event and the handlers it tells were four round trips of intake's ten.

What it does not do: no mapper events (before_insert and after_insert listeners do not run: the
models written here have none), no cascade to related objects (each kind is a batch of its own,
parents first) and no relationship loaded but those the caller names.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.orm.attributes import set_committed_value

from gridcase.extensions import db


@dataclass
class NewRows:
    """New objects of one class for `insert_together`, with the same attributes set, and the
    relationships to set on each as loaded (`case=case`)."""

    objects: list
    relationships: dict = field(default_factory=dict)


def insert_together(batches: Sequence[NewRows], also: Sequence[tuple[sa.Insert, dict]] = ()) -> None:
    """INSERT every batch of new objects, and each (statement, parameters) of `also`, in one
    statement, and add the objects to the session as persistent, loaded objects. Each object's
    primary key is given: nothing is read back. An attribute left unset takes its column's
    scalar default, else NULL. The foreign keys are checked at the statement's end, when every
    row is written.

    Raises:
        ValueError: an object without its primary key, or a column whose default only the
            database or a function gives (the object could not know its value).
    """
    batches = [batch for batch in batches if batch.objects]
    for batch in batches:
        for obj in batch.objects:
            _apply_scalar_defaults(obj)
    shapes = tuple(
        (type(batch.objects[0]), _given(batch.objects[0]), len(batch.objects)) for batch in batches
    )
    statement = _together_statement(shapes, tuple(extra for extra, _ in also))
    parameters = {}
    for index, (batch, (_, given, _)) in enumerate(zip(batches, shapes, strict=True)):
        for row, obj in enumerate(batch.objects):
            values = sa.inspect(obj).dict
            parameters.update({f"b{index}_{row}_{key}": values[key] for key in given})
    for _, extra_parameters in also:
        parameters.update(extra_parameters)
    db.session.connection().execute(statement, parameters)
    for batch, (mapped, given, _) in zip(batches, shapes, strict=True):
        left_null = [prop.key for prop in sa.inspect(mapped).column_attrs if prop.key not in given]
        for obj in batch.objects:
            for key in left_null:
                set_committed_value(obj, key, None)
            for name, value in batch.relationships.items():
                set_committed_value(obj, name, value)
            so.make_transient_to_detached(obj)  # the given values become the loaded state
            db.session.add(obj)


def _given(obj) -> tuple[str, ...]:
    loaded = sa.inspect(obj).dict
    return tuple(prop.key for prop in sa.inspect(type(obj)).column_attrs if prop.key in loaded)


def _apply_scalar_defaults(obj) -> None:
    """Set on `obj` each unset attribute's scalar column default (what the INSERT would store)."""
    mapper = sa.inspect(type(obj))
    loaded = sa.inspect(obj).dict
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if prop.key in loaded:
            continue
        if column.primary_key:
            raise ValueError(f"{mapper.class_.__name__}.{prop.key}: reserve the key before insert_together")
        if column.default is not None and column.default.is_scalar:
            setattr(obj, prop.key, column.default.arg)
        elif column.default is not None or column.server_default is not None or column.computed is not None:
            raise ValueError(f"{mapper.class_.__name__}.{prop.key}: its default is unknown before the INSERT")


@functools.cache
def _together_statement(shapes: tuple, also: tuple[sa.Insert, ...]) -> sa.Insert:
    """The one statement of `insert_together` for batches of these shapes (class, attributes
    given, number of rows): built once per shape. Parameters are named b<batch>_<row>_<key>."""
    inserts = []
    for index, (mapped, given, count) in enumerate(shapes):
        mapper = sa.inspect(mapped)
        columns = {key: mapper.column_attrs[key].columns[0] for key in given}
        # (one single-row INSERT a row: SQLAlchemy compiles a multi-row VALUES again at every
        # execution, its compiled form is not cached)
        for row in range(count):
            values = {
                column.key: sa.bindparam(f"b{index}_{row}_{key}", type_=column.type)
                for key, column in columns.items()
            }
            inserts.append(sa.insert(mapper.local_table).values(values))
    *before, last = inserts
    ctes = [statement.cte(f"written_{index}") for index, statement in enumerate([*before, *also])]
    return last.add_cte(*ctes) if ctes else last
