#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tb_style.py - a small PyTorch regression trainer that logs the way
TensorBoard users do.  Adopting mlprobe changed one line, the import:
    from torch.utils.tensorboard import SummaryWriter
"""
import sys

import numpy as np
import torch
from torch import nn

from mlprobe.tensorboard import SummaryWriter


def main(steps):
    torch.manual_seed(0)
    x = torch.randn(512, 8)
    y = x @ torch.randn(8, 1) + 0.1 * torch.randn(512, 1)
    model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    with SummaryWriter(comment="-tb") as writer:
        for step in range(steps):
            idx = torch.randint(0, 512, (32,))
            loss = nn.functional.mse_loss(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            writer.add_scalar("train/loss", loss.item(), step)
            writer.add_scalar("train/loss_tensor", loss.detach(), global_step=step)
            writer.add_scalars("lr", {"group0": opt.param_groups[0]["lr"],
                                      "scaled": np.float32(step * 1e-3)}, step)
            if step % 10 == 0:
                with torch.no_grad():
                    err = (model(x) - y).abs()
                writer.add_scalar("eval/mae", np.float32(err.mean()), np.int64(step))
                for name, p in model.named_parameters():
                    writer.add_histogram(f"weights/{name}", p, step)
                writer.add_histogram("eval/err", err.numpy(), step)
                writer.add_text("status", f"step {step}: loss {loss.item():.4f}", step)
                writer.add_image("inputs", torch.rand(3, 8, 8), step)
        writer.add_scalar("final/loss", loss.item())
        writer.add_hparams({"lr": 0.05}, {"hparam/loss": loss.item()})
        writer.flush()
    print(f"tb_style: {steps} steps, loss {loss.item():.4f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
