// SPDX-License-Identifier: MIT
/* procctx.c - rank, local rank, world size and parent of traced processes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "procctx.h"

static const struct row_proc unknown = { -1, -1, -1, -1 };

/* The value of NAME in an environment block, or NULL. */
static const char *env_get(const char *env, size_t len, const char *name,
			   size_t *vlen)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < len;) {
		const char *e = env + i;
		const char *end = memchr(e, 0, len - i);
		size_t el = end ? (size_t)(end - e) : len - i;

		if (el > nl && !memcmp(e, name, nl) && e[nl] == '=') {
			*vlen = el - nl - 1;
			return e + nl + 1;
		}
		i += el + 1;
	}
	return NULL;
}

static int32_t env_int(const char *env, size_t len, const char *const *names)
{
	for (; *names; names++) {
		size_t vl;
		const char *v = env_get(env, len, *names, &vl);
		int64_t n = 0;

		if (!v)
			continue;
		if (!vl || vl > 10)
			return -1;
		for (size_t i = 0; i < vl; i++) {
			if (v[i] < '0' || v[i] > '9')
				return -1;
			n = n * 10 + (v[i] - '0');
		}
		return n <= INT32_MAX ? (int32_t)n : -1;
	}
	return -1;
}

void procctx_parse_env(const char *env, size_t len, struct row_proc *out)
{
	static const char *const rank[] = { "RANK", "SLURM_PROCID",
		"OMPI_COMM_WORLD_RANK", "PMI_RANK", NULL };
	static const char *const local[] = { "LOCAL_RANK", "SLURM_LOCALID",
		"OMPI_COMM_WORLD_LOCAL_RANK", NULL };
	static const char *const world[] = { "WORLD_SIZE", "SLURM_NTASKS",
		"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", NULL };

	out->rank = env_int(env, len, rank);
	out->local_rank = env_int(env, len, local);
	out->world_size = env_int(env, len, world);
}

int procctx_env_run_id(const char *env, size_t len, char *out, size_t outlen)
{
	size_t vl;
	const char *v = env_get(env, len, "MLPROBE_RUN_ID", &vl);
	const char *pre = "";

	if (!v || !vl) {
		v = env_get(env, len, "TORCHELASTIC_RUN_ID", &vl);
		if (v && vl == 4 && !memcmp(v, "none", 4))
			v = NULL;
	}
	if (!v || !vl) {
		v = env_get(env, len, "SLURM_JOB_ID", &vl);
		pre = "slurm-";
	}
	if (!v || !vl || !outlen)
		return -ENOENT;
	snprintf(out, outlen, "%s%.*s", pre, (int)(vl < 256 ? vl : 256), v);
	return 0;
}

char *procctx_read_environ(pid_t pid, size_t *len)
{
	char path[64], *buf = NULL;
	size_t cap = 0, n = 0;
	int fd, e;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *nb = realloc(buf, cap ? cap * 2 : 4096);

			if (!nb || cap >= (64u << 20)) {
				free(nb ? nb : buf);
				close(fd);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap = cap ? cap * 2 : 4096;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			free(buf);
			close(fd);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		n += r;
	}
	close(fd);
	*len = n;
	return buf;
}

void procctx_run_id(const char *given, pid_t envpid, const char *host,
		    char *out, size_t outlen)
{
	size_t len;
	char *env;
	time_t now = time(NULL);
	struct tm tm;

	if (given) {
		snprintf(out, outlen, "%s", given);
		return;
	}
	env = procctx_read_environ(envpid, &len);
	if (env && !procctx_env_run_id(env, len, out, outlen)) {
		free(env);
		return;
	}
	free(env);
	gmtime_r(&now, &tm);
	len = strftime(out, outlen, "%Y%m%dT%H%M%SZ", &tm);
	snprintf(out + len, outlen - len, "-%s", host);
}

void procctx_path_safe(char *s, size_t size)
{
	if (!*s || !strcmp(s, ".") || !strcmp(s, "..")) {
		snprintf(s, size, "_");
		return;
	}
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		      *s == '-'))
			*s = '_';
}

/* Open addressing, linear probing; pid 0 marks a free slot and a deleted
 * one is re-marked by moving later entries back (no tombstones). */
struct entry {
	int32_t pid;
	struct row_proc p;
};

struct procctx {
	struct entry *e;
	size_t cap, n;		/* cap: power of two */
	struct entry *last;	/* rows come in runs from one process */
};

