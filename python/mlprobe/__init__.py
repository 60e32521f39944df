# SPDX-License-Identifier: MIT
"""Static probes (USDT) for Python trainers; see `mlprobe record`.

    mlprobe.metric(name, step, value)      mlprobe.metrics(step, **values)
    with mlprobe.span("forward"): ...      @mlprobe.span("data")
    mlprobe.step(n)    mlprobe.log(level, msg)    mlprobe.enabled()

Unattached, each call costs one C call and a semaphore test.  Attach at any
time with `mlprobe record -p PID`.  The probes live in the C extension
mlprobe._core.
"""
from mlprobe._core import (DEBUG, ERROR, INFO, WARN, Span, __version__,  # noqa: F401
                           _names, _noop, enabled, log, metric, metrics, span,
                           step)

__all__ = ["metric", "metrics", "span", "Span", "step", "log", "enabled",
           "DEBUG", "INFO", "WARN", "ERROR"]
