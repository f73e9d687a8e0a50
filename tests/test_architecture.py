"""The layers: imports point down (import-linter contracts), and an upward arrow fails the check."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = ("ikz", "workflow", "models", "notifications")
# What scheduler.py (a module, which import-linter cannot take as a root) may import of ikz's own code:
# the layers below the clients, down to the errors every layer may raise.
SCHEDULER_MAY_IMPORT = ("ikz.clock", "ikz.errors", "ikz.settings", "ikz.intake", "notifications", "workflow", "models")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_layer_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Contracts: 1 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "upward", "arrow"),
    [
        ("workflow/lifecycle.py", "from ikz.cli import main", "workflow is not allowed to import ikz.cli"),
        ("models/mandate.py", "import workflow.lifecycle", "models is not allowed to import workflow"),
        ("workflow/steps.py", "from notifications import notices", "workflow is not allowed to import notifications"),
        ("ikz/exchange/spreadsheet.py", "from ikz.cli import output", "ikz.exchange is not allowed to import ikz.cli"),
        (
            "notifications/sweep.py",
            "import ikz.conference.papers",
            "notifications is not allowed to import ikz.conference",
        ),
        ("notifications/outbox.py", "import ikz.intake.taking", "notifications is not allowed to import ikz.intake"),
        ("ikz/intake/taking.py", "from ikz.demo import sink", "ikz.intake is not allowed to import ikz.demo"),
    ],
)
def test_an_upward_import_breaks_the_contract(tmp_path, module, upward, arrow):
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n\ndef _upward():\n    {upward}\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert arrow in result.stdout


def _imports(path: Path) -> list[tuple[str, ast.stmt, bool]]:
    """Every import in a module as (module name, node, whether it sits inside a function)."""
    tree = ast.parse(path.read_text())
    found = []

    def visit(node, inside: bool):
        for child in ast.iter_child_nodes(node):
            nested = inside or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                found.extend((alias.name, child, inside) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0:
                # "from ikz import clock" names the module ikz.clock (or an attribute of ikz: same prefix).
                found.extend((f"{child.module}.{alias.name}", child, inside) for alias in child.names)
            visit(child, nested)

    visit(tree, False)
    return found


def test_the_scheduler_imports_only_what_lies_below_it():
    own = [name for name, _node, _inside in _imports(ROOT / "scheduler.py") if name.split(".")[0] in PACKAGES]
    assert own, "scheduler.py imports nothing of ikz?"
    upward = [name for name in own if not name.startswith(SCHEDULER_MAY_IMPORT)]
    assert upward == []


def test_every_function_local_import_outside_the_cli_says_why():
    # The CLI imports inside its commands so that `ikz --help` stays fast (its modules say so once);
    # anywhere else a function-local import needs a comment on its line or the line before.
    unexplained = []
    for name in PACKAGES:
        for path in sorted((ROOT / name).rglob("*.py")):
            if path.is_relative_to(ROOT / "ikz" / "cli") or "migrations" in path.parts:
                continue
            lines = path.read_text().splitlines()
            for module, node, inside in _imports(path):
                if not inside:
                    continue
                line, before = lines[node.lineno - 1], lines[node.lineno - 2].strip()
                if "#" not in line and not before.startswith("#"):
                    unexplained.append(f"{path.relative_to(ROOT)}:{node.lineno} {module}")
    assert unexplained == []