struct procctx *procctx__new(void)
{
	struct procctx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->cap = 64;
	c->e = calloc(c->cap, sizeof(*c->e));
	if (!c->e) {
		free(c);
		return NULL;
	}
	return c;
}

void procctx__free(struct procctx *c)
{
	if (!c)
		return;
	free(c->e);
	free(c);
}

static size_t slot(const struct procctx *c, int32_t pid)
{
	return ((uint32_t)pid * 2654435761u) & (c->cap - 1);
}

static struct entry *find(struct procctx *c, int32_t pid)
{
	for (size_t i = slot(c, pid);; i = (i + 1) & (c->cap - 1)) {
		if (c->e[i].pid == pid)
			return &c->e[i];
		if (!c->e[i].pid)
			return NULL;
	}
}

static struct entry *insert(struct procctx *c, int32_t pid)
{
	struct entry *e = find(c, pid);

	if (e)
		return e;
	if ((c->n + 1) * 2 > c->cap) {
		struct entry *old = c->e;
		size_t ocap = c->cap;
		struct entry *ne = calloc(ocap * 2, sizeof(*ne));

		if (!ne)
			return NULL;
		c->e = ne;
		c->cap = ocap * 2;
		for (size_t i = 0; i < ocap; i++) {
			size_t j;

			if (!old[i].pid)
				continue;
			for (j = slot(c, old[i].pid); c->e[j].pid;
			     j = (j + 1) & (c->cap - 1))
				;
			c->e[j] = old[i];
		}
		free(old);
	}
	for (size_t i = slot(c, pid);; i = (i + 1) & (c->cap - 1)) {
		if (!c->e[i].pid) {
			c->e[i].pid = pid;
			c->e[i].p = unknown;
			c->n++;
			c->last = NULL;
			return &c->e[i];
		}
	}
}

int procctx_stat(pid_t pid, char *state, int32_t *ppid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd, pp;
	char st;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = 0;
	/* "pid (comm) state ppid ...": comm may hold anything, but the last
	 * ')' ends it. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %d", &st, &pp) != 2)
		return -EINVAL;
	if (state)
		*state = st;
	if (ppid)
		*ppid = pp;
	return 0;
}

static int32_t read_ppid(pid_t pid)
{
	int32_t ppid;

	return procctx_stat(pid, NULL, &ppid) ? -1 : ppid;
}

static void read_env(struct row_proc *p, pid_t pid)
{
	size_t len;
	char *env = procctx_read_environ(pid, &len);

	if (!env)
		return;
	procctx_parse_env(env, len, p);
	free(env);
}

const struct row_proc *procctx__get(struct procctx *c, pid_t pid)
{
	struct entry *e;

	if (c->last && c->last->pid == pid)
		return &c->last->p;
	e = find(c, pid);
	if (!e) {
		e = insert(c, pid);
		if (!e)
			return &unknown;
		e->p.ppid = read_ppid(pid);
		read_env(&e->p, pid);
	}
	c->last = e;
	return &e->p;
}

void procctx__fork(struct procctx *c, pid_t pid, pid_t parent)
{
	struct row_proc p = *procctx__get(c, parent);
	struct entry *e = insert(c, pid);

	if (!e)
		return;
	e->p = p;
	e->p.ppid = parent;
}

void procctx__exec(struct procctx *c, pid_t pid)
{
	struct entry *e = find(c, pid);
	int32_t ppid = e ? e->p.ppid : read_ppid(pid);

	if (!e && !(e = insert(c, pid)))
		return;
	e->p = unknown;
	e->p.ppid = ppid;
	read_env(&e->p, pid);
}

void procctx__exit(struct procctx *c, pid_t pid)
{
	struct entry *e = find(c, pid);
	size_t i, j;

	if (!e)
		return;
	c->last = NULL;
	i = (size_t)(e - c->e);
	c->e[i].pid = 0;
	c->n--;
	/* Move back the entries of the probe run that follows the hole. */
	for (j = (i + 1) & (c->cap - 1); c->e[j].pid; j = (j + 1) & (c->cap - 1)) {
		size_t home = slot(c, c->e[j].pid);

		/* Keep e[j] where it is if home lies cyclically in (i, j]. */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		c->e[i] = c->e[j];
		c->e[j].pid = 0;
		i = j;
	}
}
