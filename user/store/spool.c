// SPDX-License-Identifier: MIT
/* spool.c - the upload spool (see spool.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "common/log.h"
#include "common/fsutil.h"
#include "common/spawn.h"
#include "spool.h"
#include "spool_int.h"

#define UPLOAD_LOG_MAX	(1u << 20)	/* upload.log starts over above */

struct entry {
	char *name;
	uint64_t bytes;
	struct timespec mtime;
};

struct spool {
	struct spool_opts o;
	char dir[PATH_MAX], sdir[PATH_MAX];
	char **argv;			/* one block (spawn_split layout) */
	struct entry *e;		/* pending, oldest first */
	size_t n, cap;
	uint64_t total;			/* pending bytes */
	pid_t child;			/* upload in progress, 0 when none */
	char *child_name;
	uint64_t child_start, next_try, backoff;
	struct spool_stats st;
	char last_err[160];
	bool failing;
};

int spool__check_cmd(const char *line, char *err, size_t errlen)
{
	char **av, exe[PATH_MAX], why[256];
	int ret = spawn_split(line, "the upload command", &av, why, sizeof(why));

	if (ret) {
		snprintf(err, errlen, "--upload-cmd: %s", why);
		return ret;
	}
	ret = spawn_resolve(av[0], exe, sizeof(exe));
	if (ret)
		snprintf(err, errlen, "--upload-cmd: %s: %s", av[0],
			 spawn_resolve_why(av[0], ret));
	free(av);
	return ret;
}

/* One block holding a copy of argv (the spawn_split layout). */
static char **copy_argv(char *const *argv, size_t extra)
{
	size_t n = 0, bytes = 0;
	char **av, *w;

	for (; argv[n]; n++)
		bytes += strlen(argv[n]) + 1;
	av = malloc((n + 1) * sizeof(*av) + bytes + extra);
	if (!av)
		return NULL;
	w = (char *)(av + n + 1);
	for (size_t i = 0; i < n; i++) {
		av[i] = w;
		w = stpcpy(w, argv[i]) + 1;
	}
	av[n] = NULL;
	return av;
}

static int write_file(const char *path, const void *buf, size_t len)
{
	char tmp[PATH_MAX];
	int fd, ret = 0;

	snprintf(tmp, sizeof(tmp), "%.4000s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len || fsync(fd))
		ret = errno ? -errno : -EIO;
	close(fd);
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

static int save_command(struct spool *s)
{
	char path[PATH_MAX], *buf, *w;
	size_t len = 0;
	int ret;

	for (int i = 0; s->argv[i]; i++)
		len += strlen(s->argv[i]) + 1;
	buf = w = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	for (int i = 0; s->argv[i]; i++)
		w = stpcpy(w, s->argv[i]) + 1;
	spool_path(path, sizeof(path), s->dir, "command");
	ret = write_file(path, buf, len);
	free(buf);
	return ret;
}

static int load_command(struct spool *s)
{
	char path[PATH_MAX], buf[8192], *av[256];
	ssize_t len;
	int fd, n = 0;

	spool_path(path, sizeof(path), s->dir, "command");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0 || buf[len - 1])
		return -EINVAL;
	for (char *p = buf; p < buf + len && n < 255; p += strlen(p) + 1)
		av[n++] = p;
	av[n] = NULL;
	s->argv = copy_argv(av, 0);
	return s->argv ? 0 : -ENOMEM;
}

static int cmp_entry(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;

	if (a->mtime.tv_sec != b->mtime.tv_sec)
		return a->mtime.tv_sec < b->mtime.tv_sec ? -1 : 1;
	if (a->mtime.tv_nsec != b->mtime.tv_nsec)
		return a->mtime.tv_nsec < b->mtime.tv_nsec ? -1 : 1;
	return strcmp(a->name, b->name);
}

static int push(struct spool *s, const char *name, const struct stat *st)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct entry *e = realloc(s->e, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		s->e = e;
		s->cap = cap;
	}
	s->e[s->n].name = strdup(name);
	if (!s->e[s->n].name)
		return -ENOMEM;
	s->e[s->n].bytes = (uint64_t)st->st_size;
	s->e[s->n].mtime = st->st_mtim;
	s->total += (uint64_t)st->st_size;
	s->n++;
	return 0;
}

