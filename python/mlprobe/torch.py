# SPDX-License-Identifier: MIT
"""mlprobe.torch: spans from a PyTorch model and its data, no code of the
trainer's changed.

    mlprobe.torch.watch(model)           a span per module's forward, named by
                                         its path (encoder.layers.0.self_attn),
                                         and per module's backward
                                         (PATH.backward), nested as the modules
    for x, y in mlprobe.torch.loader(dl):  a span "data" per next()

watch's hooks are in the model only while a tracer is attached.  One
forward pre-hook stays on the model itself: at each call of the model it
tests the semaphore (mlprobe.enabled()), puts the other hooks in when a
tracer has come, and takes them out when it has gone.  Unattached, a
watched model costs that one hook per call of the model, and nothing per
submodule (make bench measures it).

Backward spans: torch 1.13 has no hook where a module's backward starts,
so watch marks it itself, as torch's own full backward hooks do: the
tensors a module gets and gives pass through an identity autograd Function
whose backward fires the span's end and begin.  Only modules that get a
tensor requiring grad have one (not the first layer over data, nor an
embedding of token ids: nothing marks where their backward ends), and only
for calls made with grad enabled.  The identity shares memory and version
counter with the tensor, so in-place operations after a module behave as
without watch.  backward=False leaves backward alone.
"""
import weakref

import torch

from mlprobe import _core

__all__ = ["watch", "loader", "Watch"]

_watched = weakref.WeakKeyDictionary()  # model -> its Watch


class _Mark(torch.autograd.Function):
    """Identity on tensors whose backward fires a probe: span_begin of a
    module's backward where the module's outputs get their gradient,
    span_end where its inputs get theirs (call.armed: only if the begin was
    set up too, so a call without one leaves no unmatched end)."""

    @staticmethod
    def forward(ctx, span, call, end, *tensors):
        ctx.span, ctx.call, ctx.end = span, call, end
        return tuple(t.detach() for t in tensors)

    @staticmethod
    def backward(ctx, *grads):
        if ctx.end:
            if ctx.call[0]:
                ctx.span.__exit__(None, None, None)
        else:
            ctx.span.__enter__()
        return (None, None, None) + grads


def _mark(span, call, end, args):
    """args with each distinct tensor that requires grad passed through
    _Mark (the same tensor twice stays one object: MultiheadAttention tests
    `query is key`); args itself when there is none."""
    if isinstance(args, torch.Tensor):
        if not args.requires_grad:
            return args, False
        return _Mark.apply(span, call, end, args)[0], True
    if not isinstance(args, tuple):
        return args, False
    ids = {}
    for a in args:
        if isinstance(a, torch.Tensor) and a.requires_grad:
            ids.setdefault(id(a), a)
    if not ids:
        return args, False
    out = dict(zip(ids, _Mark.apply(span, call, end, *ids.values())))
    return tuple(out.get(id(a), a) if isinstance(a, torch.Tensor) else a
                 for a in args), True


class _Module:
    """One watched module: its spans and the hooks it has while attached."""

    def __init__(self, module, name, backward):
        self.fwd = _core.span(name)
        self.bwd = _core.span(name + ".backward") if backward else None
        self.module = module
        self.calls = []  # per call under way: [armed], or None
        self.handles = []

    def pre(self, module, args):
        self.fwd.__enter__()
        if self.bwd is None or not torch.is_grad_enabled():
            self.calls.append(None)
            return None
        call = [False]
        args, marked = _mark(self.bwd, call, True, args)
        self.calls.append(call if marked else None)
        return args if marked else None

    def post(self, module, args, result):
        call = self.calls.pop() if self.calls else None
        if call is not None:
            result, marked = _mark(self.bwd, call, False, result)
            call[0] = marked
        self.fwd.__exit__(None, None, None)
        return result if call is not None else None

    def install(self):
        self.handles = [self.module.register_forward_pre_hook(self.pre),
                        self.module.register_forward_hook(self.post)]

    def remove(self):
        for h in self.handles:
            h.remove()
        self.handles = []
        self.calls.clear()


class Watch:
    """What watch() returns: remove() takes every hook out."""

    def __init__(self, model, depth, name, backward):
        self.model = model
        root = name or type(model).__name__
        self.mods = []
        for path, m in model.named_modules():
            d = path.count(".") + 1 if path else 0
            if depth is not None and d > depth:
                continue
            full = root if not path else (f"{name}.{path}" if name else path)
            self.mods.append(_Module(m, full, backward))
        self.installed = False
        self.sync = model.register_forward_pre_hook(self._sync)
        # The model's own span begins in _sync, which runs before the hooks
        # it puts in: so the root's pre() is never installed.
        self.root = self.mods[0]

    def _sync(self, module, args):
        if not _core.enabled():
            if self.installed:
                self._set(False)
            return None
        if not self.installed:
            self._set(True)
        return self.root.pre(module, args)

    def _set(self, on):
        for m in self.mods:
            if on and m is self.root:
                m.handles = [m.module.register_forward_hook(m.post)]
            elif on:
                m.install()
            else:
                m.remove()
        self.installed = on

    def remove(self):
        self._set(False)
        self.sync.remove()
        _watched.pop(self.model, None)


def watch(model, depth=None, name=None, backward=True):
    """Spans for model's modules, down to depth (0: the model alone; None:
    every module).  The model's span is named name or its class name; the
    others by their path in the model, prefixed with "name." when name is
    given.  Returns a Watch; its remove() undoes this."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"mlprobe.torch.watch: model must be a torch.nn.Module, "
                        f"not {type(model).__name__}")
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int)
                              or depth < 0):
        raise ValueError(f"mlprobe.torch.watch: depth must be None or an int >= 0, "
                         f"not {depth!r}")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"mlprobe.torch.watch: name must be a str, not {type(name).__name__}")
    if model in _watched:
        raise ValueError("mlprobe.torch.watch: this model is watched already "
                         "(remove() the first watch)")
    w = _watched[model] = Watch(model, depth, name, backward)
    return w


class _Loader:
    """An iterable whose every next() is a span; other attributes are the
    wrapped iterable's (len(), dataset, sampler, ...)."""

    def __init__(self, iterable, name):
        self.iterable = iterable
        self.span = _core.span(name)

    def __iter__(self):
        it = iter(self.iterable)
        span = self.span
        while True:
            with span:
                try:
                    x = next(it)
                except StopIteration:
                    return
            yield x

    def __len__(self):
        return len(self.iterable)

    def __getattr__(self, k):
        if k == "iterable":  # not set yet: no recursion
            raise AttributeError(k)
        return getattr(self.iterable, k)


def loader(iterable, name="data"):
    """iterable (a DataLoader, or any) with each next() in a span name; the
    last one, which finds the end, too."""
    if not isinstance(name, str):
        raise TypeError(f"mlprobe.torch.loader: name must be a str, not {type(name).__name__}")
    if not hasattr(iterable, "__iter__") and not hasattr(iterable, "__getitem__"):
        raise TypeError(f"mlprobe.torch.loader: {type(iterable).__name__} is not iterable")
    return _Loader(iterable, name)
