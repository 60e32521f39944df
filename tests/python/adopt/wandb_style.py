#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""wandb_style.py - a small PyTorch classifier that logs the way wandb
users do.  Adopting mlprobe changed one line, the import:
    import wandb
"""
import sys

import numpy as np
import torch
from torch import nn

import mlprobe.wandb as wandb


def main(epochs):
    run = wandb.init(project="tiny", name="run-1", group="tests",
                     config={"lr": 0.1, "hidden": 16, "batch": 32})
    cfg = wandb.config
    torch.manual_seed(0)
    x = torch.randn(640, 4)
    y = (x[:, 0] * x[:, 1] > 0).long()
    model = nn.Sequential(nn.Linear(4, cfg.hidden), nn.ReLU(), nn.Linear(cfg.hidden, 2))
    opt = torch.optim.SGD(model.parameters(), lr=cfg["lr"])
    wandb.define_metric("val/*", step_metric="epoch")
    best = 0.0
    for epoch in range(epochs):
        for i in range(0, 512, cfg.batch):
            out = model(x[i:i + cfg.batch])
            loss = nn.functional.cross_entropy(out, y[i:i + cfg.batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
            wandb.log({"train": {"loss": loss.item(), "loss_t": loss.detach()},
                       "lr": np.float64(opt.param_groups[0]["lr"])})
        with torch.no_grad():
            acc = (model(x[512:]).argmax(1) == y[512:]).float().mean()
        best = max(best, acc.item())
        # The same step as the next train/loss (commit=False).
        wandb.log({"val": {"acc": acc, "acc_np": np.float32(acc)}, "epoch": epoch,
                   "improved": acc.item() >= best}, commit=False)
        wandb.log({"weights/0": model[0].weight.detach(), "hist": wandb.Histogram([1, 2, 2, 5]),
                   "sample": wandb.Image(np.zeros((4, 4))), "note": "text"}, commit=False)
    wandb.log({"late": 1.5}, step=3)        # wandb drops it; mlprobe keeps step 3
    wandb.log({"jump": 2}, step=run.step + 10)
    wandb.log({"after_jump": 3.25})        # the jumped-to step, then the next
    run.summary["best_acc"] = best
    wandb.config.update({"epochs_done": epochs})
    wandb.alert(title="done", text=f"best acc {best:.3f}", level=wandb.AlertLevel.WARN)
    wandb.finish()
    print(f"wandb_style: {epochs} epochs, best acc {best:.3f}, last step {run.step}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 6)
