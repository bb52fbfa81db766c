"""The backends' tables (SQLAlchemy 1.4, 2.0 style). Times are stored as Shanghai
wall-clock time without an offset (China has no daylight saving, so this is exact)
and come back timezone-aware."""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import declarative_base, relationship

from bot.db import NAMING, ShanghaiDateTime
from bot.db import one_of as _one_of

Base = declarative_base(metadata=MetaData(naming_convention=NAMING))

APPOINTMENT_STATUSES = ("requested", "confirmed", "changed", "cancelled", "attended", "no_show")
ACTIVE_APPOINTMENT_STATUSES = ("requested", "confirmed", "changed")
DIRECT_BILLING_STATUSES = ("pending", "approved", "declined")
PREAUTH_STATUSES = ("submitted", "under_review", "more_info_needed", "approved", "declined")


class Member(Base):
    """An insured person (被保险人) and their policy's dates."""

    __tablename__ = "members"
    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)
    id_number = Column(String(40), nullable=False, unique=True)
    phone = Column(String(40), nullable=False)
    policy_number = Column(String(40), nullable=False, unique=True)
    policy_start = Column(Date, nullable=False)
    policy_end = Column(Date, nullable=False)
    waiting_period_end = Column(Date, nullable=False)  # first day after the 等待期
    direct_pay_card = Column(String(40))  # 电子直付卡 number
    no_show_count = Column(Integer, nullable=False, default=0)  # 爽约记录
    # The member's own 私人健康管家: their console username (the gateway assigns this
    # member's handoffs to them first when they are present); None until one is named.
    health_manager = Column(String(60))
    created_at = Column(ShanghaiDateTime, nullable=False)

    channels = relationship("MemberChannel", back_populates="member", order_by="MemberChannel.id")


class MemberChannel(Base):
    """How a member reaches the service: web chat id, WeChat openid ..."""

    __tablename__ = "member_channels"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id = Column(Integer, primary_key=True)
    member_id = Column(ForeignKey("members.id"), nullable=False, index=True)
    channel = Column(String(20), nullable=False)
    external_id = Column(String(200), nullable=False)

    member = relationship("Member", back_populates="channels")


class LinkAttempt(Base):
    """A try at linking a chat identity to a policy (绑定保单): failed ones count towards
    the limits (bot/backends/linking.py). The policy number is kept only as a hash: a
    stranger's guesses are not stored."""

    __tablename__ = "link_attempts"
    __table_args__ = (
        Index("ix_link_attempts_identity", "channel", "external_id", "attempted_at"),
        Index("ix_link_attempts_policy", "policy_hash", "attempted_at"),
    )
    id = Column(Integer, primary_key=True)
    channel = Column(String(20), nullable=False)
    external_id = Column(String(200), nullable=False)
    policy_hash = Column(String(64), nullable=False)  # sha256 hex of the normalised number
    matched = Column(Boolean, nullable=False)  # policy number and phone tail both right
    attempted_at = Column(ShanghaiDateTime, nullable=False)


class Hospital(Base):
    """A network hospital (catalog id as key)."""

    __tablename__ = "hospitals"
    id = Column(String(40), primary_key=True)
    name = Column(String(100), nullable=False)
    full_name = Column(String(200), nullable=False)
    city = Column(String(40), nullable=False, index=True)
    unit = Column(String(100), nullable=False)
    aliases = Column(JSON, nullable=False)


class Department(Base):
    __tablename__ = "departments"
    id = Column(String(40), primary_key=True)
    name = Column(String(100), nullable=False)
    aliases = Column(JSON, nullable=False)


class HospitalDepartment(Base):
    """A department a hospital's 特需 unit runs, and its half-day clinics
    (weekly_pattern: ["1am", "1pm", ..., "6am"], ISO weekday + am/pm)."""

    __tablename__ = "hospital_departments"
    hospital_id = Column(ForeignKey("hospitals.id"), primary_key=True)
    department_id = Column(ForeignKey("departments.id"), primary_key=True)
    weekly_pattern = Column(JSON, nullable=False)

    hospital = relationship("Hospital")
    department = relationship("Department")


class Doctor(Base):
    __tablename__ = "doctors"
    __table_args__ = (UniqueConstraint("hospital_id", "department_id", "name"),)
    id = Column(Integer, primary_key=True)
    hospital_id = Column(ForeignKey("hospitals.id"), nullable=False)
    department_id = Column(ForeignKey("departments.id"), nullable=False)
    name = Column(String(40), nullable=False)
    title = Column(String(40), nullable=False)
    popular = Column(Boolean, nullable=False, default=False)  # 热门专家
    weekly_pattern = Column(JSON, nullable=False)


