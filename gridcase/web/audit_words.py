"""What the audit log's actions and results are called on the auditor's page, in the page's
language: the log itself keeps its codes (the export, the API and the chain rely on them)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from gridcase.audit.log import AuditAction
from gridcase.messages import say

ACTION_LABELS = {
    AuditAction.LOGIN: _l("Signed in"),
    AuditAction.LOGIN_FAILED: _l("Sign-in failed"),
    AuditAction.LOGIN_BLOCKED: _l("Sign-in blocked"),
    AuditAction.LOCKOUT: _l("Account locked"),
    AuditAction.SECOND_FACTOR_FAILED: _l("Wrong authenticator code"),
    AuditAction.TWO_FACTOR_ENROLLED: _l("Authenticator enrolled"),
    AuditAction.RECOVERY_CODE_USED: _l("Recovery code used"),
    AuditAction.LOGOUT: _l("Signed out"),
    AuditAction.PASSWORD_CHANGED: _l("Password changed"),
    AuditAction.PERMISSION_DENIED: _l("Permission denied"),
    AuditAction.REVEAL: _l("Personal data revealed"),
    AuditAction.USER_CREATED: _l("User created"),
    AuditAction.USER_CHANGED: _l("User changed"),
    AuditAction.CATALOGUE_CHANGED: _l("Catalogue changed"),
    AuditAction.CALENDAR_CHANGED: _l("Working calendar changed"),
    AuditAction.GEODATA_IMPORTED: _l("Territory imported"),
    AuditAction.UNITS_IMPORTED: _l("Units imported"),
    AuditAction.UNIT_CREATED: _l("Unit created"),
    AuditAction.UNIT_CHANGED: _l("Unit changed"),
    AuditAction.CHANNEL_ADDED: _l("Notification channel added"),
    AuditAction.CHANNEL_REMOVED: _l("Notification channel removed"),
    AuditAction.CONFIGURATION_CHANGED: _l("Configuration changed"),
    AuditAction.KEYS_ROTATED: _l("Encryption keys rotated"),
    AuditAction.PARTIES_ANONYMISED: _l("Parties anonymised"),
    AuditAction.AUDIT_EXPORTED: _l("Audit log exported"),
    AuditAction.DATA_EXPORTED: _l("Data exported"),
    AuditAction.AUDIT_PRUNED: _l("Audit log pruned"),
}
assert set(ACTION_LABELS) == set(AuditAction)

RESULT_LABELS = {"ok": _l("Succeeded"), "failed": _l("Failed"), "denied": _l("Denied")}


def action_label(code: str) -> str:
    try:
        return str(ACTION_LABELS[AuditAction(code)])
    except ValueError:
        return code


def result_label(code: str) -> str:
    label = RESULT_LABELS.get(code)
    return str(label) if label is not None else code


def details_text(details: dict | None) -> str:
    """The entry's details as "key: value" pairs, not a JSON document; a value that is a message
    the catalogue knows (a refusal's reason) in the page's language."""
    if not details:
        return ""
    said = {key: say(value) if isinstance(value, str) else value for key, value in details.items()}
    return "；".join(f"{key}: {value}" for key, value in said.items())
