#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""watch.py - mlprobe.torch.watch on a small real model, for test_torch.sh.

    watch.py run STEPS OUT   trains a copy of the model under watch() and
                             one without, on the same batches, and prints
                             whether their losses and gradients are the
                             same to the bit; writes OUT, one JSON line a
                             watched name: the forward calls torch's own
                             hooks counted (fwd), those that get a backward
                             span (bwd), and the span each should nest in
                             (parent, bparent).  A third copy is watched
                             with depth=1, name="shallow", backward=False.
    watch.py hooks           a watched model's forward in a loop, printing
                             "hooks N" each time the count of forward hooks
                             in the model changes; ends once they were put
                             in and taken out again (or after 60 s)

The model: token embedding -> 2-layer nn.TransformerEncoder -> a head of
Linear, ReLU(inplace=True), Linear; an eval forward (no grad, eval mode,
so torch's fast path skips the layers' children) every 5 steps.
"""
import copy
import json
import sys
import time

import torch
from torch import nn

import mlprobe
import mlprobe.torch

VOCAB, DIM, SEQ, BATCH = 50, 32, 12, 8


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        layer = nn.TransformerEncoderLayer(DIM, 4, dim_feedforward=64, dropout=0.1,
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Sequential(nn.Linear(DIM, DIM), nn.ReLU(inplace=True),
                                  nn.Linear(DIM, VOCAB))

    def forward(self, x):
        return self.head(self.encoder(self.embed(x)))


def batch(g):
    x = torch.randint(0, VOCAB, (BATCH, SEQ), generator=g)
    return x, x.flip(1)  # learn to reverse the sequence


def count_calls(model):
    """Counts each module's forward calls with torch's own hooks (put in
    before watch's, so they see the inputs as the module gets them)."""
    counts = {}

    def hook(path):
        def f(m, args, out):
            c = counts[path]
            c["fwd"] += 1
            outs = out if isinstance(out, tuple) else (out,)
            c["bwd"] += (torch.is_grad_enabled() and
                         any(isinstance(a, torch.Tensor) and a.requires_grad for a in args) and
                         any(isinstance(o, torch.Tensor) and o.requires_grad for o in outs))
        return f
    for path, m in model.named_modules():
        counts[path] = {"fwd": 0, "bwd": 0}
        m.register_forward_hook(hook(path))
    return counts


def run(steps, out):
    torch.manual_seed(0)
    model = Net()
    twin = copy.deepcopy(model)
    shallow = copy.deepcopy(model)
    counts = count_calls(model)
    mlprobe.torch.watch(model)
    mlprobe.torch.watch(shallow, depth=1, name="shallow", backward=False)
    opts = [torch.optim.SGD(m.parameters(), lr=0.1) for m in (model, twin)]
    g = torch.Generator().manual_seed(1)
    same = True
    for step in range(steps):
        mlprobe.step(step)
        x, y = batch(g)
        losses = []
        for m, opt in zip((model, twin), opts):
            torch.manual_seed(step)  # the same dropout masks
            with mlprobe.span("forward"):
                loss = nn.functional.cross_entropy(m(x).reshape(-1, VOCAB), y.reshape(-1))
            opt.zero_grad()
            with mlprobe.span("backward"):
                loss.backward()
            losses.append(loss.item())
            opt.step()
        same &= losses[0] == losses[1] and all(
            torch.equal(a, b) for a, b in zip(model.parameters(), twin.parameters()))
        if step % 5 == 0:
            model.eval()
            with torch.no_grad(), mlprobe.span("forward"):
                model(x)
            model.train()
        with mlprobe.span("forward"):
            shallow(x)
    print(f"watched and unwatched the same: {same}")
    with open(out, "w") as f:
        for path, c in counts.items():
            # The span it nests in: the nearest module above that ran.
            up = path
            while up:
                up = up.rpartition(".")[0]
                if counts[up]["fwd"]:
                    break
            bup = path
            while bup:
                bup = bup.rpartition(".")[0]
                if counts[bup]["bwd"]:
                    break
            f.write(json.dumps(dict(
                c, name=path or "Net", parent=(up or "Net") if path else "forward",
                bparent=None if not c["bwd"] else
                (bup or "Net") + ".backward" if counts[bup]["bwd"] else "backward")) + "\n")
        f.write(json.dumps({"name": "shallow", "fwd": steps, "bwd": 0,
                            "parent": "forward", "bparent": None}) + "\n")
        for child in ("embed", "encoder", "head"):
            f.write(json.dumps({"name": "shallow." + child, "fwd": steps, "bwd": 0,
                                "parent": "shallow", "bparent": None}) + "\n")


def hooks():
    model = Net()
    print(f"modules {len(list(model.modules()))}", flush=True)
    mlprobe.torch.watch(model)
    x, _ = batch(torch.Generator().manual_seed(1))
    seen, last, t0 = [], None, time.monotonic()
    while time.monotonic() - t0 < 60:
        with torch.no_grad():
            model(x)
        n = sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())
        if n != last:
            print(f"hooks {n} enabled {mlprobe.enabled()}", flush=True)
            seen.append(n)
            last = n
        if len(seen) >= 3:
            break
        time.sleep(0.01)
    print("done", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "run":
        run(int(sys.argv[2]), sys.argv[3])
    else:
        hooks()
