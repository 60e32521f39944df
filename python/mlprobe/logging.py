# SPDX-License-Identifier: MIT
"""import mlprobe.logging as logging: Python's logging module, unchanged,
except that basicConfig() also adds an mlprobe.LogHandler to the root
logger, with the same format.  A script that sets up its logging with
basicConfig() moves to mlprobe by that import alone; every other name is
the standard module's own (the same loggers, levels and handlers).

A script that configures logging otherwise adds the handler itself:
logging.getLogger().addHandler(mlprobe.LogHandler()), or the class
"mlprobe.LogHandler" in a dictConfig.
"""
import logging as _logging
from logging import *  # noqa: F401,F403 - the point: the same names

from mlprobe._handler import LogHandler

__all__ = list(_logging.__all__)


def basicConfig(**kwargs):  # noqa: N802 - logging's name
    """logging.basicConfig(**kwargs), then an mlprobe.LogHandler on the root
    logger (once), formatted as its first handler."""
    _logging.basicConfig(**kwargs)
    root = _logging.getLogger()
    if any(isinstance(h, LogHandler) for h in root.handlers):
        return
    h = LogHandler()
    if root.handlers:
        h.setFormatter(root.handlers[0].formatter)
    root.addHandler(h)


def __getattr__(name):
    """The standard module's other attributes (root, handlers, config, ...)."""
    return getattr(_logging, name)
