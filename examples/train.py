#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""train.py - a small but real numpy trainer, instrumented with mlprobe.

A multi-layer perceptron (2 inputs -> 32 tanh -> 1 sigmoid) learns to tell
apart two interleaved half moons, generated from a fixed seed, with
minibatch SGD with momentum.  The loss falls from about 0.69 to about 0.05.

    PYTHONPATH=build/python python3 examples/train.py [--steps N] [--batch N]
        [--lr F] [--sleep S] [--dump FILE] [--quiet]
    mlprobe record -o runs/py -- python3 examples/train.py
    mlprobe record -o runs/live -p PID        (start it with --sleep 0.001)

What it shows of the module:
    mlprobe.step(n)             once per step, before anything else of it
    mlprobe.span(...)           "step" around "data" (a decorator), "forward",
                                "backward" and "update" (with blocks)
    mlprobe.metrics(...)        "loss" (a numpy float64) and "accuracy" (a 0-d
                                array: anything with __float__ works)
    mlprobe.metric(...)         "lr"; "grad_norm" only while mlprobe.enabled(),
                                since it costs a pass over the gradients
    mlprobe.log(...)            start, an evaluation every 200 steps, finish
--dump FILE writes every metric it emits as CSV (name,step,value with the
exact float), so a test can compare it with what was recorded.
"""
import argparse
import sys
import time

import numpy as np

import mlprobe

HIDDEN = 32
NDATA = 2048


def moons(rng, n):
    """Two interleaved half circles with noise; labels 0 and 1."""
    t = rng.uniform(0.0, np.pi, n)
    y = rng.integers(0, 2, n)
    x = np.where(y[:, None] == 0,
                 np.stack([np.cos(t), np.sin(t)], 1),
                 np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], 1))
    return x + rng.normal(0.0, 0.1, x.shape), y.astype(np.float64)


class Model:
    def __init__(self, rng):
        self.w1 = rng.normal(0.0, 1.0, (2, HIDDEN))
        self.b1 = np.zeros(HIDDEN)
        self.w2 = rng.normal(0.0, 1.0 / np.sqrt(HIDDEN), HIDDEN)
        self.b2 = 0.0
        self.vel = [np.zeros_like(p) for p in self.params()]

    def params(self):
        return [self.w1, self.b1, self.w2, np.asarray(self.b2)]

    def forward(self, x):
        self.x = x
        self.h = np.tanh(x @ self.w1 + self.b1)
        self.p = 1.0 / (1.0 + np.exp(-(self.h @ self.w2 + self.b2)))
        return self.p

    def backward(self, y):
        """Gradients of the mean binary cross-entropy."""
        d = (self.p - y) / len(y)
        dh = np.outer(d, self.w2) * (1.0 - self.h ** 2)
        return [self.x.T @ dh, dh.sum(0), self.h.T @ d, d.sum()]

    def update(self, grads, lr, momentum=0.9):
        for i, g in enumerate(grads):
            self.vel[i] = momentum * self.vel[i] - lr * g
        self.w1 += self.vel[0]
        self.b1 += self.vel[1]
        self.w2 += self.vel[2]
        self.b2 += float(self.vel[3])


def bce(p, y):
    p = np.clip(p, 1e-12, 1.0 - 1e-12)
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--sleep", type=float, default=0.0,
                    help="seconds to sleep each step (to attach with -p)")
    ap.add_argument("--dump", help="write every emitted metric to this CSV")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()

    rng = np.random.default_rng(0)
    xs, ys = moons(rng, NDATA)
    model = Model(rng)
    dump = open(args.dump, "w") if args.dump else None

    def emit(step, **values):
        mlprobe.metrics(step, **values)
        if dump:
            for k, v in values.items():
                dump.write(f"{k},{step},{float(v)!r}\n")

    @mlprobe.span("data")
    def batch(step):
        idx = rng.integers(0, NDATA, args.batch)
        return xs[idx], ys[idx]

    mlprobe.log(mlprobe.INFO, f"start: {args.steps} steps, batch {args.batch}, "
                f"lr {args.lr}")
    for step in range(args.steps):
        mlprobe.step(step)
        with mlprobe.span("step"):
            x, y = batch(step)
            with mlprobe.span("forward"):
                p = model.forward(x)
                loss = bce(p, y)
            with mlprobe.span("backward"):
                grads = model.backward(y)
            with mlprobe.span("update"):
                model.update(grads, args.lr)
        emit(step, loss=loss, accuracy=np.array(np.mean((p > 0.5) == y)))
        emit(step, lr=args.lr)
        if mlprobe.enabled():
            emit(step, grad_norm=np.sqrt(sum(float(np.sum(g * g)) for g in grads)))
        if step % 200 == 0 or step == args.steps - 1:
            acc = np.mean((model.forward(xs) > 0.5) == ys)
            mlprobe.log(mlprobe.INFO, f"eval at step {step}: accuracy {acc:.3f}")
            if not args.quiet:
                print(f"step {step} loss {loss:.4f} accuracy {acc:.3f}", flush=True)
        if args.sleep:
            time.sleep(args.sleep)
    mlprobe.log(mlprobe.INFO, "finished")
    if dump:
        dump.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
