"""Two-factor sign-in with TOTP (RFC 6238: the codes of any authenticator app) and one-time
recovery codes. The TOTP secret is stored encrypted like personal data; recovery codes only as
hashes, shown once when they are made."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import pyotp
import segno

from gridcase.people.models import User
from gridcase.settings import cipher

ISSUER = "gridcase"
RECOVERY_CODES = 10
STEP_SECONDS = 30


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_code_data_uri(uri: str) -> str:
    """The enrolment QR code as an SVG data URI (made here: no external QR service)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().replace(" ", "").encode()).hexdigest()


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (±1 for clock drift) whose code this is, or None."""
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def confirm_enrolment(user: User, secret: str, code: str, now: datetime) -> list[str] | None:
    """Turn on two-factor sign-in once the user proves their app shows the right code.
    Returns the new recovery codes (to show once), or None when the code is wrong."""
    step = _matching_step(secret, code.strip(), now)
    if step is None:
        return None
    user.totp_secret_encrypted = cipher().encrypt(secret, "totp")
    user.totp_confirmed_at = now
    user.totp_last_step = step
    codes = [f"{secrets.token_hex(2)}-{secrets.token_hex(2)}".upper() for _ in range(RECOVERY_CODES)]
    user.recovery_code_hashes = [_recovery_hash(c) for c in codes]
    return codes


def enrolled(user: User) -> bool:
    return user.totp_confirmed_at is not None and user.totp_secret_encrypted is not None


def verify(user: User, code: str, now: datetime) -> str | None:
    """'totp' or 'recovery' when the code signs the user in (a recovery code is used up, a
    TOTP code cannot be replayed), else None."""
    code = (code or "").strip().replace(" ", "")
    if not code or not enrolled(user):
        return None
    if code.isdigit() and len(code) == 6:
        step = _matching_step(cipher().decrypt(user.totp_secret_encrypted, "totp"), code, now)
        if step is not None and step > (user.totp_last_step or 0):
            user.totp_last_step = step
            return "totp"
        return None
    digest = _recovery_hash(code)
    if digest in (user.recovery_code_hashes or []):
        user.recovery_code_hashes = [h for h in user.recovery_code_hashes if h != digest]
        return "recovery"
    return None
