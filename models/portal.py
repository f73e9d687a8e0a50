"""Who may use the portal: coordination accounts, personal access links, and failed logins (the rate limit)."""

from datetime import datetime

from sqlmodel import Field, SQLModel

# The tables these refer to by foreign key must be in the metadata too (models loads lazily).
import models.body  # noqa: F401

PORTAL_ROLES = {"koordination": "Koordination"}
ACCESS_ROLES = {"lead": "Federführung", "office": "Konferenzbüro (nur lesen)"}


class PortalUser(SQLModel, table=True):
    """A coordination account: name and argon2 hash of the password (never the password)."""

    __tablename__ = "portal_user"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60, unique=True, index=True)
    role: str = Field(max_length=20)
    password_hash: str = Field(max_length=200)
    created_at: datetime
    disabled_at: datetime | None = None


class AccessGrant(SQLModel, table=True):
    """A personal access link: only the SHA-256 of its random token is stored, with its end and revocation."""

    __tablename__ = "access_grant"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    # "lead": the contacts with this address act for their bodies; "office": reads everything.
    role: str = Field(max_length=10)
    email: str | None = Field(default=None, max_length=254, index=True)
    body_id: int | None = Field(default=None, foreign_key="body.id")
    label: str = Field(max_length=200)
    created_at: datetime
    created_by: str = Field(max_length=120)
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str | None = Field(default=None, max_length=120)
    last_used_at: datetime | None = None


class LoginFailure(SQLModel, table=True):
    """One failed login, counted per user name and per address (in the database: several workers share it)."""

    __tablename__ = "login_failure"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, index=True)
    at: datetime
