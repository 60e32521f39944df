// SPDX-License-Identifier: MIT
/* follow.c - processes and files of a recording, as they come and go. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "elfsym.h"
#include "follow.h"
#include "common/log.h"
#include "usdt_notes.h"
#include "wire.h"

struct file_key {
	dev_t dev;
	ino_t ino;
	pid_t pid;		/* 0 in global mode */
	int loader;		/* 0: our probes; 1 or 2: the _dl_debug_state
				 * hook (2: it failed); 3: python's GC */
};

struct follow {
	struct follow_opts o;
	struct file_key *files;
	int nfiles, capfiles;
	pid_t *pids;		/* every pid traced, in order */
	int npids, cappids;
	pid_t *live;
	int nlive, caplive;
	uint64_t last_check_ns;
};

static int push(pid_t **a, int *n, int *cap, pid_t v)
{
	if (*n == *cap) {
		int nc = *cap ? *cap * 2 : 16;
		pid_t *na = realloc(*a, nc * sizeof(*na));

		if (!na)
			return -ENOMEM;
		*a = na;
		*cap = nc;
	}
	(*a)[(*n)++] = v;
	return 0;
}

static int find(const pid_t *a, int n, pid_t v)
{
	for (int i = 0; i < n; i++)
		if (a[i] == v)
			return i;
	return -1;
}

static void drop(pid_t *a, int *n, pid_t v)
{
	int i = find(a, *n, v);

	if (i >= 0)
		a[i] = a[--*n];
}

struct follow *follow__new(const struct follow_opts *o)
{
	struct follow *f = calloc(1, sizeof(*f));

	if (f)
		f->o = *o;
	return f;
}

void follow__free(struct follow *f)
{
	if (!f)
		return;
	free(f->files);
	free(f->pids);
	free(f->live);
	free(f);
}

static int note_pid(struct follow *f, pid_t pid)
{
	int ret = 0;

	if (find(f->pids, f->npids, pid) < 0)
		ret = push(&f->pids, &f->npids, &f->cappids, pid);
	if (!ret && find(f->live, f->nlive, pid) < 0)
		ret = push(&f->live, &f->nlive, &f->caplive, pid);
	return ret;
}

int follow__add(struct follow *f, pid_t pid)
{
	int ret = tracer__track(f->o.tr, pid);

	if (ret)
		return ret;
	procctx__get(f->o.pc, pid);
	return note_pid(f, pid);
}

/* Fills k for the file at path; 1 if it is attached already, 0 if not,
 * -errno. */
static int known(struct follow *f, pid_t pid, const char *path, int loader,
		 struct file_key *k)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	memset(k, 0, sizeof(*k));
	k->dev = st.st_dev;
	k->ino = st.st_ino;
	k->pid = f->o.global ? 0 : pid;
	k->loader = loader;
	for (int i = 0; i < f->nfiles; i++)
		if (!memcmp(&f->files[i], k, sizeof(*k)))
			return 1;
	return 0;
}

