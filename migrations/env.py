"""Alembic environment for gridcase (Flask-Migrate), with geoalchemy2's helpers so that
autogenerate handles Geometry columns and their spatial indexes correctly.

Migrations run as MIGRATION_DATABASE_URL's role, the owner of the tables, when it is set; then
the app's role (DATABASE_URL's) is granted what the app needs and no more: it may read and
append to the event log and the audit log, never change or delete a row of them, nor alter the
tables or their triggers (only an owner may)."""

import logging
from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context
from flask import current_app
from geoalchemy2 import alembic_helpers

config = context.config
fileConfig(config.config_file_name)
logger = logging.getLogger("alembic.env")

# Tables that PostGIS and its extensions own; they are never ours to migrate.
EXTENSION_TABLES = {"spatial_ref_sys", "topology", "layer"}
# Expression indexes made by hand in migrations; autogenerate cannot compare them.
MANUAL_INDEXES = {"ix_cases_search_trgm"}


def get_engine():
    owner_url = current_app.config.get("MIGRATION_DATABASE_URL")
    if owner_url:
        return sa.create_engine(owner_url)
    return current_app.extensions["migrate"].db.engine


# What the app's role may do once the owner has migrated (at whichever revision: a downgrade
# may have removed the logs or the prune function).
APP_PRIVILEGES = """
GRANT USAGE ON SCHEMA public TO {app};
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO {app};
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {app};
"""
APPEND_ONLY_TABLES = ("case_events", "audit_log")
OWNER_FUNCTIONS = ("prune_audit_log(timestamptz)",)


def grant_app_privileges(connection) -> None:
    app_role = current_app.extensions["migrate"].db.engine.url.username
    if not app_role or app_role == connection.engine.url.username:
        return
    quoted = connection.dialect.identifier_preparer.quote(app_role)
    connection.execute(sa.text(APP_PRIVILEGES.format(app=quoted)))
    for table in APPEND_ONLY_TABLES:
        if connection.scalar(sa.text("SELECT to_regclass(:name)"), {"name": table}):
            connection.execute(sa.text(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {quoted}"))
    for function in OWNER_FUNCTIONS:
        if connection.scalar(sa.text("SELECT to_regprocedure(:name)"), {"name": function}):
            connection.execute(sa.text(f"GRANT EXECUTE ON FUNCTION {function} TO {quoted}"))


config.set_main_option(
    "sqlalchemy.url", get_engine().url.render_as_string(hide_password=False).replace("%", "%%")
)
target_metadata = current_app.extensions["migrate"].db.metadata


def include_object(obj, name, type_, reflected, compare_to):
    if type_ == "table" and (name in EXTENSION_TABLES or (reflected and compare_to is None)):
        return False
    if type_ == "index" and name in MANUAL_INDEXES:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def run_migrations_offline():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        include_object=include_object,
        render_item=alembic_helpers.render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context_, revision, directives):
        # No empty migration files from autogenerate.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")
            return
        alembic_helpers.writer.process_revision_directives(context_, revision, directives)

    conf_args = current_app.extensions["migrate"].configure_args
    conf_args.setdefault("process_revision_directives", process_revision_directives)

    with get_engine().connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            include_object=include_object,
            render_item=alembic_helpers.render_item,
            **conf_args,
        )
        with context.begin_transaction():
            context.run_migrations()
            grant_app_privileges(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
