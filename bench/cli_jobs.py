"""The CLI's big jobs at scale: import, list/show paging, exports, agenda and participation, with targets.

Databases are built the way a user builds them (a generated catalogue, `ikz init --catalogue`), cached in
$IKZ_BENCH_CACHE/cli-jobs. Each command runs as a child process (the venv's python, IKZ_NOW fixed); wall and
CPU seconds and the child's peak RSS are reported, CPU beside wall because this 2-core machine is shared.

Run: uv run python bench/cli_jobs.py [--sizes 1000,10000,100000] [--runs 3]
"""

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.big_catalogue import write as write_catalogue
from bench.harness import PYTHON, ROOT, table
from bench.synthetic import NOW_TEXT, cache_dir

IKZ = [PYTHON, "-m", "ikz.cli"]
HISTORY = 10_000
PAPERS = 100


def env() -> dict:
    values = {k: v for k, v in os.environ.items() if not k.startswith("IKZ_") and k != "PYTHONDONTWRITEBYTECODE"}
    values.update(IKZ_NOW=NOW_TEXT, PYTHONPYCACHEPREFIX=str(cache_dir() / "pycache"))
    return values


def run(command: list[str], *, stdin=None) -> tuple[float, float, float]:
    """Wall s, CPU s and peak RSS MB of one child run (output discarded); fails loudly on a non-zero exit."""
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    error = child.stderr.read().decode()
    child.stderr.close()
    if os.waitstatus_to_exitcode(status) not in (0, 1) or "Traceback" in error:
        raise RuntimeError(f"{' '.join(command)} failed: {error[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def best(command: list[str], runs: int) -> tuple[float, float, float]:
    """Median wall and CPU, largest RSS of `runs` runs after one warm-up."""
    run(command)
    results = [run(command) for _ in range(runs)]
    return (
        statistics.median(r[0] for r in results),
        statistics.median(r[1] for r in results),
        max(r[2] for r in results),
    )


def database(n: int) -> Path:
    """A database with the generated catalogue of n mandates imported (cached)."""
    folder = cache_dir() / "cli-jobs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"ikz-{n}.db"
    if not path.exists():
        catalogue = folder / f"katalog-{n}.yaml"
        write_catalogue(catalogue, n)
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        subprocess.run(
            [*IKZ, "--db", f"sqlite:///{partial}", "init", "--catalogue", str(catalogue)],
            env=env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        os.replace(partial, path)
    return path


def long_history(source: Path) -> Path:
    """A copy with HISTORY notes on 1.4 and PAPERS mandates on the April conference (cached)."""
    path = source.with_name(source.stem + "-long.db")
    if not path.exists():
        partial = path.with_suffix(".partial")
        shutil.copyfile(source, partial)
        code = (
            "import sys\n"
            "from datetime import timedelta\n"
            "from ikz import clock\n"
            "from models.db import make_engine, transaction\n"
            "from workflow.notes import add_note\n"
            "engine = make_engine(sys.argv[1])\n"
            f"start = clock.now() - timedelta(minutes={HISTORY + 10})\n"
            "with transaction(engine) as session:\n"
            f"    for n in range({HISTORY}):\n"
            "        add_note(session, '1.4', f'Vermerk {n}', actor='bench', now=start + timedelta(minutes=n))\n"
        )
        subprocess.run([PYTHON, "-c", code, f"sqlite:///{partial}"], cwd=ROOT, env=env(), check=True)
        os.replace(partial, path)
    # The catalogue's April conference gets PAPERS mandates (rows set directly: this is about rendering).
    with sqlite3.connect(path) as db:
        meeting = db.execute(
            "SELECT m.id FROM meeting m JOIN body b ON b.id = m.body_id WHERE b.key = 'bmk' AND m.date = '2011-04-12'"
        ).fetchone()[0]
        db.execute(
            "UPDATE mandate SET meeting_id = ?, state = 'present' WHERE id IN "
            "(SELECT id FROM mandate WHERE id > 16 ORDER BY id LIMIT ?)",
            (meeting, PAPERS),
        )
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []

    def row(name, measured, target, met, ratio=""):
        wall, cpu, rss = measured
        rows.append([name, f"{wall:.2f}", f"{cpu:.2f}", f"{rss:.0f}", ratio, target, "yes" if met else "no"])

    floor = best([PYTHON, "-c", "import sqlmodel"], args.runs)
    row('python -c "import sqlmodel" (floor)', floor, "", True)
    helped = best([*IKZ, "--help"], args.runs)
    row("ikz --help", helped, "≤ 0.3× floor", helped[1] <= 0.3 * floor[1], f"{helped[1] / floor[1]:.2f}× floor (CPU)")
    for n in [16, *sizes]:
        url = f"sqlite:///{database(n)}"
        for label, command in (("list", ["list"]), ("show 1.4", ["show", "1.4"])):
            measured = best([*IKZ, "--db", url, *command], args.runs)
            over = 1000 * (measured[1] - floor[1])
            row(f"ikz {label} at {n}", measured, "≤ floor + 100 ms", over <= 100, f"{over:+.0f} ms CPU over floor")
    big = max(sizes)
    url = f"sqlite:///{database(big)}"
    listed = best([*IKZ, "--db", url, "list", "--all"], args.runs)
    baseline = best([PYTHON, str(ROOT / "bench" / "baseline.py"), "list", url], args.runs)
    row(f"stdlib sqlite3 list baseline at {big}", baseline, "", True)
    row(
        f"ikz list --all at {big}",
        listed,
        "≤ 2× baseline",
        listed[1] <= 2 * baseline[1],
        f"{listed[1] / baseline[1]:.1f}× baseline (CPU)",
    )
    unknown = best([*IKZ, "--db", url, "show", "9.99999"], args.runs)
    row(
        f"ikz show 9.99999 (unknown) at {big}",
        unknown,
        "≤ floor + 100 ms",
        unknown[1] - floor[1] <= 0.1,
        f"{1000 * (unknown[1] - floor[1]):+.0f} ms CPU over floor",
    )
    for fmt in ("json", "csv", "ics", "oparl"):
        out = cache_dir() / "cli-jobs" / f"export.{fmt}"
        measured = run([*IKZ, "--db", url, "export", "--format", fmt, "--out", str(out)])
        row(f"export --format {fmt} at {big}", measured, "≤ 15 s, ≤ 300 MB", measured[1] <= 15 and measured[2] <= 300)
    measured = run([*IKZ, "--db", url, "participation"])
    row(f"participation at {big}", measured, "fast", True)
    ten = 10_000 if 10_000 in sizes else min(sizes)
    catalogue = cache_dir() / "cli-jobs" / f"katalog-{ten}.yaml"
    target = cache_dir() / "cli-jobs" / "import.db"
    target.unlink(missing_ok=True)
    run([*IKZ, "--db", f"sqlite:///{target}", "init"])
    measured = run([*IKZ, "--db", f"sqlite:///{target}", "import", str(catalogue)])
    row(f"import of a {ten}-mandate catalogue", measured, "≤ 10 s", measured[1] <= 10)
    long = f"sqlite:///{long_history(database(1000))}"
    measured = best([*IKZ, "--db", long, "show", "1.4"], args.runs)
    over = 1000 * (measured[1] - floor[1])
    row(
        f"ikz show 1.4 with {HISTORY} entries",
        measured,
        "≤ floor + 100 ms",
        over <= 100,
        f"{over:+.0f} ms CPU over floor",
    )
    out = cache_dir() / "cli-jobs" / "agenda"
    measured = run([*IKZ, "--db", long, "agenda", "2011-04-12", "--draft", "--out", str(out)])
    row(f"agenda with {PAPERS} papers (draft)", measured, "≤ 10 s", measured[1] <= 10)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs, load {load}")
    print(table(["measurement", "wall s", "CPU s", "peak MB", "ratio", "target", "met (CPU)?"], rows))


if __name__ == "__main__":
    main()
