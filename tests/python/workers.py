#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""workers.py - PyTorch's multi-process shapes, for test_torch.sh.

    workers.py loader N BATCH EPOCHS DUMP
        a DataLoader with 2 worker processes (fork) over N items, EPOCHS
        times, through mlprobe.torch.loader.  The dataset's __getitem__, in
        a worker, makes a span "item" and a metric "item" (step: the index,
        value: index / 4).  The main process sets mlprobe.step per batch and
        records "batch_sum" (the batch's sum), also written to DUMP as CSV
        (name,step,value) with the exact float.
    workers.py spawn NPROCS N
        torch.multiprocessing.spawn of NPROCS processes, each making N
        spans "rank_work" with a metric "rank_item" (step i, value: rank).
Both print "parent PID".
"""
import os
import sys

import torch
import torch.multiprocessing
from torch.utils.data import DataLoader, Dataset

import mlprobe
import mlprobe.torch


class Items(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        with mlprobe.span("item"):
            mlprobe.metric("item", i, i / 4)
            return torch.full((4,), i / 4, dtype=torch.float64)


def loader(n, batch, epochs, dump):
    dl = DataLoader(Items(n), batch_size=batch, num_workers=2, shuffle=True,
                    generator=torch.Generator().manual_seed(0))
    step = 0
    with open(dump, "w") as f:
        for _ in range(epochs):
            for x in mlprobe.torch.loader(dl):
                mlprobe.step(step)
                s = float(x.sum())
                mlprobe.metric("batch_sum", step, s)
                f.write(f"batch_sum,{step},{s!r}\n")
                step += 1
    print(f"batches {step}")


def _rank(rank, n):
    for i in range(n):
        with mlprobe.span("rank_work"):
            mlprobe.metric("rank_item", i, rank)


def spawn(nprocs, n):
    torch.multiprocessing.spawn(_rank, args=(n,), nprocs=nprocs)
    print("spawned ok")


if __name__ == "__main__":
    print(f"parent {os.getpid()}", flush=True)
    if sys.argv[1] == "loader":
        loader(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        spawn(int(sys.argv[2]), int(sys.argv[3]))
