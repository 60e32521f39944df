/* SPDX-License-Identifier: MIT */
/*
 * mlprobe.c - the CPython extension module `mlprobe._core`: the static
 * probes of include/mlprobe.h, callable from Python.  The package
 * (python/mlprobe/__init__.py) re-exports every name of it:
 *
 *   mlprobe.metric(name, step, value)      mlprobe.metrics(step, **values)
 *   with mlprobe.span("forward"): ...      @mlprobe.span("data")
 *   mlprobe.step(n)    mlprobe.log(level, msg)    mlprobe.enabled()
 *
 * The probe sites live in this module's .so, with its own semaphore, so
 * `mlprobe list -p PID` and `mlprobe record -p PID` find them in a running
 * interpreter.  Provider and argument ABI are those of the C header.  The
 * package's pure Python parts (tensorboard, wandb, logging, torch) call
 * only these functions: every event of theirs goes through these sites.
 *
 * Cost: arguments are checked on every call, attached or not, so a bad
 * value raises TypeError at once rather than only under a tracer.  All the
 * rest (finding a name's stable UTF-8, the probe itself) happens only
 * while the semaphore says a tracer is attached.
 *
 * No state but the name table (names.c) and two type objects: no lock, no
 * thread, no file descriptor, so threads and fork() (DataLoader workers)
 * need nothing special.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
/* See span.c: names of names.c's table may be batched. */
#define MLPROBE_NAME_STABLE(name) mp_stable
#include "mlprobe.h"
#include "gc.h"
#include "names.h"
#include "span.h"

#define VERSION "0.1.0"
/* Probe sites in this module: one per MLPROBE_* macro expansion
 * (metric, step, log here; span_begin, span_end in span.c).  The Python
 * e2e test checks it against `mlprobe list`. */
#define MODULE_SITES 5
/* metrics(step, **values) converts this many values on the stack; more go
 * through one heap block. */
#define METRICS_STACK 32

static int want_args(const char *fn, Py_ssize_t got, Py_ssize_t want)
{
	if (got == want)
		return 0;
	PyErr_Format(PyExc_TypeError, "mlprobe.%s() takes %zd positional arguments (%zd given)",
		     fn, want, got);
	return -1;
}

static int check_str(const char *fn, const char *what, PyObject *o)
{
	if (PyUnicode_Check(o))
		return 0;
	PyErr_Format(PyExc_TypeError, "mlprobe.%s: %s must be a str, not %.100s",
		     fn, what, Py_TYPE(o)->tp_name);
	return -1;
}

