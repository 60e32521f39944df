#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench_torch.py - what recording costs the step of examples/train_torch.py
(a 2-layer transformer, 2 DataLoader workers), without and with
mlprobe.torch.watch.  Prints one JSON object; scripts/bench-python.sh runs
it for `make bench`, as root.

Each round runs the trainer twice, without and with --watch (the order
alternates), for WARMUP + 2 * CYCLES * PHASE seconds.  After WARMUP,
`mlprobe record -p PID --children` attaches for PHASE seconds and detaches
(Ctrl-C), then the trainer runs PHASE seconds unattached, CYCLES times: so
recorded and unrecorded stretches of the same process alternate every few
seconds, and a noisy moment of this shared machine falls on both alike.
The trainer writes each step's seconds and whether a tracer was attached
at its end; a step counts as recorded when it was attached at both ends,
unrecorded when at neither.  A stretch's figure is the median of its
steps, less its first SKIP (the attach itself, a one-time cost, is not
what a step pays).  Each recorded stretch is compared with the mean of
the unrecorded ones on either side; the ratios' median is reported, with
the lowest and the highest.  The two processes' unrecorded stretches give
what watch costs unattached (across processes: noisier).  A recording of
the --watch run gives how many module calls (watch's forward spans) a step
makes.

What a module call costs under watch is measured more finely: "twin"
runs the trainer's model twice in one process, one copy watched and one
not, taking turns at each forward and backward on the same batch, under
`mlprobe record` and without it; the difference of their medians over
the calls of a step is the cost of one call (its forward and, where it
has one, its backward span), attached and unattached.

    BENCH_TORCH_ROUNDS (2), BENCH_TORCH_CYCLES (6), BENCH_TORCH_PHASE (3 s),
    BENCH_TORCH_WARMUP (10 s), BENCH_TORCH_SKIP (3), BENCH_TORCH_TWIN (200
    steps), PYTHON (/usr/bin/python3)
"""
import csv
import io
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROUNDS = int(os.environ.get("BENCH_TORCH_ROUNDS", "2"))
CYCLES = int(os.environ.get("BENCH_TORCH_CYCLES", "6"))
PHASE = float(os.environ.get("BENCH_TORCH_PHASE", "3"))
WARMUP = float(os.environ.get("BENCH_TORCH_WARMUP", "10"))
SKIP = int(os.environ.get("BENCH_TORCH_SKIP", "3"))
TWIN = int(os.environ.get("BENCH_TORCH_TWIN", "200"))
PY = os.environ.get("PYTHON", "/usr/bin/python3")
# The spans of train_torch.py that are not watch's.
OWN = {"data", "forward", "backward", "optimizer", "collate", "mlprobe.step"}


def run(tmp, watch):
    """One trainer, recorded in CYCLES stretches.  Returns (step seconds,
    attached at each step's end, the first recording's directory)."""
    timing = os.path.join(tmp, "timing.json")
    secs = WARMUP + 2 * CYCLES * PHASE + PHASE
    trainer = subprocess.Popen([PY, "examples/train_torch.py", "--steps", "1000000",
                                "--seconds", str(secs), "--quiet", "--timing", timing]
                               + (["--watch"] if watch else []))
    time.sleep(WARMUP)
    first = None
    for c in range(CYCLES):
        rec = os.path.join(tmp, f"rec{c}")
        r = subprocess.Popen(["build/mlprobe", "record", "--force", "-o", rec,
                              "-p", str(trainer.pid), "--children"],
                             stderr=subprocess.PIPE, text=True)
        # The stretch starts once record says it is recording (attached).
        said = r.stderr.readline()
        time.sleep(PHASE)
        r.send_signal(signal.SIGINT)
        said += r.stderr.read()
        if r.wait() != 0 or "recording PID" not in said:
            sys.exit("bench_torch: mlprobe record -p failed: " + said)
        first = first or rec
        time.sleep(PHASE)
    if trainer.wait() != 0:
        sys.exit("bench_torch: examples/train_torch.py failed")
    with open(timing) as f:
        t = json.load(f)
    return t["steps"], t["attached"], first


def stretches(steps, attached):
    """[(recorded, median seconds)] of the runs of steps in one state, in
    order, each less its first SKIP steps (a step is recorded when
    attached at both its ends, unrecorded at neither, else left out)."""
    out, cur, state = [], [], None
    for i in range(1, len(steps)):
        s = attached[i - 1] if attached[i - 1] == attached[i] else None
        if s != state:
            if state is not None and len(cur) > SKIP + 5:
                out.append((state, statistics.median(cur[SKIP:])))
            cur, state = [], s
        cur.append(steps[i])
    if state is not None and len(cur) > SKIP + 5:
        out.append((state, statistics.median(cur[SKIP:])))
    return out


def ratios(st):
    """Each recorded stretch over the mean of the unrecorded on either side."""
    out = []
    for i, (rec, m) in enumerate(st):
        near = [st[j][1] for j in (i - 1, i + 1) if 0 <= j < len(st) and not st[j][0]]
        if rec and near:
            out.append(m / statistics.mean(near))
    return out


def module_calls(rec):
    """Watch's forward spans per "forward" span (one a step) in rec."""
    out = subprocess.run(["build/mlprobe", "show", rec, "--table", "spans", "--format",
                          "csv", "--limit", "0"], check=True, capture_output=True,
                         text=True).stdout
    n = {"fwd": 0, "bwd": 0, "forward": 0}
    for row in csv.DictReader(io.StringIO(out)):
        name = row["name"]
        if name == "forward":
            n["forward"] += 1
        elif name not in OWN and not name.startswith("python.gc."):
            n["bwd" if name.endswith(".backward") else "fwd"] += 1
    return n["fwd"] / n["forward"], n["bwd"] / n["forward"]


def twin():
    """Prints {"watched_ms", "unwatched_ms", "attached"}: the medians of a
    watched and an unwatched copy of the trainer's model, taking turns."""
    import copy

    import torch
    from torch import nn

    import mlprobe
    import mlprobe.torch
    sys.path.insert(0, "examples")
    from train_torch import SEQ, VOCAB, Model
    torch.manual_seed(0)
    watched = Model()
    plain = copy.deepcopy(watched)
    mlprobe.torch.watch(watched)
    x = torch.randint(0, VOCAB, (32, SEQ))
    t = {"watched": [], "unwatched": []}
    for i in range(TWIN):
        # Which goes first alternates: the second of a pair finds the
        # caches as the first left them.
        for m, k in ((watched, "watched"), (plain, "unwatched"))[::1 if i % 2 else -1]:
            t0 = time.perf_counter()
            loss = nn.functional.cross_entropy(m(x).reshape(-1, VOCAB), x.flip(1).reshape(-1))
            loss.backward()
            t[k].append(time.perf_counter() - t0)
    json.dump({k + "_ms": statistics.median(v[20:]) * 1e3 for k, v in t.items()}
              | {"attached": mlprobe.enabled()}, sys.stdout)


def twins(tmp):
    """The twin run unattached and recorded: (unattached, attached) dicts."""
    out = []
    for rec in (False, True):
        cmd = [PY, __file__, "twin"]
        if rec:
            cmd = ["build/mlprobe", "record", "-q", "--force", "-o",
                   os.path.join(tmp, "twin"), "--"] + cmd
        t = json.loads(subprocess.run(cmd, check=True, capture_output=True,
                                      text=True).stdout)
        if t["attached"] != rec:
            sys.exit("bench_torch: the twin run was %sattached" % ("not " if rec else ""))
        out.append(t)
    return out


def main():
    os.environ["PYTHONPATH"] = os.path.join(os.getcwd(), "build", "python")
    res = {False: {"r": [], "off": [], "on": []}, True: {"r": [], "off": [], "on": []}}
    unwatched_off = []  # per round: (plain unrecorded, watch unrecorded)
    calls = None
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(ROUNDS):
            off = {}
            for watch in ((False, True) if r % 2 == 0 else (True, False)):
                steps, attached, rec = run(tmp, watch)
                st = stretches(steps, attached)
                res[watch]["r"] += ratios(st)
                res[watch]["on"] += [m for s, m in st if s]
                res[watch]["off"] += [m for s, m in st if not s]
                off[watch] = statistics.median([m for s, m in st if not s])
                if watch and calls is None:
                    calls = module_calls(rec)
                print(f"bench_torch: round {r + 1}/{ROUNDS}, watch {watch}: "
                      + " ".join(f"{'R' if s else '-'}{m * 1e3:.1f}" for s, m in st),
                      file=sys.stderr, flush=True)
            unwatched_off.append(off[True] / off[False])
        tw = twins(tmp)
    out = {"rounds": ROUNDS, "cycles": CYCLES, "phase_s": PHASE,
           "module_calls_per_step": calls[0], "backward_spans_per_step": calls[1],
           "watch_unrecorded_over_plain": statistics.median(unwatched_off),
           "watch_unrecorded_over_plain_runs": unwatched_off}
    for watch, key in ((False, "plain"), (True, "watch")):
        r = res[watch]["r"]
        out[key + "_unrecorded_ms"] = statistics.median(res[watch]["off"]) * 1e3
        out[key + "_recorded_ms"] = statistics.median(res[watch]["on"]) * 1e3
        out[key + "_ratio"] = statistics.median(r)
        out[key + "_ratio_lo"], out[key + "_ratio_hi"] = min(r), max(r)
        out[key + "_stretches"] = len(r)
    for t, key in zip(tw, ("unattached", "attached")):
        out[f"twin_{key}_watched_ms"] = t["watched_ms"]
        out[f"twin_{key}_unwatched_ms"] = t["unwatched_ms"]
        out[f"twin_{key}_ns_per_call"] = ((t["watched_ms"] - t["unwatched_ms"]) * 1e6
                                          / calls[0])
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    twin() if sys.argv[1:] == ["twin"] else main()
