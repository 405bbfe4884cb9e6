"""Territory, people, catalogue, cases, event log and calendar

Revision ID: 0001_foundation
Revises: 
Create Date: 2026-11-25 13:55:45.484014

"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0001_foundation'
down_revision = None
branch_labels = None
depends_on = None


APPEND_ONLY_FUNCTION = """
CREATE FUNCTION case_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'case_events is append-only: % is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade():
    # PostGIS and pg_trgm need a superuser to install; scripts/localdb.sh does it for the
    # local cluster, an operator does it once for an external database.
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")

    op.create_table('calendar_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('working', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_days'))
    )
    with op.batch_alter_table('calendar_days', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_days_year'), ['year'], unique=False)

    op.create_table('case_number_counters',
    sa.Column('city_code', sa.String(length=6), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('city_code', 'day', name=op.f('pk_case_number_counters'))
    )
    op.create_table('categories',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('parent_code', sa.String(length=16), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=True),
    sa.Column('default_severity', sa.String(length=16), nullable=False),
    sa.Column('time_limits', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('closing_standard', sa.Text(), nullable=True),
    sa.Column('initials', sa.String(length=32), nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('incident', 'dispute')", name=op.f('ck_categories_kind')),
    sa.ForeignKeyConstraint(['parent_code'], ['categories.code'], name=op.f('fk_categories_parent_code_categories')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_categories'))
    )
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_categories_parent_code'), ['parent_code'], unique=False)

    op.create_geospatial_table('regions',
    sa.Column('code', sa.String(length=15), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('parent_code', sa.String(length=15), nullable=True),
    sa.Column('city_code', sa.String(length=15), nullable=True),
    sa.Column('district_code', sa.String(length=15), nullable=True),
    sa.Column('township_code', sa.String(length=15), nullable=True),
    sa.Column('community_code', sa.String(length=15), nullable=True),
    sa.Column('boundary', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('area_m2', sa.Float(), nullable=False),
    sa.Column('grid_kind', sa.String(length=16), nullable=True),
    sa.Column('households', sa.Integer(), nullable=True),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("grid_kind IS NULL OR grid_kind IN ('comprehensive', 'dedicated')", name=op.f('ck_regions_grid_kind')),
    sa.CheckConstraint("level IN ('city', 'district', 'township', 'community', 'grid')", name=op.f('ck_regions_level')),
    sa.CheckConstraint('households IS NULL OR households >= 0', name=op.f('ck_regions_households')),
    sa.CheckConstraint('population IS NULL OR population >= 0', name=op.f('ck_regions_population')),
    sa.ForeignKeyConstraint(['parent_code'], ['regions.code'], name=op.f('fk_regions_parent_code_regions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_regions'))
    )
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_regions_boundary', ['boundary'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_regions_city_code'), ['city_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_regions_community_code'), ['community_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_regions_district_code'), ['district_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_regions_level'), ['level'], unique=False)
        batch_op.create_index(batch_op.f('ix_regions_parent_code'), ['parent_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_regions_township_code'), ['township_code'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('scope_code', sa.String(length=15), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role IN ('grid_worker', 'community_mediator', 'township_coordinator', 'district_coordinator', 'city_commander', 'admin', 'auditor')", name=op.f('ck_users_role')),
    sa.ForeignKeyConstraint(['scope_code'], ['regions.code'], name=op.f('fk_users_scope_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_scope_code'), ['scope_code'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_geospatial_table('cases',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('public_number', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('category_code', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('people_involved', sa.Integer(), nullable=False),
    sa.Column('may_intensify', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('location_accuracy_m', sa.Float(), nullable=True),
    sa.Column('location_crs', sa.String(length=10), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('city_code', sa.String(length=15), nullable=False),
    sa.Column('district_code', sa.String(length=15), nullable=True),
    sa.Column('township_code', sa.String(length=15), nullable=False),
    sa.Column('community_code', sa.String(length=15), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('initial_level', sa.String(length=16), nullable=False),
    sa.Column('highest_level', sa.String(length=16), nullable=False),
    sa.Column('resolved_level', sa.String(length=16), nullable=True),
    sa.Column('level_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('warn_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('extension_days', sa.Integer(), nullable=False),
    sa.Column('escalation_count', sa.Integer(), nullable=False),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('overdue_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('supervised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('duplicate_of_id', sa.BigInteger(), nullable=True),
    sa.Column('resolution_outcome', sa.String(length=32), nullable=True),
    sa.Column('resolution_summary', sa.Text(), nullable=True),
    sa.Column('resolved_on_time', sa.Boolean(), nullable=True),
    sa.Column('satisfaction', sa.String(length=24), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revisited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=True),
    sa.Column('request_fingerprint', sa.String(length=64), nullable=True),
    sa.CheckConstraint("kind IN ('incident', 'dispute')", name=op.f('ck_cases_kind')),
    sa.CheckConstraint("severity IN ('general', 'significant', 'major', 'critical')", name=op.f('ck_cases_severity')),
    sa.CheckConstraint("source IN ('grid_worker', 'public', 'hotline', 'referral')", name=op.f('ck_cases_source')),
    sa.CheckConstraint("status IN ('pending', 'in_progress', 'resolved', 'closed', 'rejected')", name=op.f('ck_cases_status')),
    sa.CheckConstraint('people_involved >= 0', name=op.f('ck_cases_people_involved')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_cases_version')),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_cases_assignee_id_users')),
    sa.ForeignKeyConstraint(['category_code'], ['categories.code'], name=op.f('fk_cases_category_code_categories')),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['cases.id'], name=op.f('fk_cases_duplicate_of_id_cases')),
    sa.ForeignKeyConstraint(['grid_code'], ['regions.code'], name=op.f('fk_cases_grid_code_regions')),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_cases_reporter_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('public_number', name=op.f('uq_cases_public_number'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_cases_location', ['location'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_cases_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_category_code'), ['category_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_city_code'), ['city_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_community_code'), ['community_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_district_code'), ['district_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_grid_code'), ['grid_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_level'), ['level'], unique=False)
        batch_op.create_index('ix_cases_open_due', ['due_at'], unique=False, postgresql_where=sa.text("status IN ('pending', 'in_progress')"))
        batch_op.create_index(batch_op.f('ix_cases_reporter_id'), ['reporter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_township_code'), ['township_code'], unique=False)
        batch_op.create_index('uq_cases_reporter_idempotency_key', ['reporter_id', 'idempotency_key'], unique=True, postgresql_where=sa.text('idempotency_key IS NOT NULL'))

    op.create_table('grid_assignments',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=False),
    sa.ForeignKeyConstraint(['grid_code'], ['regions.code'], name=op.f('fk_grid_assignments_grid_code_regions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_grid_assignments_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'grid_code', name=op.f('pk_grid_assignments'))
    )
    op.create_table('case_events',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('case_id', sa.BigInteger(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('from_level', sa.String(length=16), nullable=True),
    sa.Column('to_level', sa.String(length=16), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_case_events_actor_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_events_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events')),
    sa.UniqueConstraint('case_id', 'seq', name='uq_case_events_case_seq')
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_events_case_id'), ['case_id'], unique=False)

    op.create_table('case_parties',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('case_id', sa.BigInteger(), nullable=False),
    sa.Column('party_role', sa.String(length=16), nullable=False),
    sa.Column('name_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('id_number_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('phone_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('name_masked', sa.String(length=64), nullable=False),
    sa.Column('id_number_masked', sa.String(length=32), nullable=True),
    sa.Column('phone_masked', sa.String(length=32), nullable=True),
    sa.Column('id_number_hash', sa.String(length=64), nullable=True),
    sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_parties_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_parties'))
    )
    with op.batch_alter_table('case_parties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_parties_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_parties_id_number_hash'), ['id_number_hash'], unique=False)


    # Keyword search over title, description and address (an expression index Alembic cannot
    # autogenerate).
    op.execute(
        "CREATE INDEX ix_cases_search_trgm ON cases USING gin "
        "((title || ' ' || description || ' ' || address) gin_trgm_ops)"
    )
    # The event log is append-only: the database itself refuses UPDATE, DELETE and TRUNCATE.
    op.execute(APPEND_ONLY_FUNCTION)
    op.execute(
        "CREATE TRIGGER case_events_no_change BEFORE UPDATE OR DELETE ON case_events "
        "FOR EACH ROW EXECUTE FUNCTION case_events_append_only()"
    )
    op.execute(
        "CREATE TRIGGER case_events_no_truncate BEFORE TRUNCATE ON case_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION case_events_append_only()"
    )


def downgrade():
    with op.batch_alter_table('case_parties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_parties_id_number_hash'))
        batch_op.drop_index(batch_op.f('ix_case_parties_case_id'))

    op.drop_table('case_parties')
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_events_case_id'))

    op.drop_table('case_events')
    op.drop_table('grid_assignments')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('uq_cases_reporter_idempotency_key', postgresql_where=sa.text('idempotency_key IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_cases_township_code'))
        batch_op.drop_index(batch_op.f('ix_cases_status'))
        batch_op.drop_index(batch_op.f('ix_cases_reporter_id'))
        batch_op.drop_index('ix_cases_open_due', postgresql_where=sa.text("status IN ('pending', 'in_progress')"))
        batch_op.drop_index(batch_op.f('ix_cases_level'))
        batch_op.drop_index(batch_op.f('ix_cases_grid_code'))
        batch_op.drop_index(batch_op.f('ix_cases_due_at'))
        batch_op.drop_index(batch_op.f('ix_cases_district_code'))
        batch_op.drop_index(batch_op.f('ix_cases_created_at'))
        batch_op.drop_index(batch_op.f('ix_cases_community_code'))
        batch_op.drop_index(batch_op.f('ix_cases_city_code'))
        batch_op.drop_index(batch_op.f('ix_cases_category_code'))
        batch_op.drop_index(batch_op.f('ix_cases_assignee_id'))
        batch_op.drop_geospatial_index('idx_cases_location', postgresql_using='gist', column_name='location')

    op.drop_geospatial_table('cases')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_scope_code'))

    op.drop_table('users')
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_regions_township_code'))
        batch_op.drop_index(batch_op.f('ix_regions_parent_code'))
        batch_op.drop_index(batch_op.f('ix_regions_level'))
        batch_op.drop_index(batch_op.f('ix_regions_district_code'))
        batch_op.drop_index(batch_op.f('ix_regions_community_code'))
        batch_op.drop_index(batch_op.f('ix_regions_city_code'))
        batch_op.drop_geospatial_index('idx_regions_boundary', postgresql_using='gist', column_name='boundary')

    op.drop_geospatial_table('regions')
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_categories_parent_code'))

    op.drop_table('categories')
    op.drop_table('case_number_counters')
    with op.batch_alter_table('calendar_days', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_days_year'))

    op.drop_table('calendar_days')
    op.execute("DROP FUNCTION IF EXISTS case_events_append_only()")
