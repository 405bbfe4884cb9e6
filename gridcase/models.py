"""Imports every model module, so that the metadata knows all tables (for Alembic and tests)."""

from gridcase.assessment.models import AssessmentScheme, AssessmentSchemeItem  # noqa: F401
from gridcase.audit.models import AuditEntry  # noqa: F401
from gridcase.cases.models import (  # noqa: F401
    Case,
    CaseAttachment,
    CaseEvent,
    CaseNumberCounter,
    CaseParty,
    Category,
)
from gridcase.channels.models import (  # noqa: F401
    Open311Client,
    Open311Request,
    PublicLookupFailure,
    PublicReport,
)
from gridcase.ladder.models import CalendarDay  # noqa: F401
from gridcase.mediation.models import AgreementNumberCounter, MediationAgreement  # noqa: F401
from gridcase.notifications.models import Notification  # noqa: F401
from gridcase.people.models import ApiToken, User, grid_assignments  # noqa: F401
from gridcase.stats.models import Alert, alert_cases  # noqa: F401
from gridcase.territory.models import Region  # noqa: F401
from gridcase.units.models import CaseAssignment, Unit, UnitCategory  # noqa: F401
from gridcase.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription  # noqa: F401
