# SPDX-License-Identifier: MIT
"""from mlprobe.tensorboard import SummaryWriter: the SummaryWriter of
torch.utils.tensorboard, recorded by mlprobe instead of written to event
files.  A script moves by that import alone.

    add_scalar(tag, value, global_step)    a metric named tag
    add_scalars(main_tag, {tag: value}, global_step)
                                           metrics main_tag/tag
    add_histogram(tag, values, global_step)
                                           summary metrics tag/count,
                                           tag/min, tag/max, tag/mean, tag/std
    add_text(tag, text, global_step)       an INFO log "tag: text"
                                           ("tag (step N): text" with a step)
    flush(), close(), with SummaryWriter() as w: ...

A step left out is 0, as TensorBoard writes it.  walltime is not kept: a
row's ts is when the probe fired.  A value is anything with __float__: a
float, an int, a numpy scalar, a one-element tensor.  Every other method
of TensorBoard's (add_image, add_graph, add_hparams, ...) is accepted and
ignored, with one warning (mlprobe.IgnoredWarning) per method.  Nothing is
buffered here, so flush() and close() have nothing to do, and a writer
used after close() records as before (TensorBoard reopens its files).
"""
import datetime
import os
import socket

from mlprobe import _core
from mlprobe._adapt import (IgnoredWarning, is_ndarray, is_tensor, record_summary,
                            warn_once)

__all__ = ["SummaryWriter", "IgnoredWarning"]

# What TensorBoard's SummaryWriter has that mlprobe does not record.
IGNORED = ("add_audio", "add_custom_scalars", "add_custom_scalars_marginchart",
           "add_custom_scalars_multilinechart", "add_embedding", "add_figure",
           "add_graph", "add_histogram_raw", "add_hparams", "add_image",
           "add_image_with_boxes", "add_images", "add_mesh", "add_onnx_graph",
           "add_pr_curve", "add_pr_curve_raw", "add_video")


def _step(global_step):
    return 0 if global_step is None else global_step


def _check_tag(method, tag):
    if not isinstance(tag, str):
        raise TypeError(f"SummaryWriter.{method}: the tag must be a str, "
                        f"not {type(tag).__name__}")


class SummaryWriter:
    """torch.utils.tensorboard.SummaryWriter's signature; nothing is written
    to log_dir (it is kept, as get_logdir() returns it)."""

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10,
                 flush_secs=120, filename_suffix=""):
        if not log_dir:
            now = datetime.datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{now}_{socket.gethostname()}{comment}")
        self.log_dir = log_dir

    def get_logdir(self):
        return self.log_dir

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None,
                   new_style=False, double_precision=False):
        _check_tag("add_scalar", tag)
        try:
            _core.metric(tag, _step(global_step), scalar_value)
        except TypeError as e:
            raise TypeError(f"SummaryWriter.add_scalar: {_why(e)}") from None

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        _check_tag("add_scalars", main_tag)
        if not hasattr(tag_scalar_dict, "items"):
            raise TypeError("SummaryWriter.add_scalars: tag_scalar_dict must be a "
                            f"dict, not {type(tag_scalar_dict).__name__}")
        values = {}
        for tag, v in tag_scalar_dict.items():
            _check_tag("add_scalars", tag)
            values[f"{main_tag}/{tag}"] = v
        try:
            _core.metrics(_step(global_step), **values)
        except TypeError as e:
            raise TypeError(f"SummaryWriter.add_scalars: {_why(e)}") from None

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow",
                      walltime=None, max_bins=None):
        _check_tag("add_histogram", tag)
        if not (is_tensor(values) or is_ndarray(values) or
                isinstance(values, (list, tuple, int, float)) or
                hasattr(values, "__float__")):
            raise TypeError("SummaryWriter.add_histogram: values must be a tensor, "
                            f"an array or numbers, not {type(values).__name__}")
        try:
            record_summary(tag, _step(global_step), values)
        except (TypeError, ValueError) as e:
            raise type(e)(f"SummaryWriter.add_histogram: {tag!r}: {_why(e)}") from None

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        _check_tag("add_text", tag)
        if not isinstance(text_string, str):
            raise TypeError("SummaryWriter.add_text: text_string must be a str, "
                            f"not {type(text_string).__name__}")
        if _core.enabled():
            at = "" if global_step is None else f" (step {global_step})"
            _core.log(_core.INFO, f"{tag}{at}: {text_string}")

    def flush(self):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _why(e):
    """The C module's message without its 'mlprobe.metric: ' prefix."""
    s = str(e)
    return s.split(": ", 1)[1] if s.startswith("mlprobe.") and ": " in s else s


def _ignored(name):
    def method(self, *args, **kwargs):
        warn_once(("tensorboard", name),
                  f"mlprobe.tensorboard: SummaryWriter.{name}() is not recorded "
                  "(mlprobe records numbers and text): ignored")
    method.__name__ = method.__qualname__ = name
    method.__doc__ = "Accepted and ignored (one warning)."
    return method


for _name in IGNORED:
    setattr(SummaryWriter, _name, _ignored(_name))
del _name
