"""`ikz serve --workers 2` on PostgreSQL: real processes, one signed session served by either of them.

This test starts an `ikz serve` process and waits for it to answer (bounded by a deadline): that is what it tests.
"""

import os
import re
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from models.db import transaction
from tests.conftest import NOW, PG_URL
from tests.portal_client import PASSWORD, SECRET, csrf, status
from tests.test_processes import wait_until
from workflow import accounts


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.mark.skipif(not PG_URL, reason="several portal processes need PostgreSQL (set IKZ_TEST_DATABASE_URL)")
def test_two_workers_serve_one_session(loaded, db_url, tmp_path):
    with transaction(loaded) as session:
        accounts.add_user(session, "koord", PASSWORD, role="koordination", now=NOW)
    port = _free_port()
    env = {**os.environ, "IKZ_PORTAL_SECRET": SECRET, "IKZ_NOW": "2010-11-02T11:00", "IKZ_CONFIG": ""}
    process = subprocess.Popen(
        [sys.executable, "-m", "ikz.cli", "--db", db_url, "serve", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(f"{base}/anmelden"), seconds=60)
        with httpx.Client(base_url=base, follow_redirects=True, timeout=10) as client:
            token = csrf(client.get("/anmelden"))
            response = client.post("/anmelden", data={"csrf": token, "name": "koord", "passwort": PASSWORD})
            assert status(response) == "Angemeldet."
            # Each worker checks the cookie with the same secret: every request is signed in, whoever answers it.
            for _ in range(20):
                page = client.get("/mandate/1.4")
                assert page.status_code == 200 and "1.4 – Einkaufsgemeinschaft LOGA" in page.text
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert out.startswith(f"Portal: http://127.0.0.1:{port}/ (Datenbank postgresql+psycopg://")
    assert "GET /mandate" not in out + err  # no access log: addresses with tokens stay out of logs


def test_serve_demo_prints_links_that_open_the_played_demo(tmp_path):
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("IKZ_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "ikz.cli", "serve", "--demo", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        for line in process.stdout:  # the demo plays first (about a minute), then the links follow
            lines.append(line)
            if line.startswith("Beenden mit Strg+C."):
                break
        text = "".join(lines)
        assert f"Portal der Vorführung (Stand 31.05.2011 18:00): http://127.0.0.1:{port}/\n" in text
        password = re.search(r"Koordination: Benutzer koordination, Passwort (\S+)\n", text)[1]
        lead = re.search(r"Federführung Lünen \(Petra Schulte\): (\S+)\n", text)[1]
        wait_until(lambda: _answers(f"http://127.0.0.1:{port}/anmelden"), seconds=30)
        with httpx.Client(follow_redirects=True, timeout=10) as client:
            page = client.get(lead)
            assert page.status_code == 200 and "1.4" in page.text and "Meine Aufgaben" in page.text
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=True, timeout=10) as client:
            token = csrf(client.get("/anmelden"))
            assert (
                status(client.post("/anmelden", data={"csrf": token, "name": "koordination", "passwort": password}))
                == "Angemeldet."
            )
            assert "Tagesordnung Bürgermeisterkonferenz am 12. April 2011" in client.get("/sitzungen/2").text
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)


def _serve(db_url: str, port: int, workers: int = 2) -> subprocess.Popen:
    env = {**os.environ, "IKZ_PORTAL_SECRET": SECRET, "IKZ_NOW": "2010-11-02T11:00", "IKZ_CONFIG": ""}
    command = [sys.executable, "-m", "ikz.cli", "--db", db_url, "serve", "--workers", str(workers)]
    return subprocess.Popen(
        [*command, "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _listeners(port: int) -> list[int]:
    """The processes that hold a listening socket on the port (from `ss`)."""
    listing = subprocess.run(["ss", "-Htlnp", f"( sport = :{port} )"], capture_output=True, text=True).stdout
    return sorted(int(pid) for pid in re.findall(r"pid=(\d+)", listing))


@pytest.mark.skipif(not PG_URL, reason="several portal processes need PostgreSQL (set IKZ_TEST_DATABASE_URL)")
def test_each_worker_listens_on_its_own_socket_and_sigterm_stops_them_all(loaded, db_url):
    """The kernel spreads connections over the workers' own sockets; a service manager's SIGTERM ends every one."""
    port = _free_port()
    process = _serve(db_url, port)
    try:
        wait_until(lambda: _answers(f"http://127.0.0.1:{port}/anmelden"), seconds=60)
        listeners = _listeners(port)
        assert len(set(listeners)) == 2 and process.pid not in listeners
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    assert process.returncode == 0
    assert [pid for pid in listeners if os.path.exists(f"/proc/{pid}")] == []


@pytest.mark.skipif(not PG_URL, reason="several portal processes need PostgreSQL (set IKZ_TEST_DATABASE_URL)")
def test_a_taken_port_is_refused_in_one_german_line_and_no_worker_stays(loaded, db_url):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = _serve(db_url, port)
        _out, err = process.communicate(timeout=60)
        assert _listeners(port) == [os.getpid()]  # only the test's own socket: no worker was left listening
    assert process.returncode == 1
    assert err == (
        f"Fehler: Das Portal kann 127.0.0.1:{port} nicht öffnen: "
        "die Adresse ist schon belegt (läuft dort schon ein Dienst?).\n"
    )


@pytest.mark.skipif(not PG_URL, reason="several portal processes need PostgreSQL (set IKZ_TEST_DATABASE_URL)")
def test_a_worker_that_dies_stops_the_portal_with_a_german_line(loaded, db_url):
    """Half a portal is not left running: the service manager sees exit code 1 and can restart it whole."""
    port = _free_port()
    process = _serve(db_url, port)
    wait_until(lambda: _answers(f"http://127.0.0.1:{port}/anmelden"), seconds=60)
    first, second = _listeners(port)
    os.kill(first, signal.SIGKILL)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert err == (f"Fehler: Ein Portal-Prozess (PID {first}) endete durch Signal 9; das Portal wird ganz beendet.\n")
    assert not os.path.exists(f"/proc/{second}")
