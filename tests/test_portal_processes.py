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