/* An int, or an object with __index__ (numpy integers). */
static int get_int(const char *fn, const char *what, PyObject *o, long long *out)
{
	/* The common case, a small int, without a call: one digit or none. */
#if PY_VERSION_HEX >= 0x030C0000
	if (PyLong_CheckExact(o) && PyUnstable_Long_IsCompact((PyLongObject *)o)) {
		*out = PyUnstable_Long_CompactValue((PyLongObject *)o);
		return 0;
	}
#else
	if (PyLong_CheckExact(o) && Py_SIZE(o) >= -1 && Py_SIZE(o) <= 1) {
		*out = (long long)Py_SIZE(o) * ((PyLongObject *)o)->ob_digit[0];
		return 0;
	}
#endif
	if (!PyLong_Check(o) && !(Py_TYPE(o)->tp_as_number &&
				  Py_TYPE(o)->tp_as_number->nb_index)) {
		PyErr_Format(PyExc_TypeError, "mlprobe.%s: %s must be an int, not %.100s",
			     fn, what, Py_TYPE(o)->tp_name);
		return -1;
	}
	*out = PyLong_AsLongLong(o);
	return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

/* A float, an int, or anything with __float__ or __index__ (a 0-d numpy
 * array, a numpy scalar, a tensor's .item()). */
static int get_value(const char *fn, PyObject *name, PyObject *o, double *out)
{
	if (PyFloat_CheckExact(o)) {
		*out = PyFloat_AS_DOUBLE(o);
		return 0;
	}
	*out = PyFloat_AsDouble(o);
	if (*out != -1.0 || !PyErr_Occurred())
		return 0;
	if (PyErr_ExceptionMatches(PyExc_TypeError)) {
		PyErr_Clear();
		PyErr_Format(PyExc_TypeError,
			     "mlprobe.%s: the value of %R must be a float, an int or have "
			     "__float__, not %.100s", fn, name, Py_TYPE(o)->tp_name);
	}
	return -1;
}

/* Fires the metric probe for one value (a tracer is attached). */
static int fire_metric(PyObject *name, long long step, double v)
{
	PyObject *hold;
	const char *p = names__utf8(name, &hold);
	int mp_stable = hold == NULL;

	if (!p)
		return -1;
	MLPROBE_METRIC(p, step, v);
	Py_XDECREF(hold);
	return 0;
}

PyDoc_STRVAR(metric_doc,
"metric(name, step, value, /)\n--\n\n"
"Record one metric value.  name is a str, step an int, value a float, an\n"
"int or any object with __float__.  Bad types raise TypeError whether or\n"
"not a tracer is attached.");

static PyObject *py_metric(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
	long long step;
	double v;

	(void)self;
	if (want_args("metric", n, 3) || check_str("metric", "name", args[0]) ||
	    get_int("metric", "step", args[1], &step) ||
	    get_value("metric", args[0], args[2], &v))
		return NULL;
	if (MLPROBE_ENABLED() && fire_metric(args[0], step, v) < 0)
		return NULL;
	Py_RETURN_NONE;
}

PyDoc_STRVAR(metrics_doc,
"metrics(step, /, **values)\n--\n\n"
"Record several metrics of one step: metrics(step, loss=l, acc=a).  Every\n"
"value is checked before any is recorded.");

static PyObject *py_metrics(PyObject *self, PyObject *const *args, size_t nargsf,
			    PyObject *kwnames)
{
	Py_ssize_t n = PyVectorcall_NARGS(nargsf), nk, i;
	double stackv[METRICS_STACK], *v = stackv;
	PyObject *ret = NULL;
	long long step;

	(void)self;
	if (want_args("metrics", n, 1) || get_int("metrics", "step", args[0], &step))
		return NULL;
	nk = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
	if (nk > METRICS_STACK && !(v = PyMem_New(double, nk)))
		return PyErr_NoMemory();
	for (i = 0; i < nk; i++)
		if (get_value("metrics", PyTuple_GET_ITEM(kwnames, i), args[n + i], &v[i]))
			goto out;
	if (MLPROBE_ENABLED())
		for (i = 0; i < nk; i++)
			if (fire_metric(PyTuple_GET_ITEM(kwnames, i), step, v[i]) < 0)
				goto out;
	ret = Py_None;
	Py_INCREF(ret);
out:
	if (v != stackv)
		PyMem_Free(v);
	return ret;
}

PyDoc_STRVAR(step_doc,
"step(n, /)\n--\n\n"
"Set the current step of this process: later spans and logs carry it.");

static PyObject *py_step(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
	long long step;

	(void)self;
	if (want_args("step", n, 1) || get_int("step", "n", args[0], &step))
		return NULL;
	MLPROBE_STEP(step);
	gc__sync(MLPROBE_ENABLED());
	Py_RETURN_NONE;
}

PyDoc_STRVAR(log_doc,
"log(level, msg, /)\n--\n\n"
"Record a log message.  level is DEBUG (0), INFO (1), WARN (2) or ERROR (3).\n"
"The tracer copies the text when the probe fires.");

static PyObject *py_log(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
	PyObject *enc = NULL;
	const char *p;
	long long level;

	(void)self;
	if (want_args("log", n, 2) || get_int("log", "level", args[0], &level) ||
	    check_str("log", "msg", args[1]))
		return NULL;
	if (level < MLPROBE_DEBUG || level > MLPROBE_ERROR)
		return PyErr_Format(PyExc_ValueError,
				    "mlprobe.log: level must be 0 to 3 (DEBUG, INFO, WARN, ERROR), not %lld",
				    level);
	if (!MLPROBE_ENABLED())
		Py_RETURN_NONE;
	/* The message only has to live through the probe: the str's own
	 * UTF-8, or escaped text when it holds a lone surrogate. */
	p = PyUnicode_AsUTF8AndSize(args[1], NULL);
	if (!p) {
		if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError))
			return NULL;
		PyErr_Clear();
		enc = PyUnicode_AsEncodedString(args[1], "utf-8", "backslashreplace");
		if (!enc)
			return NULL;
		p = PyBytes_AS_STRING(enc);
	}
	MLPROBE_LOG(level, p);
	Py_XDECREF(enc);
	Py_RETURN_NONE;
}

PyDoc_STRVAR(enabled_doc,
"enabled()\n--\n\n"
"True while a tracer is attached to this module's probes: guard work that\n"
"is only needed for a metric (a gradient norm, a .item() that syncs).");

static PyObject *py_enabled(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	return PyBool_FromLong(MLPROBE_ENABLED());
}

