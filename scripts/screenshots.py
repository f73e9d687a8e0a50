"""Regenerate the README's portal screenshots (docs/img/portal-*.png) from the demo, in Debian's Chromium.

uv run python scripts/screenshots.py
"""

import secrets
import shutil
import socket
import tempfile
import threading
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from ikz import demo as scenario
from ikz import settings
from ikz.portal.app import create_app
from models.db import make_engine, transaction
from workflow import access, accounts

OUT = Path(__file__).resolve().parent.parent / "docs" / "img"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
PASSWORD = "vorfuehrung-2011"


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="ikz-screenshots-"))
    path = scenario.run(workdir, lambda line: None)
    engine = make_engine(f"sqlite:///{path}")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with transaction(engine) as session:
        accounts.add_user(session, "koordination", PASSWORD, role="koordination", now=scenario.END)
        _grant, token = access.grant_for_address(
            session, "loga@luenen.example", now=scenario.END, days=60, actor=scenario.ACTOR
        )
    config = settings.load(environ={}, portal_base_url=base)
    app = create_app(config, engine, clock=lambda: scenario.END, secret=secrets.token_urlsafe(32))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(f"{base}/anmelden")
            page.get_by_label("Benutzername").fill("koordination")
            page.get_by_label("Passwort").fill(PASSWORD)
            page.get_by_role("button", name="Anmelden").click()
            page.goto(f"{base}/")
            page.screenshot(path=OUT / "portal-uebersicht.png", full_page=False)
            page.goto(f"{base}/controlling")
            page.screenshot(path=OUT / "portal-controlling.png", full_page=False)
            lead = browser.new_context(viewport={"width": 1200, "height": 1400}).new_page()
            lead.goto(f"{base}/mandate/1.4?zugang={token}")
            lead.screenshot(path=OUT / "portal-federfuehrung.png", full_page=False)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    engine.dispose()
    for name in ("portal-uebersicht.png", "portal-federfuehrung.png", "portal-controlling.png"):
        print(OUT / name)


if __name__ == "__main__":
    main()
