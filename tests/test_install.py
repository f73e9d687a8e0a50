"""A clean install: the wheel brings only ikz's own top-level names and works from any directory."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UV = shutil.which("uv")


def run(*command, cwd: Path, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if UV is None:
        pytest.fail("uv fehlt: der README-Vertrag setzt es voraus")
    out = tmp_path_factory.mktemp("dist")
    built = run(UV, "build", "--wheel", "--out-dir", str(out), cwd=ROOT)
    assert built.returncode == 0, built.stderr
    return next(out.glob("ikz-*.whl"))


def test_the_wheel_installs_only_the_design_cards_names_and_ikz(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top == {"ikz", "workflow", "models", "notifications", "scheduler.py"}
    # Data inside packages, test helpers outside the wheel.
    assert "models/migrations/versions/0001_initial_schema.py" in names
    assert "ikz/catalogue/shipped/kreis-unna-2010.yaml" in names
    assert "notifications/templates/reminder.txt.j2" in names
    assert not [name for name in names if "preview" in name or name.startswith(("tests/", "bench/"))]


def test_the_installed_ikz_works_outside_the_repository(wheel, tmp_path):
    venv = tmp_path / "venv"
    assert run(UV, "venv", "-q", str(venv), "--python", sys.executable, cwd=tmp_path).returncode == 0
    python = venv / "bin" / "python"
    installed = run(UV, "pip", "install", "-q", "--python", str(python), str(wheel), cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr
    work = tmp_path / "anderswo"
    work.mkdir()
    # Nothing of the checkout may leak in: no PYTHONPATH, another working directory, only the venv's ikz.
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV", "IKZ_CONFIG")}
    env.pop("IKZ_DATABASE_URL", None)
    ikz = str(venv / "bin" / "ikz")
    init = run(ikz, "init", "--catalogue", "kreis-unna-2010", cwd=work, env=env)
    assert init.returncode == 0, init.stderr
    assert init.stdout.splitlines()[1].startswith("Katalog kreis-unna-2010 importiert. Mandate: 16 neu")
    listing = run(ikz, "list", cwd=work, env=env)
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.splitlines()[2].split()[:2] == ["1.1", "1"]
    located = run(
        str(python), "-c", "import ikz, models; print(ikz.__file__); print(models.__file__)", cwd=work, env=env
    )
    assert all(str(venv) in line for line in located.stdout.splitlines()), located.stdout
    demo = run(ikz, "demo", "--keep", str(tmp_path / "vorfuehrung"), cwd=work, env=env)
    assert demo.returncode == 0, demo.stderr
    assert "Stand am 31.05.2011:" in demo.stdout
    assert (tmp_path / "vorfuehrung" / "tagesordnung-2011-04-12" / "tagesordnung.html").is_file()
