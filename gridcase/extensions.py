"""Flask extensions, created unbound and bound to an app in `create_app`."""

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import Babel
from flask_compress import Compress
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from gridcase.replica import ReadReplica, RoutingSession

# Stable constraint names, so Alembic can find and alter them later.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(so.DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


# The session sends reads to the read replica inside views marked @reads_from_replica.
db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})
migrate = Migrate()
api = Api()
csrf = CSRFProtect()
babel = Babel()
compress = Compress()
read_replica = ReadReplica()
