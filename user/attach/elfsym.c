// SPDX-License-Identifier: MIT
/*
 * elfsym.c - turn function names into uprobe file offsets, with libelf.
 *
 * A name is looked up in .symtab (every function; strip removes it) and
 * .dynsym (exported functions; strip keeps it).  Each distinct address the
 * name has is a candidate, and exactly one must be left once non-default
 * symbol versions and IFUNCs give way to plain functions.  Symbols that do
 * not match feed the "did you mean" list as they go by, so a miss costs no
 * second pass over a large library.
 *
 * Everything read from the file is untrusted: libelf bounds-checks symbol
 * indices and strings, and an offset comes from a segment only when the
 * address lies within the segment's bytes in the file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "elfsym.h"

#define NSUGGEST 3		/* names in "did you mean" */
#define NLIST 4			/* candidates listed in an ambiguity error */
#define MAXNAME 256		/* longer names get no edit distance */
#define VERSYM_HIDDEN 0x8000	/* name@VER: not the default version */
#define VER_HIDDEN 1		/* struct cand.ver: seen as name@VER */
#define VER_DEFAULT 2		/* seen as name@@VER, or unversioned */

struct cand {			/* one address that the name has */
	uint64_t addr, size;
	const char *file;	/* source file of a local symbol, or NULL */
	bool ifunc;
	unsigned char ver;	/* VER_* bits, from .dynsym only */
};

struct lookup {
	const char *name;
	size_t namelen;
	int maxd;		/* edit distance still worth suggesting */
	struct cand *c;
	int n, cap;
	bool undef, nonfunc;	/* the name seen imported / not a function */
	struct { const char *name; int score; } near[NSUGGEST];
	int nnear;
};

/* Appends to the one-line message in err. */
static void cat(char *err, size_t errlen, const char *fmt, ...)
{
	size_t len = strnlen(err, errlen);
	va_list ap;

	if (len + 1 >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + len, errlen - len, fmt, ap);
	va_end(ap);
}

