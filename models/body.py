"""Bodies (county, municipalities, working groups, organisations) and their contacts."""

from sqlmodel import Field, SQLModel

BODY_KINDS = {
    "county": "Kreis",
    "municipality": "Stadt/Gemeinde",
    "conference": "Konferenz",
    "working_group": "Arbeitskreis",
    "organisation": "Organisation",
}


class Body(SQLModel, table=True):
    """A body that can lead or join a mandate, or hold meetings."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=120)
    kind: str = Field(max_length=20)


class Contact(SQLModel, table=True):
    """A person reachable by email on behalf of a body."""

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", index=True)
    name: str = Field(max_length=120)
    role: str = Field(default="", max_length=120)
    email: str = Field(max_length=254)
    # The person behind the address and what they do, e.g. "Petra Schulte", "Sachgebietsleitung Personal";
    # empty for a shared mailbox. Mails greet the person by name where one is known.
    person: str = Field(default="", max_length=120)
    function: str = Field(default="", max_length=120)