static void drop(struct spool *s, size_t i)
{
	s->total -= s->e[i].bytes;
	free(s->e[i].name);
	memmove(&s->e[i], &s->e[i + 1], (s->n - i - 1) * sizeof(*s->e));
	s->n--;
}

/* The files below the spool folder sub ("" at the top), names relative. */
static int load_folder(struct spool *s, const char *sub, int depth)
{
	char path[PATH_MAX], name[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int ret = 0;

	if (snprintf(path, sizeof(path), "%s%s%s", s->sdir, *sub ? "/" : "",
		     sub) >= (int)sizeof(path))
		return 0;
	if (!(d = opendir(path)))
		return -errno;
	while (!ret && (de = readdir(d))) {
		if (de->d_name[0] == '.' || (!depth && spool_is_meta(de->d_name)) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (snprintf(name, sizeof(name), "%s%s%s", sub, *sub ? "/" : "",
			     de->d_name) >= (int)sizeof(name))
			continue;
		if (S_ISREG(st.st_mode))
			ret = push(s, name, &st);
		else if (S_ISDIR(st.st_mode) && depth < SPOOL_DEPTH)
			ret = load_folder(s, name, depth + 1);
	}
	closedir(d);
	return ret;
}

static int load_pending(struct spool *s)
{
	int ret = load_folder(s, "", 0);

	if (s->n)
		qsort(s->e, s->n, sizeof(*s->e), cmp_entry);
	return ret;
}

static void log_line(struct spool *s, const char *what, const char *name)
{
	char path[PATH_MAX], line[PATH_MAX + 32];
	int fd, n;

	spool_path(path, sizeof(path), s->dir, "log");
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	n = snprintf(line, sizeof(line), "%s %s\n", what, name);
	if (write(fd, line, (size_t)n) == n)
		fdatasync(fd);
	close(fd);
}

int spool__open(const struct spool_opts *opts, struct spool **out)
{
	struct spool *s;
	int ret;

	*out = NULL;
	if (!opts || opts->sz < sizeof(*opts) || !opts->dir)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->o = *opts;
	if (!s->o.backoff_min_ns)
		s->o.backoff_min_ns = 500000000ull;
	if (!s->o.backoff_max_ns)
		s->o.backoff_max_ns = 60000000000ull;
	if (!s->o.timeout_ns)
		s->o.timeout_ns = 600000000000ull;
	ret = -ENAMETOOLONG;
	if (snprintf(s->dir, sizeof(s->dir), "%s", opts->dir) >= (int)sizeof(s->dir) ||
	    spool_path(s->sdir, sizeof(s->sdir), s->dir, NULL))
		goto fail;
	/* File paths are matched against DIR: "runs/x/" is "runs/x". */
	for (size_t n = strlen(s->dir); n > 1 && s->dir[n - 1] == '/'; n--)
		s->dir[n - 1] = 0;
	s->o.dir = s->dir;
	s->o.argv = NULL;
	if (mkdir(s->sdir, 0755) && errno != EEXIST) {
		ret = -errno;
		goto fail;
	}
	if (opts->argv) {
		ret = -ENOMEM;
		s->argv = copy_argv(opts->argv, 0);
		if (!s->argv || (ret = save_command(s)))
			goto fail;
	} else if ((ret = load_command(s))) {
		goto fail;
	}
	if ((ret = load_pending(s)))
		goto fail;
	*out = s;
	return 0;
fail:
	spool__free(s);
	return ret;
}

/* Past max_bytes: the oldest pending files (not the one being sent) leave
 * the spool.  They stay in DIR. */
static void enforce_max(struct spool *s)
{
	for (size_t i = 0; s->o.max_bytes && s->total > s->o.max_bytes &&
			   i < s->n;) {
		if (s->child && !strcmp(s->e[i].name, s->child_name)) {
			i++;
			continue;
		}
		pr_err("upload spool over %llu bytes: %s is left out, not "
		       "uploaded (the file stays in %s)",
		       (unsigned long long)s->o.max_bytes, s->e[i].name, s->dir);
		spool_unlink_name(s->sdir, s->e[i].name);
		log_line(s, "gave-up", s->e[i].name);
		s->st.given_up++;
		drop(s, i);
	}
}

int spool__add(struct spool *s, const char *path)
{
	const char *name = spool_rel_name(s->dir, path);
	char link_path[PATH_MAX];
	struct stat st;
	int ret;

	if (!name)
		return -EINVAL;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->e[i].name, name))
			return 0;
	if ((ret = spool_path(link_path, sizeof(link_path), s->dir, name)) ||
	    (ret = spool_make_parents(s->sdir, name)))
		return ret;
	if (link(path, link_path) && errno != EEXIST)
		return -errno;
	if (stat(link_path, &st))
		return -errno;
	ret = spool_fsync_parents(s->sdir, name);
	if (!ret)
		ret = push(s, name, &st);
	if (!ret)
		enforce_max(s);
	return ret;
}

