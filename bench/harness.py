"""Shared helpers for the benchmarks: child processes measured for wall time, CPU and peak memory, the floor, tables.

Every measured command is a child process of the venv's interpreter (`python -m ikz.cli …`, which is what the
`ikz` script runs; `uv run` would add its own ~100 ms). Bytecode is cached in the bench cache even where
PYTHONDONTWRITEBYTECODE is set (an installed ikz runs from compiled bytecode), and one discarded warm-up run
of each command keeps the first child's cold compile out of the figures.
"""

import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# The floor every CLI figure is compared with: what any SQLModel program pays before its first line.
FLOOR = [PYTHON, "-c", "import sqlmodel"]
# Address space a measured child may take: far above every target (≤ 500 MB), it keeps a runaway job at 100k
# (gigabytes of mail) from pushing the shared machine into swapping or the OOM killer; it fails instead.
MEMORY_LIMIT = 6_000_000_000


# `python -m ikz.cli ARGS…` that also writes its own peak RSS (VmHWM) at exit to $BENCH_PEAK_FILE: a child's
# ru_maxrss starts from its parent's resident size (Linux keeps the high-water mark across fork and exec).
PEAK_WRAPPER = """
import atexit, os, runpy
def _peak():
    with open("/proc/self/status") as status:
        kib = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["BENCH_PEAK_FILE"], "w") as out:
        out.write(kib)
atexit.register(_peak)
runpy.run_module("ikz.cli", run_name="__main__", alter_sys=True)
"""


def ikz(*args: str) -> list[str]:
    """The command line of `ikz ARGS…` as the installed script runs it (its peak RSS reported by itself)."""
    return [PYTHON, "-c", PEAK_WRAPPER, *args]


def child_env(url: str | None = None, **more: str) -> dict:
    """The environment of a measured child: the programme's now, its database, no config file, cached bytecode."""
    from bench.synthetic import NOW_TEXT, cache_dir

    env = {k: v for k, v in os.environ.items() if not k.startswith("IKZ_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(IKZ_NOW=NOW_TEXT, PYTHONUNBUFFERED="1", PYTHONPYCACHEPREFIX=str(cache_dir() / "pycache"), **more)
    if url:
        env["IKZ_DATABASE_URL"] = url
    if "IKZ_BENCH_CACHE" in os.environ:
        env["IKZ_BENCH_CACHE"] = os.environ["IKZ_BENCH_CACHE"]
    return env


@dataclass
class Run:
    """One child process: wall and CPU seconds, peak RSS in MB, exit code, what it wrote."""

    wall: float
    cpu: float
    peak_mb: float
    rc: int
    out_bytes: int
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.rc == 0


def run(command: list[str], *, env: dict | None = None, keep_output: bool = False, timeout: float = 1800) -> Run:
    """Run a command once and measure it with wait4: its own CPU time and peak RSS, not the parent's.

    Output goes to a temporary file (no pipe to drain); its size is kept, its text only if asked for.
    Peak RSS is what the child reports itself (ikz() commands, bench.jobs), else ru_maxrss, which is at
    least what the parent had resident when it started the child.
    """
    peak_file = Path(tempfile.mktemp(prefix="ikz-bench-peak-"))
    env = {**(env or child_env()), "BENCH_PEAK_FILE": str(peak_file)}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
            preexec_fn=_limit_memory,
        )
        deadline, timed_out = start + timeout, False
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                timed_out = True
                break
            time.sleep(0.002)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        size = out.tell()
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace") if keep_output else ""
        stderr = err.read().decode("utf-8", "replace")[-4000:]
    peak_mb = usage.ru_maxrss * 1024 / 1e6
    if peak_file.exists():
        peak_mb = int(peak_file.read_text() or 0) * 1024 / 1e6 or peak_mb
        peak_file.unlink()
    return Run(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_mb=peak_mb,
        rc=process.returncode,
        out_bytes=size,
        stdout=stdout,
        stderr=stderr,
        timed_out=timed_out,
    )


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def interleaved(commands: dict[str, tuple[list[str], dict]], runs: int, *, warmup: int = 1) -> dict[str, list[Run]]:
    """Several commands run in turn, one of each per round (load hits all alike); `warmup` rounds discarded."""
    found: dict[str, list[Run]] = {name: [] for name in commands}
    for round_ in range(warmup + runs):
        for name, (command, env) in commands.items():
            measured = run(command, env=env)
            if round_ >= warmup:
                found[name].append(measured)
    return found


def median_run(runs: list[Run]) -> Run:
    """The median wall and CPU time of several runs, the highest peak; failed if any failed."""
    failed = [r for r in runs if not r.ok]
    if failed:
        return failed[0]
    return Run(
        wall=statistics.median(r.wall for r in runs),
        cpu=statistics.median(r.cpu for r in runs),
        peak_mb=max(r.peak_mb for r in runs),
        rc=0,
        out_bytes=max(r.out_bytes for r in runs),
        stderr=runs[-1].stderr,
    )


class TimedOut(RuntimeError):
    """A measured child ran longer than it was given and was killed."""


def child(module: str, *args: str, env: dict | None = None, timeout: float = 1800) -> dict:
    """Run `python -m module ARGS…` and return the JSON object it prints last (with its own wall/CPU/peak)."""
    measured = run([PYTHON, "-m", module, *args], env=env, keep_output=True, timeout=timeout)
    if measured.timed_out:
        raise TimedOut(f"{module} {args[0] if args else ''}: killed after {timeout:.0f} s")
    if not measured.ok:
        raise RuntimeError(f"{module} {' '.join(args)} failed ({measured.rc}):\n{measured.stderr}")
    lines = [line for line in measured.stdout.splitlines() if line.strip()]
    result = json.loads(lines[-1])
    result.setdefault("process_wall", measured.wall)
    result.setdefault("process_peak_mb", measured.peak_mb)
    return result


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (VmHWM), in MB (10⁶ bytes, as in the targets)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def emit(result: dict) -> None:
    """Print a child's result as the last line of its output."""
    print(json.dumps(result, default=str), flush=True)


def codes_in(text: str) -> int:
    """How many mandate codes (1.4, 2.1-LS, 7.222) a message names."""
    return len(re.findall(r"\b\d+\.\d+(?:-[A-Z]+)?\b", text))


def growth(values: list[float]) -> str:
    """Each size's figure over the one before it, e.g. "×1.2 → ×0.9" ("–" with fewer than two)."""
    return " → ".join(f"×{b / a:.1f}" for a, b in zip(values, values[1:])) or "–"


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
