"""Alembic environment: runs on the connection ikz hands over (see models/schema.py)."""

from alembic import context
from sqlmodel import SQLModel

import models

models.load_all()  # every table on SQLModel.metadata, for autogenerate and compare_type

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
