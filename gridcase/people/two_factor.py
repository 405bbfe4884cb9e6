"""Two-factor sign-in with TOTP (RFC 6238: the codes of any authenticator app) and one-time
recovery codes. The TOTP secret is stored encrypted like personal data (the one being set up
too, on the server); recovery codes only as salted slow hashes, shown once when they are made."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import pyotp
import segno
from werkzeug.security import check_password_hash

from gridcase.people.auth import hash_password
from gridcase.people.models import User
from gridcase.settings import cipher
from gridcase.text import ascii_digits, normalised

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


# Recovery codes: 20 characters of base32 (100 bits), shown as five groups of four. Each is kept
# as "selector|salted slow hash": the selector (its first four characters) picks the one stored
# hash worth checking, and the 80 bits left make a stolen table useless to brute force.
RECOVERY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
RECOVERY_LENGTH = 20
SELECTOR_LENGTH = 4


def _new_recovery_code() -> str:
    code = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
    return "-".join(code[i : i + 4] for i in range(0, RECOVERY_LENGTH, 4))


def _plain_recovery_code(code: str) -> str:
    return normalised(code).upper().replace(" ", "").replace("-", "")


def _stored_recovery_code(code: str) -> str:
    plain = _plain_recovery_code(code)
    return f"{plain[:SELECTOR_LENGTH]}|{hash_password(plain)}"


def _recovery_code_matches(stored: str, code: str) -> bool:
    plain = _plain_recovery_code(code)
    if "|" not in stored:  # a code made before codes were salted: unsalted SHA-256
        legacy = hashlib.sha256(normalised(code).upper().replace(" ", "").encode()).hexdigest()
        return secrets.compare_digest(stored, legacy)
    selector, digest = stored.split("|", 1)
    return secrets.compare_digest(selector, plain[:SELECTOR_LENGTH]) and check_password_hash(digest, plain)


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (±1 for clock drift) whose code this is, or None."""
    if not (ascii_digits(code) and len(code) == 6):
        return None
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
    user.totp_enrolment_encrypted = None
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    user.recovery_code_hashes = [_stored_recovery_code(c) for c in codes]
    return codes


def enrolled(user: User) -> bool:
    return user.totp_confirmed_at is not None and user.totp_secret_encrypted is not None


def verify(user: User, code: str, now: datetime) -> str | None:
    """'totp' or 'recovery' when the code signs the user in (a recovery code is used up, a
    TOTP code cannot be replayed), else None."""
    code = (code or "").strip().replace(" ", "")
    if not code or not enrolled(user):
        return None
    if ascii_digits(code) and len(code) == 6:
        step = _matching_step(cipher().decrypt(user.totp_secret_encrypted, "totp"), code, now)
        if step is not None and step > (user.totp_last_step or 0):
            user.totp_last_step = step
            return "totp"
        return None
    for stored in user.recovery_code_hashes or []:
        if _recovery_code_matches(stored, code):
            user.recovery_code_hashes = [h for h in user.recovery_code_hashes if h != stored]
            return "recovery"
    return None


def enrolment_secret(user: User) -> str:
    """The secret of the authenticator `user` is setting up: kept on the server, encrypted,
    until a code proves it (never in the browser's cookie)."""
    if user.totp_enrolment_encrypted is None:
        user.totp_enrolment_encrypted = cipher().encrypt(new_secret(), "totp")
    return cipher().decrypt(user.totp_enrolment_encrypted, "totp")
