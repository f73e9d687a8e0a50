"""Requests per second for the mandate page from `ikz serve --workers 2` on PostgreSQL, over loopback.

A bounded load run: client processes, each with a few keep-alive connections, request 1.4's page for a
fixed time; the figure counts the answers (all must be 200).

    uv run python bench/portal_load.py [--url postgresql://127.0.0.1/test] [--seconds 10]
"""

import argparse
import multiprocessing
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATABASE = "ikz_bench_portal"
SECRET = "bench-geheimnis-der-sitzungen-0123456789"


def prepare(server_url: str) -> tuple[str, str]:
    """A fresh PostgreSQL database with the 2010 catalogue; returns its URL and an office's access token."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from bench import synthetic
    from ikz import settings
    from ikz.catalogue.importer import import_catalogue
    from ikz.catalogue.spec import load, resolve
    from models.db import database_url, make_engine, transaction
    from models.schema import upgrade
    from workflow import access

    admin = make_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    url = make_url(database_url(server_url)).set(database=DATABASE).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    with transaction(engine) as session:
        rules = settings.load(environ={}).rules()
        import_catalogue(session, load(resolve("kreis-unna-2010")), actor="bench", now=synthetic.NOW, rules=rules)
        token = access.grant_for_body(session, "bmk", now=synthetic.NOW, days=30, actor="bench")[1]
    engine.dispose()
    return url, token


def client(base: str, token: str, seconds: float, connections: int, results) -> None:
    """One load process: `connections` threads, each with its own keep-alive connection and session."""
    counts = []

    def run():
        with httpx.Client(base_url=base, timeout=10) as http:
            http.get(f"/?zugang={token}")
            done = bad = 0
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                response = http.get("/mandate/1.4")
                done += 1
                bad += response.status_code != 200
            counts.append((done, bad))

    threads = [threading.Thread(target=run) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put((sum(d for d, _ in counts), sum(b for _, b in counts)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("IKZ_TEST_DATABASE_URL", "postgresql://127.0.0.1/test"))
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args(argv)
    url, token = prepare(args.url)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "IKZ_PORTAL_SECRET": SECRET, "IKZ_NOW": "2011-03-15T08:00", "IKZ_CONFIG": ""}
    server = subprocess.Popen(
        [sys.executable, "-m", "ikz.cli", "--db", url, "serve", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:  # the workers start in a few seconds: poll until one answers
            try:
                if httpx.get(f"{base}/anmelden", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("ikz serve did not answer within 60 s")
            time.sleep(0.2)
        results = multiprocessing.Queue()
        processes = [
            multiprocessing.Process(target=client, args=(base, token, args.seconds, args.connections, results))
            for _ in range(args.clients)
        ]
        started = time.monotonic()
        for process in processes:
            process.start()
        totals = [results.get() for _ in processes]
        for process in processes:
            process.join()
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    done, bad = sum(t[0] for t in totals), sum(t[1] for t in totals)
    load = os.getloadavg()
    print(
        f"mandate page, 2 workers on PostgreSQL: {done / elapsed:.0f} requests/s ({done} in {elapsed:.1f} s, "
        f"{bad} not 200; {args.clients} client processes × {args.connections} connections; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})"
    )


if __name__ == "__main__":
    main()
