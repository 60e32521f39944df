/* SPDX-License-Identifier: MIT */
/*
 * targets.h - what `record` attaches to besides probes: the functions of
 * --func (resolved to a file and an offset before anything is attached) and
 * the running processes of a binary (--all).
 */
#ifndef MLPROBE_TARGETS_H
#define MLPROBE_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct func_target {
	char spec[256];		/* as the user wrote it: the span name */
	char path[4096];	/* the ELF file, openable from here */
	uint64_t off;		/* file offset of the entry */
};

/*
 * Resolves a comma-separated --func list.  A plain SYM is looked up in
 * main_path; LIB:SYM in the library LIB as mapped by pid (when pid > 0),
 * else in LIB taken as a path.  Returns the number of functions and sets
 * *out (free()), or -errno with one line in err naming the bad item.
 */
int targets_resolve_funcs(const char *list, pid_t pid, const char *main_path,
			  struct func_target **out, char *err, size_t errlen);

/* PIDs of the running processes whose executable is the file (dev, ino),
 * as /proc/PID/exe says (so across mount namespaces).  Returns how many and
 * sets *out (free()), or -errno. */
int targets_find_procs(dev_t dev, ino_t ino, pid_t **out);

/* Checks -p PID before anything is attached: 0, or -1 after one line that
 * says why it cannot be traced (no such process, a kernel thread). */
int targets_check_pid(pid_t pid);

/* A PID given on the command line: a whole positive number, or 0. */
pid_t targets_parse_pid(const char *s);

/* Probe sites of provider mlprobe in the ELF file at path, or -1 after one
 * line (display names the file). */
int targets_count_sites(const char *path, const char *display);

/* Probe sites in pid's executable and libraries (with gc, CPython's GC
 * probes too), or -errno (err). */
int targets_proc_sites(pid_t pid, bool gc, char *err, size_t errlen);

/* True when the ELF file at path is a Python interpreter (it defines
 * Py_BytesMain): its probes come later, from the mlprobe extension module
 * that a script imports. */
bool targets_is_python(const char *path);

#endif
