"""Several portal processes on one port, each with its own listening socket (SO_REUSEPORT).

uvicorn's own supervisor hands one shared socket to every worker; the worker that wakes first then takes a
whole burst of new connections, and under load one process served 7 of 8 keep-alive connections while the
other idled. With a socket per worker the kernel spreads new connections over the workers by address hash.
"""

import errno
import multiprocessing
import signal
import socket
from multiprocessing.connection import wait

import uvicorn

from ikz.errors import ConfigError

# How long a stopping worker may finish its requests before it is killed.
STOP_SECONDS = 10

_BIND_ERRORS = {
    errno.EADDRINUSE: "die Adresse ist schon belegt (läuft dort schon ein Dienst?)",
    errno.EACCES: "keine Berechtigung für diesen Port (unter 1024 nur mit Systemrechten)",
    errno.EADDRNOTAVAIL: "diese Adresse hat der Rechner nicht",
}


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def _worker(host: str, port: int, ready) -> None:
    """One process: bind its own socket, report it, then serve the app built from the environment."""
    try:
        sock = _listening_socket(host, port)
    except OSError as exc:
        ready.send(_BIND_ERRORS.get(exc.errno, exc.strerror or str(exc)))
        return
    ready.send(None)
    config = uvicorn.Config("ikz.portal.serving:from_environment", factory=True, log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])


def run(host: str, port: int, workers: int) -> None:
    """Serve the portal from `workers` processes until SIGINT or SIGTERM; a worker that ends stops them all."""
    spawn = multiprocessing.get_context("spawn")
    processes = []
    # SIGTERM (a service manager's stop) interrupts as Ctrl-C does; both stop every worker started so far.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        for _ in range(workers):
            receiver, sender = spawn.Pipe(duplex=False)
            process = spawn.Process(target=_worker, args=(host, port, sender), daemon=False)
            process.start()
            processes.append(process)
            sender.close()
            with receiver:
                failure = _started(receiver)
            if failure is not None:
                raise ConfigError(f"Das Portal kann {host}:{port} nicht öffnen: {failure}.")
        ended = wait([process.sentinel for process in processes])
        gone = next(process for process in processes if process.sentinel in ended)
        gone.join()  # the exit code is known once the process is reaped
        how = f"durch Signal {-gone.exitcode}" if gone.exitcode < 0 else f"mit Code {gone.exitcode}"
        raise ConfigError(f"Ein Portal-Prozess (PID {gone.pid}) endete {how}; das Portal wird ganz beendet.")
    except KeyboardInterrupt:
        pass
    finally:
        _stop(processes)


def _started(receiver) -> str | None:
    """None once the worker listens; else why it could not."""
    if not receiver.poll(60):
        return "keine Rückmeldung innerhalb von 60 Sekunden"
    try:
        return receiver.recv()
    except EOFError:
        return "der Prozess endete beim Start"


def _stop(processes: list) -> None:
    for process in processes:
        if process.is_alive():
            process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
    for process in processes:
        process.join(STOP_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()
