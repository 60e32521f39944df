#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""logging_style.py - a small PyTorch trainer that reports through the
standard logging module.  Adopting mlprobe changed one line, the import:
    import logging
"""
import sys

import torch
from torch import nn

import mlprobe.logging as logging

logging.basicConfig(level=logging.DEBUG,
                    format="%(levelname)s %(name)s: %(message)s")
log = logging.getLogger("trainer")
logging.addLevelName(25, "NOTICE")


def main(steps):
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    x, y = torch.randn(64, 3), torch.randn(64, 1)
    log.info("start: %d steps, model %s", steps, model)
    for step in range(steps):
        loss = nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        log.debug("step %d loss %.6f", step, loss.item())
        if step % 25 == 0:
            log.log(25, "checkpoint at step %d", step)
    if loss.item() > 0.01:
        log.warning("loss %.4f is still above 0.01", loss.item())
    try:
        torch.zeros(2) @ torch.zeros(3)
    except RuntimeError:
        log.exception("a shape error, caught")
    logging.getLogger("trainer.eval").error("eval: %s", "ünïcødé ✓ done")
    log.critical("critical, as ERROR")
    logging.info("root logger, %s", "module function")
    print(f"logging_style: {steps} steps")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
