/* SPDX-License-Identifier: MIT */
/*
 * names.h - the UTF-8 text of a probe name, at an address that never holds
 * any other text.
 *
 * The BPF side interns names per process.  A pointer into a Python str is
 * only valid while the str lives; once it is freed, pymalloc hands the same
 * block to the next object, so one address can carry "loss" now and "acc"
 * later.  This table keeps the first str of each distinct name alive for the
 * life of the process (no copy: the pointer is the str's own UTF-8 buffer),
 * so the extension hands each name to the probes at one stable address.
 */
#ifndef MLPROBE_PY_NAMES_H
#define MLPROBE_PY_NAMES_H

#include <Python.h>

/* Default bound of the table.  Past it, a new name is passed at the
 * caller's own str buffer, whose text the BPF side checks on every hit, so
 * memory stays bounded and names stay correct. */
#define NAMES_MAX_DEFAULT 65536

/* Creates the table; max bounds its size.  0 or -1 with an exception. */
int names__init(Py_ssize_t max);

/* The NUL-terminated UTF-8 text of the str name.  The pointer stays valid
 * until *hold is released with Py_XDECREF; for a name in the table *hold is
 * NULL and the pointer is valid for the life of the process.  A name that
 * UTF-8 cannot encode (a lone surrogate) is passed with backslash escapes,
 * so attaching a tracer never makes a call raise.  NULL with MemoryError
 * when memory runs out. */
const char *names__utf8(PyObject *name, PyObject **hold);

/* How many names the table holds. */
Py_ssize_t names__count(void);

#endif
