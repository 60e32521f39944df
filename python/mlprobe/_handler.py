# SPDX-License-Identifier: MIT
"""mlprobe.LogHandler: the records of Python's logging as mlprobe logs."""
import logging

from mlprobe import _core


def level_of(levelno):
    """mlprobe's level (DEBUG, INFO, WARN, ERROR) for a logging level
    number: each band up to the next named level (CRITICAL is ERROR)."""
    if levelno >= logging.ERROR:
        return _core.ERROR
    if levelno >= logging.WARNING:
        return _core.WARN
    if levelno >= logging.INFO:
        return _core.INFO
    return _core.DEBUG


class LogHandler(logging.Handler):
    """A logging.Handler whose records become mlprobe logs at their level
    (DEBUG, INFO, WARNING, ERROR; CRITICAL as ERROR), with the message as
    the handler's formatter makes it (the record's message alone unless a
    formatter is set; logging.basicConfig(format=...) sets one).

        logging.getLogger().addHandler(mlprobe.LogHandler())

    While no tracer is attached, a record costs one semaphore test here:
    it is not formatted.  The logger's and the handler's levels filter as
    for any handler."""

    def emit(self, record):
        if not _core.enabled():
            return
        try:
            _core.log(level_of(record.levelno), self.format(record))
        except RecursionError:
            raise
        except Exception:  # noqa: BLE001 - logging's rule: never raise
            self.handleError(record)
