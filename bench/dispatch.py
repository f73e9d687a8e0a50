"""Outbox dispatch rate against a local aiosmtpd server that only counts, over one reused connection.

On a fresh copy of the synthetic database, the outbox first gets N already-sent messages (the history a
programme of that size has) and then M queued reminders built by notifications.outbox.enqueue. One
notifications.delivery.dispatch call with mail.batch = M sends them over SMTP to an aiosmtpd server on
127.0.0.1, by default in a separate process (as a real mail server would be; in-process, the server's
thread competes with the dispatcher for the GIL). The rate is messages accepted per second of the
dispatch call, claim and per-message bookkeeping included.

Run: uv run python bench/dispatch.py [--sizes 1000,10000] [--messages 2000] [--server thread|process]
"""

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench import synthetic
from bench.harness import PYTHON, ROOT, child_env, emit, run_child, size_label, table

MODULE = "bench.dispatch"
MESSAGES = 2000


class Counting:
    """aiosmtpd handler that accepts everything and only counts messages and connections."""

    def __init__(self):
        self.messages = 0
        self.connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.connections += 1
        return responses

    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        return "250 Message accepted for delivery"


def free_port() -> int:
    # aiosmtpd cannot bind port 0 itself (aiosmtpd#388).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(port: int) -> None:
    """Run the counting server until stdin closes, then print 'messages connections'."""
    from aiosmtpd.controller import Controller

    handler = Counting()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    sys.stdin.read()
    controller.stop()
    print(handler.messages, handler.connections, flush=True)


