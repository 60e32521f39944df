#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""errors.py - bad input to mlprobe.tensorboard, mlprobe.wandb,
mlprobe.logging and mlprobe.torch: each one error, of the right kind, with
a message that names the call; printed as "ok -"/"not ok -" lines."""
import torch

import mlprobe.torch
import mlprobe.wandb as wandb
from mlprobe.tensorboard import SummaryWriter


def raises(exc, want, f, *a, **kw):
    try:
        f(*a, **kw)
    except exc as e:
        good = want in str(e)
        print(f"{'ok' if good else 'not ok'} - {want}: {exc.__name__} ({e})")
        return
    except Exception as e:  # noqa: BLE001 - a wrong kind is a failure
        print(f"not ok - {want}: {type(e).__name__} ({e}), want {exc.__name__}")
        return
    print(f"not ok - {want}: no {exc.__name__}")


w = SummaryWriter()
raises(TypeError, "SummaryWriter.add_scalar: the tag must be a str", w.add_scalar, 3, 1.0)
raises(TypeError, "SummaryWriter.add_scalar: the value of 'loss' must be a float",
       w.add_scalar, "loss", "high", 1)
raises(TypeError, "SummaryWriter.add_scalar: step must be an int", w.add_scalar, "loss", 1.0, 1.5)
raises(TypeError, "SummaryWriter.add_scalars: tag_scalar_dict must be a dict",
       w.add_scalars, "lr", [1.0], 1)
raises(TypeError, "SummaryWriter.add_histogram: values must be a tensor",
       w.add_histogram, "w", "abc", 1)
raises(TypeError, "SummaryWriter.add_text: text_string must be a str", w.add_text, "t", 5)
raises(AttributeError, "add_nothing", getattr, w, "add_nothing")

raises(wandb.Error, "You must call wandb.init() before wandb.log()", wandb.log, {"a": 1})
raises(ValueError, "wandb.init: mode must be", wandb.init, mode="sometimes")
run = wandb.init(project="p")
raises(TypeError, "wandb.log: data must be a dict", wandb.log, [1, 2])
raises(TypeError, "wandb.log: keys must be str", wandb.log, {1: 2.0})
raises(TypeError, "wandb.log: step must be an int", wandb.log, {"a": 1}, step=1.5)
raises(ValueError, "wandb.alert: level must be INFO, WARN or ERROR", wandb.alert, "t", "x",
       level="LOUD")
raises(TypeError, "wandb config must be a dict or a namespace", run.config.update, 5)
raises(AttributeError, "nothing_here", getattr, wandb, "nothing_here")
wandb.finish()

m = torch.nn.Linear(2, 2)
raises(TypeError, "mlprobe.torch.watch: model must be a torch.nn.Module", mlprobe.torch.watch, 5)
raises(ValueError, "mlprobe.torch.watch: depth must be None or an int >= 0",
       mlprobe.torch.watch, m, depth=-1)
raises(TypeError, "mlprobe.torch.watch: name must be a str", mlprobe.torch.watch, m, name=1)
mlprobe.torch.watch(m)
raises(ValueError, "mlprobe.torch.watch: this model is watched already", mlprobe.torch.watch, m)
raises(TypeError, "mlprobe.torch.loader: name must be a str", mlprobe.torch.loader, [1], name=2)
raises(TypeError, "mlprobe.torch.loader: int is not iterable", mlprobe.torch.loader, 5)
