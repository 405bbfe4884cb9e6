"""Parties to a dispute: stored encrypted, shown masked, revealed only on purpose."""

from __future__ import annotations

from gridcase.audit.log import AuditAction, record
from gridcase.cases.domain import PartyRole
from gridcase.cases.events import append_event
from gridcase.cases.lifecycle import LoggedAction, above, handles, works_on
from gridcase.cases.models import CaseParty
from gridcase.cases.queries import find_case
from gridcase.cases.states import actor_state, case_state
from gridcase.errors import Forbidden, NotFound, Unprocessable
from gridcase.messages import Message
from gridcase.people.privacy import mask_id_number, mask_name, mask_phone, normalised_id_number
from gridcase.settings import cipher, utcnow


def build_party(data: dict) -> CaseParty:
    """A new party row from validated input: encrypted fields, display masks, look-up hash."""
    box = cipher()
    name = data["name"].strip()
    id_number = normalised_id_number(data.get("id_number") or "") or None
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


MIN_REVEAL_REASON = 4


def reveal_party(user, ref, party_id: int, reason: str, now=None) -> dict:
    """A party in clear, for a handler of the case (or a unit's person working on it) who gives
    a reason. The reveal is written to
    the security audit log and to the case's own timeline (who looked, and why).

    Raises:
        NotFound: no such case in scope, or no such party in it.
        Forbidden: the user does not handle the case (grid workers, admins, auditors …).
        Unprocessable: no reason, or too short a one.
    """
    now = now or utcnow()
    reason = (reason or "").strip()
    case = find_case(user, ref, lock=True)
    party = next((p for p in case.parties if p.id == party_id), None)
    if party is None:
        raise NotFound(f"No party {party_id} in case {case.public_number}.")
    actor, state = actor_state(user, case), case_state(case)
    if not (handles(actor, state) or above(actor, state) or works_on(actor)):
        raise Forbidden(Message("Only a handler of this case may see its parties in full."))
    if len(reason) < MIN_REVEAL_REASON:
        raise Unprocessable(
            Message("Say why you need to see this person's details (at least a few words)."),
            {"reason": [Message("At least %(count)s characters.", count=str(MIN_REVEAL_REASON))]},
        )
    record(
        AuditAction.REVEAL,
        actor=user,
        target=f"case {case.public_number} party {party.id}",
        details={"reason": reason[:500], "case_id": case.id, "party_id": party.id},
    )
    append_event(
        case,
        action=LoggedAction.REVEAL,
        at=now,
        actor_id=user.id,
        from_status=case.status,
        from_level=case.level,
        payload={"party_id": party.id, "reason": reason[:500]},
    )
    return revealed(party)
