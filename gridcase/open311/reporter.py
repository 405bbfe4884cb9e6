"""The person behind an Open311 request: their contact details are personal information
(个人信息保护法), kept encrypted at rest with display masks, and never returned by any endpoint."""

from __future__ import annotations

from collections.abc import Mapping

from gridcase.open311.spec import PERSONAL_FIELD_MAX, Open311Error
from gridcase.people.privacy import mask_name, mask_phone
from gridcase.settings import cipher
from gridcase.text import full_name

PERSONAL_FIELDS = ("email", "first_name", "last_name", "phone", "device_id", "account_id")


def mask_email(email: str) -> str:
    """zhang.san@example.com → z********@example.com: the first character and the domain."""
    local, at, domain = email.strip().partition("@")
    if not at:
        return mask_name(email)
    return (local[:1] + "*" * max(len(local) - 1, 1)) + "@" + domain


def encrypted_reporter(form: Mapping) -> dict:
    """The columns of Open311Request for the reporter's details: encrypted values and masks.

    Raises:
        Open311Error: a field longer than the spec's clients plausibly send.
    """
    values = {name: (form.get(name) or "").strip() for name in PERSONAL_FIELDS}
    too_long = [name for name, value in values.items() if len(value) > PERSONAL_FIELD_MAX]
    if too_long:
        raise Open311Error(400, f"{too_long[0]} is limited to {PERSONAL_FIELD_MAX} characters.")
    box = cipher()
    columns = {
        f"{name}_encrypted": box.encrypt(value, f"open311_{name}") if value else None
        for name, value in values.items()
    }
    name = full_name(values["first_name"], values["last_name"])
    # Masks are cut to their columns' widths: they are for recognising, not for reading back.
    columns["name_masked"] = mask_name(name)[:64] if name else None
    columns["email_masked"] = mask_email(values["email"])[:200] if values["email"] else None
    columns["phone_masked"] = mask_phone(values["phone"])[:32] if values["phone"] else None
    return columns