/* [A-Za-z_], the first character of a C or C++ name (not locale's). */
static bool sym_start(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Levenshtein distance; both lengths are below MAXNAME. */
static int edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
	int row[MAXNAME + 1];

	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int diag = row[0];

		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* Keeps sym among the best NSUGGEST near misses: typos first, then longer
 * names that start with the name. */
static void consider(struct lookup *lk, const char *sym)
{
	size_t lb = strlen(sym), la = lk->namelen;
	size_t diff = la > lb ? la - lb : lb - la;
	int score, i;

	if (la < MAXNAME && lb < MAXNAME && diff <= (size_t)lk->maxd &&
		 (score = edit_distance(lk->name, la, sym, lb)) <= lk->maxd)
		;
	else if (la >= 3 && !strncmp(sym, lk->name, la))
		score = lk->maxd + 1;
	else
		return;
	for (i = 0; i < lk->nnear; i++)
		if (!strcmp(lk->near[i].name, sym))
			return;
	if (lk->nnear < NSUGGEST)
		i = lk->nnear++;
	else if (score < lk->near[NSUGGEST - 1].score)
		i = NSUGGEST - 1;
	else
		return;
	for (; i > 0 && lk->near[i - 1].score > score; i--)
		lk->near[i] = lk->near[i - 1];
	lk->near[i].name = sym;
	lk->near[i].score = score;
}

/* One address is one function, whichever tables and versions name it. */
static int add_cand(struct lookup *lk, const struct cand *c)
{
	for (int i = 0; i < lk->n; i++) {
		struct cand *o = &lk->c[i];

		if (o->addr != c->addr)
			continue;
		if (!o->file)
			o->file = c->file;
		if (c->size > o->size)
			o->size = c->size;
		o->ifunc |= c->ifunc;
		o->ver |= c->ver;
		return 0;
	}
	if (lk->n == lk->cap) {
		int ncap = lk->cap ? lk->cap * 2 : 4;
		struct cand *n = realloc(lk->c, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		lk->c = n;
		lk->cap = ncap;
	}
	lk->c[lk->n++] = *c;
	return 0;
}

/* Reads one symbol table.  versym: .gnu.version of .dynsym, or NULL. */
static int scan_table(Elf *elf, Elf_Scn *scn, Elf_Scn *versym,
		      struct lookup *lk)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	Elf_Data *vd = versym ? elf_getdata(versym, NULL) : NULL;
	const char *file = NULL;
	GElf_Shdr sh;

	if (!data || !gelf_getshdr(scn, &sh) || !sh.sh_entsize)
		return 0;
	for (size_t i = 1; i < sh.sh_size / sh.sh_entsize && i < INT_MAX; i++) {
		struct cand c = { 0 };
		GElf_Versym v;
		GElf_Sym s;
		const char *nm;
		int type;
		bool func, special;

		if (!gelf_getsym(data, (int)i, &s))
			break;
		type = GELF_ST_TYPE(s.st_info);
		nm = elf_strptr(elf, sh.sh_link, s.st_name);
		if (type == STT_FILE) {	/* names the locals that follow */
			file = nm && *nm ? nm : NULL;
			continue;
		}
		if (!nm || !*nm)
			continue;
		func = type == STT_FUNC || type == STT_GNU_IFUNC;
		special = !s.st_value || (s.st_shndx >= SHN_LORESERVE &&
					  s.st_shndx != SHN_XINDEX);
		if (strcmp(nm, lk->name)) {
			if (func && !special && s.st_shndx != SHN_UNDEF)
				consider(lk, nm);
			continue;
		}
		if (s.st_shndx == SHN_UNDEF) {
			lk->undef = true;
			continue;
		}
		if (!func) {
			lk->nonfunc = true;
			continue;
		}
		if (special)
			continue;
		c.addr = s.st_value;
		c.size = s.st_size;
		c.file = GELF_ST_BIND(s.st_info) == STB_LOCAL ? file : NULL;
		c.ifunc = type == STT_GNU_IFUNC;
		if (vd && gelf_getversym(vd, (int)i, &v))
			c.ver = v & VERSYM_HIDDEN ? VER_HIDDEN : VER_DEFAULT;
		if (add_cand(lk, &c))
			return -ENOMEM;
	}
	return 0;
}

/* Drops the non-default versions (ifunc false) or the IFUNCs (true), unless
 * nothing else is left. */
static void prefer(struct lookup *lk, bool ifunc)
{
	int k = 0;

#define WORSE(c) (ifunc ? (c)->ifunc : (c)->ver == VER_HIDDEN)
	for (int i = 0; i < lk->n; i++)
		k += !WORSE(&lk->c[i]);
	if (!k || k == lk->n)
		return;
	k = 0;
	for (int i = 0; i < lk->n; i++)
		if (!WORSE(&lk->c[i]))
			lk->c[k++] = lk->c[i];
	lk->n = k;
#undef WORSE
}

/* Adds a remark in parentheses to the one-line message in err. */
static void note(char *err, size_t errlen, bool *open, const char *text)
{
	cat(err, errlen, "%s%s", *open ? "; " : " (", text);
	*open = true;
}

static void not_found(const struct lookup *lk, const char *path, bool stripped,
		      char *err, size_t errlen)
{
	char dym[NSUGGEST * (MAXNAME + 8) + 32] = "";
	bool open = false;

	if (lk->undef) {
		snprintf(err, errlen, "'%s' is imported by %s, not defined "
			 "there: give the library that defines it, as LIB:%s",
			 lk->name, path, lk->name);
		return;
	}
	if (lk->nonfunc) {
		snprintf(err, errlen, "'%s' in %s is not a function", lk->name,
			 path);
		return;
	}
	snprintf(err, errlen, "no function '%s' in %s", lk->name, path);
	if (stripped)
		note(err, errlen, &open, "the file is stripped: only its "
		     "exported functions are visible");
	if (strstr(lk->name, "::") || strchr(lk->name, '('))
		note(err, errlen, &open, "C++ names are matched mangled, as "
		     "nm shows them without -C");
	for (int i = 0; i < lk->nnear; i++)
		cat(dym, sizeof(dym), "%s%.*s%s", !i ? "did you mean " :
		    i == lk->nnear - 1 ? " or " : ", ", MAXNAME,
		    lk->near[i].name, i == lk->nnear - 1 ? "?" : "");
	if (dym[0])
		note(err, errlen, &open, dym);
	if (open)
		cat(err, errlen, ")");
}

int elfsym__resolve(const char *path, const char *name, struct elfsym *out,
		    char *err, size_t errlen)
{
	struct lookup lk = { .name = name };
	Elf_Scn *scn = NULL, *symtab = NULL, *dynsym = NULL, *versym = NULL;
	Elf *elf = NULL;
	GElf_Shdr sh;
	GElf_Ehdr eh;
	struct stat st;
	size_t nph = 0;
	int fd = -1, ret;

	memset(out, 0, sizeof(*out));
	lk.namelen = strlen(name);
	if (!lk.namelen || lk.namelen >= sizeof(out->name) ||
	    strlen(path) >= sizeof(out->path)) {
		snprintf(err, errlen, "%s", lk.namelen ? "name or path too long"
			 : "empty function name");
		return -EINVAL;
	}
	if (elf_version(EV_CURRENT) == EV_NONE) {
		snprintf(err, errlen, "libelf: %s", elf_errmsg(-1));
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, ret == -ENOENT ?
			 "no such file" : strerror(-ret));
		goto cleanup;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		ret = -ENOEXEC;
		snprintf(err, errlen, "%s: not a regular file", path);
		goto cleanup;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		ret = -ENOEXEC;
		snprintf(err, errlen, "%s: not an ELF file", path);
		goto cleanup;
	}
	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			symtab = scn;
		else if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_DYNSYM)
			dynsym = scn;
	while (dynsym && (scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_GNU_versym &&
		    sh.sh_link == elf_ndxscn(dynsym))
			versym = scn;

	lk.maxd = lk.namelen <= 3 ? 1 : lk.namelen <= 7 ? 2 : 3;
	if ((symtab && scan_table(elf, symtab, NULL, &lk)) ||
	    (dynsym && scan_table(elf, dynsym, versym, &lk))) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	if (!lk.n) {
		ret = -ENOENT;
		not_found(&lk, path, !symtab, err, errlen);
		goto cleanup;
	}
	prefer(&lk, false);
	prefer(&lk, true);
	if (lk.c[0].ifunc) {
		ret = -EOPNOTSUPP;
		snprintf(err, errlen, "'%s' in %s is an IFUNC: its symbol is a "
			 "resolver that picks an implementation at load time; "
			 "probe the implementation instead", name, path);
		goto cleanup;
	}
	if (lk.n > 1) {
		ret = -ENOTUNIQ;
		snprintf(err, errlen, "'%s' is ambiguous in %s: %d functions, at",
			 name, path, lk.n);
		for (int i = 0; i < lk.n && i < NLIST; i++)
			cat(err, errlen, "%s 0x%llx%s%s%s", i ? "," : "",
			    (unsigned long long)lk.c[i].addr,
			    lk.c[i].file ? " (" : "",
			    lk.c[i].file ? lk.c[i].file : "",
			    lk.c[i].file ? ")" : "");
		if (lk.n > NLIST)
			cat(err, errlen, " and %d more", lk.n - NLIST);
		goto cleanup;
	}

	ret = -ENOEXEC;
	if (elf_getphdrnum(elf, &nph))
		nph = 0;
	for (size_t i = 0; i < nph && i < INT_MAX; i++) {
		GElf_Phdr ph;
		uint64_t a = lk.c[0].addr;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
		    a >= ph.p_vaddr && a - ph.p_vaddr < ph.p_filesz) {
			out->offset = a - ph.p_vaddr + ph.p_offset;
			ret = 0;
			break;
		}
	}
	if (ret) {
		snprintf(err, errlen, "'%s' in %s at 0x%llx is in no loadable "
			 "segment (an object or debug-only file?)", name, path,
			 (unsigned long long)lk.c[0].addr);
		goto cleanup;
	}
	snprintf(out->path, sizeof(out->path), "%s", path);
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->size = lk.c[0].size;

