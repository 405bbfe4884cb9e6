"""Looking after personal data over time: re-encrypting it under a new key (rotation) and
anonymising the parties of cases closed long ago (retention, 个人信息保护法 §19).

Both work in batches, each batch its own transaction with its rows locked FOR UPDATE SKIP
LOCKED, so they run beside normal work, can be interrupted, and pick up where they stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from gridcase.audit.log import AuditAction, record
from gridcase.extensions import db
from gridcase.people.privacy import PersonalDataCipher
from gridcase.settings import cipher, setting, utcnow

BATCH = 500
ANONYMOUS = "已匿名"


@dataclass(frozen=True)
class EncryptedColumns:
    """A table's encrypted columns and the field name each was encrypted for (its AAD)."""

    table: str
    columns: dict[str, str]
    key: str = "id"  # the primary key column
    # Recomputed from the clear ID number during rotation (a new lookup key takes effect too).
    lookup_hash: tuple[str, str] | None = None
    binary: frozenset[str] = frozenset()  # columns sealing bytes (files), not text
    batch: int | None = None  # rows per batch, where each may be megabytes (files)


ENCRYPTED = (
    EncryptedColumns(
        "case_parties",
        {"name_encrypted": "name", "id_number_encrypted": "id_number", "phone_encrypted": "phone"},
        lookup_hash=("id_number_encrypted", "id_number_hash"),
    ),
    EncryptedColumns(
        "case_informants",
        {"name_encrypted": "name", "id_number_encrypted": "id_number", "phone_encrypted": "phone"},
        key="case_id",
        lookup_hash=("id_number_encrypted", "id_number_hash"),
    ),
    EncryptedColumns("users", {"totp_secret_encrypted": "totp"}),
    EncryptedColumns(
        "notification_channels",
        {"address_encrypted": "channel_address", "secret_encrypted": "channel_secret"},
    ),
    EncryptedColumns("webhook_subscriptions", {"secret_encrypted": "webhook_secret"}),
    EncryptedColumns("revisit_invitations", {"code_encrypted": "revisit_code"}),  # until sent
    EncryptedColumns("mediation_sessions", {"record_encrypted": "mediation_record"}),  # 笔录
    EncryptedColumns("visits", {"people_met_encrypted": "visit_people"}),  # residents a visit met
    EncryptedColumns(  # 人房事物: the residents of the grids, and the people in charge of places
        "residents",
        {"name_encrypted": "name", "id_number_encrypted": "id_number", "phone_encrypted": "phone"},
        lookup_hash=("id_number_encrypted", "id_number_hash"),
    ),
    EncryptedColumns("places", {"contact_encrypted": "name", "contact_phone_encrypted": "phone"}),
    EncryptedColumns(
        "watch_items",
        {"name_encrypted": "name", "id_number_encrypted": "id_number", "phone_encrypted": "phone"},
    ),
    # Evidence files: up to GRIDCASE_MAX_EVIDENCE_BYTES each, so a few at a time.
    EncryptedColumns(
        "mediation_evidence",
        {"title_encrypted": "evidence_title", "data_encrypted": "evidence_data"},
        binary=frozenset({"data_encrypted"}),
        batch=4,
    ),
    EncryptedColumns(
        "open311_requests",
        {
            f"{name}_encrypted": f"open311_{name}"
            for name in ("email", "first_name", "last_name", "phone", "device_id", "account_id")
        },
    ),
)


def _stale(columns: dict[str, str]) -> str:
    """SQL: a row has a value not encrypted under the current key (format 2 and key id)."""
    tests = [
        f"({c} IS NOT NULL AND NOT (get_byte({c}, 0) = 2 AND get_byte({c}, 1) = :key_id))" for c in columns
    ]
    return " OR ".join(tests)


def rotate_keys(batch: int = BATCH, commit: Callable[[], None] | None = None) -> dict[str, int]:
    """Re-encrypt every value not under the current key; returns rows re-encrypted per table.

    `commit` is called after each batch (the CLI commits; tests pass nothing and stay in one
    transaction)."""
    box: PersonalDataCipher = cipher()
    done: dict[str, int] = {}
    for spec in ENCRYPTED:
        done[spec.table] = 0
        keys = list(spec.columns)
        while True:
            rows = db.session.execute(
                sa.text(
                    f"SELECT {spec.key} AS id, {', '.join(keys)} FROM {spec.table} "
                    f"WHERE {_stale(spec.columns)} ORDER BY {spec.key} LIMIT :batch FOR UPDATE SKIP LOCKED"
                ),
                {"key_id": box.current_key_id, "batch": min(batch, spec.batch or batch)},
            ).all()
            if not rows:
                break
            for row in rows:
                values = {}
                for column, field in spec.columns.items():
                    old = getattr(row, column)
                    if old is None:
                        continue
                    if column in spec.binary:
                        values[column] = box.encrypt_bytes(box.decrypt_bytes(old, field), field)
                        continue
                    clear = box.decrypt(old, field)
                    values[column] = box.encrypt(clear, field)
                    if spec.lookup_hash and column == spec.lookup_hash[0]:
                        values[spec.lookup_hash[1]] = box.lookup_hash(clear)
                assignments = ", ".join(f"{c} = :{c}" for c in values)
                db.session.execute(
                    sa.text(f"UPDATE {spec.table} SET {assignments} WHERE {spec.key} = :id"),
                    {**values, "id": row.id},
                )
            done[spec.table] += len(rows)
            if commit:
                commit()
    record(AuditAction.KEYS_ROTATED, details={"key_id": box.current_key_id, "rows": done})
    return done


