"""The people of a case — the parties to a dispute and the person who brought the matter
(反映人): stored encrypted, shown masked, revealed only on purpose."""

from __future__ import annotations

from gridcase.audit.log import AuditAction, record
from gridcase.cases.domain import PartyRole
from gridcase.cases.events import append_event
from gridcase.cases.lifecycle import LoggedAction, above, handles, works_on
from gridcase.cases.models import CaseInformant, CaseParty, EncryptedPerson
from gridcase.cases.queries import find_case
from gridcase.cases.states import actor_state, case_state
from gridcase.errors import Forbidden, NotFound, Unprocessable
from gridcase.messages import Message
from gridcase.people.privacy import mask_id_number, mask_name, mask_phone, normalised_id_number
from gridcase.settings import cipher, utcnow


def encrypted_person(data: dict) -> dict:
    """The columns of an EncryptedPerson from validated input (name, and optionally id_number
    and phone): encrypted fields, display masks, look-up hash."""
    box = cipher()
    name = data["name"].strip()
    id_number = normalised_id_number(data.get("id_number") or "") or None
    phone = (data.get("phone") or "").strip() or None
    return {
        "name_encrypted": box.encrypt(name, "name"),
        "id_number_encrypted": box.encrypt(id_number, "id_number") if id_number else None,
        "phone_encrypted": box.encrypt(phone, "phone") if phone else None,
        "name_masked": mask_name(name),
        "id_number_masked": mask_id_number(id_number) if id_number else None,
        "phone_masked": mask_phone(phone) if phone else None,
        "id_number_hash": box.lookup_hash(id_number) if id_number else None,
    }


def build_party(data: dict) -> CaseParty:
    """A new party row from validated input."""
    return CaseParty(
        party_role=PartyRole(data.get("role", PartyRole.APPLICANT)).value, **encrypted_person(data)
    )


def build_informant(data: dict) -> CaseInformant:
    """The person who brought the matter, from validated input."""
    return CaseInformant(**encrypted_person(data))


def masked(party: CaseParty) -> dict:
    return {
        "id": party.id,
        "role": party.party_role,
        "name": party.name_masked,
        "id_number": party.id_number_masked,
        "phone": party.phone_masked,
    }


def in_clear(person: EncryptedPerson) -> dict:
    """A person's name, ID number and phone in clear. Callers must check the right to see them
    and audit the reveal."""
    box = cipher()
    return {
        "name": box.decrypt(person.name_encrypted, "name"),
        "id_number": box.decrypt(person.id_number_encrypted, "id_number")
        if person.id_number_encrypted
        else None,
        "phone": box.decrypt(person.phone_encrypted, "phone") if person.phone_encrypted else None,
    }


def revealed(party: CaseParty) -> dict:
    """The party in clear (see in_clear)."""
    return {"id": party.id, "role": party.party_role, **in_clear(party)}


MIN_REVEAL_REASON = 4


def reveal_party(user, ref, party_id: int, reason: str, now=None) -> dict:
    """A party in clear, for a handler of the case (or a unit's person working on it) who gives
    a reason. The reveal is written to the security audit log and to the case's own timeline
    (who looked, and why).

    Raises:
        NotFound: no such case in scope, or no such party in it.
        Forbidden: the user does not handle the case (grid workers, admins, auditors …).
        Unprocessable: no reason, or too short a one.
    """
    case, reason = case_to_reveal(user, ref, reason)
    party = next((p for p in case.parties if p.id == party_id), None)
    if party is None:
        raise NotFound(
            Message(
                "No party %(party_id)s in case %(number)s.",
                party_id=str(party_id),
                number=str(case.public_number),
            )
        )
    record_reveal(user, case, f"party {party.id}", {"party_id": party.id}, reason, now)
    return revealed(party)


def reveal_informant(user, ref, reason: str, now=None) -> dict:
    """The person who brought the matter (反映人) in clear, on the terms of reveal_party."""
    case, reason = case_to_reveal(user, ref, reason)
    if case.informant is None:
        raise NotFound(
            Message("Case %(number)s records no person who brought it.", number=str(case.public_number))
        )
    record_reveal(user, case, "informant", {"informant": True}, reason, now)
    return in_clear(case.informant)


def case_to_reveal(user, ref, reason: str):
    """The case locked, and the reason trimmed, when `user` may see its people in full.

    Raises:
        NotFound: no such case in scope.
        Forbidden: the user does not handle the case.
        Unprocessable: no reason, or too short a one.
    """
    case = find_case(user, ref, lock=True)
    actor, state = actor_state(user, case), case_state(case)
    if not (handles(actor, state) or above(actor, state) or works_on(actor)):
        raise Forbidden(Message("Only a handler of this case may see its parties in full."))
    return case, reveal_reason(reason)


def reveal_reason(reason: str | None, why: Message | None = None) -> str:
    """The reason given for seeing personal data in full, trimmed (at most 500 characters).

    Raises:
        Unprocessable: no reason, or too short a one (`why` says what the reason is for).
    """
    reason = (reason or "").strip()
    if len(reason) < MIN_REVEAL_REASON:
        raise Unprocessable(
            why or Message("Say why you need to see this person's details (at least a few words)."),
            {"reason": [Message("At least %(count)s characters.", count=str(MIN_REVEAL_REASON))]},
        )
    return reason[:500]


def record_reveal(user, case, whom: str, which: dict, reason: str, now) -> None:
    """Write who saw what in full, and why, to the audit log and the case's timeline."""
    record(
        AuditAction.REVEAL,
        actor=user,
        target=f"case {case.public_number} {whom}",
        details={"reason": reason, "case_id": case.id, **which},
    )
    append_event(
        case,
        action=LoggedAction.REVEAL,
        at=now or utcnow(),
        actor_id=user.id,
        from_status=case.status,
        from_level=case.level,
        payload={**which, "reason": reason},
    )
