"""Storage: the SQLModel tables and the database connection."""

from sqlmodel import SQLModel

# Named constraints let Alembic alter them later (SQLite batch mode needs names).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# ruff: noqa: E402

from models.body import BODY_KINDS, Body, Contact
from models.conference import BODY_DECISIONS, DECISION_ALIASES, BodyDecision, Saving
from models.document import DOCUMENT_KINDS, Document, DocumentFile
from models.history import TransitionLog
from models.inbound import INBOUND_STATES, Inbound
from models.mandate import CooperationField, Dependency, Mandate, MandateLead, Participant
from models.meeting import Meeting, MeetingItem
from models.notification import DigestOptOut, Duty, DutyDone, Notice, OutboxMandate, OutboxMessage, Reminder
from models.portal import ACCESS_ROLES, PORTAL_ROLES, AccessGrant, LoginFailure, PortalUser
from models.proposal import PROPOSAL_KINDS, PROPOSAL_STATES, Proposal

__all__ = [
    "ACCESS_ROLES",
    "BODY_DECISIONS",
    "BODY_KINDS",
    "DECISION_ALIASES",
    "DOCUMENT_KINDS",
    "INBOUND_STATES",
    "PORTAL_ROLES",
    "PROPOSAL_KINDS",
    "PROPOSAL_STATES",
    "AccessGrant",
    "Body",
    "BodyDecision",
    "Contact",
    "CooperationField",
    "Dependency",
    "DigestOptOut",
    "Document",
    "DocumentFile",
    "Duty",
    "DutyDone",
    "Inbound",
    "LoginFailure",
    "Mandate",
    "MandateLead",
    "Meeting",
    "MeetingItem",
    "Notice",
    "OutboxMandate",
    "OutboxMessage",
    "Participant",
    "PortalUser",
    "Proposal",
    "Reminder",
    "Saving",
    "TransitionLog",
]
