"""Run every benchmark for synthetic programmes of 1k, 10k and 100k mandates and print a Markdown table.

Generates (or reuses from the cache) one database per size, then measures: `ikz list`/`ikz show` against
the `import sqlmodel` floor, the reminder sweep (time and peak memory, first run and rerun), the monthly
digest (data and rendering) and the outbox dispatch rate over one SMTP connection; prints each as a
table, then one Markdown table for bench/README.md with growth factors and the targets.

Run: uv run python bench/run_all.py [--sizes 1000,10000,100000] [--runs 5] [--messages 2000]
"""

import argparse
import os
import platform
import sqlite3
import sys
import time
from datetime import datetime
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: make the project root importable (it is, too, through the editable install).
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import cli_speed, digest, dispatch, sweep, synthetic
from bench.harness import size_label

CLI_TARGET_MS = 150
SWEEP_TARGET_S = 5
SWEEP_TARGET_MB = 300
DISPATCH_TARGET = 200


def section(title: str) -> None:
    print(f"\n## {title}\n", flush=True)


def growth_cell(values: list[float]) -> str:
    return " → ".join(f"×{b / a:.1f}" if a else "–" for a, b in zip(values, values[1:])) or "–"


def linear(sizes: list[int], values: list[float]) -> bool:
    """Growth no worse than proportional to size (with 30 % slack for noise), between every pair of sizes."""
    return all(
        b / a <= 1.3 * (nb / na) for (na, a), (nb, b) in zip(zip(sizes, values), zip(sizes[1:], values[1:])) if a
    )


def markdown(sizes: list[int], cli: dict, sweeps: dict, digests: dict, dispatches: dict) -> str:
    """The summary table: one row per measurement, one column per size, growth factors, target and verdict."""
    at_100k = sizes[-1] >= 100_000
    lines = [
        "| measurement | " + " | ".join(size_label(n) for n in sizes) + " | growth | target | met? |",
        "|" + "---|" * (len(sizes) + 4),
    ]

    def row(label: str, cells: list[str], values: list[float], target: str = "", verdict: str = "") -> None:
        lines.append(f"| {label} | {' | '.join(cells)} | {growth_cell(values)} | {target} | {verdict} |")

    floor = [cli[n][cli_speed.FLOOR]["wall"] for n in sizes]
    row('`python -c "import sqlmodel"` ms (floor)', [f"{1000 * v:.0f}" for v in floor], floor)
    for name in cli[sizes[0]]:
        if not name.startswith("ikz"):
            continue
        over = [cli_speed.over_floor(cli[n], name) for n in sizes]
        over_cpu = [cli_speed.over_floor(cli[n], name, "cpu") for n in sizes]
        met = [size_label(n) for n, o in zip(sizes, over) if o <= CLI_TARGET_MS]
        verdict = "yes" if len(met) == len(sizes) else (f"only {', '.join(met)}" if met else "**no**")
        cells = [
            f"{1000 * cli[n][name]['wall']:.0f} (+{o:.0f}; CPU +{c:.0f})" for n, o, c in zip(sizes, over, over_cpu)
        ]
        row(
            f"`{name}` ms (over floor)",
            cells,
            [cli[n][name]["wall"] for n in sizes],
            f"≤ floor + {CLI_TARGET_MS} ms",
            verdict,
        )

    for run, label in (("first", "sweep, first run (queues all due)"), ("rerun", "sweep, rerun (all claimed)")):
        seconds = [sweeps[n][run]["seconds"] for n in sizes]
        cpu = [sweeps[n][run]["cpu_seconds"] for n in sizes]
        peaks = [sweeps[n][run]["peak_mb"] for n in sizes]
        shape = ("linear" if linear(sizes, seconds) else "**superlinear**") if len(sizes) > 1 else ""
        verdict = ", ".join(filter(None, [_yes(seconds[-1] < SWEEP_TARGET_S) if at_100k else "", shape]))
        row(
            f"{label} s (CPU s)",
            [f"{s:.2f} ({c:.2f})" for s, c in zip(seconds, cpu)],
            seconds,
            f"< {SWEEP_TARGET_S} s at 100k, linear",
            verdict,
        )
        row(
            f"{label} peak RSS MB",
            [f"{p:.0f}" for p in peaks],
            peaks,
            f"< {SWEEP_TARGET_MB} MB at 100k",
            _yes(peaks[-1] < SWEEP_TARGET_MB) if at_100k else "",
        )
    reminders = [sweeps[n]["first"]["reminders"] for n in sizes]
    row("reminders queued by the first sweep", [str(r) for r in reminders], reminders)
    for key, label in (("data", "digest_data"), ("render", "render_digest")):
        values = [digests[n][f"{key}_seconds"] for n in sizes]
        cpu = [digests[n][f"{key}_cpu_seconds"] for n in sizes]
        row(f"{label} s (CPU s)", [f"{v:.2f} ({c:.2f})" for v, c in zip(values, cpu)], values)
    peaks = [digests[n]["peak_mb"] for n in sizes]
    row("digest peak RSS MB", [f"{p:.0f}" for p in peaks], peaks)
    rates = [dispatches[n]["rate"] for n in sizes]
    connections = sorted({dispatches[n]["connections"] for n in sizes})
    sent = dispatches[sizes[0]]["sent"]
    row(
        f"dispatch msg/s ({sent} messages, {'/'.join(map(str, connections))} SMTP connection)",
        [f"{r:.0f}" for r in rates],
        rates,
        f"≥ {DISPATCH_TARGET}/s, one connection",
        _yes(min(rates) >= DISPATCH_TARGET and connections == [1]),
    )
    return "\n".join(lines)


