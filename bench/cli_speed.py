"""Wall time of `ikz list` / `ikz show` as subprocesses, against the `import sqlmodel` floor.

Each command runs with the venv's python (`python -m cli`, as the `ikz` script does, without uv's
own start-up), output discarded, IKZ_NOW set to the synthetic programme's now; the median of several
runs after one warm-up is reported.

Run: uv run python bench/cli_speed.py [--sizes 1000,10000] [--runs 7]
"""

import argparse

from bench import synthetic
from bench.harness import PYTHON, median, size_label, table, wall_times

# A generated mandate with a seven-entry history (hold and resume included); identical at every size.
SHOW_CODE = "1.105"


def commands(url: str) -> dict[str, list[str]]:
    ikz = [PYTHON, "-m", "cli", "--db", url]
    return {
        "ikz list": [*ikz, "list"],
        "ikz list --lead luenen": [*ikz, "list", "--lead", "luenen"],
        "ikz list --overdue": [*ikz, "list", "--overdue"],
        f"ikz show {SHOW_CODE}": [*ikz, "show", SHOW_CODE],
    }


def floors(runs: int) -> dict[str, float]:
    """Median seconds of `python -c pass` and `python -c "import sqlmodel"`."""
    return {
        "python -c pass": median(wall_times([PYTHON, "-c", "pass"], runs)),
        'python -c "import sqlmodel"': median(wall_times([PYTHON, "-c", "import sqlmodel"], runs)),
    }


def measure(n: int, *, runs: int = 7) -> dict[str, float]:
    """Median seconds of each CLI command on the cached database with n mandates."""
    path, _ = synthetic.cached_database(n)
    return {name: median(wall_times(command, runs)) for name, command in commands(synthetic.url(path)).items()}


def report(sizes: list[int], floor: dict[str, float], results: dict[int, dict[str, float]]) -> str:
    base = floor['python -c "import sqlmodel"']
    headers = ["command", *(f"{size_label(n)} ms (Δ floor)" for n in sizes)]
    rows = [[name, *(f"{1000 * seconds:.0f}" for _ in sizes)] for name, seconds in floor.items()]
    for name in results[sizes[0]]:
        rows.append([name, *(f"{1000 * results[n][name]:.0f} ({1000 * (results[n][name] - base):+.0f})" for n in sizes)])
    return table(headers, rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    floor = floors(args.runs)
    results = {n: measure(n, runs=args.runs) for n in sizes}
    print(report(sizes, floor, results))


if __name__ == "__main__":
    main()