class Slot(Base):
    """A bookable half-hour session: the department's general 特需 clinic (no doctor)
    or a named doctor's. Rows are created on demand (bot/backends/availability.py)."""

    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("hospital_id", "department_id", "doctor_id", "start"),
        # NULLs never collide in a unique constraint: the general clinic needs its own.
        Index(
            "uq_slots_general_start", "hospital_id", "department_id", "start", unique=True,
            sqlite_where=text("doctor_id IS NULL"),
            postgresql_where=text("doctor_id IS NULL"),
        ),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
    )
    id = Column(Integer, primary_key=True)
    hospital_id = Column(ForeignKey("hospitals.id"), nullable=False)
    department_id = Column(ForeignKey("departments.id"), nullable=False)
    doctor_id = Column(ForeignKey("doctors.id"))
    start = Column(ShanghaiDateTime, nullable=False)
    end = Column(ShanghaiDateTime, nullable=False)
    capacity = Column(Integer, nullable=False)
    booked = Column(Integer, nullable=False, default=0)

    hospital = relationship("Hospital")
    department = relationship("Department")
    doctor = relationship("Doctor")


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (CheckConstraint(_one_of("status", APPOINTMENT_STATUSES), name="status"),)
    id = Column(Integer, primary_key=True)
    reference = Column(String(40), nullable=False, unique=True)
    member_id = Column(ForeignKey("members.id"), nullable=False, index=True)
    slot_id = Column(ForeignKey("slots.id"), nullable=False, index=True)
    status = Column(String(20), nullable=False)
    accidental_injury = Column(Boolean, nullable=False, default=False)
    late_change = Column(Boolean, nullable=False, default=False)
    created_at = Column(ShanghaiDateTime, nullable=False)
    updated_at = Column(ShanghaiDateTime, nullable=False)

    member = relationship("Member")
    slot = relationship("Slot")
    events = relationship(
        "AppointmentEvent", order_by="AppointmentEvent.id", cascade="all, delete-orphan"
    )
    direct_billing = relationship(
        "DirectBillingRequest", order_by="DirectBillingRequest.id", cascade="all, delete-orphan"
    )


class _HistoryEntry:
    """One step in an appointment's or a case's history."""

    id = Column(Integer, primary_key=True)
    at = Column(ShanghaiDateTime, nullable=False)
    status = Column(String(20), nullable=False)
    note = Column(Text)


class AppointmentEvent(_HistoryEntry, Base):
    __tablename__ = "appointment_events"
    appointment_id = Column(ForeignKey("appointments.id"), nullable=False, index=True)


class DirectBillingRequest(Base):
    """A direct-billing application (直付申请) for an appointment."""

    __tablename__ = "direct_billing_requests"
    __table_args__ = (CheckConstraint(_one_of("status", DIRECT_BILLING_STATUSES), name="status"),)
    id = Column(Integer, primary_key=True)
    appointment_id = Column(ForeignKey("appointments.id"), nullable=False, index=True)
    status = Column(String(20), nullable=False)
    requested_at = Column(ShanghaiDateTime, nullable=False)
    response_due = Column(Date, nullable=False)


class PreauthCase(Base):
    """A pre-authorisation application (预授权申请)."""

    __tablename__ = "preauth_cases"
    __table_args__ = (CheckConstraint(_one_of("status", PREAUTH_STATUSES), name="status"),)
    id = Column(Integer, primary_key=True)
    reference = Column(String(40), nullable=False, unique=True)
    member_id = Column(ForeignKey("members.id"), nullable=False, index=True)
    treatment_id = Column(String(40))  # catalog id, None when not recognised
    treatment_text = Column(Text, nullable=False)  # the member's words
    category = Column(String(40))
    amount = Column(Numeric(12, 2))
    hospital_id = Column(ForeignKey("hospitals.id"))
    planned_date = Column(Date, nullable=False)
    materials_received = Column(JSON, nullable=False)
    status = Column(String(20), nullable=False)
    status_note = Column(Text)
    submitted_at = Column(ShanghaiDateTime, nullable=False)
    decision_due = Column(Date, nullable=False)
    timely = Column(Boolean, nullable=False)
    updated_at = Column(ShanghaiDateTime, nullable=False)

    hospital = relationship("Hospital")
    events = relationship("PreauthEvent", order_by="PreauthEvent.id", cascade="all, delete-orphan")


class PreauthEvent(_HistoryEntry, Base):
    __tablename__ = "preauth_events"
    case_id = Column(ForeignKey("preauth_cases.id"), nullable=False, index=True)


class EmergencyNotification(Base):
    """A notice of emergency treatment without pre-authorisation (48-hour rule)."""

    __tablename__ = "emergency_notifications"
    id = Column(Integer, primary_key=True)
    reference = Column(String(40), nullable=False, unique=True)
    member_id = Column(ForeignKey("members.id"), index=True)  # None: not identified
    channel = Column(String(20))
    external_id = Column(String(200))
    description = Column(Text, nullable=False)
    hospital = Column(String(200))
    treatment_start = Column(ShanghaiDateTime, nullable=False)
    deadline = Column(ShanghaiDateTime, nullable=False)
    on_time = Column(Boolean, nullable=False)
    created_at = Column(ShanghaiDateTime, nullable=False)


class IdempotencyKey(Base):
    """A POST's Idempotency-Key and the response it got (replayed on a retry)."""

    __tablename__ = "idempotency_keys"
    id = Column(Integer, primary_key=True)
    key = Column(String(200), nullable=False, unique=True)
    scope = Column(String(300), nullable=False)  # "POST /v1/appointments"
    request_hash = Column(String(64), nullable=False)
    status = Column(Integer)
    response = Column(JSON)
    created_at = Column(ShanghaiDateTime, nullable=False)