def _yes(flag: bool) -> str:
    return "yes" if flag else "**no**"


def environment() -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{datetime.now():%Y-%m-%d %H:%M}, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} CPUs, load average {load}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated programme sizes")
    parser.add_argument("--runs", type=int, default=5, help="measured runs per CLI command (median)")
    parser.add_argument("--messages", type=int, default=dispatch.MESSAGES, help="messages to dispatch")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    given = sys.argv[1:] if argv is None else argv
    command = " ".join(["uv run python bench/run_all.py", *given])
    started = time.perf_counter()
    print(f"# ikz benchmarks\n\n{environment()}\ncache: {synthetic.cache_dir()}", flush=True)

    section("synthetic programmes")
    for n in sizes:
        path, seconds = synthetic.cached_database(n)
        how = f"generated in {seconds:.1f} s" if seconds is not None else "from cache"
        print(f"{size_label(n):>5}: {path} ({path.stat().st_size / 1e6:.0f} MB, {how})", flush=True)

    section("CLI wall time (median, ms; Δ to the import-sqlmodel floor run alongside)")
    cli = {n: cli_speed.measure(n, runs=args.runs) for n in sizes}
    print(cli_speed.report(sizes, cli))
    print()
    # Steps of 20–100 ms need more rounds than the commands to stand out of the noise.
    print(cli_speed.breakdown_report(cli_speed.startup_breakdown(2 * args.runs)))

    section("reminder sweep (fresh process each)")
    sweeps = {n: sweep.measure(n) for n in sizes}
    print(sweep.report(sizes, sweeps))

    section("monthly digest (March 2011)")
    digests = {n: digest.measure(n) for n in sizes}
    print(digest.report(sizes, digests))

    section(f"outbox dispatch ({args.messages} messages, aiosmtpd in its own process)")
    dispatches = {n: dispatch.measure(n, messages=args.messages) for n in sizes}
    print(dispatch.report(sizes, dispatches))

    section("for bench/README.md")
    print(f"Measured with `{command}` ({environment()}; total {time.perf_counter() - started:.0f} s).\n")
    print(markdown(sizes, cli, sweeps, digests, dispatches))


if __name__ == "__main__":
    main()