PyDoc_STRVAR(span_doc,
"span(name, /)\n--\n\n"
"A timing span.  `with mlprobe.span(\"forward\"):` times a block;\n"
"`@mlprobe.span(\"data\")` times every call of a function.  Spans nest per\n"
"thread and end also when the body raises.");

static PyObject *py_span(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
	(void)self;
	if (want_args("span", n, 1))
		return NULL;
	return span__new(args[0]);
}

PyDoc_STRVAR(noop_doc,
"_noop(*args)\n--\n\n"
"Does nothing.  The baseline of `make bench`: a call of a C function with\n"
"the same arguments as metric().");

static PyObject *py_noop(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
	(void)self;
	(void)args;
	(void)n;
	Py_RETURN_NONE;
}

PyDoc_STRVAR(names_doc,
"_names()\n--\n\n"
"How many distinct names the module keeps at a stable address.");

static PyObject *py_names(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	return PyLong_FromSsize_t(names__count());
}

#define FASTCALL(f) (PyCFunction)(void (*)(void))(f)
static PyMethodDef methods[] = {
	{ "metric", FASTCALL(py_metric), METH_FASTCALL, metric_doc },
	{ "metrics", FASTCALL(py_metrics), METH_FASTCALL | METH_KEYWORDS, metrics_doc },
	{ "step", FASTCALL(py_step), METH_FASTCALL, step_doc },
	{ "log", FASTCALL(py_log), METH_FASTCALL, log_doc },
	{ "enabled", py_enabled, METH_NOARGS, enabled_doc },
	{ "span", FASTCALL(py_span), METH_FASTCALL, span_doc },
	{ "_noop", FASTCALL(py_noop), METH_FASTCALL, noop_doc },
	{ "_names", py_names, METH_NOARGS, names_doc },
	{ NULL, NULL, 0, NULL },
};

PyDoc_STRVAR(module_doc,
"The probes of the mlprobe package (import mlprobe, not this).\n\n"
"Unattached, each call costs one C call and a semaphore test.  Attach at\n"
"any time with `mlprobe record -p PID`.");

static struct PyModuleDef moddef = {
	PyModuleDef_HEAD_INIT,
	.m_name = "mlprobe._core",
	.m_doc = module_doc,
	.m_size = -1,
	.m_methods = methods,
};

/* MLPROBE_NAMES_MAX bounds the name table (tests set it low). */
static Py_ssize_t names_max(void)
{
	const char *s = getenv("MLPROBE_NAMES_MAX");
	char *end;
	long long v;

	if (!s || !*s)
		return NAMES_MAX_DEFAULT;
	v = strtoll(s, &end, 10);
	return *end || v < 0 ? NAMES_MAX_DEFAULT : (Py_ssize_t)v;
}

/* Launched by `mlprobe record -- python3 ...`, whose dlopen watch attaches
 * this module's probes a moment after the loader maps it, while this
 * import (the first thing `import mlprobe` does) goes on.  So that no event of the script is missed, the process
 * that record started (MLPROBE_ATTACH_WAIT is its PID; not a forked or
 * exec'd child) waits here until every site is attached, at most 5 s:
 * the kernel raises the semaphore once per attached site.  Not launched by
 * record: one getenv, at import only. */
static void wait_for_record(void)
{
	const char *s = getenv("MLPROBE_ATTACH_WAIT");
	struct timespec ms = { 0, 1000000 };

	if (!s || atol(s) != (long)getpid())
		return;
	Py_BEGIN_ALLOW_THREADS
	for (int i = 0; i < 5000 && mlprobe_semaphore < MODULE_SITES; i++)
		nanosleep(&ms, NULL);
	Py_END_ALLOW_THREADS
}

PyMODINIT_FUNC PyInit__core(void)
{
	PyObject *m;

	wait_for_record();
	gc__init();
	if (names__init(names_max()) < 0)
		return NULL;
	m = PyModule_Create(&moddef);
	if (!m)
		return NULL;
	if (span__add_types(m) < 0 ||
	    PyModule_AddStringConstant(m, "__version__", VERSION) < 0 ||
	    PyModule_AddIntConstant(m, "DEBUG", MLPROBE_DEBUG) < 0 ||
	    PyModule_AddIntConstant(m, "INFO", MLPROBE_INFO) < 0 ||
	    PyModule_AddIntConstant(m, "WARN", MLPROBE_WARN) < 0 ||
	    PyModule_AddIntConstant(m, "ERROR", MLPROBE_ERROR) < 0) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
