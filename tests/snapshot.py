"""Every row of every table, to prove a refused command changed nothing."""

from sqlalchemy import Engine, text
from sqlmodel import SQLModel

import models


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    models.load_all()
    with engine.connect() as connection:
        return {
            name: sorted(tuple(map(str, row)) for row in connection.execute(text(f'SELECT * FROM "{name}"')))
            for name in SQLModel.metadata.tables
        }