def anonymise_closed_parties(
    now: datetime | None = None, batch: int = BATCH, commit: Callable[[], None] | None = None
) -> int:
    """Anonymise the parties (and Open311 reporters) of cases closed or rejected more than
    GRIDCASE_PARTY_RETENTION_DAYS ago: names become "已匿名", ID numbers and phones are erased,
    look-up hashes dropped. The cases themselves, their events and statistics stay. The residents
    a grid worker's visit met are erased as long after the visit."""
    now = now or utcnow()
    cutoff = now - timedelta(days=int(setting("GRIDCASE_PARTY_RETENTION_DAYS")))
    box = cipher()
    # (Raw SQL over the cases table: people lie below cases and do not import them.)
    old_cases = """
        SELECT id FROM cases
        WHERE (status = 'closed' AND closed_at < :cutoff) OR (status = 'rejected' AND updated_at < :cutoff)
    """
    total = 0
    while True:
        ids = db.session.scalars(
            sa.text(
                f"SELECT id FROM case_parties WHERE anonymised_at IS NULL AND case_id IN ({old_cases}) "
                "ORDER BY id LIMIT :batch FOR UPDATE SKIP LOCKED"
            ),
            {"cutoff": cutoff, "batch": batch},
        ).all()
        if not ids:
            break
        db.session.execute(
            sa.text(
                """
                UPDATE case_parties
                SET name_encrypted = :name, id_number_encrypted = NULL, phone_encrypted = NULL,
                    name_masked = :anonymous, id_number_masked = NULL, phone_masked = NULL,
                    id_number_hash = NULL, anonymised_at = :now
                WHERE id = ANY(:ids)
                """
            ),
            {"name": box.encrypt(ANONYMOUS, "name"), "anonymous": ANONYMOUS, "now": now, "ids": list(ids)},
        )
        total += len(ids)
        if commit:
            commit()
    reporters = db.session.execute(
        sa.text(
            f"""
            UPDATE open311_requests SET email_encrypted = NULL, first_name_encrypted = NULL,
                   last_name_encrypted = NULL, phone_encrypted = NULL, device_id_encrypted = NULL,
                   account_id_encrypted = NULL, name_masked = :anonymous, email_masked = NULL,
                   phone_masked = NULL
            WHERE case_id IN ({old_cases})
              AND COALESCE(email_encrypted, first_name_encrypted, last_name_encrypted, phone_encrypted,
                           device_id_encrypted, account_id_encrypted) IS NOT NULL
            """
        ),
        {"cutoff": cutoff, "anonymous": ANONYMOUS},
    ).rowcount
    # Requests the city centre set aside in triage (no case ever held them): the sender and what
    # they wrote go as long after the setting aside.
    reporters += db.session.execute(
        sa.text(
            """
            UPDATE open311_requests SET email_encrypted = NULL, first_name_encrypted = NULL,
                   last_name_encrypted = NULL, phone_encrypted = NULL, device_id_encrypted = NULL,
                   account_id_encrypted = NULL, name_masked = :anonymous, email_masked = NULL,
                   phone_masked = NULL, description = NULL, address_string = NULL,
                   case_fields = '{}'::jsonb, lon = NULL, lat = NULL
            WHERE case_id IS NULL AND dismissed_at < :cutoff AND name_masked IS DISTINCT FROM :anonymous
            """
        ),
        {"cutoff": cutoff, "anonymous": ANONYMOUS},
    ).rowcount
    # The people who brought matters to a front desk (反映人), like the parties.
    informants = db.session.execute(
        sa.text(
            f"""
            UPDATE case_informants
            SET name_encrypted = :name, id_number_encrypted = NULL, phone_encrypted = NULL,
                name_masked = :anonymous, id_number_masked = NULL, phone_masked = NULL,
                id_number_hash = NULL, anonymised_at = :now
            WHERE anonymised_at IS NULL AND case_id IN ({old_cases})
            """
        ),
        {"name": box.encrypt(ANONYMOUS, "name"), "anonymous": ANONYMOUS, "now": now, "cutoff": cutoff},
    ).rowcount
    # The mediation records (笔录) hold the parties' words: they go with the parties.
    records = db.session.execute(
        sa.text(
            f"""
            UPDATE mediation_sessions SET record_encrypted = :record, anonymised_at = :now
            WHERE anonymised_at IS NULL AND case_id IN ({old_cases})
            """
        ),
        {"record": box.encrypt(ANONYMOUS, "mediation_record"), "now": now, "cutoff": cutoff},
    ).rowcount
    # Evidence files (recordings, documents) too: the bytes erased, the fingerprint kept.
    evidence = db.session.execute(
        sa.text(
            f"""
            UPDATE mediation_evidence SET data_encrypted = NULL, title_encrypted = :title, erased_at = :now
            WHERE erased_at IS NULL AND case_id IN ({old_cases})
            """
        ),
        {"title": box.encrypt(ANONYMOUS, "evidence_title"), "now": now, "cutoff": cutoff},
    ).rowcount
    # The residents a grid worker's visit met: their names go once the same time has passed
    # since the visit; what the visit found stays.
    visits = db.session.execute(
        sa.text(
            """
            UPDATE visits SET people_met_encrypted = NULL, people_met_masked = '', anonymised_at = :now
            WHERE anonymised_at IS NULL AND people_met_encrypted IS NOT NULL AND visited_at < :cutoff
            """
        ),
        {"now": now, "cutoff": cutoff},
    ).rowcount
    if total or reporters or informants or records or evidence or visits:
        record(
            AuditAction.PARTIES_ANONYMISED,
            details={
                "parties": total,
                "open311_reporters": reporters,
                "informants": informants,
                "mediation_records": records,
                "evidence_files": evidence,
                "visits": visits,
                "closed_before": cutoff.isoformat(),
            },
        )
    return total
