/* SPDX-License-Identifier: MIT */
/*
 * gc.h - the interpreter's garbage collections as spans (python.gc.genN),
 * made by the module where the interpreter lacks CPython's own GC probes.
 */
#ifndef MLPROBE_PY_GC_H
#define MLPROBE_PY_GC_H

#include <Python.h>

/* At import: whether the interpreter has the probes (then mlprobe record
 * uses them, and the module makes no GC span).  MLPROBE_GC_CALLBACKS=1
 * makes the module's spans whatever the interpreter has (for tests). */
void gc__init(void);
/* At every mlprobe.step(): with a tracer attached, the callback is in
 * gc.callbacks; without, it is not.  Errors are cleared: a step never
 * raises for this. */
void gc__sync(int attached);

#endif
