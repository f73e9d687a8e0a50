"""The models package builds a table class when first asked for, and every module brings the tables it refers to."""

import subprocess
import sys
from pathlib import Path

import pytest

import models

ROOT = Path(__file__).resolve().parent.parent


def _python(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("module", sorted(models._HOMES))
def test_each_model_module_alone_resolves_every_foreign_key(module):
    """Imported alone, a module's tables sort by their foreign keys: each referred table is in the metadata."""
    shown = _python(
        f"import {module}\n"
        "from sqlmodel import SQLModel\n"
        "from sqlalchemy.sql.util import sort_tables\n"
        "tables = SQLModel.metadata.tables.values()\n"
        "[fk.column for table in tables for fk in table.foreign_keys]\n"
        "print(' '.join(table.name for table in sort_tables(tables)))\n"
    )
    assert shown.strip() or module == "models.body_decisions"


def test_a_name_builds_only_its_tables_and_load_all_builds_every_one(tmp_path):
    """`from models import Body` builds body and contact only; load_all() builds every table the migrations create."""
    database = tmp_path / "ikz.db"
    shown = _python(
        "from sqlmodel import SQLModel\n"
        "from models import Body\n"
        "print(' '.join(sorted(SQLModel.metadata.tables)))\n"
        "import models\n"
        "models.load_all()\n"
        "print(' '.join(sorted(SQLModel.metadata.tables)))\n"
        "from models.db import make_engine\n"
        "from models.schema import upgrade\n"
        "from sqlalchemy import inspect\n"
        f"engine = make_engine('sqlite:///{database}')\n"
        "upgrade(engine)\n"
        "print(' '.join(sorted(set(inspect(engine).get_table_names()) - {'alembic_version'})))\n"
    )
    first, loaded, migrated = shown.splitlines()
    assert first == "body contact"
    assert loaded == migrated
    assert len(loaded.split()) == 26


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="module 'models' has no attribute 'Mandat'"):
        models.Mandat  # noqa: B018
