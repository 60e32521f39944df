// SPDX-License-Identifier: MIT
/*
 * usdt_notes.c - read USDT probe sites from ELF notes, with libelf.
 *
 * A site is one SHT_NOTE entry of owner "stapsdt", type 3, in the section
 * .note.stapsdt.  Its descriptor holds three addresses (pc, the link-time
 * address of .stapsdt.base, semaphore), each 4 or 8 bytes by ELF class and
 * in the file's byte order, then three NUL-terminated strings: provider,
 * name, argument spec.  The note section is not allocated, so it is found
 * through the section headers, which strip keeps.
 *
 * Everything read from the file is untrusted: libelf checks that sections
 * lie inside the file and gelf_getnote() that notes lie inside the section;
 * the descriptor's own layout is checked here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "log.h"
#include "usdt_notes.h"

#define STAPSDT_OWNER "stapsdt"
#define STAPSDT_TYPE 3

static uint64_t get_addr(const unsigned char *p, size_t sz, bool msb)
{
	uint64_t v = 0;

	for (size_t i = 0; i < sz; i++)
		v = msb ? (v << 8) | p[i] : v | (uint64_t)p[i] << (8 * i);
	return v;
}

/* Copies the NUL-terminated string at *p (at most end - *p bytes) into dst,
 * cut to dstlen, and moves *p past its NUL.  False when it has no NUL. */
static bool take_str(const char **p, const char *end, char *dst, size_t dstlen)
{
	const char *nul = memchr(*p, '\0', end - *p);

	if (!nul)
		return false;
	snprintf(dst, dstlen, "%s", *p);
	*p = nul + 1;
	return true;
}

static int add_site(struct usdt_file *f, int *cap, const struct usdt_site *s)
{
	if (f->nsites == *cap) {
		int ncap = *cap ? *cap * 2 : 16;
		struct usdt_site *n = realloc(f->sites, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		f->sites = n;
		*cap = ncap;
	}
	f->sites[f->nsites++] = *s;
	return 0;
}

/* Parses one note descriptor into s.  False when it is malformed. */
static bool parse_desc(const char *desc, size_t len, size_t addrsz, bool msb,
		       bool have_base, uint64_t base_addr, struct usdt_site *s)
{
	const char *p = desc + 3 * addrsz, *end = desc + len;
	uint64_t note_base;

	if (len < 3 * addrsz + 3)
		return false;
	s->pc = get_addr((const unsigned char *)desc, addrsz, msb);
	note_base = get_addr((const unsigned char *)desc + addrsz, addrsz, msb);
	s->sema_addr = get_addr((const unsigned char *)desc + 2 * addrsz, addrsz, msb);
	if (!take_str(&p, end, s->provider, sizeof(s->provider)) ||
	    !take_str(&p, end, s->name, sizeof(s->name)) ||
	    !take_str(&p, end, s->args, sizeof(s->args)))
		return false;
	/* A prelinked file moved its sections after the notes were written:
	 * the distance from .stapsdt.base tells by how much. */
	if (have_base && note_base) {
		s->pc += base_addr - note_base;
		if (s->sema_addr)
			s->sema_addr += base_addr - note_base;
	}
	return true;
}

static int read_notes(Elf_Scn *scn, const char *provider,
		      size_t addrsz, bool msb, bool have_base,
		      uint64_t base_addr, struct usdt_file *out, int *cap,
		      char *err, size_t errlen)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t off = 0, next, name_off, desc_off;
	GElf_Nhdr nh;
	int ret = 0;

	if (!data || (!data->d_buf && data->d_size)) {
		snprintf(err, errlen, "corrupt .note.stapsdt section: %s",
			 elf_errmsg(-1));
		return -ENOEXEC;
	}
	while (off < data->d_size &&
	       (next = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		const char *buf = data->d_buf;
		struct usdt_site s = { 0 };

		off = next;
		if (nh.n_type != STAPSDT_TYPE ||
		    nh.n_namesz != sizeof(STAPSDT_OWNER) ||
		    memcmp(buf + name_off, STAPSDT_OWNER, sizeof(STAPSDT_OWNER)))
			continue;
		if (!parse_desc(buf + desc_off, nh.n_descsz, addrsz, msb,
				have_base, base_addr, &s)) {
			pr_debug("skipping a malformed stapsdt note");
			continue;
		}
		if (provider && strcmp(provider, s.provider))
			continue;
		ret = add_site(out, cap, &s);
		if (ret) {
			snprintf(err, errlen, "out of memory");
			break;
		}
	}
	return ret;
}

static void set_open_err(int e, char *err, size_t errlen)
{
	if (e == ENOENT)
		snprintf(err, errlen, "no such file");
	else if (e == EACCES || e == EPERM)
		snprintf(err, errlen, "permission denied");
	else
		snprintf(err, errlen, "cannot open: %s", strerror(e));
}

int usdt_file__read(const char *path, const char *provider,
		    struct usdt_file *out, char *err, size_t errlen)
{
	Elf *elf = NULL;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	GElf_Shdr sh;
	struct stat st;
	uint64_t base_addr = 0;
	bool have_base = false, msb;
	size_t shstrndx, addrsz;
	int fd = -1, cap = 0, ret;

	memset(out, 0, sizeof(*out));
	if (elf_version(EV_CURRENT) == EV_NONE) {
		snprintf(err, errlen, "libelf: %s", elf_errmsg(-1));
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		set_open_err(-ret, err, errlen);
		goto cleanup;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "cannot stat: %s", strerror(-ret));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -ENOEXEC;
		snprintf(err, errlen, "not a regular file");
		goto cleanup;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		ret = -ENOEXEC;
		snprintf(err, errlen, "not an ELF file");
		goto cleanup;
	}
	switch (gelf_getclass(elf)) {
	case ELFCLASS32: addrsz = 4; break;
	case ELFCLASS64: addrsz = 8; break;
	default:
		ret = -ENOEXEC;
		snprintf(err, errlen, "not an ELF file (bad class)");
		goto cleanup;
	}
	msb = eh.e_ident[EI_DATA] == ELFDATA2MSB;
	if (elf_getshdrstrndx(elf, &shstrndx)) {
		ret = -ENOEXEC;
		snprintf(err, errlen, "corrupt ELF section headers: %s",
			 elf_errmsg(-1));
		goto cleanup;
	}
	snprintf(out->path, sizeof(out->path), "%s", path);
	snprintf(out->display, sizeof(out->display), "%s", path);

	/* .stapsdt.base first: every note is corrected against it. */
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && !strcmp(name, ".stapsdt.base")) {
			have_base = true;
			base_addr = sh.sh_addr;
		}
	}
	ret = 0;
	while (!ret && (scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".note.stapsdt"))
			continue;
		ret = read_notes(scn, provider, addrsz, msb, have_base,
				 base_addr, out, &cap, err, errlen);
	}

