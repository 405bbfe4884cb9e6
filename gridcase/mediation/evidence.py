"""A dispute's evidence files beyond its photos — PDF documents, audio and video recordings
(证据材料: 书证、视听资料) — added and read by the people mediating it.

The files are the parties' business as much as the 笔录: sealed at rest with their titles, listed
on the case page and in the case file by kind, size, length and fingerprint only, and opened by
the people mediating the case with a reason, each opening written to the audit log and the
timeline (like a party's details). They are added while the dispute is open and its case file
not archived; once archived, the list is part of the bound file and nothing is added.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from gridcase.cases.domain import OPEN_STATUSES
from gridcase.cases.events import log_beside
from gridcase.cases.lifecycle import LoggedAction
from gridcase.cases.models import Case
from gridcase.cases.parties import MIN_REVEAL_REASON, record_reveal
from gridcase.cases.queries import find_case
from gridcase.errors import Forbidden, NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.mediation.archive import refuse_if_archived
from gridcase.mediation.domain import EvidenceKind
from gridcase.mediation.evidence_files import EvidenceRejected, inspect_evidence
from gridcase.mediation.models import MediationEvidence
from gridcase.mediation.sessions import mediates
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.settings import cipher, setting

DATA_FIELD = "evidence_data"  # the cipher's associated data for the bytes
TITLE_FIELD = "evidence_title"
MAX_TITLE = 200


@dataclass(frozen=True)
class EvidenceView:
    """An evidence file as lists show it: never its bytes; the title for those mediating."""

    id: int
    kind: EvidenceKind
    content_type: str
    size_bytes: int
    sha256: str
    pages: int | None
    duration_seconds: float | None
    created_at: datetime
    uploaded_by: str
    title: str | None  # None for whoever does not mediate the case
    erased: bool


def add_evidence(
    user: User, ref, raw: bytes, title: str, now: datetime, idempotency_key: str | None = None
) -> tuple[MediationEvidence, bool]:
    """Add an evidence file to an open case (a dispute, in practice: any case its mediators
    handle); returns (evidence, created). The same
    idempotency key returns the file stored the first time.

    Raises:
        NotFound: no such case in scope.
        Forbidden: the user does not mediate the case.
        Unprocessable: the case is finished or archived, it has its maximum of files, no title,
            or the file is not an accepted, readable one (the reason named).
    """
    case = find_case(user, ref, lock=True)
    if not mediates(user, case):
        raise Forbidden(Message("Only a handler of the case or a mediator invited to it adds evidence."))
    if idempotency_key:
        existing = db.session.scalar(
            sa.select(MediationEvidence).where(
                MediationEvidence.case_id == case.id, MediationEvidence.idempotency_key == idempotency_key
            )
        )
        if existing is not None:
            return existing, False
    if case.status not in OPEN_STATUSES:
        raise Unprocessable(Message("The case is finished: its mediation record is closed."))
    refuse_if_archived(case.id)
    return store_evidence(user, case, raw, title, now, idempotency_key), True


def store_evidence(
    user: User, case: Case, raw: bytes, title: str, now: datetime, idempotency_key: str | None = None
) -> MediationEvidence:
    """Check and store a file on a case the caller has cleared `user` for (adding evidence, or
    archiving a signed agreement that is a PDF scan); the timeline says so.

    Raises:
        Unprocessable: no title, the case has its maximum of files, or not an accepted file.
    """
    title = " ".join((title or "").split())
    if not title:
        message = Message("Say what the file is (for example a scanned IOU, a recording made on the spot).")
        raise Unprocessable(message, {"title": [message]})
    limit = int(setting("GRIDCASE_MAX_EVIDENCE_FILES"))
    count = db.session.scalar(sa.select(sa.func.count()).where(MediationEvidence.case_id == case.id))
    if count >= limit:
        message = Message("A case has at most %(limit)s evidence files.", limit=str(limit))
        raise Unprocessable(message, {"file": [message]})
    try:
        checked = inspect_evidence(raw, int(setting("GRIDCASE_MAX_EVIDENCE_BYTES")))
    except EvidenceRejected as exc:
        reason = exc.args[0]
        raise Unprocessable(reason, {"file": [reason]}) from exc
    box = cipher()
    evidence = MediationEvidence(
        case_id=case.id,
        uploaded_by_id=user.id,
        created_at=now,
        kind=checked.kind.value,
        content_type=checked.content_type,
        extension=checked.extension,
        title_encrypted=box.encrypt(title[:MAX_TITLE], TITLE_FIELD),
        size_bytes=len(raw),
        sha256=checked.sha256,
        pages=checked.pages,
        duration_seconds=checked.duration_seconds,
        data_encrypted=box.encrypt_bytes(raw, DATA_FIELD),
        idempotency_key=idempotency_key,
    )
    db.session.add(evidence)
    db.session.flush()
    # The timeline names the kind and the fingerprint, never the title (it may name a party).
    added = {
        "evidence_id": evidence.id,
        "kind": checked.kind.value,
        "sha256": checked.sha256,
        "size": len(raw),
    }
    log_beside(case, LoggedAction.EVIDENCE, user.id, added, now)
    return evidence


def case_evidence(user: User, case: Case) -> list[EvidenceView]:
    """The case's evidence files in the order added; titles for those mediating it."""
    rows = db.session.execute(
        sa.select(MediationEvidence, User.display_name)
        .join(User, User.id == MediationEvidence.uploaded_by_id)
        .where(MediationEvidence.case_id == case.id)
        .order_by(MediationEvidence.id)
    ).all()
    readable = bool(rows) and mediates(user, case)
    return [evidence_view(e, uploader, readable) for e, uploader in rows]


