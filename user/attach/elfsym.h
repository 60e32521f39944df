/* SPDX-License-Identifier: MIT */
/*
 * elfsym.h - find the functions that `record --func` puts uprobes on.
 *
 * Only reads: a function name becomes an ELF file and a file offset, which
 * is what a uprobe takes.  Names are matched as they are in the symbol
 * tables: a C++ function is given by its mangled name (as `nm` prints it
 * without -C); a demangled-looking name ("ns::f") is not demangled, but
 * when it is not found the error suggests the mangled names it may mean.
 */
#ifndef MLPROBE_ELFSYM_H
#define MLPROBE_ELFSYM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A function a uprobe can be put on. */
struct elfsym {
	char path[4096];	/* ELF file to attach to, as opened */
	char name[256];
	uint64_t offset;	/* file offset of the function's entry (what a
				 * uprobe on path takes) */
	uint64_t size;		/* st_size */
};

/*
 * Resolves function `name` in the ELF file at `path` (an executable, PIE or
 * not, or a shared object) from .symtab and .dynsym.  Only defined STT_FUNC
 * symbols count.  The offset is st_value - p_vaddr + p_offset of the
 * PT_LOAD segment that holds st_value.  One address seen in both tables, or
 * under several symbol versions, is one function; of several versions
 * (libc's pthread_cond_wait) the default one wins.
 *
 * Returns 0 and fills *out, or, with a one-line reason in err (no trailing
 * newline; it names the path):
 *   -ENOENT      no such file; or no function `name`: the reason suggests up
 *                to 3 close names, says when the file is stripped (no
 *                .symtab), when `name` is only imported or is not a
 *                function, and for "ns::f" the mangled names that match;
 *   -ENOTUNIQ    several functions of that name at different addresses
 *                (static functions of different source files): the reason
 *                lists their addresses and source files (from STT_FILE);
 *   -EOPNOTSUPP  `name` is an IFUNC, whose symbol is the resolver;
 *   -ENOEXEC     not an ELF file, or the function is in no loadable segment
 *                (an object or debug-only file);
 *   -EINVAL      empty name; other -errno from open().
 */
int elfsym__resolve(const char *path, const char *name, struct elfsym *out,
		    char *err, size_t errlen);

/*
 * Parses one --func item: "sym" (a function of the main binary) or
 * "LIB:sym", where LIB is a path or a library name (libfoo.so.1,
 * libfoo.so, libfoo).  It splits at the first ':' that is followed by a
 * symbol's first character ([A-Za-z_]) and is not part of "::", so "ns::f"
 * is a main-binary symbol and "libx.so:ns::f" is ns::f in libx.so; a LIB
 * whose path has such a ':' cannot be given.  Writes LIB to lib ("" when
 * none) and the symbol to sym.  Returns 0, or -EINVAL with a reason in err
 * (empty item, ":f", "lib:", a lone ':' or whitespace in the symbol, or a
 * part too long for its buffer), which does not repeat the spec: the
 * caller names it.
 */
int elfsym__parse_spec(const char *spec, char *lib, size_t liblen, char *sym,
		       size_t symlen, char *err, size_t errlen);

/*
 * Finds the file mapped executable in process pid that LIB names: the same
 * path (or the same file), or a basename equal to LIB, or one that starts
 * with LIB followed by '.' or '-' ("libfoo" matches libfoo.so.1 and
 * libfoo-2.3.so).  Writes a path that opens it from our mount namespace:
 * /proc/PID/root/<path>, so that containers work, or
 * /proc/PID/map_files/<range> for a deleted or unreachable file.
 * Returns 0, or with a reason in err: -ENOENT when no such file is mapped
 * (yet), -ENOTUNIQ when different files match (the reason lists them),
 * -ESRCH when there is no such process, -EACCES, -ENAMETOOLONG (outlen),
 * -EINVAL (empty LIB).
 */
int elfsym__find_lib(pid_t pid, const char *lib, char *out, size_t outlen,
		     char *err, size_t errlen);

#endif
