"""Monthly digest over a synthetic programme: digest_data and render_digest time, peak memory, output size.

The digest for March 2011 (as of 1 March, 07:00) is built from the cached database in a fresh process;
nothing is queued. render_digest renders the text and the HTML version.

Run: uv run python bench/digest.py [--sizes 1000,10000] [--profile 100000]
"""

import time
from datetime import date

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

MODULE = "bench.digest"
MONTH = date(2011, 3, 1)


def child(path: str, profile: bool) -> None:
    """In a fresh process: digest_data then render_digest on the database at path; print figures as JSON."""
    from pathlib import Path

    from sqlmodel import Session

    from ikz import settings
    from models.db import make_engine
    from notifications.digest import digest_data, render_digest

    config = settings.load(environ={})
    engine = make_engine(synthetic.url(Path(path)))
    baseline = current_rss_mb()
    call = profile_to_stderr if profile else (lambda function, *args, **kwargs: function(*args, **kwargs))
    with Session(engine) as session:
        start, cpu_start = time.perf_counter(), time.process_time()
        data = call(digest_data, session, MONTH, settings=config)
        collected, cpu_collected = time.perf_counter(), time.process_time()
    _subject, text, html = call(render_digest, data)
    rendered, cpu_rendered = time.perf_counter(), time.process_time()
    emit(
        {
            "data_seconds": collected - start,
            "render_seconds": rendered - collected,
            "data_cpu_seconds": cpu_collected - cpu_start,
            "render_cpu_seconds": cpu_rendered - cpu_collected,
            "peak_mb": peak_rss_mb(),
            "baseline_mb": baseline,
            "text_kb": len(text.encode()) / 1024,
            "html_kb": len(html.encode()) / 1024,
            "rows": {key: len(data[key]) for key in ("transitions", "overdue", "deadlines", "on_hold", "blocked")},
        }
    )


def measure(n: int, *, profile: bool = False) -> dict:
    """digest_data / render_digest figures on the cached n-mandate database (read only)."""
    path, _ = synthetic.cached_database(n)
    return run_child(MODULE, str(path), *(["--profile"] if profile else []))


def report(sizes: list[int], results: dict[int, dict]) -> str:
    headers = ["digest", *(size_label(n) for n in sizes), "growth"]
    rows = []
    for key, label, fmt in (
        ("data_seconds", "digest_data wall s", "{:.2f}"),
        ("data_cpu_seconds", "digest_data CPU s", "{:.2f}"),
        ("render_seconds", "render_digest wall s", "{:.2f}"),
        ("render_cpu_seconds", "render_digest CPU s", "{:.2f}"),
        ("peak_mb", "peak RSS MB", "{:.0f}"),
        ("html_kb", "HTML KiB", "{:.0f}"),
    ):
        values = [results[n][key] for n in sizes]
        rows.append([label, *(fmt.format(v) for v in values), growth(values)])
    for key in results[sizes[0]]["rows"]:
        rows.append([f"rows: {key}", *(str(results[n]["rows"][key]) for n in sizes), ""])
    return table(headers, rows)


def main(argv: list[str] | None = None) -> None:
    script_main(
        __doc__,
        argv,
        child=child,
        measure=measure,
        report=report,
        profile_help="profile digest_data and render_digest at this size",
    )


if __name__ == "__main__":
    main()