/* The upload command for one file: {} replaced, or the path appended. */
static char **command_for(struct spool *s, const char *file)
{
	size_t n = 0, flen = strlen(file), bytes = flen + 1;
	bool any = false;
	char **av, *w;

	for (; s->argv[n]; n++) {
		bytes += strlen(s->argv[n]) + 1;
		for (const char *p = s->argv[n]; (p = strstr(p, "{}")); p += 2) {
			bytes += flen;
			any = true;
		}
	}
	av = malloc((n + 2) * sizeof(*av) + bytes);
	if (!av)
		return NULL;
	w = (char *)(av + n + 2);
	for (size_t i = 0; i < n; i++) {
		const char *p = s->argv[i], *q;

		av[i] = w;
		while ((q = strstr(p, "{}"))) {
			memcpy(w, p, (size_t)(q - p));
			w = stpcpy(w + (q - p), file);
			p = q + 2;
		}
		w = stpcpy(w, p) + 1;
	}
	av[n] = any ? NULL : strcpy(w, file);
	av[n + 1] = NULL;
	return av;
}

static void start(struct spool *s, uint64_t now)
{
	char file[PATH_MAX], logp[PATH_MAX], exe[PATH_MAX], msg[PATH_MAX + 96];
	char **av;
	struct stat st;
	size_t msglen;
	pid_t pid;
	int r;

	spool_path(file, sizeof(file), s->dir, s->e[0].name);
	spool_path(logp, sizeof(logp), s->dir, "upload.log");
	av = command_for(s, file);
	if (!av)
		return;
	/* What the child needs is ready before the fork (mlprobe may have
	 * other threads): the PATH search, and the line it prints when the
	 * command cannot run (exit status 127, as from a shell). */
	r = spawn_resolve(av[0], exe, sizeof(exe));
	msglen = (size_t)snprintf(msg, sizeof(msg),
				  "mlprobe upload: cannot run %.4000s: %s\n",
				  av[0], r ? strerror(-r) : "exec failed");
	if (msglen >= sizeof(msg))
		msglen = sizeof(msg) - 1;
	/* A log that grew past its bound starts over. */
	if (!stat(logp, &st) && st.st_size > UPLOAD_LOG_MAX)
		truncate(logp, 0);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* Its own process group: a terminal's Ctrl-C is ours to pass
		 * on, and a timeout kills the whole group. */
		int fd;

		spawn_child_reset();
		fd = open(logp, O_WRONLY | O_APPEND | O_CREAT, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
		if (!r)
			execve(exe, av, environ);
		if (write(2, msg, msglen) < 0)
			_exit(127);
		_exit(127);
	}
	free(av);
	if (pid < 0) {
		snprintf(s->last_err, sizeof(s->last_err), "fork: %s",
			 strerror(errno));
		return;
	}
	s->child = pid;
	s->child_start = now;
	free(s->child_name);
	s->child_name = strdup(s->e[0].name);
}

