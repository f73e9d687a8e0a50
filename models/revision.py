"""The schema revision this code works with, importable without Alembic (the CLI checks it on every command)."""

# A test keeps it equal to the newest migration (models.schema.head_revision()).
EXPECTED_REVISION = "0009"
