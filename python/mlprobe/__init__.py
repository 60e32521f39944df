# SPDX-License-Identifier: MIT
"""Static probes (USDT) for Python trainers; see `mlprobe record`.

    mlprobe.metric(name, step, value)      mlprobe.metrics(step, **values)
    with mlprobe.span("forward"): ...      @mlprobe.span("data")
    mlprobe.step(n)    mlprobe.log(level, msg)    mlprobe.enabled()
    logging.getLogger().addHandler(mlprobe.LogHandler())

Unattached, each call costs one C call and a semaphore test.  Attach at any
time with `mlprobe record -p PID`.  The probes live in the C extension
mlprobe._core; the submodules are pure Python over it, each imported only
when asked for:

    from mlprobe.tensorboard import SummaryWriter   (torch's SummaryWriter)
    import mlprobe.wandb as wandb                   (wandb's init/log)
    import mlprobe.logging as logging               (basicConfig adds LogHandler)
    import mlprobe.torch                            (watch(model), loader(it))
"""
from mlprobe._core import (DEBUG, ERROR, INFO, WARN, Span, __version__,  # noqa: F401
                           _names, _noop, enabled, log, metric, metrics, span,
                           step)
from mlprobe._adapt import IgnoredWarning  # noqa: F401
from mlprobe._handler import LogHandler  # noqa: F401

__all__ = ["metric", "metrics", "span", "Span", "step", "log", "enabled",
           "LogHandler", "IgnoredWarning", "DEBUG", "INFO", "WARN", "ERROR"]
