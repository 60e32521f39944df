#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench_python.py - ns per call of the mlprobe module, next to a no-op C
call and to the stdlib logging module writing to a file, all with timeit in
this one process.  Prints one JSON object.  scripts/bench-python.sh runs it
twice: alone (not attached) and under `mlprobe record` (attached).

Each figure is the best of REPEAT timeit runs of N calls; the runs of the
statements compared take turns, so a noisy moment hits them alike.  The
figures are as timeit gives them (the loop around the call included); the
"net" ones have timeit's empty loop subtracted.
"""
import json
import logging
import os
import sys
import tempfile
import timeit

import mlprobe

N = int(os.environ.get("BENCH_PY_N", "200000"))
REPEAT = int(os.environ.get("BENCH_PY_REPEAT", "25"))


def best(stmts, g, n=N):
    """ns per run of each statement: best of REPEAT turns."""
    timers = {k: timeit.Timer(s, globals=g) for k, s in stmts.items()}
    t = {k: float("inf") for k in stmts}
    for _ in range(REPEAT):
        for k, tm in timers.items():
            t[k] = min(t[k], tm.timeit(n) / n * 1e9)
    return t


def main():
    g = {"noop": mlprobe._noop, "metric": mlprobe.metric, "span": mlprobe.span}
    out = best({"empty_loop_ns": "pass",
                "noop_ns": 'noop("loss", 1, 0.5)',
                "metric_ns": 'metric("loss", 1, 0.5)',
                "span_ns": 'with span("forward"): pass'}, g)
    with tempfile.TemporaryDirectory() as d:
        log = logging.getLogger("bench")
        h = logging.FileHandler(os.path.join(d, "log.txt"))
        log.addHandler(h)
        log.setLevel(logging.INFO)
        log.propagate = False
        g["log"] = log
        # Fewer calls: each one writes a line to the file.
        out.update(best({"logging_ns": 'log.info("loss %d %f", 1, 0.5)'}, g, N // 20))
        h.close()
    out["attached"] = mlprobe.enabled()
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
