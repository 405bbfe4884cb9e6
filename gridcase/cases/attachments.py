"""Adding and reading a case's photos."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from gridcase.cases.domain import Status
from gridcase.cases.events import append_event
from gridcase.cases.lifecycle import Action, LoggedAction, decide
from gridcase.cases.models import Case, CaseAttachment
from gridcase.cases.photos import PhotoRejected, process_photo
from gridcase.cases.queries import find_case, visible_cases
from gridcase.cases.states import actor_state, case_state
from gridcase.errors import NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.people.roles import UNIT_ROLES
from gridcase.settings import setting, utcnow


def add_photo(
    user: User, ref: str | int, raw: bytes, idempotency_key: str | None = None, now: datetime | None = None
) -> tuple[CaseAttachment, bool]:
    """Attach a photo to a case; returns (attachment, created). Whoever may add a note to the
    case may add a photo, and so may the people of a unit that has signed for it (evidence).
    The same idempotency key returns the photo stored before.

    Raises:
        NotFound: no such case in the user's scope.
        Unprocessable: not allowed now, the case has its maximum of photos, or not a photo.
    """
    now = now or utcnow()
    case = find_case(user, ref, lock=True)
    actor = actor_state(user, case)
    reason = decide(Action.PROGRESS if actor.role in UNIT_ROLES else Action.NOTE, case_state(case), actor)
    if reason is None and case.status in (Status.CLOSED.value, Status.REJECTED.value):
        # A closed matter's record is complete: evidence after the fact goes with a reopening.
        reason = Message("A closed case takes no more photos; reopen it first.")
    if reason:
        raise Unprocessable(reason, {"file": [reason]})
    if idempotency_key:
        existing = db.session.scalar(
            sa.select(CaseAttachment).where(
                CaseAttachment.case_id == case.id, CaseAttachment.idempotency_key == idempotency_key
            )
        )
        if existing is not None:
            return existing, False
    return store_photo(case, user, raw, idempotency_key, now), True


def store_photo(
    case: Case, user: User, raw: bytes, idempotency_key: str | None, now: datetime
) -> CaseAttachment:
    """Clean and keep a photo of the case (the caller has checked who may add it), with its
    timeline entry.

    Raises:
        Unprocessable: the case has its maximum of photos, or the file is not a photo.
    """
    limit = int(setting("GRIDCASE_MAX_ATTACHMENTS"))
    count = db.session.scalar(sa.select(sa.func.count()).where(CaseAttachment.case_id == case.id))
    if count >= limit:
        raise Unprocessable(
            Message("A case has at most %(limit)s photos.", limit=str(limit)),
            {"file": [Message("At most %(limit)s photos.", limit=str(limit))]},
        )
    try:
        photo = process_photo(raw, int(setting("GRIDCASE_MAX_PHOTO_BYTES")))
    except PhotoRejected as exc:
        reason = exc.args[0]  # a Message: the pages say it in their language
        raise Unprocessable(reason, {"file": [reason]}) from exc
    attachment = CaseAttachment(
        case_id=case.id,
        uploaded_by_id=user.id,
        created_at=now,
        content_type=photo.content_type,
        width=photo.width,
        height=photo.height,
        size_bytes=len(photo.data),
        sha256=photo.sha256,
        data=photo.data,
        thumbnail=photo.thumbnail,
        idempotency_key=idempotency_key,
    )
    db.session.add(attachment)
    db.session.flush()
    append_event(
        case,
        action=LoggedAction.ATTACH,
        at=now,
        actor_id=user.id,
        from_status=case.status,
        from_level=case.level,
        payload={
            "attachment_id": attachment.id,
            "sha256": photo.sha256,
            "width": photo.width,
            "height": photo.height,
        },
    )
    case.updated_at = now
    return attachment


def photo_bytes(user: User, attachment_id: int, thumbnail: bool = False) -> tuple[bytes, str]:
    """The image (or its JPEG thumbnail) and its content type, if the user may see its case.

    Raises:
        NotFound: no such photo, or its case lies outside the user's scope.
    """
    column = CaseAttachment.thumbnail if thumbnail else CaseAttachment.data
    row = db.session.execute(
        sa.select(column, CaseAttachment.content_type)
        .join(Case, Case.id == CaseAttachment.case_id)
        .where(CaseAttachment.id == attachment_id, visible_cases(user))
    ).first()
    if row is None:
        raise NotFound(Message("No photo %(attachment_id)s in your scope.", attachment_id=str(attachment_id)))
    return row[0], "image/jpeg" if thumbnail else row[1]