static void finished(struct spool *s, int status, bool timed_out, uint64_t now)
{
	char why[128];
	size_t i;

	for (i = 0; i < s->n && s->child_name &&
		    strcmp(s->e[i].name, s->child_name); i++)
		;
	s->child = 0;
	if (!timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (s->failing)
			pr_err("uploads work again");
		s->failing = false;
		s->backoff = 0;
		s->next_try = 0;
		if (i < s->n) {
			s->st.sent++;
			s->st.sent_bytes += s->e[i].bytes;
			if (!s->o.quiet)
				fprintf(stderr, "mlprobe: uploaded %s (%llu bytes)\n",
					s->e[i].name,
					(unsigned long long)s->e[i].bytes);
			else
				pr_verbose("uploaded %s", s->e[i].name);
			log_line(s, "uploaded", s->e[i].name);
			spool_unlink_name(s->sdir, s->e[i].name);
			drop(s, i);
		}
		return;
	}
	if (timed_out)
		snprintf(why, sizeof(why), "timed out after %llu s",
			 (unsigned long long)(s->o.timeout_ns / 1000000000ull));
	else if (WIFEXITED(status))
		snprintf(why, sizeof(why), "exit status %d", WEXITSTATUS(status));
	else
		snprintf(why, sizeof(why), "killed by signal %d", WTERMSIG(status));
	s->st.failures++;
	/* One line when uploads start failing or fail differently, not one
	 * per retry. */
	if (!s->failing || strcmp(why, s->last_err))
		pr_err("upload of %s failed (%s; its output is in "
		       "%s/upload.log); keeping the files in %s and retrying "
		       "with backoff", s->child_name ? s->child_name : "?", why,
		       s->sdir, s->sdir);
	snprintf(s->last_err, sizeof(s->last_err), "%s", why);
	s->failing = true;
	s->backoff = s->backoff ? s->backoff * 2 : s->o.backoff_min_ns;
	if (s->backoff > s->o.backoff_max_ns)
		s->backoff = s->o.backoff_max_ns;
	s->next_try = now + s->backoff;
}

void spool__tick(struct spool *s, uint64_t now)
{
	int status;

	if (!s)
		return;
	if (s->child) {
		pid_t r = waitpid(s->child, &status, WNOHANG);

		if (r == s->child) {
			finished(s, status, false, now);
		} else if (r < 0) {
			/* Reaped by someone else: count it as failed. */
			finished(s, 1 << 8, false, now);
		} else if (now - s->child_start > s->o.timeout_ns) {
			kill(-s->child, SIGKILL);
			kill(s->child, SIGKILL);
			waitpid(s->child, &status, 0);
			finished(s, status, true, now);
		}
	}
	if (!s->child && s->n && now >= s->next_try)
		start(s, now);
}

void spool__retry_now(struct spool *s)
{
	if (s)
		s->next_try = 0;
}

bool spool__idle(const struct spool *s)
{
	return !s || (!s->n && !s->child);
}

uint64_t spool__next_ns(const struct spool *s, uint64_t now)
{
	if (s->child)
		return now + 20000000ull;	/* poll the child */
	if (s->n)
		return s->next_try > now ? s->next_try : now;
	return UINT64_MAX;
}

void spool__stop(struct spool *s)
{
	if (!s || !s->child)
		return;
	kill(-s->child, SIGKILL);
	kill(s->child, SIGKILL);
	waitpid(s->child, NULL, 0);
	s->child = 0;
}

void spool__stats(const struct spool *s, struct spool_stats *st)
{
	*st = s->st;
	st->pending = s->n;
	st->pending_bytes = s->total;
}

const char *spool__last_error(const struct spool *s)
{
	return s->failing ? s->last_err : "";
}

void spool__free(struct spool *s)
{
	if (!s)
		return;
	spool__stop(s);
	for (size_t i = 0; i < s->n; i++)
		free(s->e[i].name);
	free(s->e);
	free(s->argv);
	free(s->child_name);
	free(s);
}

/* Names logged as sent or given up, as one buffer of lines. */
