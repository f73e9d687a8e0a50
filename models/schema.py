"""Schema creation and upgrades through the Alembic migrations shipped in models/migrations."""

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from models.revision import EXPECTED_REVISION  # noqa: F401  (re-exported for callers of this module)

# Alembic reads its scripts from a directory: the package data, in a checkout or an installed wheel alike.
MIGRATIONS = str(files("models") / "migrations")


def _config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """Return the newest migration revision shipped with this version."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema in place, in one transaction."""
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)
