"""Every target of issue 14 (and the portal's of issue 12), measured on SQLite and PostgreSQL: one Markdown table.

Each row runs what really runs: `ikz …` as a child process (after one discarded warm-up run, beside the floor
`python -c "import sqlmodel"`), or the scheduler's job function in a fresh process on a copy of the cached
synthetic programme (bench/synthetic.py). Every row carries a ratio to the floor or to a raw-driver baseline
(bench/baseline.py), so the figures compare across machines.

Run: uv run python bench/run_all.py [--sizes 1k,10k,100k] [--backend sqlite|postgresql|both] [--only ROW,…]
     [--runs 5] [--messages 2000] [--timeout 300] [--save run.json]
     uv run python bench/run_all.py --merge small.json big.json         (one table from saved runs)
     rows: cli digest sweep dispatch import export agenda participation portal
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: make the project root importable (it is, too, through the editable install).
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import synthetic
from bench.harness import (
    FLOOR,
    MEMORY_LIMIT,
    PYTHON,
    ROOT,
    TimedOut,
    child,
    child_env,
    codes_in,
    growth,
    ikz,
    interleaved,
    median_run,
    run,
    table,
)
from bench.synthetic import size_label

GROUPS = ("cli", "digest", "sweep", "dispatch", "import", "export", "agenda", "participation", "portal")
EXPORTS = ("json", "csv", "oparl", "ics")
UNKNOWN_CODE = "9.99999"
BIG = 100_000


@dataclass
class Cell:
    """One measured figure: what the table shows, the number growth is computed from, its ratio, target met."""

    text: str
    value: float | None = None
    ratio: str = ""
    ok: bool | None = None


@dataclass
class Row:
    key: str
    label: str
    target: str
    # Sizes at which the target applies (None: every measured size).
    judged: tuple[int, ...] | None = None


ROWS = [
    Row("floor", '`python -c "import sqlmodel"` (floor)', ""),
    Row("help", "`ikz --help`", "≤ 0.3× floor"),
    Row("show", f"`ikz show {synthetic.SHOW_CODE}`", "≤ floor + 100 ms (16, 1k)", (16, 1000)),
    Row("list", "`ikz list`", "≤ floor + 100 ms (16, 1k)", (16, 1000)),
    Row("list-all", "`ikz list --all`", "≤ 2× stdlib (100k)", (BIG,)),
    Row("list-raw", "stdlib/psycopg baseline of `list --all`", ""),
    Row("show-long", f"`ikz show {synthetic.LONG_HISTORY_CODE}` (10k history entries)", "≤ floor + 100 ms"),
    Row("unknown", f"`ikz show {UNKNOWN_CODE}` (unknown code): codes named, message size", "≤ 5 codes"),
    Row("digest", "digest job (scheduler, 57 recipients): time · peak RSS", "≤ 60 s, ≤ 500 MB (100k)", (BIG,)),
    Row("digest-size", "digest job: largest message · whole outbox", "≤ 1 MB"),
    Row("sweep", "first sweep job: time · peak RSS", "≤ 4 s and ≤ 4× raw SQL (100k)", (BIG,)),
    Row("sweep-size", "first sweep: claims · largest message", ""),
    Row("rerun", "sweep job rerun (all claimed)", "≤ 1.5 s (100k)", (BIG,)),
    Row("dispatch", "outbox job: sweep's real messages over one SMTP connection", "≥ 400 msg/s, 1 connection"),
    Row("import", "`ikz import` of a 10k-mandate catalogue", "≤ 10 s"),
    *(
        Row(f"export-{f}", f"`ikz export --format {f}`: time · peak RSS", "≤ 15 s, ≤ 300 MB (100k)", (BIG,))
        for f in EXPORTS
    ),
    Row("agenda", f"`ikz agenda` with {synthetic.AGENDA_PAPERS} papers", "≤ 10 s"),
    Row("participation", "`ikz participation`", ""),
    Row("portal", "portal pages (issue 12, item 8)", "issue 12"),
]
GROUP_OF = {
    **dict.fromkeys(("floor", "help", "show", "list", "list-all", "list-raw", "show-long", "unknown"), "cli"),
    **dict.fromkeys(("digest", "digest-size"), "digest"),
    **dict.fromkeys(("sweep", "sweep-size", "rerun"), "sweep"),
    **{f"export-{f}": "export" for f in EXPORTS},
}


def ms(seconds: float) -> str:
    return f"{1000 * seconds:.0f} ms"


def mb(value: float) -> str:
    return f"{value:.0f} MB"


def size(bytes_: float) -> str:
    if bytes_ >= 1e6:
        return f"{bytes_ / 1e6:.1f} MB"
    return f"{bytes_ / 1e3:.0f} KB" if bytes_ >= 1e4 else f"{bytes_:.0f} B"


def failed(measured) -> Cell:
    if measured.timed_out:
        return Cell(f"> {measured.wall:.0f} s (abgebrochen)", ok=False)
    if "MemoryError" in measured.stderr:
        return Cell(f"> {MEMORY_LIMIT / 1e9:.0f} GB address space (MemoryError after {measured.wall:.0f} s)", ok=False)
    last = (measured.stderr.strip().splitlines() or ["?"])[-1][:80].replace("|", "/")
    return Cell(f"Fehler (rc {measured.rc}: {last})", ok=False)


class Bench:
    def __init__(self, args):
        self.args = args
        self.results: dict[tuple[str, str], dict[int, Cell]] = {}
        self.floor: dict[str, float] = {}

    def put(self, key: str, backend: str, n: int, cell: Cell) -> None:
        self.results.setdefault((key, backend), {})[n] = cell
        print(f"  {key:<14} {backend:<10} {size_label(n):>5}: {cell.text} {cell.ratio}", file=sys.stderr, flush=True)

    def floor_seconds(self, backend: str) -> float:
        if backend not in self.floor:
            self.floor[backend] = median_run([run(FLOOR) for _ in range(4)][1:]).wall
        return self.floor[backend]

    def vs_floor(self, seconds: float, backend: str) -> str:
        return f"×{seconds / self.floor_seconds(backend):.1f} floor"

    # --- ikz CLI beside the floor ---------------------------------------------------------------------------------
    def cli(self, backend: str, n: int) -> None:
        url = synthetic.database(backend, n)
        env = child_env(url)
        commands = {
            "floor": (FLOOR, env),
            "help": (ikz("--help"), env),
            "show": (ikz("show", synthetic.SHOW_CODE), env),
            "list": (ikz("list"), env),
            "show-long": (ikz("show", synthetic.LONG_HISTORY_CODE), env),
        }
        if n >= 1000:
            commands["list-all"] = (ikz("list", "--all"), env)
            commands["list-raw"] = ([PYTHON, "bench/baseline.py", "list", url], env)
        runs = {name: median_run(measured) for name, measured in interleaved(commands, self.args.runs).items()}
        floor = runs["floor"].wall
        self.floor[backend] = floor
        self.put("floor", backend, n, Cell(ms(floor), floor, "×1.0"))
        for name, measured in runs.items():
            if name == "floor":
                continue
            if not measured.ok:
                self.put(name, backend, n, failed(measured))
                continue
            wall = measured.wall
            if name == "help":
                cell = Cell(ms(wall), wall, f"×{wall / floor:.2f} floor", wall <= 0.3 * floor)
            elif name in ("show", "list", "show-long"):
                over, cpu_over = wall - floor, measured.cpu - runs["floor"].cpu
                text = f"{ms(wall)} (+{1000 * over:.0f}; CPU +{1000 * cpu_over:.0f})"
                cell = Cell(text, wall, f"floor +{1000 * over:.0f} ms", over <= 0.1)
            elif name == "list-all":
                raw = runs["list-raw"].wall
                text = f"{ms(wall)} (CPU {ms(measured.cpu)})"
                cell = Cell(text, wall, f"×{wall / raw:.1f} stdlib", wall <= 2 * raw)
            else:
                cell = Cell(ms(wall), wall, f"×{wall / floor:.2f} floor")
            self.put(name, backend, n, cell)
        unknown = run(ikz("show", UNKNOWN_CODE), env=env)
        named = codes_in(unknown.stderr + unknown.stdout) - (UNKNOWN_CODE in unknown.stderr + unknown.stdout)
        text = f"{named} codes, {size(len((unknown.stderr + unknown.stdout).encode()))}"
        self.put("unknown", backend, n, Cell(text, named, self.vs_floor(unknown.wall, backend), named <= 5))

    # --- the scheduler's jobs on a copy ---------------------------------------------------------------------------
    def digest(self, backend: str, n: int) -> None:
        url = synthetic.working_copy(backend, n, "digest")
        try:
            result = child("bench.jobs", "digest", url, env=child_env(url), timeout=self.args.timeout)
        except TimedOut:
            for key in ("digest", "digest-size"):
                self.put(key, backend, n, Cell(f"> {self.args.timeout:.0f} s (abgebrochen)", ok=False))
            return
        finally:
            synthetic.drop_copy(url)
        seconds, peak = result["seconds"], result["peak_mb"]
        ok = seconds <= 60 and peak <= 500
        text = f"{seconds:.1f} s · {mb(peak)} (CPU {result['cpu']:.1f} s)"
        self.put("digest", backend, n, Cell(text, seconds, self.vs_floor(seconds, backend), ok))
        largest = result["largest_bytes"]
        text = f"{size(largest)} · {size(result['total_bytes'])} ({result['messages']} msgs)"
        self.put("digest-size", backend, n, Cell(text, largest, f"×{largest / 1e6:.2f} of 1 MB", largest <= 1e6))

    def sweep(self, backend: str, n: int, *, record: bool = True, dispatch: bool = False) -> None:
        url = synthetic.working_copy(backend, n, "sweep")
        try:
            env, timeout = child_env(url), self.args.timeout
            first = child("bench.jobs", "sweep", url, env=env, timeout=timeout)
            raw = child("bench.baseline", "due", url, first["horizon"], env=env, timeout=timeout)
            rerun = child("bench.jobs", "sweep", url, env=env, timeout=timeout)
            if dispatch:
                self.dispatch(backend, n, url)
        except TimedOut:
            for key in ("sweep", "sweep-size", "rerun", "dispatch") if record else ("dispatch",):
                self.put(key, backend, n, Cell(f"> {self.args.timeout:.0f} s (abgebrochen)", ok=False))
            return
        finally:
            synthetic.drop_copy(url)
        if not record:
            return
        seconds, factor = first["seconds"], first["seconds"] / max(raw["seconds"], 1e-6)
        text = f"{seconds:.2f} s · {mb(first['peak_mb'])} (CPU {first['cpu']:.2f} s)"
        self.put("sweep", backend, n, Cell(text, seconds, f"×{factor:.0f} raw SQL", seconds <= 4 and factor <= 4))
        text = f"{first['claims']} · {size(first['largest_bytes'])} ({first['messages']} msgs)"
        self.put("sweep-size", backend, n, Cell(text, first["claims"], self.vs_floor(seconds, backend)))
        seconds = rerun["seconds"]
        self.put(
            "rerun", backend, n, Cell(f"{seconds:.2f} s", seconds, self.vs_floor(seconds, backend), seconds <= 1.5)
        )

    def dispatch(self, backend: str, n: int, url: str) -> None:
        import socket

        with socket.socket() as probe:  # aiosmtpd cannot bind port 0 itself (aiosmtpd#388)
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        sink = subprocess.Popen(
            [PYTHON, "-m", "bench.jobs", "serve", str(port)],
            cwd=ROOT,
            env=child_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            if sink.stdout.readline().strip() != "ready":
                raise RuntimeError("SMTP sink did not start")
            result = child(
                "bench.jobs", "dispatch", url, str(port), str(self.args.messages), env=child_env(url), timeout=300
            )
        finally:
            out, _ = sink.communicate(timeout=60)
        messages, connections = (int(part) for part in out.split())
        rate = messages / result["seconds"]
        text = f"{rate:.0f} msg/s ({messages} × {size(result['mean_bytes'])}, {connections} conn.)"
        per_message = f"{1000 * result['seconds'] / messages:.1f} ms/msg (CPU {1000 * result['cpu'] / messages:.1f})"
        cell = Cell(text, rate, per_message, rate >= 400 and connections == 1)
        self.put("dispatch", backend, n, cell)

    # --- commands that read or write everything -------------------------------------------------------------------
    def import_(self, backend: str, column: int) -> None:
        """Import the 10k catalogue into a fresh database (shown in the 10k column, or the largest measured)."""
        catalogue = synthetic.catalogue_file(10_000)
        name = f"ikz_bench_import_{os.getpid()}"
        folder = Path(tempfile.mkdtemp(prefix="ikz-import-"))
        if backend == "sqlite":
            url = f"sqlite:///{folder / 'ikz.db'}"
        else:
            synthetic.pg_admin(f'CREATE DATABASE "{name}"')
            url = synthetic.pg_url(name)
        try:
            env = child_env(url)
            init = run(ikz("init"), env=env)
            command = ikz("import", str(catalogue), "--actor", "bench")
            measured = run(command, env=env, timeout=self.args.timeout) if init.ok else init
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            if backend != "sqlite":
                synthetic.pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not measured.ok:
            self.put("import", backend, column, failed(measured))
            return
        wall = measured.wall
        text = f"{wall:.1f} s · {mb(measured.peak_mb)} (CPU {measured.cpu:.1f} s)"
        self.put("import", backend, column, Cell(text, wall, self.vs_floor(wall, backend), wall <= 10))

    def export(self, backend: str, n: int) -> None:
        url = synthetic.database(backend, n)
        folder = Path(tempfile.mkdtemp(prefix="ikz-export-"))
        try:
            for fmt in EXPORTS:
                target = folder / f"export.{fmt}"
                command = ikz("export", "--format", fmt, "--out", str(target))
                measured = run(command, env=child_env(url), timeout=self.args.timeout)
                if not measured.ok:
                    self.put(f"export-{fmt}", backend, n, failed(measured))
                    continue
                wall, peak = measured.wall, measured.peak_mb
                text = f"{wall:.1f} s · {mb(peak)} (CPU {measured.cpu:.1f} s; {size(target.stat().st_size)})"
                ok = wall <= 15 and peak <= 300
                self.put(f"export-{fmt}", backend, n, Cell(text, wall, self.vs_floor(wall, backend), ok))
                target.unlink()
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def agenda(self, backend: str, n: int) -> None:
        url = synthetic.working_copy(backend, n, "agenda")
        folder = Path(tempfile.mkdtemp(prefix="ikz-agenda-"))
        try:
            day = synthetic.AGENDA_DAY.isoformat()
            command = ikz("agenda", day, "--out", str(folder / "out"), "--actor", "bench")
            measured = run(command, env=child_env(url), timeout=self.args.timeout)
        finally:
            synthetic.drop_copy(url)
            shutil.rmtree(folder, ignore_errors=True)
        if not measured.ok:
            self.put("agenda", backend, n, failed(measured))
            return
        wall = measured.wall
        text = f"{wall:.1f} s · {mb(measured.peak_mb)} (CPU {measured.cpu:.1f} s)"
        self.put("agenda", backend, n, Cell(text, wall, self.vs_floor(wall, backend), wall <= 10))

    def participation(self, backend: str, n: int) -> None:
        env = child_env(synthetic.database(backend, n))
        measured = run(ikz("participation"), env=env, timeout=self.args.timeout)
        if not measured.ok:
            self.put("participation", backend, n, failed(measured))
            return
        wall = measured.wall
        text = f"{wall:.1f} s · {mb(measured.peak_mb)} (CPU {measured.cpu:.1f} s)"
        self.put("participation", backend, n, Cell(text, wall, self.vs_floor(wall, backend)))

    def portal(self, backend: str, n: int) -> None:
        if backend != "sqlite":
            # bench/portal.py builds its programmes as SQLite files; PostgreSQL's figure is portal_load.py's.
            self.put("portal", backend, n, Cell("nicht gemessen (bench/portal.py misst SQLite)"))
        elif (ROOT / "bench" / "portal.py").exists():
            result = child("bench.portal", "--size", str(n), env=child_env())
            self.put(
                "portal",
                backend,
                n,
                Cell(result["text"], result.get("value"), result.get("ratio", ""), result.get("ok")),
            )
        else:
            self.put("portal", backend, n, Cell("nicht gemessen (kein bench/portal.py)"))

    # --- the whole run ---------------------------------------------------------------------------------------------
    def measure(self, backends: list[str], sizes: list[int], only: set[str]) -> None:
        for backend in backends:
            print(f"# {backend}", file=sys.stderr, flush=True)
            if "import" in only and sizes:
                self.import_(backend, 10_000 if 10_000 in sizes else sizes[-1])
            for n in ([16] if "cli" in only else []) + sizes:
                if "cli" in only:
                    self.cli(backend, n)
                if n < 1000:
                    continue
                if "digest" in only:
                    self.digest(backend, n)
                if "sweep" in only or "dispatch" in only:
                    self.sweep(backend, n, record="sweep" in only, dispatch="dispatch" in only)
                if "export" in only:
                    self.export(backend, n)
                if "agenda" in only:
                    self.agenda(backend, n)
                if "participation" in only:
                    self.participation(backend, n)
                if "portal" in only:
                    self.portal(backend, n)

    def markdown(self, backends: list[str], sizes: list[int], only: set[str]) -> str:
        columns = [16] + sizes if "cli" in only else sizes
        rows = []
        for row in ROWS:
            if GROUP_OF.get(row.key, row.key) not in only:
                continue
            for backend in backends:
                cells = self.results.get((row.key, backend), {})
                values = [cells[n].value for n in sizes if n in cells and cells[n].value]
                last = next((cells[n] for n in reversed(columns) if n in cells), None)
                rows.append(
                    [
                        row.label,
                        backend,
                        *(cells[n].text if n in cells else "–" for n in columns),
                        growth(values),
                        last.ratio if last else "",
                        row.target,
                        verdict(row, cells),
                    ]
                )
        headers = ["measurement", "backend", *(size_label(n) for n in columns), "growth", "ratio", "target", "met?"]
        return table(headers, rows)


def verdict(row: Row, cells: dict[int, Cell]) -> str:
    """ja/nein over the sizes the target applies to; open when none of them was measured."""
    judged = {n: cell for n, cell in cells.items() if cell.ok is not None and (row.judged is None or n in row.judged)}
    if not row.target:
        return ""
    if not judged:
        if any(cell.ok is not None for cell in cells.values()):
            return f"offen (nur bis {size_label(max(cells))} gemessen)"
        return "nicht gemessen" if cells else ""
    return "ja" if all(cell.ok for cell in judged.values()) else "nein"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1k,10k,100k", help="e.g. 1k,10k (16 is always added for the CLI rows)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--only", default=",".join(GROUPS), help=f"rows to measure: {', '.join(GROUPS)}")
    parser.add_argument("--runs", type=int, default=5, help="measured runs of each CLI command (after one warm-up)")
    parser.add_argument("--messages", type=int, default=2000, help="messages the outbox job sends in one run")
    parser.add_argument(
        "--timeout", type=float, default=300, help="seconds after which a job or command is killed (row: nein)"
    )
    parser.add_argument("--save", type=Path, help="also write the measured cells to this JSON file")
    parser.add_argument(
        "--merge", type=Path, nargs="+", metavar="JSON", help="measure nothing: one table from saved runs (later wins)"
    )
    args = parser.parse_args(argv)
    if args.merge:
        print(merged(args.merge))
        return
    sizes = sorted(synthetic.parse_size(s) for s in args.sizes.split(",") if synthetic.parse_size(s) >= 1000)
    backends = list(synthetic.BACKENDS) if args.backend == "both" else [args.backend]
    only = {part.strip() for part in args.only.split(",")}
    unknown = only - set(GROUPS)
    if unknown:
        parser.error(f"unknown rows: {', '.join(sorted(unknown))}; allowed: {', '.join(GROUPS)}")

    started = time.perf_counter()
    for backend in backends:
        for n in ([16] if "cli" in only else []) + sizes:
            synthetic.database(backend, n)  # generated (once) before anything is measured
    if "import" in only:
        synthetic.catalogue_file(10_000)
    bench = Bench(args)
    bench.measure(backends, sizes, only)
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    import sqlite3

    command = " ".join(argv if argv is not None else sys.argv[1:])
    print(
        f"Measured with `uv run python bench/run_all.py {command}` ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs, "
        f"load average {load}; total {time.perf_counter() - started:.0f} s).\n"
    )
    print(bench.markdown(backends, sizes, only))
    if args.save:
        cells = [
            {"key": key, "backend": backend, "n": n, **vars(cell)}
            for (key, backend), by_size in bench.results.items()
            for n, cell in by_size.items()
        ]
        meta = {"backends": backends, "sizes": sizes, "only": sorted(only), "measured": command}
        args.save.write_text(json.dumps({**meta, "cells": cells}, ensure_ascii=False, indent=1), encoding="utf-8")


def merged(paths: list[Path]) -> str:
    """One table from runs saved with --save (e.g. 1k/10k in one run, 100k in another)."""
    bench = Bench(argparse.Namespace())
    backends, sizes, only, measured = [], set(), set(), []
    for path in paths:
        saved = json.loads(path.read_text(encoding="utf-8"))
        backends += [b for b in saved["backends"] if b not in backends]
        sizes |= set(saved["sizes"])
        only |= set(saved["only"])
        measured.append(f"`{saved['measured']}`")
        for cell in saved["cells"]:
            key, backend, n = cell.pop("key"), cell.pop("backend"), cell.pop("n")
            bench.results.setdefault((key, backend), {})[n] = Cell(**cell)
    return f"Merged from {', '.join(measured)}.\n\n" + bench.markdown(backends, sorted(sizes), only)


if __name__ == "__main__":
    main()
