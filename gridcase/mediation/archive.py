"""Whether a dispute's case file (卷宗) is archived: then its mediation record is read-only."""

from __future__ import annotations

from gridcase.errors import Unprocessable
from gridcase.extensions import db
from gridcase.mediation.models import MediationCaseFile
from gridcase.messages import Message


def archived_file(case_id: int) -> MediationCaseFile | None:
    return db.session.get(MediationCaseFile, case_id)


def refuse_if_archived(case_id: int) -> None:
    """
    Raises:
        Unprocessable: the dispute's case file is archived: its mediation record is read-only.
    """
    if archived_file(case_id) is not None:
        raise Unprocessable(Message("The case file is archived: the mediation record is read-only."))
