"""Requests per second for the mandate page from `ikz serve --workers 2` on PostgreSQL, over loopback.

A bounded load run: a fixed number of keep-alive connections request 1.4's page for a fixed time, signed in
as a conference office; the figure counts the answers (all must be 200). The load comes from `wrk` where
/usr/bin/wrk exists (Debian's `apt-get install wrk`: one C thread, a small share of the 2 cores), otherwise
from Python client processes with httpx (which take about as much CPU as the server they measure).

    uv run python bench/portal_load.py [--url postgresql://127.0.0.1/test] [--seconds 10] [--connections 8] [--runs 3]
    uv run python bench/portal_load.py --generator httpx     # the Python clients even where wrk exists
"""

import argparse
import multiprocessing
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATABASE = "ikz_bench_portal"
SECRET = "bench-geheimnis-der-sitzungen-0123456789"
PAGE = "/mandate/1.4"
WRK = "/usr/bin/wrk"
# wrk counts only answers outside 2xx/3xx; this script counts every answer that is not 200 (a 303 to the
# sign-in would be a failure here), across wrk's threads, and prints the latency percentiles in µs.
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) not200 = 0 end
function response(status, headers, body) if status ~= 200 then not200 = not200 + 1 end end
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("not200") end
  io.write(string.format("IKZ requests=%d micros=%d not200=%d errors=%d p50=%d p90=%d p99=%d max=%d\\n",
    summary.requests, summary.duration, bad,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


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
                response = http.get(PAGE)
                done += 1
                bad += response.status_code != 200
            counts.append((done, bad))

    threads = [threading.Thread(target=run) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put((sum(d for d, _ in counts), sum(b for _, b in counts)))


def session_cookie(base: str, token: str) -> str:
    """The session cookie of a signed-in office after one page (so it already holds its CSRF token)."""
    with httpx.Client(base_url=base, timeout=10) as http:
        http.get(f"/?zugang={token}")
        assert http.get(PAGE).status_code == 200
        return f"ikz_sitzung={http.cookies['ikz_sitzung']}"


def with_wrk(base: str, token: str, seconds: float, connections: int, threads: int) -> dict:
    """One wrk run: `connections` keep-alive connections on `threads` threads for `seconds`, one cookie."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT)
        script.flush()
        command = [WRK, f"--threads={threads}", f"--connections={connections}", f"--duration={seconds:g}s"]
        command += ["--timeout=10s", f"--script={script.name}", "--header", f"Cookie: {session_cookie(base, token)}"]
        load = subprocess.Popen([*command, base + PAGE], stdout=subprocess.PIPE, text=True)
        time.sleep(min(1.0, seconds / 2))
        split = connection_split(int(base.rsplit(":", 1)[1]))
        output = load.communicate()[0]
        if load.returncode:
            raise SystemExit(f"wrk failed (exit code {load.returncode}):\n{output}")
    found = re.search(r"^IKZ (.*)$", output, re.MULTILINE)
    if found is None:
        raise SystemExit(f"wrk printed no summary:\n{output}")
    figures = {key: int(value) for key, value in (pair.split("=") for pair in found.group(1).split())}
    return {
        "done": figures["requests"],
        "bad": figures["not200"] + figures["errors"],
        "elapsed": figures["micros"] / 1e6,
        "latency": {f"p{p}": figures[f"p{p}"] / 1000 for p in (50, 90, 99)} | {"max": figures["max"] / 1000},
        "generator": f"wrk, {threads} thread × {connections} connections",
        "split": split,
    }


def connection_split(port: int) -> str | None:
    """How the load's connections are spread over the worker processes, e.g. "6+2" (None without `ss`).

    Each worker listens on its own socket (ikz/portal/workers.py) and the kernel spreads new connections by
    address hash, so a run may still be uneven (6+2); the split says what a figure measured.
    """
    if shutil.which("ss") is None:
        return None
    listing = subprocess.run(
        ["ss", "-Htnp", "state", "established", f"( sport = :{port} )"], capture_output=True, text=True
    ).stdout
    counts = sorted(Counter(re.findall(r"pid=(\d+)", listing)).values(), reverse=True)
    return "+".join(map(str, counts)) or None


def with_httpx(base: str, token: str, seconds: float, connections: int, clients: int) -> dict:
    """Python client processes with `connections` threads each; no latency figures."""
    results = multiprocessing.Queue()
    processes = [
        multiprocessing.Process(target=client, args=(base, token, seconds, connections, results))
        for _ in range(clients)
    ]
    started = time.monotonic()
    for process in processes:
        process.start()
    totals = [results.get() for _ in processes]
    for process in processes:
        process.join()
    return {
        "done": sum(t[0] for t in totals),
        "bad": sum(t[1] for t in totals),
        "elapsed": time.monotonic() - started,
        "latency": None,
        "generator": f"httpx, {clients} client processes × {connections} connections",
        "split": None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("IKZ_TEST_DATABASE_URL", "postgresql://127.0.0.1/test"))
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--generator", choices=("auto", "wrk", "httpx"), default="auto")
    parser.add_argument("--connections", type=int, help="keep-alive connections (wrk: 8 in all; httpx: 4 per client)")
    parser.add_argument("--threads", type=int, default=1, help="wrk's threads")
    parser.add_argument("--runs", type=int, default=3, help="runs against the same server; the median is the figure")
    parser.add_argument("--clients", type=int, default=2, help="httpx client processes")
    args = parser.parse_args(argv)
    use_wrk = args.generator == "wrk" or (args.generator == "auto" and shutil.which(WRK) is not None)
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
        runs = []
        for _ in range(args.runs):
            if use_wrk:
                run = with_wrk(base, token, args.seconds, args.connections or 8, args.threads)
            else:
                run = with_httpx(base, token, args.seconds, args.connections or 4, args.clients)
            runs.append(run)
            print(describe(run), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    rates = sorted(run["done"] / run["elapsed"] for run in runs)
    bad = sum(run["bad"] for run in runs)
    print(
        f"median of {len(runs)} runs: {statistics.median(rates):.0f} requests/s "
        f"(runs {', '.join(f'{rate:.0f}' for rate in rates)}; {bad} not 200)"
    )
    if bad:
        raise SystemExit(f"{bad} answers were not 200")


def describe(run: dict) -> str:
    """One run in one line: the rate, the answers, the latencies, the generator and the machine's load."""
    load = os.getloadavg()
    latency = run["latency"]
    percentiles = (
        f"; latency p50 {latency['p50']:.1f} ms, p90 {latency['p90']:.1f}, p99 {latency['p99']:.1f}, "
        f"max {latency['max']:.1f}"
        if latency
        else ""
    )
    split = f", connections per worker {run['split']}" if run["split"] else ""
    return (
        f"mandate page, 2 workers on PostgreSQL: {run['done'] / run['elapsed']:.0f} requests/s "
        f"({run['done']} in {run['elapsed']:.1f} s, {run['bad']} not 200{percentiles}; {run['generator']}{split}; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})"
    )


if __name__ == "__main__":
    main()
