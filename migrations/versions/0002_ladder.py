"""Ladder: extension requests, notifications and alerts

Revision ID: 0002_ladder
Revises: 0001_foundation
Create Date: 2026-11-25 14:07:12.217369

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_ladder'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('alerts',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('city_code', sa.String(length=15), nullable=False),
    sa.Column('district_code', sa.String(length=15), nullable=True),
    sa.Column('township_code', sa.String(length=15), nullable=True),
    sa.Column('community_code', sa.String(length=15), nullable=True),
    sa.Column('grid_code', sa.String(length=15), nullable=True),
    sa.Column('dedup_key', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint("severity IN ('red', 'yellow')", name=op.f('ck_alerts_severity')),
    sa.CheckConstraint("status IN ('open', 'acknowledged', 'closed')", name=op.f('ck_alerts_status')),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'], name=op.f('fk_alerts_acknowledged_by_id_users')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_alerts_closed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alerts_city_code'), ['city_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_community_code'), ['community_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_township_code'), ['township_code'], unique=False)
        batch_op.create_index('uq_alerts_open_dedup_key', ['dedup_key'], unique=True, postgresql_where=sa.text("status <> 'closed'"))

    op.create_table('alert_cases',
    sa.Column('alert_id', sa.BigInteger(), nullable=False),
    sa.Column('case_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_alert_cases_alert_id_alerts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_alert_cases_case_id_cases')),
    sa.PrimaryKeyConstraint('alert_id', 'case_id', name=op.f('pk_alert_cases'))
    )
    with op.batch_alter_table('alert_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_cases_case_id'), ['case_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.BigInteger(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_notifications_case_id_cases')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_notifications_user_unread', ['user_id', 'read_at', sa.literal_column('created_at DESC')], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extension_requested_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('extension_requested_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_cases_extension_requested_by_id_users'), 'users', ['extension_requested_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cases_extension_requested_by_id_users'), type_='foreignkey')
        batch_op.drop_column('extension_requested_by_id')
        batch_op.drop_column('extension_requested_days')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_unread')
        batch_op.drop_index(batch_op.f('ix_notifications_case_id'))

    op.drop_table('notifications')
    with op.batch_alter_table('alert_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_cases_case_id'))

    op.drop_table('alert_cases')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('uq_alerts_open_dedup_key', postgresql_where=sa.text("status <> 'closed'"))
        batch_op.drop_index(batch_op.f('ix_alerts_township_code'))
        batch_op.drop_index(batch_op.f('ix_alerts_status'))
        batch_op.drop_index(batch_op.f('ix_alerts_community_code'))
        batch_op.drop_index(batch_op.f('ix_alerts_city_code'))

    op.drop_table('alerts')
