"""Reminder sweep over a synthetic programme: wall time and peak memory, each run in a fresh process.

The first sweep on a fresh copy of the database queues everything due (the catch-up after a long
pause, the worst case); the second one, on the same copy, finds everything claimed (the daily case).
Both really write (dry_run=False). Peak memory is the child's ru_maxrss, the interpreter included;
"after imports" is the child's RSS before the sweep starts.

Run: uv run python bench/sweep.py [--sizes 1000,10000] [--profile 100000]
"""

import tempfile
import time
from pathlib import Path

from bench import synthetic
from bench.harness import (
    current_rss_mb,
    emit,
    growth,
    peak_rss_mb,
    profile_to_stderr,
    run_child,
    script_main,
    size_label,
    table,
)

MODULE = "bench.sweep"


def child(path: str, profile: bool) -> None:
    """In a fresh process: one sweep over the database at path, then print the figures as JSON."""
    from ikz import settings
    from models.db import make_engine
    from notifications.sweep import sweep

    config = settings.load(environ={})
    engine = make_engine(synthetic.url(Path(path)))
    baseline = current_rss_mb()
    start, cpu = time.perf_counter(), time.process_time()
    if profile:
        report = profile_to_stderr(sweep, engine, config, now=synthetic.NOW)
    else:
        report = sweep(engine, config, now=synthetic.NOW)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    emit(
        {
            "seconds": seconds,
            "cpu_seconds": cpu,
            "peak_mb": peak_rss_mb(),
            "baseline_mb": baseline,
            "reminders": sum(len(items) for items in report.items.values()),
            "recipients": len(report.items),
            "messages": report.messages,
        }
    )


def measure(n: int, *, profile: bool = False) -> dict:
    """First sweep (queues everything due) and rerun (nothing new) on a fresh copy of the n-mandate database."""
    with tempfile.TemporaryDirectory(prefix="ikz-bench-sweep-") as folder:
        path = synthetic.working_copy(n, Path(folder))
        first = run_child(MODULE, str(path), *(["--profile"] if profile else []))
        rerun = run_child(MODULE, str(path), *(["--profile"] if profile else []))
    return {"first": first, "rerun": rerun}


def report(sizes: list[int], results: dict[int, dict]) -> str:
    headers = ["sweep", *(size_label(n) for n in sizes), "growth"]
    rows = []
    for run, label in (("first", "first (queues all due)"), ("rerun", "rerun (all claimed)")):
        seconds = [results[n][run]["seconds"] for n in sizes]
        peaks = [results[n][run]["peak_mb"] for n in sizes]
        cpu = [results[n][run]["cpu_seconds"] for n in sizes]
        rows.append([f"{label}: wall s", *(f"{s:.2f}" for s in seconds), growth(seconds)])
        rows.append([f"{label}: CPU s", *(f"{s:.2f}" for s in cpu), growth(cpu)])
        rows.append([f"{label}: peak RSS MB", *(f"{p:.0f}" for p in peaks), growth(peaks)])
    rows.append(["RSS after imports MB", *(f"{results[n]['first']['baseline_mb']:.0f}" for n in sizes), ""])
    for key in ("reminders", "recipients", "messages"):
        rows.append([f"first: {key}", *(str(results[n]["first"][key]) for n in sizes), ""])
    return table(headers, rows)


def main(argv: list[str] | None = None) -> None:
    script_main(
        __doc__,
        argv,
        child=child,
        measure=measure,
        report=report,
        profile_help="profile both sweeps at this size (to stderr)",
    )


if __name__ == "__main__":
    main()
