"""Shared helpers for the benchmarks: child processes, wall-clock medians, peak memory, tables."""

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The venv's interpreter, called directly: `uv run` adds ~100 ms of its own to every start.
PYTHON = sys.executable


def child_env(**more: str) -> dict:
    """The environment for child processes: IKZ_NOW fixed to the synthetic programme's now, no config file.

    Bytecode is cached (in the bench cache, not in the source tree) even where PYTHONDONTWRITEBYTECODE
    is set: an installed ikz runs from compiled bytecode, and compiling ~450 modules on every start
    would double the CLI's start-up time.
    """
    from bench.synthetic import NOW_TEXT, cache_dir

    env = {k: v for k, v in os.environ.items() if not k.startswith("IKZ_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(IKZ_NOW=NOW_TEXT, PYTHONUNBUFFERED="1", PYTHONPYCACHEPREFIX=str(cache_dir() / "pycache"), **more)
    return env


def run_child(module: str, *args: str, timeout: float = 1800) -> dict:
    """Run `python -m module --child args…` in a fresh process and return the JSON it prints last."""
    completed = subprocess.run(
        [PYTHON, "-m", module, "--child", *args],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed ({completed.returncode}):\n{completed.stderr[-4000:]}")
    if completed.stderr.strip():
        sys.stderr.write(completed.stderr)
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    for line in lines[:-1]:
        print(line)
    return json.loads(lines[-1])


def timed_run(command: list[str]) -> tuple[float, float]:
    """Run a command once, output discarded; return (wall seconds, CPU seconds user+sys of the child).

    CPU time hardly changes with load from other processes; wall time does (2 cores, shared machine).
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=ROOT, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({completed.returncode}): {completed.stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def wall_times(command: list[str], runs: int, *, warmup: int = 1) -> list[float]:
    """Wall-clock seconds of `runs` runs of a command (after `warmup` unmeasured ones), output discarded."""
    return [timed_run(command)[0] for index in range(warmup + runs)][warmup:]


def interleaved_times(
    commands: dict[str, list[str]], runs: int, *, warmup: int = 1
) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) seconds of several commands run in turn, one of each per round, so a change in machine
    load hits all of them alike; `warmup` unmeasured rounds first."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for round_ in range(warmup + runs):
        for name, command in commands.items():
            measured = timed_run(command)
            if round_ >= warmup:
                times[name].append(measured)
    return times


def median(values: list[float]) -> float:
    return statistics.median(values)


def _status_mb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) * 1024 / 1e6  # kB there are KiB
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB (10⁶ bytes, as in the target).

    VmHWM, not ru_maxrss: on Linux a child's ru_maxrss starts from its parent's peak (it survives
    fork and exec), so a big parent would hide the child's own figure.
    """
    peak = _status_mb("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def current_rss_mb() -> float:
    """This process's resident set size now, in MB."""
    return _status_mb("VmRSS") or 0.0


def emit(result: dict) -> None:
    """Print a child's result as the last line of its output."""
    print(json.dumps(result, default=str), flush=True)


def profile_to_stderr(function, *args, limit: int = 25, **kwargs):
    """Call function under cProfile and print the top entries by cumulative and own time to stderr."""
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    result = profiler.runcall(function, *args, **kwargs)
    for order in ("cumulative", "tottime"):
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).strip_dirs().sort_stats(order).print_stats(limit)
        sys.stderr.write(f"\n=== profile by {order} ===\n{buffer.getvalue()}")
    return result


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain-text table with right-aligned columns after the first."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    lines = []
    for index, row in enumerate([headers, *rows]):
        cells = [str(cell).ljust(w) if i == 0 else str(cell).rjust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells))
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def growth(values: list[float]) -> str:
    """Growth factors between consecutive sizes, e.g. '×9.8, ×11.2'."""
    factors = [f"×{b / a:.1f}" if a else "–" for a, b in zip(values, values[1:])]
    return ", ".join(factors) or "–"


def size_label(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def script_main(doc: str, argv: list[str] | None, *, child, measure, report, profile_help: str) -> None:
    """The command line every size-scaled benchmark shares: --sizes, --profile N, and the --child re-entry."""
    import argparse

    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        child(argv[1], "--profile" in argv)
        return
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--profile", type=int, metavar="N", help=profile_help)
    args = parser.parse_args(argv)
    if args.profile:
        measure(args.profile, profile=True)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    print(report(sizes, {n: measure(n) for n in sizes}))
