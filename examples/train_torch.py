#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""train_torch.py - a small but real PyTorch trainer, instrumented with mlprobe.

A 2-layer transformer encoder (d_model 64, 4 heads) learns to reverse
sequences of 16 tokens, with AdamW, a cosine learning rate, gradient
clipping and a DataLoader with 2 worker processes.  The token accuracy
climbs from chance (1/32) to 1.0 in about 100 steps.

    PYTHONPATH=build/python python3 examples/train_torch.py [--steps N]
        [--workers N] [--watch] [--sleep S] [--seconds S] [--dump FILE]
        [--timing FILE] [--quiet]
    mlprobe record -o runs/torch --children -- python3 examples/train_torch.py --watch
    mlprobe record -o runs/live -p PID --children      (start it with --sleep 0.05)

What it shows of the package:
    mlprobe.step(n)                 once per step
    mlprobe.torch.loader(dl)        a span "data" per batch fetched
    mlprobe.torch.watch(model)      --watch: a span per module call, forward
                                    and backward, named by path
    mlprobe.span(...)               "forward", "backward", "optimizer"; in the
                                    workers, "collate" around each batch
    mlprobe.metrics(...)            loss, accuracy (tensors), lr, grad_norm
    mlprobe.LogHandler()            the logging module's records (start, an
                                    evaluation every 100 steps, finish)
--dump FILE writes every metric it emits as CSV (name,step,value, the exact
float); --timing FILE writes each step's seconds as JSON, and whether a
tracer was attached at its end (for make bench).
"""
import argparse
import csv
import json
import logging
import sys
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, default_collate

import mlprobe
import mlprobe.torch

VOCAB, SEQ, DIM, HEADS, LAYERS = 32, 16, 64, 4, 2
log = logging.getLogger("train_torch")


class Reverse(Dataset):
    """Sequence i: SEQ random tokens from seed i; the target is it reversed."""

    def __len__(self):
        return 1 << 20

    def __getitem__(self, i):
        x = torch.randint(0, VOCAB, (SEQ,), generator=torch.Generator().manual_seed(i))
        return x, x.flip(0)


@mlprobe.span("collate")  # runs in the worker processes
def collate(batch):
    return default_collate(batch)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.pos = nn.Parameter(torch.randn(SEQ, DIM))
        layer = nn.TransformerEncoderLayer(DIM, HEADS, dim_feedforward=2 * DIM,
                                           dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
        self.head = nn.Linear(DIM, VOCAB)

    def forward(self, x):
        return self.head(self.encoder(self.embed(x) + self.pos))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--watch", action="store_true", help="spans per module (mlprobe.torch.watch)")
    ap.add_argument("--sleep", type=float, default=0.0,
                    help="seconds to sleep each step (to attach with -p)")
    ap.add_argument("--dump", help="write every emitted metric to this CSV")
    ap.add_argument("--seconds", type=float, default=0.0,
                    help="stop after this many seconds, if before --steps")
    ap.add_argument("--timing", help="write each step's seconds to this JSON file")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()

    logging.basicConfig(level=logging.INFO, format="%(message)s",
                        handlers=[mlprobe.LogHandler()] +
                        ([] if args.quiet else [logging.StreamHandler()]))
    torch.manual_seed(0)
    model = Model()
    if args.watch:
        mlprobe.torch.watch(model)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, args.lr, total_steps=args.steps,
                                                pct_start=0.1)
    data = DataLoader(Reverse(), batch_size=args.batch, num_workers=args.workers,
                      collate_fn=collate, sampler=range(args.steps * args.batch),
                      persistent_workers=args.workers > 0)
    dump = open(args.dump, "w", newline="") if args.dump else None
    rows = csv.writer(dump) if dump else None

    log.info("start: %d steps, batch %d, %d workers, watch %s", args.steps, args.batch,
             args.workers, args.watch)
    times, attached = [], []
    t = t0 = time.perf_counter()
    for step, (x, y) in enumerate(mlprobe.torch.loader(data)):
        mlprobe.step(step)
        with mlprobe.span("forward"):
            logits = model(x)
            loss = nn.functional.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        with mlprobe.span("backward"):
            loss.backward()
        with mlprobe.span("optimizer"):
            grad_norm = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
        acc = (logits.argmax(-1) == y).float().mean()
        values = {"loss": loss.detach(), "accuracy": acc, "grad_norm": grad_norm,
                  "lr": sched.get_last_lr()[0]}
        mlprobe.metrics(step, **values)
        if rows:
            rows.writerows((k, step, repr(float(v))) for k, v in values.items())
        if step % 100 == 0 or step == args.steps - 1:
            log.info("step %d: loss %.4f, accuracy %.3f", step, loss.item(), acc.item())
        if args.sleep:
            time.sleep(args.sleep)
        now = time.perf_counter()
        times.append(now - t)
        attached.append(mlprobe.enabled())
        t = now
        if args.seconds and now - t0 >= args.seconds:
            break
    log.info("finished: accuracy %.3f", acc.item())
    if dump:
        dump.close()
    if args.timing:
        with open(args.timing, "w") as f:
            json.dump({"steps": times, "attached": attached, "watch": args.watch}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
