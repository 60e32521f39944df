# SPDX-License-Identifier: MIT
"""import mlprobe.wandb as wandb: wandb's logging calls, recorded by mlprobe
instead of sent to a server.  A script moves by that import alone.

    run = wandb.init(project=, name=, config=, group=, mode=, ...)
    wandb.log({"loss": l, "val": {"acc": a}})   metrics loss and val/acc
    wandb.log(d, step=n) / wandb.log(d, commit=False)
    wandb.config, wandb.summary, wandb.alert(title, text, level)
    wandb.define_metric(...) (accepted), wandb.finish()

Steps follow wandb's rules.  log() without step= records at the run's
current step, then moves to the next (commit=False: stays, so the next
log() adds to the same step).  log(step=n) records at n and makes n the
current step when it is higher; it does not move past n unless
commit=True.  One difference: wandb drops data logged at a step below the
current one, mlprobe records it at that step.  Each time the current step
changes, mlprobe.step() is set to it, so spans and logs carry wandb's step.

Nested dicts become a/b names.  A number is a bool, an int, a float, a
numpy scalar or a one-element tensor or array; a larger tensor or array, or
a wandb.Histogram, becomes the summary metrics NAME/count, /min, /max,
/mean and /std (wandb would draw a histogram).  Other values (images,
tables, text, None) are ignored, with one warning (mlprobe.IgnoredWarning)
per kind.  init() records a log with the project, name, group and config;
a later change of wandb.config, a log of the change.  alert() is a log at
its level.  mode="disabled" records nothing, as wandb sends nothing.
"""
import enum
import json
import numbers

from mlprobe import _core
from mlprobe._adapt import (IgnoredWarning, is_ndarray, is_tensor, record_summary,
                            warn_once)

__all__ = ["init", "log", "finish", "alert", "define_metric", "run", "config",
           "summary", "AlertLevel", "Error", "Histogram", "Image", "Table",
           "Settings", "IgnoredWarning"]


class Error(Exception):
    """wandb.Error: a call out of order (log() before init())."""


class AlertLevel(str, enum.Enum):
    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


_LEVELS = {"INFO": _core.INFO, "WARN": _core.WARN, "WARNING": _core.WARN,
           "ERROR": _core.ERROR}


def _json(v):
    return json.dumps(v, default=repr, sort_keys=True)


class Config(dict):
    """wandb.config: a dict whose keys are also attributes.  Changes after
    init() are recorded as logs."""

    def __init__(self):
        super().__init__()
        object.__setattr__(self, "_run", None)

    def __getattr__(self, k):
        try:
            return self[k]
        except KeyError:
            raise AttributeError(k) from None

    def __setattr__(self, k, v):
        self[k] = v

    def __setitem__(self, k, v):
        super().__setitem__(k, v)
        if self._run is not None:
            self._run._log_text(_core.INFO, f"wandb.config: {k} = {_json(v)}")

    def update(self, d=None, allow_val_change=None, **kw):
        d = _as_dict(d)
        d.update(kw)
        for k, v in d.items():
            self[k] = v

    def setdefaults(self, d):
        for k, v in _as_dict(d).items():
            if k not in self:
                self[k] = v


def _as_dict(d):
    """A config given as a dict, an argparse.Namespace or None."""
    if d is None:
        return {}
    if hasattr(d, "items"):
        return dict(d.items())
    if hasattr(d, "__dict__"):
        return dict(vars(d))
    raise TypeError(f"wandb config must be a dict or a namespace, not {type(d).__name__}")


class Summary(dict):
    """run.summary: the last value logged of each number, as wandb keeps it.
    A value set here by hand is also recorded, at the current step."""

    def __init__(self, run=None):
        super().__init__()
        self._run = run

    def __setitem__(self, k, v):
        if self._run is not None:
            self._run._record({k: v}, self._run.step)
        super().__setitem__(k, v)

    def update(self, d=None, **kw):
        for k, v in dict(d or {}, **kw).items():
            self[k] = v


class Histogram:
    """wandb.Histogram(sequence): recorded as NAME/count, /min, /max, /mean
    and /std.  np_histogram= (counts and edges alone) is not recorded."""

    def __init__(self, sequence=None, np_histogram=None, num_bins=64):
        self.sequence = sequence


class _Media:
    """wandb's media and plot types: accepted, ignored when logged."""

    def __init__(self, *args, **kwargs):
        pass


# wandb's media and data types: a script may build them; logging one is
# ignored (one warning per kind).
Image = type("Image", (_Media,), {})
Table = type("Table", (_Media,), {})
Audio = type("Audio", (_Media,), {})
Video = type("Video", (_Media,), {})
Html = type("Html", (_Media,), {})
Object3D = type("Object3D", (_Media,), {})
Molecule = type("Molecule", (_Media,), {})
Plotly = type("Plotly", (_Media,), {})


class Settings:
    """wandb.Settings(...): accepted; nothing in it applies here."""

    def __init__(self, *args, **kwargs):
        pass


