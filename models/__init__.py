"""Storage: the SQLModel tables and the database connection."""

import importlib

from sqlmodel import SQLModel

# Named constraints let Alembic alter them later (SQLite batch mode needs names).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Where each public name lives. A name is imported when first asked for (PEP 562), so `ikz show` builds only the
# tables it reads (each SQLModel table class costs about 2 ms to build); load_all() builds them all.
_HOMES = {
    "models.body": ("BODY_KINDS", "Body", "Contact"),
    "models.body_decisions": ("BODY_DECISIONS", "DECISION_ALIASES"),
    "models.conference": ("BodyDecision", "Saving"),
    "models.document": ("DOCUMENT_KINDS", "Document", "DocumentFile"),
    "models.history": ("TransitionLog",),
    "models.inbound": ("INBOUND_STATES", "Inbound"),
    "models.mandate": ("CooperationField", "Dependency", "Mandate", "MandateLead", "Participant"),
    "models.meeting": ("Meeting", "MeetingItem"),
    "models.notification": (
        "DigestOptOut",
        "Duty",
        "DutyDone",
        "Notice",
        "OutboxMandate",
        "OutboxMessage",
        "Reminder",
    ),
    "models.portal": ("ACCESS_ROLES", "PORTAL_ROLES", "AccessGrant", "LoginFailure", "PortalUser"),
    "models.proposal": ("PROPOSAL_KINDS", "PROPOSAL_STATES", "Proposal"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str):
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'models' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def load_all() -> None:
    """Build every table class, so SQLModel.metadata holds the whole schema (backups, migrations, checks)."""
    for module in _HOMES:
        importlib.import_module(module)


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
