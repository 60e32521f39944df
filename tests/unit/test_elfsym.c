// SPDX-License-Identifier: MIT
/*
 * test_elfsym.c - unit tests of user/attach/elfsym.c.
 *
 * Reads the fixtures that `make all` builds next to this binary's folder
 * (../progs: build/progs, or build/san/progs for the sanitizer build):
 * funcs (PIE), funcs_nopie, funcs_dup (two static fx_dup), libfxlib.so,
 * and stripped copies of them.  Expected offsets come from readelf, not
 * libelf, and offsets in libraries that this process loads are checked
 * against the bytes of the function in memory.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "attach/elfsym.h"

static char progs[1024];	/* the fixtures' folder */
static char tmpdir[64];		/* stripped and copied fixtures */

static void fixture(char *buf, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", progs, name);
}

/* Every reason is one non-empty line. */
static void assert_one_line(const char *err)
{
	assert_true(strlen(err) > 0);
	assert_null(strchr(err, '\n'));
}

/* The distinct values of the FUNC symbols called name in the symbol tables
 * of path, as readelf prints them.  Returns how many (at most max); also
 * the number of table entries (*nent) and the size of the first. */
static int readelf_syms(const char *path, const char *name, unsigned long *vals,
			int max, int *nent, unsigned long *size)
{
	char cmd[PATH_MAX + 64], line[1024];
	int n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "readelf -sW '%s'", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (nent)
		*nent = 0;
	while (fgets(line, sizeof(line), p)) {
		char type[32], ndx[32], nm[512];
		unsigned long v;
		long sz;
		bool dup = false;

		if (sscanf(line, " %*[0-9]: %lx %li %31s %*s %*s %31s %511s",
			   &v, &sz, type, ndx, nm) != 5 ||
		    strcmp(type, "FUNC") || !strcmp(ndx, "UND"))
			continue;
		/* readelf shows the version of a .dynsym name: name@@V */
		nm[strcspn(nm, "@")] = '\0';
		if (strcmp(nm, name))
			continue;
		if (nent && !(*nent)++ && size)
			*size = (unsigned long)sz;
		for (int i = 0; i < n; i++)
			dup |= vals[i] == v;
		if (!dup && n < max)
			vals[n++] = v;
	}
	assert_int_equal(pclose(p), 0);
	return n;
}

/* File offset of address v by the program headers that readelf prints. */
static unsigned long readelf_offset(const char *path, unsigned long v)
{
	char cmd[PATH_MAX + 64], line[1024];
	unsigned long off = ~0UL;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "readelf -lW '%s'", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		unsigned long o, va, pa, filesz;

		if (sscanf(line, " LOAD %lx %lx %lx %lx", &o, &va, &pa, &filesz) == 4 &&
		    v >= va && v < va + filesz)
			off = v - va + o;
	}
	assert_int_equal(pclose(p), 0);
	assert_true(off != ~0UL);
	return off;
}

/* Resolves name in path and checks offset and size against readelf. */
static void assert_resolves(const char *path, const char *name,
			    struct elfsym *out)
{
	unsigned long v, size = 0;
	char err[512] = "";
	int nent;

	assert_int_equal(readelf_syms(path, name, &v, 1, &nent, &size), 1);
	assert_int_equal(elfsym__resolve(path, name, out, err, sizeof(err)), 0);
	assert_string_equal(out->path, path);
	assert_string_equal(out->name, name);
	assert_int_equal(out->offset, readelf_offset(path, v));
	assert_int_equal(out->size, size);
	assert_true(out->size > 0);
}

