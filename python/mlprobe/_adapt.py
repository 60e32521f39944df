# SPDX-License-Identifier: MIT
"""What mlprobe.tensorboard and mlprobe.wandb share: the warning for what
they accept but do not record, and numbers out of tensors and arrays.

Neither imports torch or numpy: a value is recognised by its type, and
numpy is imported only for a histogram (torch depends on it).
"""
import os
import sys
import warnings

from mlprobe import _core


class IgnoredWarning(UserWarning):
    """A call or value that mlprobe accepts but does not record."""


_warned = set()
_HERE = os.path.dirname(__file__)


def warn_once(key, message):
    """Warns with message (an IgnoredWarning) the first time key is seen in
    this process, and never again for that key."""
    if key in _warned:
        return
    _warned.add(key)
    # Point at the caller's line: the first frame outside this package.
    f, level = sys._getframe(), 1
    while f is not None and os.path.dirname(f.f_code.co_filename) == _HERE:
        f, level = f.f_back, level + 1
    warnings.warn(message, IgnoredWarning, stacklevel=level)


def is_tensor(v):
    t = sys.modules.get("torch")
    return t is not None and isinstance(v, t.Tensor)


def is_ndarray(v):
    np = sys.modules.get("numpy")
    return np is not None and isinstance(v, np.ndarray)


def as_float64(values):
    """values (a tensor, an array, a sequence of numbers or a number) as a
    flat numpy float64 array: the exact value of each element."""
    import numpy as np
    if is_tensor(values):
        values = values.detach().to("cpu").double().numpy()
    return np.asarray(values, dtype=np.float64).reshape(-1)


# The summary metrics of a histogram: NAME/count, /min, /max, /mean, /std.
SUMMARY = ("count", "min", "max", "mean", "std")


def summary_of(values):
    """{stat: value} for SUMMARY over values; std is the population's
    (numpy's std, ddof=0).  ValueError when there are none."""
    a = as_float64(values)
    if a.size == 0:
        raise ValueError("a histogram of no values")
    return {"count": a.size, "min": float(a.min()), "max": float(a.max()),
            "mean": float(a.mean()), "std": float(a.std())}


def record_summary(name, step, values):
    """Records name/count, name/min, ... at step, while attached (the
    conversion and the statistics cost nothing otherwise)."""
    if _core.enabled():
        s = summary_of(values)
        _core.metrics(step, **{f"{name}/{k}": s[k] for k in SUMMARY})
