"""Wall time of `ikz list` / `ikz show` as subprocesses, against the `import sqlmodel` floor.

Each command runs with the venv's python (`python -m cli`, as the `ikz` script does, without uv's
own start-up), output discarded, IKZ_NOW set to the synthetic programme's now. The floor and the
commands run in turn, round after round (one warm-up round), so load from other processes hits
them alike; the median of each is reported, and the difference to the floor.

Run: uv run python bench/cli_speed.py [--sizes 1000,10000] [--runs 7]
"""

import argparse

from bench import synthetic
from bench.harness import PYTHON, interleaved_times, median, size_label, table

# A generated mandate with a seven-entry history (hold and resume included); identical at every size.
# The 16-mandate programme is the shipped catalogue alone: there the LOGA mandate is shown.
SHOW_CODE = "1.105"
CATALOGUE_CODE = "1.4"
FLOOR = 'python -c "import sqlmodel"'

# What `ikz show` loads on top of the floor, step by step (each line includes the ones above it).
STARTUP_STEPS = [
    ("import sqlmodel (floor)", "import sqlmodel"),
    ("+ models (table classes)", "import models"),
    ("+ workflow.board (transitions, queries)", "import workflow.board"),
    ("+ models.schema (alembic, for EXPECTED_REVISION)", "import models.schema"),
    (
        "+ babel de_DE data (format_eur, long dates)",
        "from workflow.text import format_eur, format_long_date; "
        "import datetime; format_eur(1); format_long_date(datetime.date(2011, 3, 1))",
    ),
    ("+ ikz.cli.main (click, all command modules)", "import ikz.cli.main"),
]


def commands(url: str, show: str = SHOW_CODE) -> dict[str, list[str]]:
    ikz = [PYTHON, "-m", "ikz.cli", "--db", url]
    return {
        "python -c pass": [PYTHON, "-c", "pass"],
        FLOOR: [PYTHON, "-c", "import sqlmodel"],
        "ikz --help": [*ikz, "--help"],
        "ikz list": [*ikz, "list"],
        "ikz list --lead luenen": [*ikz, "list", "--lead", "luenen"],
        "ikz list --overdue": [*ikz, "list", "--overdue"],
        "ikz show": [*ikz, "show", show],
    }


def measure(n: int, *, runs: int = 7) -> dict[str, dict[str, float]]:
    """Median wall and CPU seconds of the floor and each CLI command on the cached database with n mandates."""
    path, _ = synthetic.cached_database(n)
    times = interleaved_times(commands(synthetic.url(path), CATALOGUE_CODE if n <= 16 else SHOW_CODE), runs)
    return {
        name: {"wall": median([wall for wall, _ in values]), "cpu": median([cpu for _, cpu in values])}
        for name, values in times.items()
    }


def over_floor(result: dict, name: str, kind: str = "wall") -> float:
    """Milliseconds a command takes beyond the floor measured alongside it (wall or CPU time)."""
    return 1000 * (result[name][kind] - result[FLOOR][kind])


def report(sizes: list[int], results: dict[int, dict]) -> str:
    headers = ["command"]
    for n in sizes:
        headers += [f"{size_label(n)} wall ms (Δ floor)", f"{size_label(n)} CPU ms (Δ floor)"]
    rows = []
    for name in results[sizes[0]]:
        cells = []
        for n in sizes:
            for kind in ("wall", "cpu"):
                cell = f"{1000 * results[n][name][kind]:.0f}"
                if name.startswith("ikz"):
                    cell += f" ({over_floor(results[n], name, kind):+.0f})"
                cells.append(cell)
        rows.append([name, *cells])
    return table(headers, rows)


def startup_breakdown(runs: int) -> list[tuple[str, float, float]]:
    """Median wall and CPU seconds of cumulative import steps: where start-up goes before any query."""
    steps, code = {}, []
    for label, statement in STARTUP_STEPS:
        code.append(statement)
        steps[label] = [PYTHON, "-c", "; ".join(code)]
    times = interleaved_times(steps, runs)
    return [
        (label, median([wall for wall, _ in values]), median([cpu for _, cpu in values]))
        for label, values in times.items()
    ]


def breakdown_report(steps: list[tuple[str, float, float]]) -> str:
    rows, previous = [], None
    for label, wall, cpu in steps:
        step = (
            ["", ""]
            if previous is None
            else [f"{1000 * (wall - previous[0]):+.0f}", f"{1000 * (cpu - previous[1]):+.0f}"]
        )
        rows.append([label, f"{1000 * wall:.0f}", step[0], f"{1000 * cpu:.0f}", step[1]])
        previous = (wall, cpu)
    return table(["start-up, cumulative", "wall ms", "step", "CPU ms", "step"], rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {n: measure(n, runs=args.runs) for n in sizes}
    print(report(sizes, results))
    print()
    print(breakdown_report(startup_breakdown(args.runs)))


if __name__ == "__main__":
    main()