static void run(const char *fmt, ...)
{
	char cmd[3 * PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static void test_resolve_pie(void **state)
{
	char path[PATH_MAX];
	struct elfsym s;
	unsigned long v;

	(void)state;
	fixture(path, "funcs");
	assert_resolves(path, "fx_leaf", &s);
	assert_resolves(path, "fx_mid", &s);
	assert_resolves(path, "fx_rec", &s);
	assert_resolves(path, "main", &s);
	/* PIE: link-time addresses start near 0. */
	assert_int_equal(readelf_syms(path, "fx_leaf", &v, 1, NULL, NULL), 1);
	assert_true(v < 0x100000);
}

static void test_resolve_nopie(void **state)
{
	char path[PATH_MAX], pie[PATH_MAX];
	struct elfsym s, p;
	unsigned long v;

	(void)state;
	fixture(path, "funcs_nopie");
	fixture(pie, "funcs");
	assert_resolves(path, "fx_leaf", &s);
	assert_int_equal(readelf_syms(path, "fx_leaf", &v, 1, NULL, NULL), 1);
	/* Linked at 0x400000 or so: the offset is not the address. */
	assert_true(v >= 0x400000);
	assert_true(s.offset < v);
	assert_int_equal(elfsym__resolve(pie, "fx_leaf", &p, (char[64]){ 0 }, 64), 0);
	assert_int_equal(s.size, p.size);
	assert_resolves(path, "fx_rec", &s);
}

static void test_stripped(void **state)
{
	char path[PATH_MAX], lib[PATH_MAX], spath[PATH_MAX], slib[PATH_MAX];
	char err[512] = "", want[2 * PATH_MAX];
	struct elfsym s, u;
	unsigned long v[2];
	int nent;

	(void)state;
	fixture(path, "funcs");
	fixture(lib, "libfxlib.so");
	snprintf(spath, sizeof(spath), "%s/funcs", tmpdir);
	snprintf(slib, sizeof(slib), "%s/libfxlib.so", tmpdir);
	run("strip --strip-all -o '%s' '%s'", spath, path);
	run("strip --strip-all -o '%s' '%s'", slib, lib);

	assert_int_equal(elfsym__resolve(spath, "fx_leaf", &s, err, sizeof(err)),
			 -ENOENT);
	assert_one_line(err);
	snprintf(want, sizeof(want), "no function 'fx_leaf' in %s (the file is "
		 "stripped: only its exported functions are visible)", spath);
	assert_string_equal(err, want);
	assert_int_equal(s.offset, 0);
	assert_string_equal(s.path, "");

	/* fxlib_work is in .symtab and .dynsym: one function, not two. */
	assert_int_equal(readelf_syms(lib, "fxlib_work", v, 2, &nent, NULL), 1);
	assert_int_equal(nent, 2);
	assert_resolves(lib, "fxlib_work", &u);
	/* Stripped, .dynsym still has it, at the same place. */
	assert_int_equal(readelf_syms(slib, "fxlib_work", v, 2, &nent, NULL), 1);
	assert_int_equal(nent, 1);
	assert_resolves(slib, "fxlib_work", &s);
	assert_int_equal(s.offset, u.offset);
	/* A static function is gone with .symtab. */
	assert_int_equal(elfsym__resolve(lib, "fxlib_pick_impl", &s, err,
					 sizeof(err)), 0);
	assert_int_equal(elfsym__resolve(slib, "fxlib_pick_impl", &s, err,
					 sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "stripped"));
	unlink(spath);
	unlink(slib);
}

/* The bytes at the offset in the file are the function's code in memory. */
static void assert_same_code(const struct elfsym *s, const void *fn)
{
	unsigned char buf[64];
	size_t n = s->size < sizeof(buf) ? s->size : sizeof(buf);
	int fd = open(s->path, O_RDONLY);

	assert_true(fd >= 0);
	assert_true(n > 0);
	assert_int_equal(pread(fd, buf, n, (off_t)s->offset), (ssize_t)n);
	close(fd);
	assert_memory_equal(buf, fn, n);
}

static void test_lib_code(void **state)
{
	char lib[PATH_MAX], err[512] = "";
	struct elfsym s;
	void *h;

	(void)state;
	fixture(lib, "libfxlib.so");
	h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h);
	assert_resolves(lib, "fxlib_work", &s);
	assert_same_code(&s, dlsym(h, "fxlib_work"));
	/* A C++ name is taken as it is, mangled. */
	assert_resolves(lib, "_ZN5fxlib3cxxEi", &s);
	assert_same_code(&s, dlsym(h, "_ZN5fxlib3cxxEi"));
	assert_int_equal(elfsym__resolve(lib, "fxlib::cxx", &s, err, sizeof(err)),
			 -ENOENT);
	assert_one_line(err);
	assert_non_null(strstr(err, "C++ names are matched mangled"));
	/* Not unloaded: test_find_lib_dlopen looks for it. */
}

static void test_ifunc(void **state)
{
	char lib[PATH_MAX], err[512] = "";
	struct elfsym s;

	(void)state;
	fixture(lib, "libfxlib.so");
	assert_int_equal(elfsym__resolve(lib, "fxlib_pick", &s, err, sizeof(err)),
			 -EOPNOTSUPP);
	assert_one_line(err);
	assert_non_null(strstr(err, "IFUNC"));
	assert_non_null(strstr(err, lib));
	/* The resolver under its own name is a plain function. */
	assert_resolves(lib, "fxlib_pick_resolver", &s);
}

static void test_ambiguous(void **state)
{
	char path[PATH_MAX], err[512] = "", addr[32];
	unsigned long v[4];
	struct elfsym s;

	(void)state;
	fixture(path, "funcs_dup");
	assert_int_equal(readelf_syms(path, "fx_dup", v, 4, NULL, NULL), 2);
	assert_int_equal(elfsym__resolve(path, "fx_dup", &s, err, sizeof(err)),
			 -ENOTUNIQ);
	assert_one_line(err);
	assert_non_null(strstr(err, "ambiguous"));
	assert_non_null(strstr(err, "2 functions"));
	for (int i = 0; i < 2; i++) {
		snprintf(addr, sizeof(addr), "0x%lx", v[i]);
		assert_non_null(strstr(err, addr));
	}
	assert_non_null(strstr(err, "funcs_dup_a.c"));
	assert_non_null(strstr(err, "funcs_dup_b.c"));
	assert_int_equal(s.offset, 0);
	/* The global one next to them is unique. */
	assert_resolves(path, "fx_dup_b", &s);
}

static void assert_not_found(const char *path, const char *name,
			     const char *tail)
{
	char err[512] = "", want[PATH_MAX + 512];
	struct elfsym s;

	assert_int_equal(elfsym__resolve(path, name, &s, err, sizeof(err)),
			 -ENOENT);
	snprintf(want, sizeof(want), "no function '%s' in %s%s", name, path,
		 tail);
	assert_string_equal(err, want);
}

static void test_not_found(void **state)
{
	char path[PATH_MAX], dup[PATH_MAX], lib[PATH_MAX], err[512] = "";
	char name[300], *p;
	struct elfsym s;
	int n;

	(void)state;
	fixture(path, "funcs");
	fixture(dup, "funcs_dup");
	/* Closest first: fx_leaf is 1 edit away, fx_rec 2. */
	assert_not_found(path, "fx_lea", " (did you mean fx_leaf or fx_rec?)");
	assert_not_found(path, "fx_re", " (did you mean fx_rec?)");
	assert_not_found(path, "fx_leaf_", " (did you mean fx_leaf?)");
	/* A prefix of a longer name. */
	assert_not_found(path, "fx_l", " (did you mean fx_leaf?)");
	assert_not_found(path, "zzqqxxyy", "");
	assert_not_found(path, "fx", "");
	/* Best first; two symbols named fx_dup are one suggestion. */
	assert_not_found(dup, "fx_dupp", " (did you mean fx_dup or fx_dup_b?)");

	/* At most three, here all of the same score. */
	fixture(lib, "libfxlib.so");
	assert_int_equal(elfsym__resolve(lib, "fxlib_", &s, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "(did you mean fxlib_"));
	for (n = 0, p = strstr(err, "fxlib_"); p; p = strstr(p + 1, "fxlib_"))
		n++;
	assert_int_equal(n, 1 + 3);
	assert_non_null(strstr(err, " or fxlib_"));

	/* Imported, not defined: funcs calls fflush from libc. */
	assert_int_equal(elfsym__resolve(path, "fflush", &s, err, sizeof(err)),
			 -ENOENT);
	assert_one_line(err);
	assert_non_null(strstr(err, "imported"));
	assert_non_null(strstr(err, "LIB:fflush"));
	/* A variable. */
	assert_int_equal(elfsym__resolve(path, "fx_calls_leaf", &s, err,
					 sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "not a function"));

	assert_int_equal(elfsym__resolve(path, "", &s, err, sizeof(err)), -EINVAL);
	assert_one_line(err);
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(elfsym__resolve(path, name, &s, err, sizeof(err)),
			 -EINVAL);
	/* A tiny buffer gets a cut message, no overflow (ASan watches). */
	assert_int_equal(elfsym__resolve(path, "fx_lea", &s, err, 8), -ENOENT);
	assert_int_equal(strlen(err), 7);
}

static void test_not_elf(void **state)
{
	char path[PATH_MAX], err[512] = "";
	struct elfsym s;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/text", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\necho fx_leaf\n", f);
	fclose(f);
	assert_int_equal(elfsym__resolve(path, "fx_leaf", &s, err, sizeof(err)),
			 -ENOEXEC);
	assert_one_line(err);
	assert_non_null(strstr(err, "not an ELF file"));
	unlink(path);
	assert_int_equal(elfsym__resolve(tmpdir, "fx_leaf", &s, err, sizeof(err)),
			 -ENOEXEC);
	assert_one_line(err);
	assert_int_equal(elfsym__resolve("/nonexistent/funcs", "fx_leaf", &s, err,
					 sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/funcs: no such file");
	/* An object file (this module's own): symbols, but no segments to
	 * attach to. */
	snprintf(path, sizeof(path), "%s/../obj/attach/elfsym.o", progs);
	assert_int_equal(elfsym__resolve(path, "elfsym__resolve", &s, err,
					 sizeof(err)), -ENOEXEC);
	assert_one_line(err);
	assert_non_null(strstr(err, "no loadable segment"));
}

struct spec_case {
	const char *spec, *lib, *sym;	/* lib NULL: -EINVAL */
};

static void test_parse_spec(void **state)
{
	static const struct spec_case cases[] = {
		{ "fx_leaf", "", "fx_leaf" },
		{ "libfxlib.so:fxlib_work", "libfxlib.so", "fxlib_work" },
		{ "/abs/path/libx.so.1:f", "/abs/path/libx.so.1", "f" },
		{ "libfoo:_ZN2ns1fEv", "libfoo", "_ZN2ns1fEv" },
		{ "ns::f", "", "ns::f" },
		{ "a::b::c", "", "a::b::c" },
		{ "::f", "", "::f" },
		{ "libx.so:ns::f", "libx.so", "ns::f" },
		{ "libx-1.2.so:f", "libx-1.2.so", "f" },
		{ "", NULL, NULL },
		{ ":f", NULL, NULL },
		{ "lib:", NULL, NULL },
		{ "lib:1f", NULL, NULL },
		{ "a:b:c", NULL, NULL },
		{ "lib:f g", NULL, NULL },
	};
	char lib[64], sym[64], err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct spec_case *c = &cases[i];
		int ret;

		strcpy(lib, "x");
		strcpy(sym, "x");
		err[0] = '\0';
		ret = elfsym__parse_spec(c->spec, lib, sizeof(lib), sym,
					 sizeof(sym), err, sizeof(err));
		if (!c->lib) {
			if (ret != -EINVAL)
				fail_msg("'%s' parsed: lib '%s' sym '%s'", c->spec,
					 lib, sym);
			assert_one_line(err);
			/* the reason alone: the caller names the spec */
			assert_true(err[0]);
			assert_null(strstr(err, "--func"));
			continue;
		}
		if (ret)
			fail_msg("'%s': %s", c->spec, err);
		assert_string_equal(lib, c->lib);
		assert_string_equal(sym, c->sym);
	}
	assert_int_equal(elfsym__parse_spec(":f", lib, sizeof(lib), sym,
					    sizeof(sym), err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no library"));
	assert_int_equal(elfsym__parse_spec("lib:", lib, sizeof(lib), sym,
					    sizeof(sym), err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no function name"));
	/* Parts that do not fit are errors, never cut. */
	assert_int_equal(elfsym__parse_spec("libfxlib.so:f", lib, 8, sym,
					    sizeof(sym), err, sizeof(err)), -EINVAL);
	assert_int_equal(elfsym__parse_spec("fx_leaf", lib, sizeof(lib), sym, 7,
					    err, sizeof(err)), -EINVAL);
	assert_int_equal(elfsym__parse_spec("fx_leaf", lib, sizeof(lib), sym, 8,
					    err, sizeof(err)), 0);
}

/* Our own libc, through /proc/PID/root, by every kind of name. */
static void test_find_lib_self(void **state)
{
	char out[PATH_MAX], again[PATH_MAX], prefix[64], err[512] = "";
	char mapped[PATH_MAX], other[PATH_MAX];
	int pid = getpid(), n;
	struct elfsym s;
	void *libc;

	(void)state;
	n = snprintf(prefix, sizeof(prefix), "/proc/%d/root/", pid);
	assert_int_equal(elfsym__find_lib(pid, "libc", out, sizeof(out), err,
					  sizeof(err)), 0);
	assert_memory_equal(out, prefix, n);
	assert_string_equal(strrchr(out, '/'), "/libc.so.6");
	assert_int_equal(access(out, R_OK), 0);
	snprintf(mapped, sizeof(mapped), "%s", out + n - 1);

	assert_int_equal(elfsym__find_lib(pid, "libc.so.6", again, sizeof(again),
					  err, sizeof(err)), 0);
	assert_string_equal(again, out);
	assert_int_equal(elfsym__find_lib(pid, "libc.so", again, sizeof(again),
					  err, sizeof(err)), 0);
	assert_string_equal(again, out);
	assert_int_equal(elfsym__find_lib(pid, mapped, again, sizeof(again),
					  err, sizeof(err)), 0);
	assert_string_equal(again, out);
	/* Another path to the same file: /lib is a link to /usr/lib here. */
	if (!strncmp(mapped, "/usr/lib/", 9)) {
		snprintf(other, sizeof(other), "%s", mapped + 4);
		if (!access(other, R_OK)) {
			assert_int_equal(elfsym__find_lib(pid, other, again,
							  sizeof(again), err,
							  sizeof(err)), 0);
			assert_string_equal(again, out);
		}
	}
	/* A prefix of a name that goes on is not a match. */
	assert_int_equal(elfsym__find_lib(pid, "lib", again, sizeof(again), err,
					  sizeof(err)), -ENOENT);
	assert_int_equal(elfsym__find_lib(pid, "libc.so.6.1", again,
					  sizeof(again), err, sizeof(err)), -ENOENT);

	/* Resolve libc's functions there; a second version of one (x86-64
	 * pthread_cond_wait@GLIBC_2.2.5) gives way to the default one, which
	 * is what dlsym finds. */
	libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	assert_non_null(libc);
	assert_int_equal(elfsym__resolve(out, "malloc", &s, err, sizeof(err)), 0);
	assert_same_code(&s, dlsym(libc, "malloc"));
	assert_int_equal(elfsym__resolve(out, "pthread_cond_wait", &s, err,
					 sizeof(err)), 0);
	assert_same_code(&s, dlsym(libc, "pthread_cond_wait"));
#ifdef __x86_64__
	{
		unsigned long v[4];
		int nent;

		/* memcpy@@GLIBC_2.14 is an IFUNC, memcpy@GLIBC_2.2.5 not: the
		 * default wins even so. */
		if (readelf_syms(out, "memcpy", v, 4, &nent, NULL) == 1 && nent == 1)
			assert_int_equal(elfsym__resolve(out, "memcpy", &s, err,
							 sizeof(err)),
					 -EOPNOTSUPP);
	}
#endif
	dlclose(libc);

	assert_int_equal(elfsym__find_lib(pid, "libnosuch", out, sizeof(out), err,
					  sizeof(err)), -ENOENT);
	assert_one_line(err);
	assert_non_null(strstr(err, "'libnosuch'"));
	snprintf(prefix, sizeof(prefix), "PID %d", pid);
	assert_non_null(strstr(err, prefix));
	assert_int_equal(elfsym__find_lib(INT_MAX, "libc", out, sizeof(out), err,
					  sizeof(err)), -ESRCH);
	assert_non_null(strstr(err, "no process"));
	assert_int_equal(elfsym__find_lib(0, "libc", out, sizeof(out), err,
					  sizeof(err)), -ESRCH);
	assert_int_equal(elfsym__find_lib(pid, "", out, sizeof(out), err,
					  sizeof(err)), -EINVAL);
	assert_int_equal(elfsym__find_lib(pid, "libc", out, 10, err,
					  sizeof(err)), -ENAMETOOLONG);
}

/* libfxlib.so loaded twice, from two files; then one of them deleted. */
static void test_find_lib_dlopen(void **state)
{
	char lib[PATH_MAX], real[PATH_MAX], copy[PATH_MAX], want[PATH_MAX + 64];
	char out[PATH_MAX], cwd[PATH_MAX], err[1024] = "";
	int pid = getpid(), ret;
	struct elfsym s;
	void *h1, *h2;

	(void)state;
	fixture(lib, "libfxlib.so");
	assert_non_null(realpath(lib, real));
	h1 = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h1);
	assert_int_equal(elfsym__find_lib(pid, "libfxlib", out, sizeof(out), err,
					  sizeof(err)), 0);
	snprintf(want, sizeof(want), "/proc/%d/root%s", pid, real);
	assert_string_equal(out, want);
	/* A path relative to our directory. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(progs), 0);
	ret = elfsym__find_lib(pid, "./libfxlib.so", out, sizeof(out), err,
			       sizeof(err));
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(ret, 0);
	assert_string_equal(out, want);

	snprintf(copy, sizeof(copy), "%s/libfxlib.so.2", tmpdir);
	run("cp '%s' '%s'", lib, copy);
	h2 = dlopen(copy, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h2);
	assert_true(h1 != h2);
	assert_int_equal(elfsym__find_lib(pid, "libfxlib", out, sizeof(out), err,
					  sizeof(err)), -ENOTUNIQ);
	assert_one_line(err);
	assert_non_null(strstr(err, real));
	assert_non_null(strstr(err, copy));
	assert_int_equal(elfsym__find_lib(pid, "libfxlib.so", out, sizeof(out),
					  err, sizeof(err)), -ENOTUNIQ);
	assert_int_equal(elfsym__find_lib(pid, "libfxlib.so.2", out, sizeof(out),
					  err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "/proc/%d/root%s", pid, copy);
	assert_string_equal(out, want);
	assert_int_equal(elfsym__find_lib(pid, real, out, sizeof(out), err,
					  sizeof(err)), 0);

	/* Deleted while mapped: reached through map_files. */
	assert_int_equal(unlink(copy), 0);
	assert_int_equal(elfsym__find_lib(pid, "libfxlib.so.2", out, sizeof(out),
					  err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "/proc/%d/map_files/", pid);
	assert_int_equal(strncmp(out, want, strlen(want)), 0);
	if (!geteuid()) {	/* map_files needs CAP_SYS_ADMIN */
		assert_int_equal(elfsym__resolve(out, "fxlib_work", &s, err,
						 sizeof(err)), 0);
		assert_same_code(&s, dlsym(h2, "fxlib_work"));
	}
	/* The deleted one still counts as a second file. */
	assert_int_equal(elfsym__find_lib(pid, "libfxlib", out, sizeof(out), err,
					  sizeof(err)), -ENOTUNIQ);
	dlclose(h2);
	dlclose(h1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve_pie),
		cmocka_unit_test(test_resolve_nopie),
		cmocka_unit_test(test_stripped),
		cmocka_unit_test(test_lib_code),
		cmocka_unit_test(test_ifunc),
		cmocka_unit_test(test_ambiguous),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_parse_spec),
		cmocka_unit_test(test_find_lib_self),
		cmocka_unit_test(test_find_lib_dlopen),
	};
	const char *need[] = { "funcs", "funcs_nopie", "funcs_dup", "libfxlib.so" };
	char exe[PATH_MAX], path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int ret;

	assert_true(n > 0);
	exe[n] = '\0';
	snprintf(path, sizeof(path), "%s/../progs", dirname(exe));
	if (!realpath(path, exe) || strlen(exe) >= sizeof(progs)) {
		fprintf(stderr, "%s: missing; run make all first\n", path);
		return 1;
	}
	memcpy(progs, exe, strlen(exe) + 1);
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		fixture(path, need[i]);
		if (access(path, R_OK)) {
			fprintf(stderr, "%s: missing; run make all first\n", path);
			return 1;
		}
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mlprobe-test-elfsym-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(tmpdir);
	return ret;
}
