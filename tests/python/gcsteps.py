#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gcsteps.py - a Python trainer that keeps CPython's garbage collector
busy, for tests/e2e/test_whyslow.sh.

    gcsteps.py STEPS [--gate] [--module]

It keeps 600000 lists alive for the whole run.  Each step makes 30000
small reference cycles and drops each at once (collections of generation 0
run on their own and find them garbage), then sleeps 20 ms; every tenth
step (step % 10 == 9) also calls gc.collect(), a collection of generation
2, which walks all the lists kept alive.

--gate     print "ready PID" and wait for a line on stdin before the first
           step (a test attaches with `record -p` meanwhile)
--module   import mlprobe (build/python): mlprobe.step(step) each step, the
           work in a span "forward" and the sleep in a span "sleep"; so
           the collections are nested in forward, and a step that
           collects generation 2 is slow because of gc

Prints "done" at the end.
"""
import contextlib
import gc
import os
import sys
import time


def main():
    steps = int(sys.argv[1])
    span = lambda name: contextlib.nullcontext()  # noqa: E731
    step_probe = lambda step: None  # noqa: E731
    if "--module" in sys.argv:
        import mlprobe
        span, step_probe = mlprobe.span, mlprobe.step
    keep = [[i, [i]] for i in range(300000)]
    if "--gate" in sys.argv:
        print("ready", os.getpid(), flush=True)
        sys.stdin.readline()
    for step in range(steps):
        step_probe(step)
        with span("forward"):
            work(step)
        with span("sleep"):
            time.sleep(0.02)
    step_probe(steps)  # ends the last step
    print("done", len(keep), flush=True)


def work(step):
    # each cycle is garbage by the next collection of generation 0, so
    # little reaches generation 2 and its collections stay rare
    for i in range(30000):
        a = [i]
        b = [a]
        a.append(b)
    if step % 10 == 9:
        gc.collect()


if __name__ == "__main__":
    main()