class ServerProcess:
    """The counting server in its own process."""

    def __init__(self):
        self.port = free_port()
        self.process = subprocess.Popen(
            [PYTHON, "-m", MODULE, "--serve", str(self.port)],
            cwd=ROOT,
            env=child_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError("SMTP server did not start")

    def stop(self) -> tuple[int, int]:
        out, _ = self.process.communicate(timeout=30)
        messages, connections = out.split()
        return int(messages), int(connections)


class ServerThread:
    """The counting server in a thread of this process."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.handler = Counting()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=free_port())
        self.controller.start()
        self.port = self.controller.port

    def stop(self) -> tuple[int, int]:
        self.controller.stop()
        return self.handler.messages, self.handler.connections


def queue(engine, config, n_sent: int, m: int) -> float:
    """Fill the outbox: n_sent sent messages (bulk) and m queued reminders via enqueue; return enqueue seconds."""
    from sqlalchemy import insert

    from models import OutboxMessage
    from models.db import transaction
    from notifications import threads
    from notifications.outbox import enqueue
    from notifications.rendering import office, render_pair

    before = synthetic.NOW - timedelta(days=30)
    with transaction(engine) as session:
        history = [
            {
                "message_id": f"<sent-{i}@kreis-unna.example>",
                "kind": "reminder",
                "recipient": f"ikz{i % 33}@luenen.example",
                "subject": "ikz-Erinnerung",
                "raw": "Subject: ikz-Erinnerung\n\n(gesendet)\n",
                "status": "sent",
                "attempts": 1,
                "next_attempt_at": before,
                "created_at": before,
                "sent_at": before,
            }
            for i in range(n_sent)
        ]
        for start in range(0, len(history), 20_000):
            session.execute(insert(OutboxMessage), history[start : start + 20_000])
    items = _sample_items()
    start = time.perf_counter()
    with transaction(engine) as session:
        for i in range(m):
            text, html = render_pair(
                "reminder",
                items=items,
                today=synthetic.TODAY,
                greeting="Guten Tag,",
                escalated=False,
                escalate_after=10,
                answer="reply",
                office=office(config),
            )
            enqueue(
                session,
                config,
                kind="reminder",
                recipient=f"empfaenger{i}@unna.example",
                recipient_name="Hauptamt Unna",
                subject=f"ikz-Erinnerung: {len(items)} Fristen",
                text=text,
                html=html,
                now=synthetic.NOW,
                thread=threads.for_recipient(config, "fristen", f"empfaenger{i}@unna.example", "Fristen"),
            )
    return time.perf_counter() - start


def _sample_items():
    """Three reminder items as the reminder template takes them, like a typical reminder message."""
    due = synthetic.TODAY + timedelta(days=14)
    return [
        {
            "code": f"1.{100 + i}",
            "title": "Gemeinsame Beschaffung Nord",
            "stage": "Konzepterstellung",
            "work": "Konzept mit Kosten- und Zeitplan und Wirtschaftsplan vorlegen",
            "due": due,
            "timing": "noch 10 Arbeitstage",
            "overdue": False,
            "escalated": False,
            "leads": ["Kamen (Jürgen Brandt, Leitung IT)"],
            "leads_label": "Ebenfalls federführend",
            "next": "Ohne Erledigung oder neue Frist geht die Erinnerung auch an die Koordinierungsstelle.",
            "link": f"http://127.0.0.1:8000/mandate/1.{100 + i}",
            "body_name": "Unna",
        }
        for i in range(3)
    ]


def child(path: str, messages: int, n_sent: int, server_kind: str) -> None:
    """In a fresh process: queue, start the server, dispatch everything in one call; print figures as JSON."""
    from ikz import settings
    from models.db import make_engine
    from notifications.delivery import dispatch

    engine = make_engine(synthetic.url(Path(path)))
    base = settings.load(environ={})
    enqueue_seconds = queue(engine, base, n_sent, messages)
    server = ServerProcess() if server_kind == "process" else ServerThread()
    config = settings.load(
        environ={},
        mail_transport="smtp",
        mail_host="127.0.0.1",
        mail_port=server.port,
        mail_security="none",
        mail_timeout=10,
        mail_batch=messages,
    )
    try:
        start, cpu = time.perf_counter(), time.process_time()
        report = dispatch(engine, config, now=synthetic.NOW + timedelta(minutes=1), owner="bench")
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        received, connections = server.stop()
    emit(
        {
            "sent": report.sent,
            "retried": report.retried,
            "failed": report.failed,
            "received": received,
            "connections": connections,
            "seconds": seconds,
            "rate": report.sent / seconds,
            "cpu_ms_per_message": 1000 * cpu / max(report.sent, 1),
            "enqueue_rate": messages / enqueue_seconds,
        }
    )


def measure(n: int, *, messages: int = MESSAGES, server: str = "process") -> dict:
    """Dispatch `messages` queued messages on a copy of the n-mandate database whose outbox holds n sent ones."""
    with tempfile.TemporaryDirectory(prefix="ikz-bench-dispatch-") as folder:
        path = synthetic.working_copy(n, Path(folder))
        return run_child(MODULE, str(path), str(messages), str(n), server)


def report(sizes: list[int], results: dict[int, dict]) -> str:
    headers = ["dispatch", *(size_label(n) for n in sizes)]
    rows = [
        ["messages/s (dispatch)", *(f"{results[n]['rate']:.0f}" for n in sizes)],
        ["dispatcher CPU ms/message", *(f"{results[n]['cpu_ms_per_message']:.2f}" for n in sizes)],
        ["messages/s (enqueue)", *(f"{results[n]['enqueue_rate']:.0f}" for n in sizes)],
        ["sent / received", *(f"{results[n]['sent']}/{results[n]['received']}" for n in sizes)],
        ["SMTP connections", *(str(results[n]["connections"]) for n in sizes)],
        ["seconds", *(f"{results[n]['seconds']:.2f}" for n in sizes)],
    ]
    return table(headers, rows)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--serve":
        serve(int(argv[1]))
        return
    if argv and argv[0] == "--child":
        child(argv[1], int(argv[2]), int(argv[3]), argv[4])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--messages", type=int, default=MESSAGES)
    parser.add_argument("--server", choices=("process", "thread"), default="process")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {n: measure(n, messages=args.messages, server=args.server) for n in sizes}
    print(report(sizes, results))


if __name__ == "__main__":
    main()