cleanup:
	free(lk.c);
	elf_end(elf);
	if (fd >= 0)
		close(fd);
	return ret;
}

int elfsym__parse_spec(const char *spec, char *lib, size_t liblen, char *sym,
		       size_t symlen, char *err, size_t errlen)
{
	const char *colon = NULL, *s;
	size_t n;

	for (const char *p = spec; *p; p++) {
		if (*p != ':')
			continue;
		if (p[1] == ':') {	/* "::" belongs to a C++ name */
			p++;
			continue;
		}
		if (sym_start(p[1])) {
			colon = p;
			break;
		}
	}
	n = colon ? (size_t)(colon - spec) : 0;
	s = colon ? colon + 1 : spec;
	if (colon && !n) {
		snprintf(err, errlen, "no library before ':'");
		return -EINVAL;
	}
	/* An empty symbol, or one with a ':' that is not in a "::". */
	for (const char *p = s; *p || p == s; p++) {
		if (p[0] == ':' && p[1] == ':') {
			p++;
		} else if (!*p || *p == ':' || *p == ' ' || *p == '\t' ||
			   *p == '\n') {
			snprintf(err, errlen, "%s",
				 *p == ':' && !p[1] ? "no function name after ':'"
						    : "expected SYM or LIB:SYM");
			return -EINVAL;
		}
	}
	if (n >= liblen || strlen(s) >= symlen) {
		snprintf(err, errlen, "too long");
		return -EINVAL;
	}
	memcpy(lib, spec, n);
	lib[n] = '\0';
	strcpy(sym, s);
	return 0;
}

