/* SPDX-License-Identifier: MIT */
/*
 * span.h - mlprobe.span(name): a context manager and a decorator that fire
 * the span_begin and span_end probes around a block or a call.
 */
#ifndef MLPROBE_PY_SPAN_H
#define MLPROBE_PY_SPAN_H

#include <Python.h>

/* Readies the types and adds mlprobe.Span to module.  0, or -1 with an
 * exception. */
int span__add_types(PyObject *module);

/* mlprobe.span(name): a new Span, or NULL with TypeError when name is not
 * a str. */
PyObject *span__new(PyObject *name);

/* Fires span_begin (end == 0) or span_end for p; stable: p stays valid and
 * unchanged for the life of the process (a literal, or names.c's table).
 * The caller checks that a tracer is attached. */
void span__fire_utf8(const char *p, int end, int stable);

#endif
