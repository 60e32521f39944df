/* SPDX-License-Identifier: MIT */
/* names.c - see names.h. */
#include "names.h"

/* str -> the object that owns the name's UTF-8 (the first str seen with
 * that text, or a bytes of its escaped text).  Entries are never removed:
 * that is what makes the addresses stable.  Only touched with the GIL held;
 * a forked child inherits a consistent copy (no lock to break). */
static PyObject *table;
static Py_ssize_t table_max;

int names__init(Py_ssize_t max)
{
	table = PyDict_New();
	table_max = max;
	return table ? 0 : -1;
}

Py_ssize_t names__count(void)
{
	return table ? PyDict_GET_SIZE(table) : 0;
}

/* A new reference to an object holding name's UTF-8 text: name itself (its
 * UTF-8 buffer is cached in the object), or a bytes with escaped text. */
static PyObject *owner_of(PyObject *name)
{
	if (PyUnicode_AsUTF8AndSize(name, NULL)) {
		Py_INCREF(name);
		return name;
	}
	if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError))
		return NULL;
	PyErr_Clear();
	return PyUnicode_AsEncodedString(name, "utf-8", "backslashreplace");
}

static const char *text_of(PyObject *owner)
{
	if (PyBytes_Check(owner))
		return PyBytes_AS_STRING(owner);
	/* Cached by owner_of(): cannot fail now. */
	return PyUnicode_AsUTF8AndSize(owner, NULL);
}

const char *names__utf8(PyObject *name, PyObject **hold)
{
	PyObject *owner, *key;
	const char *text;

	assert(PyUnicode_Check(name));
	*hold = NULL;
	/* A str subclass could run Python code in __hash__ or __eq__, and
	 * could change; the table keys only exact str. */
	if (PyUnicode_CheckExact(name)) {
		key = name;
		Py_INCREF(key);
	} else {
		key = PyUnicode_FromObject(name);
		if (!key)
			return NULL;
	}
	owner = PyDict_GetItemWithError(table, key);	/* borrowed */
	if (owner) {
		Py_DECREF(key);
		return text_of(owner);
	}
	if (PyErr_Occurred() || !(owner = owner_of(key))) {
		Py_DECREF(key);
		return NULL;
	}
	text = text_of(owner);
	if (PyDict_GET_SIZE(table) < table_max &&
	    PyDict_SetItem(table, key, owner) == 0)
		Py_DECREF(owner);	/* the table holds it now */
	else {
		PyErr_Clear();		/* full, or no memory: pass it anyway */
		*hold = owner;
	}
	Py_DECREF(key);
	return text;
}