cleanup:
	if (ret)
		usdt_file__free(out);
	elf_end(elf);
	if (fd >= 0)
		close(fd);
	return ret;
}

void usdt_file__free(struct usdt_file *f)
{
	if (!f)
		return;
	free(f->sites);
	f->sites = NULL;
	f->nsites = 0;
}

/* What usdt_proc__scan has read so far. */
struct scan {
	pid_t pid;
	const char *provider;
	struct usdt_file *files;	/* those with sites */
	int nfiles, cap;
	struct { dev_t dev; ino_t ino; } *seen;
	int nseen, seencap;
};

/* Reads one file of the process unless already seen.  Files that vanish or
 * are not ELF are skipped: a process maps all kinds of things. */
static int scan_file(struct scan *sc, const char *open_path,
		     const char *display, char *err, size_t errlen)
{
	struct usdt_file f;
	struct stat st;
	char ferr[256];
	int ret;

	if (stat(open_path, &st)) {
		pr_debug("PID %d: skipping %s: %s", sc->pid, display,
			 strerror(errno));
		return 0;
	}
	for (int i = 0; i < sc->nseen; i++)
		if (sc->seen[i].dev == st.st_dev && sc->seen[i].ino == st.st_ino)
			return 0;
	if (sc->nseen == sc->seencap) {
		int ncap = sc->seencap ? sc->seencap * 2 : 32;
		void *n = realloc(sc->seen, ncap * sizeof(*sc->seen));

		if (!n)
			goto nomem;
		sc->seen = n;
		sc->seencap = ncap;
	}
	sc->seen[sc->nseen].dev = st.st_dev;
	sc->seen[sc->nseen].ino = st.st_ino;
	sc->nseen++;

	ret = usdt_file__read(open_path, sc->provider, &f, ferr, sizeof(ferr));
	if (ret == -ENOMEM)
		goto nomem;
	if (ret) {
		pr_debug("PID %d: skipping %s: %s", sc->pid, display, ferr);
		return 0;
	}
	if (!f.nsites) {
		usdt_file__free(&f);
		return 0;
	}
	snprintf(f.display, sizeof(f.display), "%s", display);
	if (sc->nfiles == sc->cap) {
		int ncap = sc->cap ? sc->cap * 2 : 8;
		struct usdt_file *n = realloc(sc->files, ncap * sizeof(*n));

		if (!n) {
			usdt_file__free(&f);
			goto nomem;
		}
		sc->files = n;
		sc->cap = ncap;
	}
	sc->files[sc->nfiles++] = f;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

int usdt_proc__scan(pid_t pid, const char *provider, struct usdt_file **files,
		    char *err, size_t errlen)
{
	struct scan sc = { .pid = pid, .provider = provider };
	char proc[64], exe[PATH_MAX], open_path[PATH_MAX + 128];
	char *line = NULL;
	size_t linecap = 0;
	FILE *maps = NULL;
	ssize_t n;
	int ret = 0;

	*files = NULL;
	snprintf(proc, sizeof(proc), "/proc/%d/maps", (int)pid);
	maps = pid > 0 ? fopen(proc, "re") : NULL;
	if (!maps) {
		ret = pid > 0 ? -errno : -ESRCH;
		if (ret == -ENOENT || ret == -ESRCH) {
			ret = -ESRCH;
			snprintf(err, errlen, "no process with PID %d", (int)pid);
		} else if (ret == -EACCES || ret == -EPERM) {
			snprintf(err, errlen, "permission denied reading %s "
				 "(run as root or as the process's owner)", proc);
		} else {
			snprintf(err, errlen, "cannot read %s: %s", proc,
				 strerror(-ret));
		}
		goto cleanup;
	}

	/* The executable first, through /proc/PID/exe. */
	snprintf(proc, sizeof(proc), "/proc/%d/exe", (int)pid);
	n = readlink(proc, exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		ret = scan_file(&sc, proc, exe, err, errlen);
		if (ret)
			goto cleanup;
	}

	errno = 0;
	while ((n = getline(&line, &linecap, maps)) > 0) {
		unsigned long start, end;
		char perms[8], *path;
		int pos = 0;
		size_t len;

		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (sscanf(line, "%lx-%lx %7s %*x %*x:%*x %*u %n", &start, &end,
			   perms, &pos) < 3 || !pos)
			continue;
		path = line + pos;
		if (strlen(perms) < 3 || perms[2] != 'x' || path[0] != '/')
			continue;
		/* A deleted file, or one on a mount that the process's root
		 * does not reach, is still there through map_files (which
		 * needs CAP_SYS_ADMIN). */
		len = strlen(path);
		snprintf(open_path, sizeof(open_path), "/proc/%d/root%s",
			 (int)pid, path);
		if ((len > 10 && !strcmp(path + len - 10, " (deleted)")) ||
		    access(open_path, F_OK))
			snprintf(open_path, sizeof(open_path),
				 "/proc/%d/map_files/%lx-%lx", (int)pid, start, end);
		ret = scan_file(&sc, open_path, path, err, errlen);
		if (ret)
			goto cleanup;
	}
	if (ferror(maps)) {
		/* The process exited while we read its maps. */
		ret = errno == ESRCH ? -ESRCH : -EIO;
		snprintf(err, errlen, "cannot read /proc/%d/maps: %s", (int)pid,
			 ret == -ESRCH ? "the process exited" : strerror(errno));
		goto cleanup;
	}
	ret = sc.nfiles;
	*files = sc.files;
	sc.files = NULL;
	sc.nfiles = 0;

cleanup:
	for (int i = 0; i < sc.nfiles; i++)
		usdt_file__free(&sc.files[i]);
	free(sc.files);
	free(sc.seen);
	free(line);
	if (maps)
		fclose(maps);
	return ret;
}

/* 0 if path is an executable regular file, else -ENOENT or -EACCES. */
static int check_exec(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return errno == EACCES ? -EACCES : -ENOENT;
	if (!S_ISREG(st.st_mode) || access(path, X_OK))
		return -EACCES;
	return 0;
}

const char *usdt_resolve_why(const char *cmd, int ret)
{
	if (ret == -ENOENT && cmd && !strchr(cmd, '/'))
		return "command not found";
	return strerror(-ret);
}

int usdt_resolve_cmd(const char *cmd, char *out, size_t outlen)
{
	const char *path, *p;
	int ret = -ENOENT, r;

	if (!cmd || !*cmd)
		return -ENOENT;
	if (strchr(cmd, '/')) {
		ret = check_exec(cmd);
		if (!ret && (size_t)snprintf(out, outlen, "%s", cmd) >= outlen)
			ret = -ENOENT;
		return ret;
	}
	path = getenv("PATH");
	if (!path)
		path = "/bin:/usr/bin";
	for (p = path;; p++) {
		const char *colon = strchrnul(p, ':');
		int dirlen = (int)(colon - p);
		int len;

		/* An empty entry is the current directory. */
		if (dirlen)
			len = snprintf(out, outlen, "%.*s/%s", dirlen, p, cmd);
		else
			len = snprintf(out, outlen, "./%s", cmd);
		if (len >= 0 && (size_t)len < outlen) {
			r = check_exec(out);
			if (!r)
				return 0;
			/* Like execvp: report EACCES if any candidate was
			 * there but not executable. */
			if (r == -EACCES)
				ret = -EACCES;
		}
		p = colon;
		if (!*p)
			break;
	}
	if (outlen)
		out[0] = '\0';
	return ret;
}
