"""The bench's measuring and judging: a child's own peak memory, timeouts, and how a row's verdict is reached."""

import json
from argparse import Namespace

from bench import run_all
from bench.harness import PYTHON, codes_in, run
from bench.run_all import Cell, Row, verdict


def test_peak_is_the_childs_own_not_the_parents():
    ballast = bytearray(200_000_000)
    ballast[::4096] = b"1" * len(ballast[::4096])
    measured = run([PYTHON, "-c", "x = bytearray(50_000_000); x[::4096] = b'1' * len(x[::4096])"], keep_output=True)
    assert measured.ok
    # A plain child's ru_maxrss would start at the parent's 200 MB.
    assert measured.peak_mb > 200
    wrapped = run(run_all.ikz("--help"), keep_output=True)
    assert wrapped.ok and wrapped.stdout.startswith("Aufruf: ikz")
    assert wrapped.peak_mb < 150
    del ballast


def test_a_child_over_its_time_is_killed():
    measured = run([PYTHON, "-c", "import time; time.sleep(30)"], timeout=0.5)
    assert measured.timed_out and not measured.ok
    assert run_all.failed(measured).ok is False


def test_codes_are_counted():
    assert codes_in("Mandat '9.99999' gibt es nicht; ähnlich: 1.4, 2.1-LS, 7.222.") == 4


def test_verdict_judges_only_the_sizes_a_target_is_about():
    row = Row("rerun", "rerun", "≤ 1.5 s (100k)", (100_000,))
    assert verdict(row, {1000: Cell("0.2 s", 0.2, ok=True)}) == "offen (nur bis 1k gemessen)"
    assert verdict(row, {1000: Cell("9 s", 9, ok=False), 100_000: Cell("1 s", 1, ok=True)}) == "ja"
    assert verdict(row, {100_000: Cell("2 s", 2, ok=False)}) == "nein"
    assert verdict(Row("floor", "floor", ""), {1000: Cell("500 ms", 0.5)}) == ""


def test_table_has_a_row_per_target_and_backend():
    bench = run_all.Bench(Namespace(runs=1, messages=10, timeout=10))
    bench.put("help", "sqlite", 1000, Cell("80 ms", 0.08, "×0.16 floor", True))
    bench.put("help", "sqlite", 10_000, Cell("90 ms", 0.09, "×0.18 floor", True))
    text = bench.markdown(["sqlite", "postgresql"], [1000, 10_000], {"cli"})
    lines = text.splitlines()
    assert lines[0] == "| measurement | backend | 16 | 1k | 10k | growth | ratio | target | met? |"
    assert "| `ikz --help` | sqlite | – | 80 ms | 90 ms | ×1.1 | ×0.18 floor | ≤ 0.3× floor | ja |" in lines
    assert "| `ikz --help` | postgresql | – | – | – | – |  | ≤ 0.3× floor |  |" in lines
    assert len([line for line in lines if line.startswith("| `ikz")]) == 2 * 6


def test_saved_runs_merge_into_one_table(tmp_path):
    def saved(name, sizes, cells):
        path = tmp_path / name
        payload = {"backends": ["sqlite"], "sizes": sizes, "only": ["sweep"], "measured": name, "cells": cells}
        path.write_text(json.dumps(payload))
        return path

    rerun = {"key": "rerun", "backend": "sqlite", "ratio": "×0.4 floor"}
    small = saved("small", [1000], [{**rerun, "n": 1000, "text": "0.2 s", "value": 0.2, "ok": True}])
    big = saved("big", [100_000], [{**rerun, "n": 100_000, "text": "7.5 s", "value": 7.5, "ok": False}])
    lines = run_all.merged([small, big]).splitlines()
    assert lines[0] == "Merged from `small`, `big`."
    row = "| sweep job rerun (all claimed) | sqlite | 0.2 s | 7.5 s | ×37.5 | ×0.4 floor | ≤ 1.5 s (100k) | nein |"
    assert row in lines
