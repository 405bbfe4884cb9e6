"""Parties to a dispute: stored encrypted, shown masked, revealed only on purpose."""

from __future__ import annotations

from gridcase.cases.domain import PartyRole
from gridcase.cases.models import CaseParty
from gridcase.people.privacy import mask_id_number, mask_name, mask_phone
from gridcase.settings import cipher


def build_party(data: dict) -> CaseParty:
    """A new party row from validated input: encrypted fields, display masks, look-up hash."""
    box = cipher()
    name = data["name"].strip()
    id_number = (data.get("id_number") or "").strip().upper() or None
    phone = (data.get("phone") or "").strip() or None
    return CaseParty(
        party_role=PartyRole(data.get("role", PartyRole.APPLICANT)).value,
        name_encrypted=box.encrypt(name, "name"),
        id_number_encrypted=box.encrypt(id_number, "id_number") if id_number else None,
        phone_encrypted=box.encrypt(phone, "phone") if phone else None,
        name_masked=mask_name(name),
        id_number_masked=mask_id_number(id_number) if id_number else None,
        phone_masked=mask_phone(phone) if phone else None,
        id_number_hash=box.lookup_hash(id_number) if id_number else None,
    )


def masked(party: CaseParty) -> dict:
    return {
        "id": party.id,
        "role": party.party_role,
        "name": party.name_masked,
        "id_number": party.id_number_masked,
        "phone": party.phone_masked,
    }


def revealed(party: CaseParty) -> dict:
    """The party in clear. Callers must check the right to see it and audit the reveal."""
    box = cipher()
    return {
        "id": party.id,
        "role": party.party_role,
        "name": box.decrypt(party.name_encrypted, "name"),
        "id_number": box.decrypt(party.id_number_encrypted, "id_number")
        if party.id_number_encrypted
        else None,
        "phone": box.decrypt(party.phone_encrypted, "phone") if party.phone_encrypted else None,
    }
