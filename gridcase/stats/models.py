"""Risk alerts (风险预警) and the cases each one links; the indicator rollups (统计汇总) and the
watermark of their refresh; the monthly reports a centre issues (月报签发) and their snapshots."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from gridcase.cases.models import Case
from gridcase.extensions import db
from gridcase.people.models import User
from gridcase.vocabulary import LabelledEnum

TZ = sa.DateTime(timezone=True)


def _ascii(length: int) -> sa.String:
    """A code column compared byte by byte (COLLATE "C")."""
    return sa.String(length, collation="C")


class AlertKind(LabelledEnum):
    # a major or critical case was logged (immediate red alert): 重大案件
    MAJOR_CASE = "major_case", _l("Major case")
    # overdue at the top of the ladder: 超期督办
    TOP_OVERDUE = "top_overdue", _l("Overdue at the top level")
    # people involved at or above the threshold: 群体性事件风险
    MASS_INCIDENT = "mass_incident", _l("Mass incident risk")
    # several cases of one category in one grid within days: 同类高发
    HOTSPOT = "hotspot", _l("Hotspot")
    # one person in several open disputes: 重复当事人
    REPEAT_PARTY = "repeat_party", _l("Repeat party")
    # 可能激化
    MAY_INTENSIFY = "may_intensify", _l("May intensify")
    # the lead unit returned the case for the second time: 多次退回, the centre settles who handles
    # it (会商、指定)
    RETURNED_TWICE = "returned_twice", _l("Returned twice by units")
    # a resolution waited past its verification's due time: 核查超期
    VERIFICATION_OVERDUE = "verification_overdue", _l("Verification overdue")
    # a watched person or hazard past its follow-up day: 重点人员/隐患 回访超期 (no case linked)
    FOLLOW_UP_OVERDUE = "follow_up_overdue", _l("Follow-up overdue")
    # a grid filed no report (nor a 零报告) in a 矛盾纠纷排查 round by its due day: 排查未报
    SCREENING_MISSING = "screening_missing", _l("Screening report missing")
    # a township's cases of one category rose significantly over the weeks before: 同类上升 (研判)
    RISING_ISSUE = "rising_issue", _l("Rising issue")


class RiskGrade(LabelledEnum):
    """研判's verdict on an alert's risk (矛盾纠纷风险研判: 高、中、低风险)."""

    HIGH = "high", _l("High risk")
    MEDIUM = "medium", _l("Medium risk")
    LOW = "low", _l("Low risk")


class CloseOutcome(LabelledEnum):
    """How an alert was closed (销号)."""

    DEFUSED = "defused", _l("Defused")  # 已化解
    CONTROLLED = "controlled", _l("Under control")  # 已稳控: the risk remains, held in check
    UNFOUNDED = "unfounded", _l("No risk after all")  # 经研判不构成风险


class AlertStatus(LabelledEnum):
    OPEN = "open", _l("Open")  # 待签收
    ACKNOWLEDGED = "acknowledged", _l("Acknowledged")  # 已签收 (and perhaps assessed: 研判)
    CLOSED = "closed", _l("Closed out")  # 已销号


alert_cases = sa.Table(
    "alert_cases",
    db.metadata,
    sa.Column("alert_id", sa.ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("case_id", sa.ForeignKey("cases.id"), primary_key=True, index=True),
)


class Alert(db.Model):
    """A risk alert (风险预警) for the command centre: open → acknowledged (签收) → closed (销号)."""

    __tablename__ = "alerts"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(24))
    severity: so.Mapped[str] = so.mapped_column(sa.String(8), default="red")  # red | yellow
    title: so.Mapped[str] = so.mapped_column(sa.String(300))
    # The territory the alert concerns (the narrowest node that holds all its cases).
    city_code: so.Mapped[str] = so.mapped_column(sa.String(15), index=True)
    district_code: so.Mapped[str | None] = so.mapped_column(sa.String(15))
    township_code: so.Mapped[str | None] = so.mapped_column(sa.String(15), index=True)
    community_code: so.Mapped[str | None] = so.mapped_column(sa.String(15), index=True)
    grid_code: so.Mapped[str | None] = so.mapped_column(sa.String(15), index=True)
    # One open alert per situation: the rule's key (e.g. "top_overdue:42"); closed ones may repeat.
    dedup_key: so.Mapped[str] = so.mapped_column(sa.String(120))
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default=AlertStatus.OPEN.value, index=True)
    opened_at: so.Mapped[datetime] = so.mapped_column(TZ)
    acknowledged_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    acknowledged_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    closed_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    closed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    note: so.Mapped[str | None] = so.mapped_column(sa.Text)  # the note given when closing it
    acknowledge_note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    # 研判: the assessment, its risk grade, who answers for the risk and by when.
    assessed_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    assessed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    assessment: so.Mapped[str | None] = so.mapped_column(sa.Text)
    risk_grade: so.Mapped[str | None] = so.mapped_column(sa.String(8))
    responsible: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    response_due: so.Mapped[date | None] = so.mapped_column(sa.Date)
    close_outcome: so.Mapped[str | None] = so.mapped_column(sa.String(16))

    acknowledged_by: so.Mapped[User | None] = so.relationship(foreign_keys=[acknowledged_by_id])
    closed_by: so.Mapped[User | None] = so.relationship(foreign_keys=[closed_by_id])
    assessed_by: so.Mapped[User | None] = so.relationship(foreign_keys=[assessed_by_id])

    __table_args__ = (
        sa.Index(
            "uq_alerts_open_dedup_key",
            "dedup_key",
            unique=True,
            postgresql_where=sa.text("status <> 'closed'"),
        ),
        sa.CheckConstraint("severity IN ('red', 'yellow')", name="severity"),
        sa.CheckConstraint("status IN ('open', 'acknowledged', 'closed')", name="status"),
        sa.CheckConstraint(
            f"risk_grade IS NULL OR risk_grade IN {RiskGrade.sql_values()}", name="risk_grade"
        ),
        sa.CheckConstraint(
            f"close_outcome IS NULL OR close_outcome IN {CloseOutcome.sql_values()}", name="close_outcome"
        ),
    )


class StatsRollup(db.Model):
    """Additive indicator counts of the cases created in one period (a local day or a week) in
    one territory node, per category or per kind: the rows the indicators are read from, so that
    reading them costs about the same at millions of cases as at thousands.

    `grain` names the row's shape, "{day|week}:{grid|community|township|district}:{category|kind}"
    (see gridcase.stats.rollups); rows "by kind" carry category_code "*". Durations to acceptance
    and to resolution are kept as sparse histograms (bucket numbers and their counts, see
    gridcase.stats.histogram) so medians come from the rollups too.
    """

    __tablename__ = "stats_rollups"

    # Codes and grain names are ASCII: byte order (COLLATE "C") is their order, and it makes
    # the sorts and index updates of a refresh much cheaper than a locale's collation.
    grain: so.Mapped[str] = so.mapped_column(_ascii(32), primary_key=True)
    region_code: so.Mapped[str] = so.mapped_column(_ascii(15), primary_key=True)
    period_start: so.Mapped[date] = so.mapped_column(sa.Date, primary_key=True)
    category_code: so.Mapped[str] = so.mapped_column(_ascii(16), primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(_ascii(16), primary_key=True)
    # The node's parent: a node's indicators are the sum of its children's rows.
    parent_code: so.Mapped[str] = so.mapped_column(_ascii(15))
    city_code: so.Mapped[str] = so.mapped_column(_ascii(15))
    district_code: so.Mapped[str | None] = so.mapped_column(_ascii(15))
    township_code: so.Mapped[str | None] = so.mapped_column(_ascii(15))
    community_code: so.Mapped[str | None] = so.mapped_column(_ascii(15))

    accepted: so.Mapped[int] = so.mapped_column(default=0)
    resolved: so.Mapped[int] = so.mapped_column(default=0)
    started_local: so.Mapped[int] = so.mapped_column(default=0)
    resolved_local: so.Mapped[int] = so.mapped_column(default=0)
    started_contained: so.Mapped[int] = so.mapped_column(default=0)
    resolved_contained: so.Mapped[int] = so.mapped_column(default=0)
    resolved_on_time: so.Mapped[int] = so.mapped_column(default=0)
    escalated: so.Mapped[int] = so.mapped_column(default=0)
    reopened: so.Mapped[int] = so.mapped_column(default=0)
    revisited: so.Mapped[int] = so.mapped_column(default=0)
    satisfied: so.Mapped[int] = so.mapped_column(default=0)
    # Open and past due at the refresh that counted the row (超期未办结, gridcase.stats.rollups).
    overdue_open: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    agreements_checked: so.Mapped[int] = so.mapped_column(default=0, server_default="0")  # 协议履行率
    agreements_performed: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    accept_buckets: so.Mapped[list[int]] = so.mapped_column(ARRAY(sa.SmallInteger), default=list)
    accept_counts: so.Mapped[list[int]] = so.mapped_column(ARRAY(sa.Integer), default=list)
    resolve_buckets: so.Mapped[list[int]] = so.mapped_column(ARRAY(sa.SmallInteger), default=list)
    resolve_counts: so.Mapped[list[int]] = so.mapped_column(ARRAY(sa.Integer), default=list)

    __table_args__ = (
        # A node's children over a period: the indicator table, and rolling rows up a level.
        sa.Index("ix_stats_rollups_children", "grain", "parent_code", "period_start"),
        sa.Index(
            "ix_stats_rollups_children_category", "grain", "parent_code", "category_code", "period_start"
        ),
    )


class StatsWatermark(db.Model):
    """How far the rollups have read the cases: changes made before `value` are in them."""

    __tablename__ = "stats_watermarks"

    name: so.Mapped[str] = so.mapped_column(sa.String(32), primary_key=True)
    value: so.Mapped[datetime] = so.mapped_column(TZ)
    refreshed_at: so.Mapped[datetime] = so.mapped_column(TZ)


# Indexes on `cases` that only the rollups need, declared here beside their reason and made by
# migration 0004_stats: the refresh finds changed cases by updated_at, then recounts the cases of
# each changed (day, grid) pair by grid and creation time.
sa.Index("ix_cases_updated_at", Case.__table__.c.updated_at)
sa.Index("ix_cases_grid_created", Case.__table__.c.grid_code, Case.__table__.c.created_at)


class MonthlyReport(db.Model):
    """A node's monthly report (月报) as its centre keeps it: the centre's own text (编者按、工作
    要求), saved as a draft until the month is issued (签发); once issued, the snapshot of every
    figure, chart series and sentence of the report as it stood that day, which every reader
    reads from then on, so that later changes to cases do not rewrite a signed document."""

    __tablename__ = "monthly_reports"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    region_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("regions.code"))
    month: so.Mapped[date] = so.mapped_column(sa.Date)  # the month's first day
    centre_text: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    draft_saved_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    draft_saved_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    issued_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    issued_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    snapshot: so.Mapped[dict | None] = so.mapped_column(JSONB)  # the report as issued

    draft_saved_by: so.Mapped[User | None] = so.relationship(foreign_keys=[draft_saved_by_id])
    issued_by: so.Mapped[User | None] = so.relationship(foreign_keys=[issued_by_id])

    __table_args__ = (
        # One report per node and month: a second issue races into this and is refused (409).
        sa.UniqueConstraint("region_code", "month", name="uq_monthly_reports_region_month"),
        sa.CheckConstraint("extract(day FROM month) = 1", name="first_of_month"),
        # Issued means all three: who, when and what was signed.
        sa.CheckConstraint(
            "(issued_at IS NULL) = (issued_by_id IS NULL) AND (issued_at IS NULL) = (snapshot IS NULL)",
            name="issued_whole",
        ),
    )