/* True when the mapped file mpath is the library named by its file name
 * (lib has no '/'): libfoo matches libfoo.so.1 and libfoo-2.3.so. */
static bool lib_name_matches(const char *lib, const char *mpath)
{
	const char *base = strrchr(mpath, '/');
	size_t n = strlen(lib);

	base = base ? base + 1 : mpath;
	return !strncmp(base, lib, n) &&
	       (!base[n] || base[n] == '.' || base[n] == '-');
}

int elfsym__find_lib(pid_t pid, const char *lib, char *out, size_t outlen,
		     char *err, size_t errlen)
{
	struct { unsigned int maj, min; unsigned long ino; } seen[NLIST];
	char proc[64], open_path[PATH_MAX + 64], list[1024] = "", *line = NULL;
	bool by_path = strchr(lib, '/'), have_st = false;
	size_t linecap = 0;
	struct stat lst;
	int nseen = 0, ret = 0;
	FILE *maps = NULL;
	ssize_t len;

	if (!*lib) {
		snprintf(err, errlen, "empty library name");
		return -EINVAL;
	}
	if (by_path) {		/* compare files too: /lib is often /usr/lib */
		if (lib[0] == '/')
			snprintf(open_path, sizeof(open_path), "/proc/%d/root%s",
				 (int)pid, lib);
		else
			snprintf(open_path, sizeof(open_path), "%s", lib);
		have_st = !stat(open_path, &lst);
	}
	snprintf(proc, sizeof(proc), "/proc/%d/maps", (int)pid);
	maps = pid > 0 ? fopen(proc, "re") : NULL;
	if (!maps) {
		ret = pid > 0 && errno != ENOENT ? -errno : -ESRCH;
		if (ret == -ESRCH)
			snprintf(err, errlen, "no process with PID %d", (int)pid);
		else
			snprintf(err, errlen, "cannot read %s: %s", proc,
				 strerror(-ret));
		return ret;
	}
	while ((len = getline(&line, &linecap, maps)) > 0) {
		unsigned long start, end, ino;
		unsigned int maj, min;
		char perms[8], *path;
		bool deleted, same = false;
		int pos = 0;

		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (sscanf(line, "%lx-%lx %7s %*x %x:%x %lu %n", &start, &end,
			   perms, &maj, &min, &ino, &pos) < 6 || !pos)
			continue;
		path = line + pos;
		if (strlen(perms) < 3 || perms[2] != 'x' || path[0] != '/')
			continue;
		len = strlen(path);
		deleted = len > 10 && !strcmp(path + len - 10, " (deleted)");
		if (deleted)
			path[len - 10] = '\0';
		if (by_path ? strcmp(path, lib) &&
			      !(have_st && lst.st_ino == ino &&
				major(lst.st_dev) == maj && minor(lst.st_dev) == min)
			    : !lib_name_matches(lib, path))
			continue;
		for (int i = 0; i < nseen && i < NLIST; i++)
			same |= seen[i].maj == maj && seen[i].min == min &&
				seen[i].ino == ino;
		if (same)
			continue;
		if (nseen < NLIST) {
			seen[nseen].maj = maj;
			seen[nseen].min = min;
			seen[nseen].ino = ino;
			cat(list, sizeof(list), "%s%s", nseen ? ", " : "", path);
		}
		if (nseen++)
			continue;
		/* A deleted file, or one on a mount that the process's root
		 * does not reach, is still there through map_files. */
		snprintf(open_path, sizeof(open_path), "/proc/%d/root%s",
			 (int)pid, path);
		if (deleted || access(open_path, F_OK))
			snprintf(open_path, sizeof(open_path),
				 "/proc/%d/map_files/%lx-%lx", (int)pid, start, end);
		if ((size_t)snprintf(out, outlen, "%s", open_path) >= outlen)
			ret = -ENAMETOOLONG;
	}
	if (ferror(maps)) {	/* it exited while we read */
		ret = -ESRCH;
		snprintf(err, errlen, "cannot read %s: the process exited", proc);
	} else if (!nseen) {
		ret = -ENOENT;
		snprintf(err, errlen, "no library '%s' is loaded in PID %d", lib,
			 (int)pid);
	} else if (nseen > 1) {
		ret = -ENOTUNIQ;
		snprintf(err, errlen, "'%s' matches several libraries in PID "
			 "%d: %s%s; give its full name or path", lib, (int)pid,
			 list, nseen > NLIST ? ", ..." : "");
	} else if (ret) {
		snprintf(err, errlen, "path of '%s' too long", lib);
	}
	free(line);
	fclose(maps);
	return ret;
}
