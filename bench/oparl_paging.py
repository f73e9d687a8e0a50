"""OParl paging (issue 12, item 8): the time to read every page of the paper list at 1k, 10k and 100k papers.

The API runs in-process (FastAPI's TestClient over the router the portal mounts): the figures are the server's
work per request plus a thin in-memory HTTP round trip. Paging is a keyset over the mandate id, so every page
costs about the same whatever its position: the total grows linearly with the number of papers.

Run: uv run python bench/oparl_paging.py [1k 10k 100k] [--backend sqlite|postgresql|both] [--limit 100]
     [--list paper|agendaItem|consultation|meeting|organization]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic import NOW, database, parse_size, size_label


def page_through(url: str, name: str, limit: int) -> dict:
    """Follow links.next from the first page to the last; per-page wall times and the objects seen."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from ikz import settings as settings_module
    from ikz.portal.oparl import oparl_router
    from models.db import make_engine

    engine = make_engine(url)
    settings = settings_module.load(environ={}, portal_base_url="https://ikz.kreis-unna.example")
    app = FastAPI()
    app.include_router(oparl_router(engine, settings, lambda: NOW, lambda _r: False, lambda _r: True))
    client = TestClient(app, base_url="https://ikz.kreis-unna.example")
    next_url = f"/oparl/v1/body/ikz-kreis-unna/{name}?limit={limit}"
    times, seen = [], set()
    started = time.perf_counter()
    while next_url:
        start = time.perf_counter()
        response = client.get(next_url)
        times.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise SystemExit(f"{next_url}: HTTP {response.status_code} {response.text[:200]}")
        page = response.json()
        seen.update(item["id"] for item in page["data"])
        next_url = page["links"].get("next")
    total = time.perf_counter() - started
    engine.dispose()
    return {"times": times, "objects": len(seen), "total": total}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", default=["1k", "10k", "100k"])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--limit", type=int, default=100, help="objects per page (default 100)")
    parser.add_argument("--list", default="paper", help="which list of the Body (default paper)")
    args = parser.parse_args(argv)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    print(
        "| backend | papers | list | pages | objects | total s | per page ms: median | first | last | "
        "slowest 1 % | objects/s |\n|---|---|---|---|---|---|---|---|---|---|---|"
    )
    for backend in backends:
        for size in args.sizes:
            n = parse_size(size)
            url = database(backend, n, quiet=True)
            result = page_through(url, args.list, args.limit)
            times = sorted(result["times"])
            slowest = times[int(len(times) * 0.99)] if len(times) > 1 else times[-1]
            rate = result["objects"] / result["total"]
            print(
                f"| {backend} | {size_label(n)} | {args.list} | {len(times)} | {result['objects']} | "
                f"{result['total']:.2f} | {statistics.median(times) * 1000:.1f} | {result['times'][0] * 1000:.1f} | "
                f"{result['times'][-1] * 1000:.1f} | {slowest * 1000:.1f} | {rate:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
