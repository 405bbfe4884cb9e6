"""New rows written by one Core INSERT and kept in the session as loaded objects.

A flush of the unit of work sorts the session's changes, works out every relationship's
dependencies and writes each object; for one new case it cost 1.2 ms of Python, against 0.5 ms
for the same INSERT through Core (measured for issue 20). `insert_new` is for a hot path that
makes new objects and knows their relationships: it writes them in one statement, reads back
only what the database gave them (the identity, column defaults) and puts them in the session
as if they had been flushed and loaded, so what follows reads them without a SELECT and changes
them as usual (a later flush writes an UPDATE).

What it does not do: no mapper events (before_insert and after_insert listeners do not run: the
models written here have none), no cascade to related objects (each kind is written by its own
call, parents first) and no relationship loaded but those the caller names.
"""

from __future__ import annotations

import functools
from typing import TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.orm.attributes import set_committed_value

from gridcase.extensions import db

T = TypeVar("T")


@functools.cache
def _insert_statement(
    mapped: type, given: tuple[str, ...]
) -> tuple[sa.Insert, tuple[str, ...], tuple[str, ...]]:
    """The INSERT of the `given` attributes, returning those the database or a column default
    gives (the identity, defaults), and the attributes left NULL: one statement per class and
    set of attributes, built once. (Returning every column not given cost a column description
    and a value to load for each: a new case left some twenty NULL.)"""
    mapper = sa.inspect(mapped)
    missing = [mapper.column_attrs[prop.key] for prop in mapper.column_attrs if prop.key not in given]
    returned = tuple(prop.key for prop in missing if _has_a_default(prop.columns[0]))
    left_null = tuple(prop.key for prop in missing if prop.key not in returned)
    # (the table, not the entity: given parameters, an ORM INSERT would be a bulk insert of
    # ORM objects, as slow as the flush)
    statement = sa.insert(mapper.local_table)
    if returned:
        statement = statement.returning(
            *(mapper.column_attrs[key].columns[0] for key in returned), sort_by_parameter_order=True
        )
    return statement, returned, left_null


def _has_a_default(column: sa.Column) -> bool:
    """Whether an INSERT that leaves `column` out may store anything but NULL in it."""
    return bool(
        column.primary_key
        or column.default is not None
        or column.server_default is not None
        or column.identity is not None
        or column.computed is not None
        or not column.nullable
    )


def insert_new(objects: list[T], **relationships) -> list[T]:
    """INSERT `objects` (new, of one class, with the same attributes set) in one statement and
    add them to the session as persistent, loaded objects; each relationship named in
    `relationships` is set on every object as loaded (`case=case`, `parties=[...]`)."""
    if not objects:
        return objects
    mapped = type(objects[0])
    mapper = sa.inspect(mapped)
    states = [sa.inspect(obj) for obj in objects]
    given = tuple(prop.key for prop in mapper.column_attrs if prop.key in states[0].dict)
    statement, returned, left_null = _insert_statement(mapped, given)
    column_of = {key: mapper.column_attrs[key].columns[0].key for key in given}
    rows = db.session.connection().execute(
        statement, [{column_of[key]: state.dict[key] for key in given} for state in states]
    )
    for obj, row in zip(objects, rows.all() if returned else [()] * len(objects), strict=True):
        for key, value in zip(returned, row, strict=True):
            set_committed_value(obj, key, value)
        for key in left_null:
            set_committed_value(obj, key, None)
        for name, value in relationships.items():
            set_committed_value(obj, name, value)
        so.make_transient_to_detached(obj)  # the given values become the loaded state
        db.session.add(obj)
    return objects