class Run:
    """What wandb.init() returns.  project, name, group, config, summary,
    step; log(), alert(), define_metric(), finish(); a context manager
    (finish() at the end)."""

    def __init__(self, project, name, group, config, disabled):
        self.project, self.name, self.group = project, name, group
        self.disabled = disabled
        self._step = 0
        self.summary = Summary(self)
        self.config = Config()
        self.config.update(config)
        object.__setattr__(self.config, "_run", self)
        self._set_step()
        self._log_text(_core.INFO, f"wandb.init: project={project} name={name} "
                       f"group={group} config={_json(dict(self.config))}")

    @property
    def step(self):
        return self._step

    def _set_step(self):
        if not self.disabled:
            _core.step(self._step)

    def _log_text(self, level, text):
        if not self.disabled and _core.enabled():
            _core.log(level, text)

    def _record(self, data, at):
        numbers_, hists = {}, {}
        _flatten(data, "", numbers_, hists)
        if self.disabled:
            return
        _core.metrics(at, **numbers_)
        for name, values in hists.items():
            record_summary(name, at, values)
        dict.update(self.summary, numbers_)

    def log(self, data, step=None, commit=None, sync=None):
        if not isinstance(data, dict):
            raise TypeError(f"wandb.log: data must be a dict, not {type(data).__name__}")
        if step is None:
            at = self._step
            commit = True if commit is None else commit
        else:
            if isinstance(step, bool) or not isinstance(step, numbers.Integral):
                raise TypeError(f"wandb.log: step must be an int, not {type(step).__name__}")
            at = int(step)
            if at > self._step:
                self._step = at
                self._set_step()
        self._record(data, at)
        if commit and at == self._step:
            self._step += 1
            self._set_step()

    def alert(self, title, text, level=None, wait_duration=None):
        name = getattr(level, "value", level) or "INFO"
        if name not in _LEVELS:
            raise ValueError(f"wandb.alert: level must be INFO, WARN or ERROR, not {level!r}")
        self._log_text(_LEVELS[name], f"{title}: {text}")

    def define_metric(self, name, step_metric=None, step_sync=None, hidden=None,
                      summary=None, goal=None, overwrite=None, **kwargs):
        """Accepted: which metric is a chart's x axis is a choice made when
        reading the Parquet."""

    def watch(self, *args, **kwargs):
        _ignored_call("watch")

    def finish(self, exit_code=None, quiet=None):
        global run
        if run is self:
            run = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.finish()


def _flatten(data, prefix, numbers_, hists):
    """Sorts data's values into numbers_ and hists (name -> value), nested
    dicts as a/b names; warns once per kind of value it leaves out."""
    for k, v in data.items():
        if not isinstance(k, str):
            raise TypeError(f"wandb.log: keys must be str, not {type(k).__name__}")
        name = prefix + k
        if isinstance(v, dict):
            _flatten(v, name + "/", numbers_, hists)
        elif is_tensor(v) or is_ndarray(v):
            n = v.numel() if is_tensor(v) else v.size
            if n == 1:
                numbers_[name] = v.item()
            elif n > 1:
                hists[name] = v
            else:
                _ignored_value("empty " + type(v).__name__)
        elif isinstance(v, Histogram) and v.sequence is not None:
            hists[name] = v.sequence
        elif (isinstance(v, numbers.Real) or
              (hasattr(v, "__float__") and not isinstance(v, (numbers.Complex, str)))):
            numbers_[name] = v  # numpy's scalars (np.bool_ included)
        else:
            _ignored_value(type(v).__name__)


def _ignored_value(kind):
    warn_once(("wandb value", kind),
              f"mlprobe.wandb: {kind} values are not recorded (only numbers): ignored")


def _ignored_call(name):
    warn_once(("wandb", name), f"mlprobe.wandb: wandb.{name}() is not recorded: ignored")


# The current run, its config and summary (wandb.run, wandb.config, ...).
run = None
config = Config()
summary = Summary()


def init(project=None, entity=None, config=None, name=None, group=None,  # noqa: C901
         job_type=None, tags=None, notes=None, mode=None, reinit=None, resume=None,
         dir=None, id=None, settings=None, **kwargs):  # noqa: A002 - wandb's names
    """Starts the run (or returns the one running, as wandb does without
    reinit=True).  mode="disabled" records nothing."""
    global run, summary
    g = globals()
    if run is not None:
        if not reinit:
            return run
        run.finish()
    if mode not in (None, "online", "offline", "disabled", "shared"):
        raise ValueError(f"wandb.init: mode must be online, offline or disabled, "
                         f"not {mode!r}")
    r = Run(project, name, group, _as_dict(config), mode == "disabled")
    run, g["config"], summary = r, r.config, r.summary
    return r


def _current(fn):
    if run is None:
        raise Error(f"You must call wandb.init() before wandb.{fn}()")
    return run


def log(data, step=None, commit=None, sync=None):
    _current("log").log(data, step=step, commit=commit)


def alert(title, text, level=None, wait_duration=None):
    _current("alert").alert(title, text, level)


def define_metric(name, step_metric=None, step_sync=None, hidden=None, summary=None,
                  goal=None, overwrite=None, **kwargs):
    """Accepted, as Run.define_metric."""


def finish(exit_code=None, quiet=None):
    if run is not None:
        run.finish()


def _ignored_function(name):
    def f(*args, **kwargs):
        _ignored_call(name)
    f.__name__ = name
    f.__doc__ = "Accepted and ignored (one warning)."
    return f


# wandb's functions that have nothing to record here.
for _name in ("login", "watch", "unwatch", "save", "restore", "log_artifact",
              "use_artifact", "log_model", "use_model", "link_model",
              "mark_preempting", "setup", "teardown"):
    globals()[_name] = _ignored_function(_name)
del _name
