"""Initial schema: members, schedules, appointments, pre-auth, emergencies, idempotency.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 20:06:45.119374
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('departments',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('aliases', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments'))
    )
    op.create_table('hospitals',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=40), nullable=False),
    sa.Column('unit', sa.String(length=100), nullable=False),
    sa.Column('aliases', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hospitals'))
    )
    op.create_index(op.f('ix_hospitals_city'), 'hospitals', ['city'], unique=False)
    op.create_table('idempotency_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('scope', sa.String(length=300), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('response', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_keys')),
    sa.UniqueConstraint('key', name=op.f('uq_idempotency_keys_key'))
    )
    op.create_table('members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('id_number', sa.String(length=40), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('policy_number', sa.String(length=40), nullable=False),
    sa.Column('policy_start', sa.Date(), nullable=False),
    sa.Column('policy_end', sa.Date(), nullable=False),
    sa.Column('waiting_period_end', sa.Date(), nullable=False),
    sa.Column('direct_pay_card', sa.String(length=40), nullable=True),
    sa.Column('no_show_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_members')),
    sa.UniqueConstraint('id_number', name=op.f('uq_members_id_number')),
    sa.UniqueConstraint('policy_number', name=op.f('uq_members_policy_number'))
    )
    op.create_table('doctors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hospital_id', sa.String(length=40), nullable=False),
    sa.Column('department_id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=40), nullable=False),
    sa.Column('popular', sa.Boolean(), nullable=False),
    sa.Column('weekly_pattern', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_doctors_department_id_departments')),
    sa.ForeignKeyConstraint(['hospital_id'], ['hospitals.id'], name=op.f('fk_doctors_hospital_id_hospitals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_doctors')),
    sa.UniqueConstraint('hospital_id', 'department_id', 'name', name=op.f('uq_doctors_hospital_id_department_id_name'))
    )
    op.create_table('emergency_notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=True),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('hospital', sa.String(length=200), nullable=True),
    sa.Column('treatment_start', sa.DateTime(), nullable=False),
    sa.Column('deadline', sa.DateTime(), nullable=False),
    sa.Column('on_time', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_emergency_notifications_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_emergency_notifications')),
    sa.UniqueConstraint('reference', name=op.f('uq_emergency_notifications_reference'))
    )
    op.create_index(op.f('ix_emergency_notifications_member_id'), 'emergency_notifications', ['member_id'], unique=False)
    op.create_table('hospital_departments',
    sa.Column('hospital_id', sa.String(length=40), nullable=False),
    sa.Column('department_id', sa.String(length=40), nullable=False),
    sa.Column('weekly_pattern', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_hospital_departments_department_id_departments')),
    sa.ForeignKeyConstraint(['hospital_id'], ['hospitals.id'], name=op.f('fk_hospital_departments_hospital_id_hospitals')),
    sa.PrimaryKeyConstraint('hospital_id', 'department_id', name=op.f('pk_hospital_departments'))
    )
    op.create_table('member_channels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_channels_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_channels')),
    sa.UniqueConstraint('channel', 'external_id', name=op.f('uq_member_channels_channel_external_id'))
    )
    op.create_index(op.f('ix_member_channels_member_id'), 'member_channels', ['member_id'], unique=False)
    op.create_table('preauth_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('treatment_id', sa.String(length=40), nullable=True),
    sa.Column('treatment_text', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=True),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('hospital_id', sa.String(length=40), nullable=True),
    sa.Column('planned_date', sa.Date(), nullable=False),
    sa.Column('materials_received', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_note', sa.Text(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('decision_due', sa.Date(), nullable=False),
    sa.Column('timely', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('submitted', 'under_review', 'more_info_needed', 'approved', 'declined')", name=op.f('ck_preauth_cases_status')),
    sa.ForeignKeyConstraint(['hospital_id'], ['hospitals.id'], name=op.f('fk_preauth_cases_hospital_id_hospitals')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_preauth_cases_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_preauth_cases')),
    sa.UniqueConstraint('reference', name=op.f('uq_preauth_cases_reference'))
    )
    op.create_index(op.f('ix_preauth_cases_member_id'), 'preauth_cases', ['member_id'], unique=False)
    op.create_table('preauth_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['preauth_cases.id'], name=op.f('fk_preauth_events_case_id_preauth_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_preauth_events'))
    )
    op.create_index(op.f('ix_preauth_events_case_id'), 'preauth_events', ['case_id'], unique=False)
    op.create_table('slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hospital_id', sa.String(length=40), nullable=False),
    sa.Column('department_id', sa.String(length=40), nullable=False),
    sa.Column('doctor_id', sa.Integer(), nullable=True),
    sa.Column('start', sa.DateTime(), nullable=False),
    sa.Column('end', sa.DateTime(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('booked', sa.Integer(), nullable=False),
    sa.CheckConstraint('booked >= 0 AND booked <= capacity', name=op.f('ck_slots_booked_within_capacity')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_slots_department_id_departments')),
    sa.ForeignKeyConstraint(['doctor_id'], ['doctors.id'], name=op.f('fk_slots_doctor_id_doctors')),
    sa.ForeignKeyConstraint(['hospital_id'], ['hospitals.id'], name=op.f('fk_slots_hospital_id_hospitals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slots')),
    sa.UniqueConstraint('hospital_id', 'department_id', 'doctor_id', 'start', name=op.f('uq_slots_hospital_id_department_id_doctor_id_start'))
    )
    op.create_index('uq_slots_general_start', 'slots', ['hospital_id', 'department_id', 'start'], unique=True, sqlite_where=sa.text('doctor_id IS NULL'), postgresql_where=sa.text('doctor_id IS NULL'))
    op.create_table('appointments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('accidental_injury', sa.Boolean(), nullable=False),
    sa.Column('late_change', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('requested', 'confirmed', 'changed', 'cancelled', 'attended', 'no_show')", name=op.f('ck_appointments_status')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_appointments_member_id_members')),
    sa.ForeignKeyConstraint(['slot_id'], ['slots.id'], name=op.f('fk_appointments_slot_id_slots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments')),
    sa.UniqueConstraint('reference', name=op.f('uq_appointments_reference'))
    )
    op.create_index(op.f('ix_appointments_member_id'), 'appointments', ['member_id'], unique=False)
    op.create_index(op.f('ix_appointments_slot_id'), 'appointments', ['slot_id'], unique=False)
    op.create_table('appointment_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_appointment_events_appointment_id_appointments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_events'))
    )
    op.create_index(op.f('ix_appointment_events_appointment_id'), 'appointment_events', ['appointment_id'], unique=False)
    op.create_table('direct_billing_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('response_due', sa.Date(), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'approved', 'declined')", name=op.f('ck_direct_billing_requests_status')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_direct_billing_requests_appointment_id_appointments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_direct_billing_requests'))
    )
    op.create_index(op.f('ix_direct_billing_requests_appointment_id'), 'direct_billing_requests', ['appointment_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_direct_billing_requests_appointment_id'), table_name='direct_billing_requests')
    op.drop_table('direct_billing_requests')
    op.drop_index(op.f('ix_appointment_events_appointment_id'), table_name='appointment_events')
    op.drop_table('appointment_events')
    op.drop_index(op.f('ix_appointments_slot_id'), table_name='appointments')
    op.drop_index(op.f('ix_appointments_member_id'), table_name='appointments')
    op.drop_table('appointments')
    op.drop_index('uq_slots_general_start', table_name='slots', sqlite_where=sa.text('doctor_id IS NULL'), postgresql_where=sa.text('doctor_id IS NULL'))
    op.drop_table('slots')
    op.drop_index(op.f('ix_preauth_events_case_id'), table_name='preauth_events')
    op.drop_table('preauth_events')
    op.drop_index(op.f('ix_preauth_cases_member_id'), table_name='preauth_cases')
    op.drop_table('preauth_cases')
    op.drop_index(op.f('ix_member_channels_member_id'), table_name='member_channels')
    op.drop_table('member_channels')
    op.drop_table('hospital_departments')
    op.drop_index(op.f('ix_emergency_notifications_member_id'), table_name='emergency_notifications')
    op.drop_table('emergency_notifications')
    op.drop_table('doctors')
    op.drop_table('members')
    op.drop_table('idempotency_keys')
    op.drop_index(op.f('ix_hospitals_city'), table_name='hospitals')
    op.drop_table('hospitals')
    op.drop_table('departments')