def evidence_view(evidence: MediationEvidence, uploader: str, with_title: bool) -> EvidenceView:
    return EvidenceView(
        id=evidence.id,
        kind=EvidenceKind(evidence.kind),
        content_type=evidence.content_type,
        size_bytes=evidence.size_bytes,
        sha256=evidence.sha256,
        pages=evidence.pages,
        duration_seconds=evidence.duration_seconds,
        created_at=evidence.created_at,
        uploaded_by=uploader,
        title=evidence_title(evidence) if with_title else None,
        erased=evidence.erased_at is not None,
    )


def evidence_title(evidence: MediationEvidence) -> str:
    return cipher().decrypt(evidence.title_encrypted, TITLE_FIELD)


def open_evidence(user: User, ref, evidence_id: int, reason: str, now: datetime) -> tuple[bytes, str, str]:
    """The file's bytes, content type and a file name, for someone mediating the case who
    gives a reason; the opening is audited and in the timeline.

    Raises:
        NotFound: no such case in scope, or no such file on it.
        Forbidden: the user does not mediate the case.
        Unprocessable: no reason, or the file was erased at the end of retention.
    """
    case = find_case(user, ref, lock=True)
    evidence = db.session.scalar(
        sa.select(MediationEvidence).where(
            MediationEvidence.id == evidence_id, MediationEvidence.case_id == case.id
        )
    )
    if evidence is None:
        raise NotFound(
            Message("No evidence file %(evidence_id)s on this case.", evidence_id=str(evidence_id))
        )
    if not mediates(user, case):
        raise Forbidden(Message("Only a handler of the case or a mediator invited to it opens its evidence."))
    reason = (reason or "").strip()
    if len(reason) < MIN_REVEAL_REASON:
        message = Message("Say why you open this file (at least a few words).")
        raise Unprocessable(message, {"reason": [message]})
    if evidence.data_encrypted is None:
        raise Unprocessable(Message("The file was erased at the end of its retention period."))
    data = cipher().decrypt_bytes(evidence.data_encrypted, DATA_FIELD)
    which = {"evidence_id": evidence.id, "sha256": evidence.sha256}
    record_reveal(user, case, f"evidence {evidence.id}", which, reason[:500], now)
    return data, evidence.content_type, f"证据-{case.public_number}-{evidence.id}.{evidence.extension}"