static int remember(struct follow *f, const struct file_key *k)
{
	if (f->nfiles == f->capfiles) {
		int nc = f->capfiles ? f->capfiles * 2 : 16;
		struct file_key *nf = realloc(f->files, nc * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		f->files = nf;
		f->capfiles = nc;
	}
	f->files[f->nfiles++] = *k;
	return 0;
}

/* CPython's GC probes in the file, once per file (and process, without
 * --children/--all).  A file without them is remembered too. */
static void attach_gc(struct follow *f, pid_t pid, const char *path,
		      const char *display)
{
	struct file_key k;
	char err[512];
	int ret;

	if (!f->o.gc || known(f, pid, path, 3, &k))
		return;
	ret = tracer__attach_gc(f->o.tr, f->o.global ? -1 : pid, path, err,
				sizeof(err));
	if (ret < 0)
		pr_warn("%s: its garbage collections will not be spans: %s",
			display, err);
	else if (ret)
		pr_verbose("attached %d GC probe sites in %s", ret, display);
	remember(f, &k);
}

int follow__attach_file(struct follow *f, pid_t pid, const char *path,
			const char *display, char *err, size_t errlen)
{
	struct file_key k;
	int ret;

	attach_gc(f, pid, path, display);
	ret = known(f, pid, path, 0, &k);
	if (ret) {
		if (ret < 0)
			snprintf(err, errlen, "%s: %s", display, strerror(-ret));
		return ret < 0 ? ret : 0;
	}
	ret = tracer__attach(f->o.tr, f->o.global ? -1 : pid, path, err, errlen);
	if (ret <= 0)
		return ret;
	pr_verbose("attached %d probe sites in %s%s", ret, display,
		   f->o.global ? " (every traced process)" : "");
	return remember(f, &k) ?: ret;
}

/* Puts the dlopen watch on pid's dynamic loader, once per loader file (per
 * process without --children/--all).  A static binary has none: fine. */
static void watch_loader(struct follow *f, pid_t pid)
{
	char path[4096], err[512];
	struct elfsym es;
	struct file_key k;

	if (elfsym__find_lib(pid, "ld-linux", path, sizeof(path), err, sizeof(err)) &&
	    elfsym__find_lib(pid, "ld-musl", path, sizeof(path), err, sizeof(err)))
		return;
	if (known(f, pid, path, 1, &k))
		return;
	if (elfsym__resolve(path, "_dl_debug_state", &es, err, sizeof(err)) ||
	    tracer__attach_loader(f->o.tr, f->o.global ? -1 : pid, path,
				  es.offset, err, sizeof(err))) {
		/* A process that has exited meanwhile loads nothing more. */
		if (!(kill(pid, 0) && errno == ESRCH))
			pr_notice("PID %d: libraries it loads from now on will "
				  "not be traced: %s", pid, err);
		k.loader = 2;	/* do not try again */
	}
	remember(f, &k);
}

int follow__scan(struct follow *f, pid_t pid, char *err, size_t errlen)
{
	struct usdt_file *files = NULL;
	int n, total = 0, ret = 0;

	/* The watch first: a library that the process loads while we scan
	 * is then either in the scan or reported by the watch (a Python
	 * script imports the mlprobe module a few ms after exec). */
	watch_loader(f, pid);
	if (f->o.gc && (n = usdt_proc__scan(pid, "python", &files, err, errlen)) > 0) {
		for (int i = 0; i < n; i++) {
			attach_gc(f, pid, files[i].path, files[i].display);
			usdt_file__free(&files[i]);
		}
		free(files);
		files = NULL;
	}
	n = usdt_proc__scan(pid, "mlprobe", &files, err, errlen);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (!ret) {
			int r = follow__attach_file(f, pid, files[i].path,
						    files[i].display, err, errlen);

			if (r < 0)
				ret = r;
			else
				total += r;
		}
		usdt_file__free(&files[i]);
	}
	free(files);
	return ret ? ret : total;
}

static void rescan(struct follow *f, pid_t pid)
{
	char err[512];
	int ret = follow__scan(f, pid, err, sizeof(err));

	/* A process that exits while we look is not an error. */
	if (ret < 0 && ret != -ESRCH && ret != -ENOENT &&
	    !(kill(pid, 0) && errno == ESRCH))
		pr_notice("PID %d: %s", pid, err);
}

void follow__on_proc(void *ctx, const struct mp_proc_rec *r)
{
	struct follow *f = ctx;
	pid_t pid = (pid_t)r->h.pid;

	switch (r->event) {
	case MP_PROC_FORK:
		/* The child shares its parent's mappings: nothing to scan. */
		procctx__fork(f->o.pc, pid, (pid_t)r->ppid);
		note_pid(f, pid);
		pr_verbose("following PID %d (forked by %u)", pid, r->ppid);
		break;
	case MP_PROC_EXEC:
		procctx__exec(f->o.pc, pid);
		note_pid(f, pid);
		rescan(f, pid);
		break;
	case MP_PROC_MMAP:
		/* Right away: the trainer may call into the new library at
		 * once, and these records are rare (two per dlopen). */
		rescan(f, pid);
		break;
	case MP_PROC_EXIT:
		drop(f->live, &f->nlive, pid);
		procctx__exit(f->o.pc, pid);
		break;
	}
}

/* A process is gone when it has no /proc entry or is a zombie. */
static bool alive(pid_t pid)
{
	char state;

	return !procctx_stat(pid, &state, NULL) && state != 'Z' && state != 'X';
}

static int on_tick(void *ctx, uint64_t now)
{
	struct follow *f = ctx;

	/* The exit record can be lost to a full ring: check once a second. */
	if (f->o.until_empty && now - f->last_check_ns >= 1000000000ull) {
		f->last_check_ns = now;
		for (int i = f->nlive - 1; i >= 0; i--)
			if (!alive(f->live[i]))
				f->live[i] = f->live[--f->nlive];
	}
	return 0;
}

bool follow__done(void *ctx)
{
	struct follow *f = ctx;

	return f->o.until_empty && f->nlive == 0;
}

const struct row_proc *follow__proc_of(void *ctx, uint32_t pid)
{
	return procctx__get(((struct follow *)ctx)->o.pc, (pid_t)pid);
}

struct sink follow__sink(struct follow *f)
{
	return (struct sink){ .name = "follow", .ctx = f, .tick = on_tick };
}

int follow__npids(const struct follow *f)
{
	return f->npids;
}

const pid_t *follow__pids(const struct follow *f)
{
	return f->pids;
}

int follow__nlive(const struct follow *f)
{
	return f->nlive;
}
