"""Alembic environment for gridcase (Flask-Migrate), with geoalchemy2's helpers so that
autogenerate handles Geometry columns and their spatial indexes correctly."""

import logging
from logging.config import fileConfig

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
    return current_app.extensions["migrate"].db.engine


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


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
