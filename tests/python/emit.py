#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""emit.py - Python programs that tests/e2e/test_python.sh records.

    emit.py threads T N     T threads emit N metrics each, at once; metric
                            "t", step k*N+i, value i; prints "emitted X"
    emit.py fork W N        W multiprocessing workers (fork) emit N spans
                            "work" and N metrics "w" (value: worker index)
    emit.py raise N         spans around bodies that raise: "outer" holds
                            "inner" (a with block), then "deco" (a decorated
                            function); each raises N times
    emit.py names N         N metrics whose names are built anew each time
                            ("n0".."n6", value = the digit), so freed str
                            memory is reused for other names; prints
                            "reused K": how often an address held another
                            name than the last time
    emit.py errors          the API's checks, as "ok -"/"not ok -" lines
"""
import sys
import threading

import mlprobe
from checks import raises as check_raises


def threads(nthreads, n):
    barrier = threading.Barrier(nthreads)

    def run(k):
        barrier.wait()
        for i in range(n):
            mlprobe.metric("t", k * n + i, i)

    ts = [threading.Thread(target=run, args=(k,)) for k in range(nthreads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(f"emitted {nthreads * n}")


_barrier = None


def _init(barrier):
    global _barrier
    _barrier = barrier


def _work(args):
    k, n = args
    # Each worker holds its task until all have one: one task per worker,
    # however the scheduler runs them (a fast worker took two on a busy
    # machine, and another none).
    _barrier.wait()
    for i in range(n):
        with mlprobe.span("work"):
            mlprobe.metric("w", i, k)
    return k


def fork(workers, n):
    import multiprocessing as mp
    import os
    print(f"parent {os.getpid()}", flush=True)
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(workers)
    with ctx.Pool(workers, initializer=_init, initargs=(barrier,)) as pool:
        done = sorted(pool.map(_work, [(k, n) for k in range(workers)], chunksize=1))
    print("workers ok" if done == list(range(workers)) else f"workers failed {done}")


@mlprobe.span("deco")
def _fails(i):
    raise KeyError(i)


def raises(n):
    caught = 0
    for i in range(n):
        mlprobe.step(i)
        try:
            with mlprobe.span("outer"):
                with mlprobe.span("inner"):
                    raise ValueError(i)
        except ValueError:
            caught += 1
        try:
            _fails(i)
        except KeyError:
            caught += 1
    print(f"caught {caught}")


def names(n):
    last, reused = {}, 0	# address -> digit of the name it held last
    for i in range(n):
        name = "".join(["n", str(i % 7)])	# a new str object each time
        reused += last.get(id(name), i % 7) != i % 7
        last[id(name)] = i % 7	# not name: hold no reference to it
        mlprobe.metric(name, i, i % 7)
        del name
    print(f"reused {reused}")


def errors():
    tag = "[attached] " if mlprobe.enabled() else "[not attached] "

    def raises_(exc, desc, f, *a, **kw):
        check_raises(tag, exc, desc, None, f, *a, **kw)

    def accepts(desc, f, *a, **kw):
        try:
            f(*a, **kw)
            print(f"ok - {tag}{desc}")
        except Exception as e:	# noqa: BLE001
            print(f"not ok - {tag}{desc}: {type(e).__name__} ({e})")

    class Floaty:
        def __float__(self):
            return 2.5

    import numpy as np
    m = mlprobe.metric
    raises_(TypeError, "value str", m, "loss", 1, "0.5")
    raises_(TypeError, "value None", m, "loss", 1, None)
    raises_(TypeError, "value list", m, "loss", 1, [0.5])
    raises_(TypeError, "value complex", m, "loss", 1, 1j)
    raises_(TypeError, "name int", m, 7, 1, 0.5)
    raises_(TypeError, "name bytes", m, b"loss", 1, 0.5)
    raises_(TypeError, "step float", m, "loss", 1.5, 0.5)
    raises_(TypeError, "step str", m, "loss", "1", 0.5)
    raises_(TypeError, "two arguments", m, "loss", 1)
    raises_(TypeError, "metrics: a str value", mlprobe.metrics, 1, loss=0.5, acc="x")
    raises_(TypeError, "metrics: step None", mlprobe.metrics, None, loss=0.5)
    raises_(TypeError, "span(3)", mlprobe.span, 3)
    raises_(TypeError, "span decorates a non-callable", mlprobe.span("x"), 5)
    raises_(TypeError, "log msg int", mlprobe.log, mlprobe.INFO, 5)
    raises_(ValueError, "log level 9", mlprobe.log, 9, "x")
    raises_(TypeError, "step('a')", mlprobe.step, "a")
    accepts("value int, bool, numpy float32 and 0-d array, __float__",
            lambda: [m("ok", 1, 3), m("ok", 2, True), m("ok", 3, np.float32(0.5)),
                     m("ok", 4, np.array(0.25)), m("ok", 5, Floaty())])
    accepts("step numpy int64", m, "ok", np.int64(6), 1.0)
    accepts("steps across int sizes", lambda: [m("big", s, float(s)) for s in
            (0, -1, 2**30 - 1, 2**30, -2**30, 2**40, -2**63, 2**63 - 1)])
    raises_(OverflowError, "step 2**63", m, "loss", 2**63, 0.5)
    accepts("a name that UTF-8 cannot encode (lone surrogate)", m, "bad\udcff", 7, 1.0)
    accepts("a str subclass name", m, type("S", (str,), {})("sub"), 8, 1.0)
    accepts("metrics(step, **values)", mlprobe.metrics, 9, a=1.0, b=2)
    accepts("log with a surrogate", mlprobe.log, mlprobe.WARN, "x\udcff")

    class C:
        @mlprobe.span("method")
        def f(self, x, y=1):
            """Doc."""
            return x + y
    c = C()
    ok = c.f(1, y=2) == 3 and C.f.__name__ == "f" and C.f.__doc__ == "Doc." \
        and C.f.__wrapped__ is not None
    print(f"{'ok' if ok else 'not ok'} - {tag}decorated method binds, keeps name and doc")


def main():
    cmd, args = sys.argv[1], [int(a) for a in sys.argv[2:]]
    {"threads": threads, "fork": fork, "raise": raises, "names": names,
     "errors": errors}[cmd](*args)


if __name__ == "__main__":
    main()
