/* SPDX-License-Identifier: MIT */
/*
 * span.c - see span.h.
 *
 * A Span holds nothing but its name, so one Span can be entered by many
 * threads at once and survives fork(): the BPF side keeps the stack of
 * open spans per thread.  Each probe is guarded by the semaphore, so a span
 * begun before a tracer attached ends as an "unmatched" count there, never
 * as a wrong span.
 */
#include <Python.h>
#include <structmember.h>
/* record --batch reads a name when the batch goes: a name of names.c's
 * table (or a literal) lives that long; one held only for the call does not,
 * and sends its batch at once (include/mlprobe.h). */
#define MLPROBE_NAME_STABLE(name) mp_stable
#include "mlprobe.h"
#include "names.h"
#include "span.h"

typedef struct {
	PyObject_HEAD
	PyObject *name;		/* str */
} SpanObject;

/* The function a Span decorates.  It has a __dict__, which
 * functools.update_wrapper fills (__name__, __doc__, __wrapped__, ...). */
typedef struct {
	PyObject_HEAD
	PyObject *name;		/* str */
	PyObject *fn;
	PyObject *dict;
	vectorcallfunc vectorcall;
} SpanFuncObject;

static PyTypeObject SpanType, SpanFuncType;
static PyObject *update_wrapper;	/* functools.update_wrapper */

/* The module's two span sites: every span of the module goes through
 * them (the count of sites is MODULE_SITES in mlprobe.c). */
void span__fire_utf8(const char *p, int end, int mp_stable)
{
	if (end)
		MLPROBE_SPAN_END(p);
	else
		MLPROBE_SPAN_BEGIN(p);
}

/* Fires span_begin (end == 0) or span_end for name while a tracer is
 * attached.  0, or -1 with MemoryError. */
static int fire(PyObject *name, int end)
{
	PyObject *hold;
	const char *p;

	if (!MLPROBE_ENABLED())
		return 0;
	p = names__utf8(name, &hold);
	if (!p)
		return -1;
	span__fire_utf8(p, end, hold == NULL);
	Py_XDECREF(hold);
	return 0;
}

/* span_end while an exception is pending (the body raised): the exception
 * is kept, whatever the probe does. */
static void fire_end_keep_error(PyObject *name)
{
	PyObject *type, *value, *tb;

	PyErr_Fetch(&type, &value, &tb);
	if (fire(name, 1) < 0)
		PyErr_Clear();
	PyErr_Restore(type, value, tb);
}

PyObject *span__new(PyObject *name)
{
	SpanObject *s;

	if (!PyUnicode_Check(name))
		return PyErr_Format(PyExc_TypeError,
				    "mlprobe.span: name must be a str, not %.100s",
				    Py_TYPE(name)->tp_name);
	s = PyObject_New(SpanObject, &SpanType);
	if (!s)
		return NULL;
	Py_INCREF(name);
	s->name = name;
	return (PyObject *)s;
}

static void span_dealloc(PyObject *self)
{
	Py_DECREF(((SpanObject *)self)->name);
	PyObject_Free(self);
}

static PyObject *span_repr(PyObject *self)
{
	return PyUnicode_FromFormat("mlprobe.span(%R)", ((SpanObject *)self)->name);
}

static PyObject *span_enter(PyObject *self, PyObject *unused)
{
	(void)unused;
	if (fire(((SpanObject *)self)->name, 0) < 0)
		return NULL;
	Py_INCREF(self);
	return self;
}

/* __exit__(type, value, traceback): ends the span whether or not the body
 * raised, and lets the exception go on (returns False). */
static PyObject *span_exit(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
	(void)args;
	(void)n;
	if (fire(((SpanObject *)self)->name, 1) < 0)
		return NULL;
	Py_RETURN_FALSE;
}

static PyObject *spanfunc_vectorcall(PyObject *self, PyObject *const *args,
				     size_t nargsf, PyObject *kwnames)
{
	SpanFuncObject *f = (SpanFuncObject *)self;
	PyObject *res;

	if (fire(f->name, 0) < 0)
		return NULL;
	res = PyObject_Vectorcall(f->fn, args, nargsf, kwnames);
	if (!res)
		fire_end_keep_error(f->name);
	else if (fire(f->name, 1) < 0)
		Py_CLEAR(res);
	return res;
}

/* @mlprobe.span("name") on a function: a callable that runs it inside the
 * span. */
