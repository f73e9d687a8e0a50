"""What every command shares: the database behind --db, opened on first use."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

from ikz.errors import NotReady


class App:
    """The CLI's handle on the database; commands open one transaction each."""

    def __init__(self, url: str | None):
        self.explicit_url = url
        self._engine = None

    @property
    def engine(self):
        if self._engine is None:
            from models.db import make_engine

            self._engine = make_engine(self.explicit_url)
        return self._engine

    def close(self) -> None:
        """Close the database connections (the command is done; in-process callers run many commands)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    @property
    def display_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def session(self) -> Iterator:
        """One transaction for one command: all of it commits, or none of it."""
        from models.db import transaction

        self.check_ready()
        with transaction(self.engine) as session:
            yield session

    def check_ready(self) -> None:
        """Refuse to work on a database that `ikz init` has not set up."""
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError

        from models.revision import EXPECTED_REVISION

        url = self.engine.url
        hint = f"Die Datenbank {self.display_url} ist nicht eingerichtet. Zuerst: ikz init --catalogue kreis-unna-2010"
        file_based = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
        # os.path.exists: a name too long for the file system is simply not there, no OSError.
        if file_based and not os.path.exists(url.database):
            raise NotReady(hint)
        # A failure to connect arrives as one German line already (models/db.py: unreachable, refused, or missing).
        connection = self.engine.connect()
        try:
            with connection:
                revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError:
            raise NotReady(hint) from None
        if revision != EXPECTED_REVISION:
            raise NotReady(
                f"Die Datenbank {self.display_url} hat den Schemastand {revision}, erwartet {EXPECTED_REVISION}. "
                "Aktualisieren mit: ikz init"
            )
