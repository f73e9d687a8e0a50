"""Server-side time of the portal's board and mandate page over programmes of 16 to 100k mandates.

The programme is the 2010 catalogue (16 mandates with their history) plus filler mandates in field 9,
each with a lead, a state and a deadline, bulk-inserted; the mandate page is 1.4's.

Each page is requested in-process (Starlette's TestClient) by a signed-in conference office; the time is
taken inside the ASGI app, from the request's arrival to the last byte of the response (no network).

    uv run python bench/portal.py                  # 16, 1k, 10k, 100k
    uv run python bench/portal.py --sizes 16,1000
"""

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import synthetic  # noqa: E402
from bench.harness import emit, growth, table  # noqa: E402
from bench.synthetic import size_label  # noqa: E402

RUNS = 40
# Pages of the board of 25: the first one and one in the middle of the programme.
PAGES = ("board, page 1", "board, middle page", "mandate page")


class Timed:
    """An ASGI wrapper that records how long the app took for each request."""

    def __init__(self, app):
        self.app, self.seconds = app, []

    async def __call__(self, scope, receive, send):
        start = time.perf_counter()
        await self.app(scope, receive, send)
        if scope["type"] == "http":
            self.seconds.append(time.perf_counter() - start)


def database(n: int, folder: Path) -> str:
    """The 2010 catalogue plus n - 16 filler mandates bulk-inserted (Core, as the synthetic programmes are)."""
    import random

    from sqlalchemy import insert, select

    from ikz import settings
    from ikz.catalogue.importer import import_catalogue
    from ikz.catalogue.spec import load, resolve
    from models import Body, CooperationField, Mandate, MandateLead
    from models.db import make_engine, transaction
    from models.schema import upgrade

    path = folder / f"ikz-{n}.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with transaction(engine) as session:
        rules = settings.load(environ={}).rules()
        import_catalogue(session, load(resolve("kreis-unna-2010")), actor="bench", now=synthetic.NOW, rules=rules)
    rng = random.Random(2010)
    states = ["examine", "propose", "present", "decide", "implement", "control", "on_hold", "closed"]
    with engine.begin() as connection:
        bodies = connection.execute(select(Body.id).where(Body.kind == "municipality")).scalars().all()
        connection.execute(insert(CooperationField.__table__), [{"number": 9, "name": "Weitere Mandate"}])
        for start in range(0, n - 16, 20_000):
            count = min(20_000, n - 16 - start)
            rows = [
                {
                    "code": f"9.{start + i + 1}",
                    "field_number": 9,
                    "title": f"Mandat 9.{start + i + 1}",
                    "description": "",
                    "state": rng.choice(states),
                    "stage_seq": 1,
                    "due_date": synthetic.TODAY.replace(day=rng.randint(1, 28), month=rng.randint(1, 12)),
                    "created_at": synthetic.NOW,
                    "updated_at": synthetic.NOW,
                    "version": 1,
                }
                for i in range(count)
            ]
            connection.execute(insert(Mandate.__table__), rows)
            ids = connection.execute(select(Mandate.id).where(Mandate.code.in_([r["code"] for r in rows]))).scalars()
            connection.execute(
                insert(MandateLead.__table__), [{"mandate_id": id_, "body_id": rng.choice(bodies)} for id_ in ids]
            )
    engine.dispose()
    return f"sqlite:///{path}"


def measure(n: int) -> dict[str, float]:
    """Median milliseconds per page at this size."""
    from fastapi.testclient import TestClient

    from ikz import settings
    from ikz.portal.app import create_app
    from models.db import make_engine, transaction
    from workflow import access

    with tempfile.TemporaryDirectory(prefix="ikz-bench-portal-") as folder:
        url, code = database(n, Path(folder)), "1.4"
        engine = make_engine(url)
        with transaction(engine) as session:
            _grant, token = access.grant_for_body(session, "bmk", now=synthetic.NOW, days=30, actor="bench")
        config = settings.load(environ={})
        app = create_app(config, engine, clock=lambda: synthetic.NOW, secret=secrets.token_urlsafe(32))
        timed = Timed(app)
        client = TestClient(timed)
        assert client.get(f"/?zugang={token}").status_code == 200
        middle = max(1, n // 25 // 2)
        paths = {PAGES[0]: "/", PAGES[1]: f"/?seite={middle}", PAGES[2]: f"/mandate/{code}"}
        result = {}
        for name, path in paths.items():
            for _ in range(3):
                assert client.get(path).status_code == 200, path
            timed.seconds.clear()
            for _ in range(RUNS):
                client.get(path)
            result[name] = statistics.median(timed.seconds) * 1000
        engine.dispose()
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="16,1000,10000,100000")
    parser.add_argument("--size", type=int, help="one size, printed as JSON for bench/run_all.py")
    args = parser.parse_args(argv)
    if args.size:
        pages = measure(args.size)
        board, mandate = max(pages[PAGES[0]], pages[PAGES[1]]), pages[PAGES[2]]
        text = " · ".join(f"{name} {ms:.1f} ms" for name, ms in pages.items())
        emit({"text": text, "value": mandate, "ok": board <= 50 and mandate <= 30})
        return
    sizes = [int(size) for size in args.sizes.split(",")]
    results = {n: measure(n) for n in sizes}
    rows = [
        [
            f"{name} ms (median of {RUNS})",
            *(f"{results[n][name]:.1f}" for n in sizes),
            growth([results[n][name] for n in sizes]),
        ]
        for name in PAGES
    ]
    print(table(["measurement", *map(size_label, sizes), "growth"], rows))


if __name__ == "__main__":
    main()
