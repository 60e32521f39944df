#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bad_input.py - bad input to mlprobe.tensorboard, mlprobe.wandb,
mlprobe.logging and mlprobe.torch: each one error, of the right kind, with
a message that names the call; printed as "ok -"/"not ok -" lines."""
import torch

import mlprobe.torch
from checks import raises
import mlprobe.wandb as wandb
from mlprobe.tensorboard import SummaryWriter


def check(exc, want, f, *a, **kw):
    raises("", exc, want, want, f, *a, **kw)


w = SummaryWriter()
check(TypeError, "SummaryWriter.add_scalar: the tag must be a str", w.add_scalar, 3, 1.0)
check(TypeError, "SummaryWriter.add_scalar: the value of 'loss' must be a float",
       w.add_scalar, "loss", "high", 1)
check(TypeError, "SummaryWriter.add_scalar: step must be an int", w.add_scalar, "loss", 1.0, 1.5)
check(TypeError, "SummaryWriter.add_scalars: tag_scalar_dict must be a dict",
       w.add_scalars, "lr", [1.0], 1)
check(TypeError, "SummaryWriter.add_histogram: values must be a tensor",
       w.add_histogram, "w", "abc", 1)
check(TypeError, "SummaryWriter.add_text: text_string must be a str", w.add_text, "t", 5)
check(AttributeError, "add_nothing", getattr, w, "add_nothing")

check(wandb.Error, "You must call wandb.init() before wandb.log()", wandb.log, {"a": 1})
check(ValueError, "wandb.init: mode must be", wandb.init, mode="sometimes")
run = wandb.init(project="p")
check(TypeError, "wandb.log: data must be a dict", wandb.log, [1, 2])
check(TypeError, "wandb.log: keys must be str", wandb.log, {1: 2.0})
check(TypeError, "wandb.log: step must be an int", wandb.log, {"a": 1}, step=1.5)
check(ValueError, "wandb.alert: level must be INFO, WARN or ERROR", wandb.alert, "t", "x",
       level="LOUD")
check(TypeError, "wandb config must be a dict or a namespace", run.config.update, 5)
check(AttributeError, "nothing_here", getattr, wandb, "nothing_here")
wandb.finish()

m = torch.nn.Linear(2, 2)
check(TypeError, "mlprobe.torch.watch: model must be a torch.nn.Module", mlprobe.torch.watch, 5)
check(ValueError, "mlprobe.torch.watch: depth must be None or an int >= 0",
       mlprobe.torch.watch, m, depth=-1)
check(TypeError, "mlprobe.torch.watch: name must be a str", mlprobe.torch.watch, m, name=1)
mlprobe.torch.watch(m)
check(ValueError, "mlprobe.torch.watch: this model is watched already", mlprobe.torch.watch, m)
check(TypeError, "mlprobe.torch.loader: name must be a str", mlprobe.torch.loader, [1], name=2)
check(TypeError, "mlprobe.torch.loader: int is not iterable", mlprobe.torch.loader, 5)
