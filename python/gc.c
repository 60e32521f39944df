/* SPDX-License-Identifier: MIT */
/*
 * gc.c - python.gc.genN spans from the module (gc.h).
 *
 * Debian's python3.11 has USDT probes python:gc__start and gc__done, and
 * `mlprobe record` turns each collection into a span from those.  A build
 * without them (pyenv's) gets the same spans from here: a callback in
 * gc.callbacks fires span_begin and span_end around each collection.  The
 * module keeps no thread, so it notices a tracer at mlprobe.step(), where
 * a trainer comes every step: the callback goes in while the probes are
 * attached and out once they are not, so an unattached trainer pays
 * nothing per collection.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gc.h"
#include "span.h"

static int interp_has_probes;	/* the interpreter's own GC probes */
static PyObject *cb;		/* the callback, while installed */
static int open_gen = -1;	/* the collection a span is open for */

static const char *const names[3] = { "python.gc.gen0", "python.gc.gen1",
				      "python.gc.gen2" };

/* True when the ELF file at path has a stapsdt note for python:gc__start:
 * a section .note.stapsdt holding "python\0gc__start\0". */
static int has_gc_note(const char *path)
{
	static const char want[] = "python\0gc__start";
	Elf64_Ehdr eh;
	Elf64_Shdr *sh = NULL;
	char *strtab = NULL, *note = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC), found = 0;

	if (fd < 0)
		return 0;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_shentsize != sizeof(*sh) || !eh.e_shnum || eh.e_shnum > 4096 ||
	    eh.e_shstrndx >= eh.e_shnum)
		goto out;
	sh = malloc(eh.e_shnum * sizeof(*sh));
	if (!sh || pread(fd, sh, eh.e_shnum * sizeof(*sh), (off_t)eh.e_shoff) !=
		   (ssize_t)(eh.e_shnum * sizeof(*sh)) ||
	    sh[eh.e_shstrndx].sh_size > (1 << 20))
		goto out;
	strtab = calloc(1, sh[eh.e_shstrndx].sh_size + 1);
	if (!strtab || pread(fd, strtab, sh[eh.e_shstrndx].sh_size,
			     (off_t)sh[eh.e_shstrndx].sh_offset) < 0)
		goto out;
	for (int i = 0; i < eh.e_shnum && !found; i++) {
		size_t n = sh[i].sh_size;

		if (sh[i].sh_name >= sh[eh.e_shstrndx].sh_size ||
		    strcmp(strtab + sh[i].sh_name, ".note.stapsdt") ||
		    n > (16 << 20) || !(note = malloc(n)))
			continue;
		if (pread(fd, note, n, (off_t)sh[i].sh_offset) == (ssize_t)n)
			found = memmem(note, n, want, sizeof(want)) != NULL;
		free(note);
		note = NULL;
	}
out:
	free(strtab);
	free(sh);
	close(fd);
	return found;
}

void gc__init(void)
{
	const char *force = getenv("MLPROBE_GC_CALLBACKS");

	if (force && !strcmp(force, "1"))
		interp_has_probes = 0;
	else
		interp_has_probes = has_gc_note("/proc/self/exe");
}

/* gc.callbacks's signature: callback(phase, info). */
static PyObject *on_gc(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
	PyObject *g;
	long gen;

	(void)self;
	if (n != 2 || !PyUnicode_Check(args[0]))
		Py_RETURN_NONE;
	if (!PyUnicode_CompareWithASCIIString(args[0], "start")) {
		g = PyDict_Check(args[1]) ?
		    PyDict_GetItemString(args[1], "generation") : NULL;
		gen = g ? PyLong_AsLong(g) : 2;
		if (gen < 0 || gen > 2) {
			PyErr_Clear();
			gen = 2;
		}
		open_gen = (int)gen;
		span__fire_utf8(names[gen], 0, 1);
	} else if (open_gen >= 0) {
		span__fire_utf8(names[open_gen], 1, 1);
		open_gen = -1;
	}
	Py_RETURN_NONE;
}

static PyMethodDef on_gc_def = {
	"_gc_span", (PyCFunction)(void (*)(void))on_gc, METH_FASTCALL,
	"python.gc.genN spans around collections (mlprobe)"
};

/* gc.callbacks, a new reference, or NULL (error cleared). */
static PyObject *callbacks(void)
{
	PyObject *gc = PyImport_ImportModule("gc"), *l = NULL;

	if (gc) {
		l = PyObject_GetAttrString(gc, "callbacks");
		Py_DECREF(gc);
	}
	if (!l || !PyList_Check(l)) {
		Py_XDECREF(l);
		PyErr_Clear();
		return NULL;
	}
	return l;
}

void gc__sync(int attached)
{
	PyObject *l;
	Py_ssize_t i;

	if (interp_has_probes || !attached == !cb || !(l = callbacks()))
		return;
	if (attached) {
		cb = PyCFunction_New(&on_gc_def, NULL);
		if (cb && PyList_Append(l, cb) < 0)
			Py_CLEAR(cb);
	} else {
		for (i = PyList_GET_SIZE(l) - 1; i >= 0; i--)
			if (PyList_GET_ITEM(l, i) == cb)
				PySequence_DelItem(l, i);
		Py_CLEAR(cb);
		open_gen = -1;
	}
	PyErr_Clear();
	Py_DECREF(l);
}
