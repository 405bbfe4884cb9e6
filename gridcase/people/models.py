"""Users, their grid assignments, their signed-in sessions and API tokens."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects.postgresql import JSONB

from gridcase.extensions import db
from gridcase.people.roles import SCOPE_LEVEL, UNIT_ROLES, Role
from gridcase.territory.models import Region

# A grid may have several workers and a worker several grids (DESIGN §1: "the worker(s)").
grid_assignments = sa.Table(
    "grid_assignments",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("grid_code", sa.ForeignKey("regions.code", ondelete="CASCADE"), primary_key=True),
)


class User(db.Model):
    """A person who signs in: one role and one territory node as scope."""

    __tablename__ = "users"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    display_name: so.Mapped[str] = so.mapped_column(sa.String(100))
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(256))
    role: so.Mapped[str] = so.mapped_column(sa.String(32))
    scope_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("regions.code"), index=True)
    # The unit of a unit role (承办人, 负责人): its scope is the unit's region. (The units table
    # is gridcase.units', a layer above; people only point at it.)
    unit_code: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("units.code"), index=True)
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    last_login_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))

    # Sign-in protection: consecutive wrong passwords and the lock they caused.
    failed_logins: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    locked_until: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    # Sessions and tokens issued before this moment are void (a password change ends them).
    credentials_changed_at: so.Mapped[datetime] = so.mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    # Two-factor (TOTP): the secret, encrypted like personal data; set once confirmed.
    totp_secret_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    totp_confirmed_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    totp_last_step: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)  # no code is used twice
    # An authenticator being set up: its secret waits here (encrypted), never in the browser.
    totp_enrolment_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    # Salted slow hashes of the unused one-time recovery codes.
    recovery_code_hashes: so.Mapped[list] = so.mapped_column(JSONB, default=list, server_default="[]")

    scope: so.Mapped[Region] = so.relationship(lazy="joined")
    grids: so.Mapped[list[Region]] = so.relationship(secondary=grid_assignments, order_by=Region.code)

    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('grid_worker', 'community_mediator', 'township_coordinator', "
            "'district_coordinator', 'city_commander', 'admin', 'auditor', 'open311_client', "
            "'unit_handler', 'unit_head', 'external_mediator')",
            name="role",
        ),
        sa.CheckConstraint(
            "(role IN ('unit_handler', 'unit_head')) = (unit_code IS NOT NULL)", name="unit_code"
        ),
    )

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def scope_level(self) -> str:
        if Role(self.role) in UNIT_ROLES:
            return self.scope.level  # the unit's region: a township, district or city
        return SCOPE_LEVEL[Role(self.role)]

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}@{self.scope_code}>"


class ApiToken(db.Model):
    """A bearer token of the JSON API. Only its SHA-256 is stored, so a leaked table is useless."""

    __tablename__ = "api_tokens"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True))
    expires_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True))
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))

    user: so.Mapped[User] = so.relationship(lazy="joined")


class UserSession(db.Model):
    """A signed-in browser. Its cookie carries only a random token (only the token's SHA-256 is
    stored); ending the row ends the session, wherever its cookie has gone."""

    __tablename__ = "user_sessions"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True))
    last_seen_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True))
    ended_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    # signed_out, idle, password_changed, role_changed, disabled, password_reset, two_factor_reset
    end_reason: so.Mapped[str | None] = so.mapped_column(sa.String(32))
