"""Schema upgrades: a database of the first released schema keeps all its data at head."""

import json

from sqlalchemy import inspect, text

from models.db import make_engine
from models.schema import EXPECTED_REVISION, current_revision, upgrade

FIRST = "0001"


def seed_first_schema(engine) -> None:
    """Rows as release 0001 wrote them (raw SQL: today's models describe the newer schema)."""
    statements = [
        "INSERT INTO field (number, name) VALUES (1, 'Informationstechnologien')",
        "INSERT INTO body (id, key, name, kind) VALUES (1, 'luenen', 'Lünen', 'municipality'), (2, 'bmk', 'Bürgermeisterkonferenz', 'conference')",
        "INSERT INTO contact (id, body_id, name, role, email) VALUES (1, 1, 'Personalabrechnung Lünen', 'LOGA', 'loga@luenen.example')",
        "INSERT INTO meeting (id, body_id, date, title) VALUES (1, 2, '2011-04-12', 'Sitzung der Bürgermeisterkonferenz')",
        "INSERT INTO mandate (id, code, field_number, title, description, state, stage_seq, due_date, savings_target,"
        " created_at, updated_at, version) VALUES (1, '1.4', 1, 'Einkaufsgemeinschaft LOGA', 'Verhandlungen', 'propose', 2,"
        " '2011-03-16', 40000, '2010-09-21 07:00:00', '2010-11-02 09:00:00', 2)",
        "INSERT INTO mandate_lead (mandate_id, body_id) VALUES (1, 1)",
        "INSERT INTO transition_log (id, mandate_id, from_state, to_state, trigger, actor, at, note) VALUES"
        " (1, 1, NULL, 'examine', 'import', 'root', '2010-09-21 07:00:00', 'Katalog'),"
        " (2, 1, 'examine', 'propose', 'start_concept', 'koordination', '2010-11-02 09:00:00', 'Verhandlungen aufgenommen')",
    ]
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
        if connection.dialect.name == "postgresql":
            # Explicit ids do not move PostgreSQL's sequences; the release's own inserts would have.
            for table in ("body", "contact", "meeting", "mandate", "transition_log"):
                connection.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )


def test_upgrading_the_first_schema_keeps_every_row(empty_db_url, frozen):
    engine = make_engine(empty_db_url)
    url = engine.url.render_as_string(hide_password=True)
    upgrade(engine, FIRST)
    assert current_revision(engine) == FIRST
    seed_first_schema(engine)
    assert "outbox" not in inspect(engine).get_table_names()

    from click.testing import CliRunner

    from ikz.cli.main import ikz

    runner = CliRunner()
    url_arg = empty_db_url
    refused = runner.invoke(ikz, ["--db", url_arg, "list"])
    assert (refused.exit_code, refused.stderr) == (
        1,
        f"Fehler: Die Datenbank {url} hat den Schemastand {FIRST}, erwartet {EXPECTED_REVISION}. Aktualisieren mit: ikz init\n",
    )
    upgraded = runner.invoke(ikz, ["--db", url_arg, "db", "upgrade"])
    assert upgraded.stdout == f"Datenbank {url} aktualisiert: Schemastand {FIRST} → {EXPECTED_REVISION}.\n"
    assert (
        runner.invoke(ikz, ["--db", url_arg, "db", "current"]).stdout
        == f"Datenbank: {EXPECTED_REVISION}; diese Version: {EXPECTED_REVISION}.\n"
    )
    assert {"outbox", "reminder", "notice", "duty", "body_decision", "saving"} <= set(inspect(engine).get_table_names())

    detail = json.loads(runner.invoke(ikz, ["--db", url_arg, "show", "1.4", "--json"]).stdout)
    assert (detail["state"], detail["due_date"], detail["savings_target"], detail["version"]) == (
        "propose",
        "2011-03-16",
        40000,
        2,
    )
    assert detail["lead_bodies"] == [{"key": "luenen", "name": "Lünen"}]
    assert [(h["trigger"], h["note"]) for h in detail["history"]] == [
        ("import", "Katalog"),
        ("start_concept", "Verhandlungen aufgenommen"),
    ]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT contact_id FROM mandate_lead")).all() == [(None,)]
        assert connection.execute(text("SELECT email FROM contact")).all() == [("loga@luenen.example",)]
    # The upgraded database works: the step continues where release 0001 left it.
    assert (
        runner.invoke(ikz, ["--db", url_arg, "advance", "1.4", "hold", "--reason", "Prüfung der Verträge"]).exit_code
        == 0
    )
    again = runner.invoke(ikz, ["--db", url_arg, "init"])
    assert again.stdout == f"Datenbank {url} ist aktuell (Schemastand {EXPECTED_REVISION}).\n"
    engine.dispose()


def test_every_migration_step_runs_down_and_up(empty_db_url):
    engine = make_engine(empty_db_url)
    upgrade(engine)
    from alembic import command

    from models.schema import _config

    with engine.begin() as connection:
        command.downgrade(_config(connection), "base")
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == EXPECTED_REVISION
    engine.dispose()


def test_the_migrations_build_exactly_the_schema_the_models_describe(empty_db_url):
    """No table, column, index or type of the models is missing from the migrations, and none is extra."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    import models

    models.load_all()
    engine = make_engine(empty_db_url)
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
    engine.dispose()