static PyObject *span_call(PyObject *self, PyObject *args, PyObject *kw)
{
	SpanFuncObject *f;
	PyObject *fn, *r;

	if (kw && PyDict_GET_SIZE(kw)) {
		PyErr_SetString(PyExc_TypeError,
				"mlprobe.span(...) as a decorator takes no keyword arguments");
		return NULL;
	}
	if (!PyArg_UnpackTuple(args, "span", 1, 1, &fn))
		return NULL;
	if (!PyCallable_Check(fn))
		return PyErr_Format(PyExc_TypeError,
				    "mlprobe.span(...) decorates a callable, not %.100s",
				    Py_TYPE(fn)->tp_name);
	f = PyObject_GC_New(SpanFuncObject, &SpanFuncType);
	if (!f)
		return NULL;
	Py_INCREF(((SpanObject *)self)->name);
	f->name = ((SpanObject *)self)->name;
	Py_INCREF(fn);
	f->fn = fn;
	f->dict = NULL;
	f->vectorcall = spanfunc_vectorcall;
	PyObject_GC_Track(f);
	r = PyObject_CallFunctionObjArgs(update_wrapper, (PyObject *)f, fn, NULL);
	if (!r) {
		Py_DECREF(f);
		return NULL;
	}
	Py_DECREF(r);
	return (PyObject *)f;
}

static int spanfunc_traverse(PyObject *self, visitproc visit, void *arg)
{
	SpanFuncObject *f = (SpanFuncObject *)self;

	Py_VISIT(f->fn);
	Py_VISIT(f->dict);
	return 0;
}

static int spanfunc_clear(PyObject *self)
{
	SpanFuncObject *f = (SpanFuncObject *)self;

	Py_CLEAR(f->fn);
	Py_CLEAR(f->dict);
	return 0;
}

static void spanfunc_dealloc(PyObject *self)
{
	PyObject_GC_UnTrack(self);
	spanfunc_clear(self);
	Py_CLEAR(((SpanFuncObject *)self)->name);
	PyObject_GC_Del(self);
}

/* A decorated function in a class body binds like a function. */
static PyObject *spanfunc_get(PyObject *self, PyObject *obj, PyObject *type)
{
	(void)type;
	if (!obj || obj == Py_None) {
		Py_INCREF(self);
		return self;
	}
	return PyMethod_New(self, obj);
}

static PyObject *spanfunc_repr(PyObject *self)
{
	SpanFuncObject *f = (SpanFuncObject *)self;

	return PyUnicode_FromFormat("<mlprobe.span(%R) of %R>", f->name, f->fn);
}

static PyMethodDef span_methods[] = {
	{ "__enter__", span_enter, METH_NOARGS, "Fire span_begin; returns the span." },
	{ "__exit__", (PyCFunction)(void (*)(void))span_exit, METH_FASTCALL,
	  "Fire span_end, also when the body raised; the exception goes on." },
	{ NULL, NULL, 0, NULL },
};

static PyMemberDef span_members[] = {
	{ "name", T_OBJECT_EX, offsetof(SpanObject, name), READONLY, "the span's name" },
	{ NULL, 0, 0, 0, NULL },
};

static PyTypeObject SpanType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "mlprobe.Span",
	.tp_basicsize = sizeof(SpanObject),
	.tp_dealloc = span_dealloc,
	.tp_repr = span_repr,
	.tp_call = span_call,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "A timing span: `with mlprobe.span(name):` or `@mlprobe.span(name)`.",
	.tp_methods = span_methods,
	.tp_members = span_members,
};

static PyGetSetDef spanfunc_getset[] = {
	{ "__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static PyTypeObject SpanFuncType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "mlprobe.SpanFunction",
	.tp_basicsize = sizeof(SpanFuncObject),
	.tp_dealloc = spanfunc_dealloc,
	.tp_vectorcall_offset = offsetof(SpanFuncObject, vectorcall),
	.tp_repr = spanfunc_repr,
	.tp_call = PyVectorcall_Call,
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC |
		    Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_METHOD_DESCRIPTOR,
	.tp_doc = "A function that runs inside an mlprobe span.",
	.tp_traverse = spanfunc_traverse,
	.tp_clear = spanfunc_clear,
	.tp_descr_get = spanfunc_get,
	.tp_getset = spanfunc_getset,
	.tp_dictoffset = offsetof(SpanFuncObject, dict),
};

int span__add_types(PyObject *module)
{
	PyObject *functools;

	if (PyType_Ready(&SpanType) < 0 || PyType_Ready(&SpanFuncType) < 0)
		return -1;
	functools = PyImport_ImportModule("functools");
	if (!functools)
		return -1;
	update_wrapper = PyObject_GetAttrString(functools, "update_wrapper");
	Py_DECREF(functools);
	if (!update_wrapper)
		return -1;
	Py_INCREF(&SpanType);
	if (PyModule_AddObject(module, "Span", (PyObject *)&SpanType) < 0) {
		Py_DECREF(&SpanType);
		return -1;
	}
	return 0;
}
