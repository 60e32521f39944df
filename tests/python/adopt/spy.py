#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""spy.py - runs a script that logs through mlprobe.tensorboard,
mlprobe.wandb or mlprobe.logging, and writes down what its calls must
record: the test's expected rows, one JSON object a line in OUT.

    spy.py OUT SCRIPT [ARGS...]

Each call the script makes is seen here first (the method is wrapped, and
then runs as it is), and the rows it must give are worked out from the
call's arguments by this file's own reading of the rules (TensorBoard's
step 0 when none is given; wandb's steps; logging's levels), not by
mlprobe's code:
    {"t": "metrics", "name": N, "step": S, "value": V}
    {"t": "logs", "level": "info", "message": M}
Histograms and larger tensors give N/count, /min, /max, /mean, /std, from
numpy over the values in float64.
"""
import json
import numbers
import runpy
import sys

import numpy as np
import torch

import mlprobe
import mlprobe.tensorboard as tb
import mlprobe.wandb as wandb

rows = []


def metric(name, step, value):
    rows.append({"t": "metrics", "name": name, "step": int(step), "value": float(value)})


def logrow(level, message):
    rows.append({"t": "logs", "level": level, "message": message})


def summary(name, step, values):
    if isinstance(values, torch.Tensor):
        values = values.detach().double().numpy()
    a = np.asarray(values, dtype=np.float64).ravel()
    for k, v in (("count", a.size), ("min", a.min()), ("max", a.max()),
                 ("mean", a.mean()), ("std", a.std())):
        metric(f"{name}/{k}", step, v)


def wrap(cls, name, before):
    real = getattr(cls, name)

    def f(self, *a, **kw):
        before(self, *a, **kw)
        return real(self, *a, **kw)
    setattr(cls, name, f)


# --- TensorBoard: a missing step is 0 ---
def tb_step(s):
    return 0 if s is None else s


wrap(tb.SummaryWriter, "add_scalar",
     lambda self, tag, v, global_step=None, *a, **kw: metric(tag, tb_step(global_step), v))
wrap(tb.SummaryWriter, "add_scalars",
     lambda self, main, d, global_step=None, *a, **kw:
     [metric(f"{main}/{k}", tb_step(global_step), v) for k, v in d.items()])
wrap(tb.SummaryWriter, "add_histogram",
     lambda self, tag, v, global_step=None, *a, **kw: summary(tag, tb_step(global_step), v))
wrap(tb.SummaryWriter, "add_text",
     lambda self, tag, text, global_step=None, *a, **kw: logrow(
         "info", f"{tag}: {text}" if global_step is None else f"{tag} (step {global_step}): {text}"))

# --- wandb: no step, the current one, then the next unless commit=False;
# step=n, n (the current one if higher), moving on only with commit=True ---
cur = [0]


def flat(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from flat(v, prefix + k + "/")
        else:
            yield prefix + k, v


def wandb_log(self, data, step=None, commit=None, sync=None):
    at = cur[0] if step is None else step
    cur[0] = max(cur[0], at)
    for name, v in flat(data):
        if isinstance(v, (torch.Tensor, np.ndarray)):
            n = v.numel() if isinstance(v, torch.Tensor) else v.size
            if n == 1:
                metric(name, at, v.item())
            elif n > 1:
                summary(name, at, v)
        elif isinstance(v, wandb.Histogram):
            summary(name, at, v.sequence)
        elif isinstance(v, (numbers.Real, np.generic)) and not isinstance(v, np.str_):
            metric(name, at, v)
    if (commit if commit is not None else step is None) and at == cur[0]:
        cur[0] += 1


wrap(wandb.Run, "log", wandb_log)
wrap(wandb.Summary, "__setitem__", lambda self, k, v: metric(k, cur[0], v))

# --- logging: levels by band, the handler's own formatting ---
LEVELS = ((40, "error"), (30, "warn"), (20, "info"), (0, "debug"))
wrap(mlprobe.LogHandler, "emit", lambda self, r: logrow(
    next(n for lv, n in LEVELS if r.levelno >= lv), self.format(r)))

out, sys.argv = sys.argv[1], sys.argv[2:]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
finally:
    with open(out, "w") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
