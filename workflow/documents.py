"""Issued documents as records: each version stored byte for byte with its hash, never changed afterwards."""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from ikz import clock
from ikz.errors import NotFound
from models import DOCUMENT_KINDS, Document, DocumentFile
from workflow.seam import os_account
from workflow.text import format_date


@dataclass(frozen=True)
class Edition:
    """Which version a rendering is: a draft, or version N issued on a day, replacing an earlier one."""

    version: int | None = None
    issued_on: datetime | None = None
    replaces: tuple[int, datetime] | None = None

    @property
    def label(self) -> str:
        """The German line every page of the document carries, e.g. 'Fassung 2 vom 29.03.2011, ersetzt Fassung 1'."""
        if self.version is None:
            return "Entwurf – nicht ausgegeben"
        line = f"Fassung {self.version} vom {format_date(clock.local_date(self.issued_on))}"
        if self.replaces:
            line += f", ersetzt Fassung {self.replaces[0]} vom {format_date(clock.local_date(self.replaces[1]))}"
        return line


DRAFT = Edition()


def sha256(content: bytes) -> str:
    """The hex SHA-256 of a file's bytes."""
    return hashlib.sha256(content).hexdigest()


def latest(session: Session, kind: str, subject: str) -> Document | None:
    """The newest issued version of a document, or None if it was never issued."""
    return session.exec(
        select(Document).where(Document.kind == kind, Document.subject == subject).order_by(Document.version.desc())
    ).first()


def next_edition(session: Session, kind: str, subject: str, *, now: datetime) -> Edition:
    """The edition a document issued now would be: version 1, or one more than the last, replacing it."""
    previous = latest(session, kind, subject)
    if previous is None:
        return Edition(1, now)
    return Edition(previous.version + 1, now, (previous.version, previous.effective_at))


def issue(
    session: Session,
    kind: str,
    subject: str,
    files: dict[str, tuple[str, bytes]],
    *,
    edition: Edition,
    title: str,
    actor: str,
    meeting_id: int | None = None,
) -> Document:
    """Store a rendered document as the edition's version: name → (media type, bytes), each with its SHA-256."""
    document = Document(
        kind=kind,
        subject=subject,
        meeting_id=meeting_id,
        version=edition.version,
        title=title[:250],
        effective_at=edition.issued_on,
        issued_at=clock.recording_now(),
        issued_by=actor,
        account=os_account(),
    )
    session.add(document)
    session.flush()
    for name, (media_type, content) in files.items():
        session.add(
            DocumentFile(
                document_id=document.id, name=name, media_type=media_type, content=content, sha256=sha256(content)
            )
        )
    session.flush()
    return document


def get_document(session: Session, document_id: int) -> Document:
    """The issued document with this number, or say which exist."""
    document = session.get(Document, document_id)
    if document is None:
        count = session.exec(select(func.count()).select_from(Document)).one()
        hint = "ikz documents list zeigt sie" if count else "es wurde noch keines ausgegeben"
        raise NotFound(f"Ein Dokument {document_id} gibt es nicht ({hint}).")
    return document


def files_of(session: Session, document: Document) -> list[DocumentFile]:
    """The document's files by name."""
    return list(
        session.exec(
            select(DocumentFile).where(DocumentFile.document_id == document.id).order_by(DocumentFile.name)
        ).all()
    )


def damaged(files: list[DocumentFile]) -> list[str]:
    """Names of the files whose bytes no longer match their stored SHA-256."""
    return [file.name for file in files if sha256(file.content) != file.sha256]


def all_documents(session: Session) -> list[Document]:
    """Every issued document, by kind, subject and version."""
    return list(session.exec(select(Document).order_by(Document.kind, Document.subject, Document.version)).all())


def kind_label(document: Document) -> str:
    """The German name of a document's kind."""
    return DOCUMENT_KINDS[document.kind]
