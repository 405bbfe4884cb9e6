"""Who is signed in: the browser's session cookie, and the one signed-in user of a request.

Both front doors need this, so it lives below them: the pages sign people in with a session
kept on the server (`user_sessions`), whose random token travels in the cookie (HttpOnly,
SameSite=Lax, Secure outside development); it ends when its user signs out, after
GRIDCASE_IDLE_MINUTES without a request, or when a password change, a role change, a reset or
a disable ends all of the user's sessions. The JSON API takes a bearer token or, for the
app's own pages, the same cookie (gridcase.api.security). Whichever door let the request in
names its user with `set_current_user`, and everything after asks `current_user()`.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g, has_request_context, session

from gridcase.extensions import db
from gridcase.people.models import User, UserSession
from gridcase.settings import utcnow

# The cookie's key for the session token.
SESSION_TOKEN = "session"
# How stale a session's last-seen time may get before a request writes it again.
RENEW_AFTER = timedelta(seconds=30)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login_user(user: User, now: datetime | None = None) -> None:
    """Open a session for `user` in this browser (the caller commits): a fresh cookie, no
    fixation of an earlier one, carrying only a random token of the server-side row."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, token_hash=_digest(token), created_at=now, last_seen_at=now))
    db.session.flush()
    session.clear()
    session[SESSION_TOKEN] = token
    session.permanent = False
    g.session_user = user


def logout_user(now: datetime | None = None) -> None:
    """End this browser's session on the server (the caller commits) and forget its cookie."""
    token = session.get(SESSION_TOKEN)
    if token:
        db.session.execute(
            sa.update(UserSession)
            .where(UserSession.token_hash == _digest(token), UserSession.ended_at.is_(None))
            .values(ended_at=now or utcnow(), end_reason="signed_out")
        )
    session.clear()
    g.pop("session_user", None)


def end_all_sessions(user: User, reason: str, now: datetime | None = None) -> None:
    """End every open session of `user` (the caller commits)."""
    db.session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=now or utcnow(), end_reason=reason)
    )


def session_user() -> User | None:
    """The signed-in, active user of this browser's session, or None (no session, signed out,
    ended by a password or role change, idle too long, account disabled). A request within the
    idle time renews it."""
    if "session_user" in g:
        return g.session_user
    g.session_user = None
    token = session.get(SESSION_TOKEN)
    if not token:
        return None
    row = db.session.execute(
        sa.select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == _digest(token), UserSession.ended_at.is_(None))
    ).first()
    if row is None:
        session.clear()
        return None
    user_session, user = row
    now = utcnow()
    idle = now - user_session.last_seen_at
    if idle > timedelta(minutes=current_app.config["GRIDCASE_IDLE_MINUTES"]):
        _touch(user_session.id, ended_at=now, end_reason="idle")
        session.clear()
        g.session_expired = True
        return None
    if not user.active:
        session.clear()
        return None
    if idle > RENEW_AFTER:  # renew, without a write on every single request
        _touch(user_session.id, last_seen_at=now)
    g.session_user = user
    return user


def _touch(session_id: int, **values) -> None:
    """Update the session row at once, on a connection of its own: most requests that read the
    session (pages, lists) change nothing and commit nothing."""
    with db.engine.begin() as connection:
        connection.execute(sa.update(UserSession).where(UserSession.id == session_id).values(**values))


def session_expired() -> bool:
    """Whether this request's session ended for want of activity."""
    return bool(g.get("session_expired"))


def chosen_language() -> str:
    """The page language (Flask-Babel's locale selector): the one the person picked with the
    link at the top of a page (stored in the session), else the first of GRIDCASE_LOCALES (also
    outside a request: the scheduler and the command line)."""
    locales = current_app.config["GRIDCASE_LOCALES"]
    chosen = session.get("lang") if has_request_context() else None
    return chosen if chosen in locales else locales[0]


def set_current_user(user: User) -> None:
    """The front door that let the request in names its signed-in user."""
    g.current_user = user


def current_user() -> User | None:
    """The signed-in user of this request: the one a door let in, else the session cookie's
    user if it was read (None when nobody is known)."""
    return g.get("current_user") or g.get("session_user")
