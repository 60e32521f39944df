// SPDX-License-Identifier: MIT
/* alert.c - rules evaluated on rows and ticks; firings to stderr, Parquet
 * and an --on-alert command. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "alert.h"
#include "log.h"
#include "pq_writer.h"
#include "rundir.h"
#include "spool.h"
#include "termtext.h"
#include "usdt_notes.h"

extern char **environ;

#define SERIES_CAP 4096		/* (rule, process, metric) states kept */
#define PRINT_BURST 5		/* stderr lines per rule per window ... */
#define PRINT_WINDOW_NS 10000000000ull	/* ... of 10 s */
#define DROPS_HOLD_NS 10000000000ull	/* drops fire at most every 10 s */
#define CMD_MAX_RUNNING 4
#define MAX_ROW_GROUPS 256	/* then the next alerts-NNNN file */

/* Edge state of a threshold or nan rule for one process (and one metric,
 * for nan(*)). */
struct series {
	bool used, fired;
	int rule;
	uint32_t pid;
	unsigned run;		/* consecutive steps the condition held */
	int64_t last_step;
	char name[RULE_NAME_MAX];	/* nan(*) only */
};

struct rule_state {
	uint64_t fired;
	uint64_t window_start, printed, suppressed;
	uint64_t cmd_last;		/* monotonic ns of the last start */
	bool cmd_ever;
	/* stall */
	bool stall_fired;
	/* drops */
	uint64_t drops_seen, drops_last_fire;
};

enum { A_TS, A_RULE, A_KIND, A_NAME, A_STEP, A_VALUE, A_PID, A_RANK, A_HOST,
       A_RUN, A_MESSAGE, A_NCOLS };
static const struct pq_column alert_cols[A_NCOLS] = {
	[A_TS] = { "ts", PQ_TIMESTAMP_NS, false, PQ_ENC_DEFAULT },
	[A_RULE] = { "rule", PQ_STRING, false, PQ_ENC_DEFAULT },
	[A_KIND] = { "kind", PQ_STRING, false, PQ_ENC_DEFAULT },
	[A_NAME] = { "name", PQ_STRING, true, PQ_ENC_DEFAULT },
	[A_STEP] = { "step", PQ_INT64, true, PQ_ENC_DEFAULT },
	[A_VALUE] = { "value", PQ_DOUBLE, true, PQ_ENC_DEFAULT },
	[A_PID] = { "pid", PQ_INT32, true, PQ_ENC_DEFAULT },
	[A_RANK] = { "rank", PQ_INT32, true, PQ_ENC_DEFAULT },
	[A_HOST] = { "host", PQ_STRING, false, PQ_ENC_DEFAULT },
	[A_RUN] = { "run", PQ_STRING, false, PQ_ENC_DEFAULT },
	[A_MESSAGE] = { "message", PQ_STRING, false, PQ_ENC_DEFAULT },
};

struct alerts {
	struct alerts_opts o;
	struct rule *rules;
	struct rule_state *rs;
	struct series *series;
	char host[256], run[256], dir[4096];
	bool has_stall, has_series;
	/* step progress, for stall rules */
	int64_t max_step;
	bool progress;
	uint64_t steps_seen, last_progress, now;
	/* the alerts file */
	struct pq_writer *w;
	int seq, flushes;
	struct alerts_file *files;
	int nfiles;
	bool file_noted, write_err;
	pid_t running[CMD_MAX_RUNNING];
	struct alerts_stats st;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int64_t utc_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int alerts_resolve_cmd(const char *line, char ***argv, char **path, char *err,
		       size_t errlen)
{
	char buf[PATH_MAX];
	int ret;

	*path = NULL;
	if ((ret = spool__split(line, argv, err, errlen))) {
		/* spool's wording is about uploads */
		if (ret == -EINVAL && !strncmp(err, "unterminated", 12))
			snprintf(err, errlen, "--on-alert: unterminated quote");
		else if (ret == -EINVAL)
			snprintf(err, errlen, "--on-alert: the command is empty");
		return ret;
	}
	ret = usdt_resolve_cmd((*argv)[0], buf, sizeof(buf));
	if (!ret && !(*path = strdup(buf)))
		ret = -ENOMEM;
	if (ret) {
		snprintf(err, errlen, "--on-alert: %s: %s", (*argv)[0],
			 usdt_resolve_why((*argv)[0], ret));
		free(*argv);
		*argv = NULL;
	}
	return ret;
}

/* ---- the alerts file ---- */

static void write_row(struct alerts *a, const struct alert_fire *f)
{
	struct pq_writer_opts wo = { .sz = sizeof(wo), .created_by = a->o.created_by,
				     .gzip_level = 1, .max_dead_pct = 50 };
	struct pq_writer *w;

	if (!a->o.dir[0])
		return;
	if (!a->w) {
		char path[4200];

		snprintf(path, sizeof(path), "%s/alerts-%04d.parquet", a->dir, a->seq);
		a->w = pq_writer__new(path, alert_cols, A_NCOLS, &wo);
		a->file_noted = false;
		a->flushes = 0;
		if (!a->w) {
			a->st.lost++;
			return;
		}
	}
	w = a->w;
	pq_writer__set_i64(w, A_TS, f->ts);
	pq_writer__set_str(w, A_RULE, f->rule->text, strlen(f->rule->text));
	pq_writer__set_str(w, A_KIND, rule_kind_name(f->rule->kind),
			   strlen(rule_kind_name(f->rule->kind)));
	if (f->name)
		pq_writer__set_str(w, A_NAME, f->name, f->name_len);
	if (f->has_step)
		pq_writer__set_i64(w, A_STEP, f->step);
	pq_writer__set_double(w, A_VALUE, f->value);
	if (f->pid >= 0)
		pq_writer__set_i32(w, A_PID, f->pid);
	if (f->rank >= 0)
		pq_writer__set_i32(w, A_RANK, f->rank);
	pq_writer__set_str(w, A_HOST, a->host, strlen(a->host));
	pq_writer__set_str(w, A_RUN, a->run, strlen(a->run));
	pq_writer__set_str(w, A_MESSAGE, f->msg, strlen(f->msg));
	if (pq_writer__end_row(w))
		a->st.lost++;
}

static int close_file(struct alerts *a)
{
	int ret;

	if (!a->w)
		return 0;
	a->st.lost += pq_writer__pending_rows(a->w);
	pq_writer__discard(a->w);
	ret = pq_writer__close(a->w);
	a->w = NULL;
	if (a->file_noted) {
		rundir__fsync(a->dir);
		a->seq++;
	}
	return ret;
}

static int flush_file(struct alerts *a)
{
	size_t n;
	int ret;

	if (!a->w || !(n = pq_writer__pending_rows(a->w)))
		return 0;
	ret = pq_writer__flush(a->w);
	if (ret) {
		if (!a->write_err)
			pr_err("cannot write %s/alerts-%04d.parquet: %s (alerts "
			       "still go to stderr)", a->dir, a->seq, strerror(-ret));
		a->write_err = true;
		/* Alerts are few: past a bound they are dropped, counted. */
		if (pq_writer__pending_rows(a->w) > 10000) {
			a->st.lost += pq_writer__pending_rows(a->w);
			pq_writer__discard(a->w);
		}
		return ret;
	}
	a->write_err = false;
	a->st.written += n;
	if (!a->file_noted) {
		struct alerts_file *f = realloc(a->files, (a->nfiles + 1) *
							   sizeof(*f));

		if (f) {
			a->files = f;
			f[a->nfiles].rows = 0;
			if (asprintf(&f[a->nfiles].path, "%s/alerts-%04d.parquet",
				     a->dir, a->seq) >= 0)
				a->nfiles++;
		}
		a->file_noted = true;
		rundir__fsync(a->dir);
	}
	if (a->nfiles)
		a->files[a->nfiles - 1].rows += n;
	/* The writer keeps dead footers under half the live bytes; past
	 * all of them (it could not rewrite the file) the file is done. */
	if (++a->flushes >= MAX_ROW_GROUPS ||
	    2 * pq_writer__dead_bytes(a->w) > pq_writer__file_bytes(a->w))
		return close_file(a);
	return 0;
}

/* ---- the --on-alert command ---- */

static void reap(struct alerts *a)
{
	for (int i = 0; i < CMD_MAX_RUNNING; i++) {
		int status;

		if (a->running[i] <= 0 ||
		    waitpid(a->running[i], &status, WNOHANG) != a->running[i])
			continue;
		a->running[i] = 0;
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			if (!a->st.cmd_failed++)
				pr_err("--on-alert %s: %s %d (reported once)",
				       a->o.cmd_argv[0],
				       WIFEXITED(status) ? "exit status" : "killed by signal",
				       WIFEXITED(status) ? WEXITSTATUS(status)
							 : WTERMSIG(status));
		}
	}
}

/* Appends one NAME=value string to vars (a NUL-separated block of size
 * VARS_BYTES) and points env[*k] at it; too long: cut. */
#define VARS_BYTES 8192
static void add_var(char *vars, size_t *off, char **env, size_t *k,
		    const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= VARS_BYTES - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(vars + *off, VARS_BYTES - *off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	env[(*k)++] = vars + *off;
	*off += (size_t)n + 1 < VARS_BYTES - *off ? (size_t)n + 1 : VARS_BYTES - *off;
}

static void run_cmd(struct alerts *a, const struct alert_fire *f)
{
	struct rule_state *rs = &a->rs[f->rule_idx];
	char vars[VARS_BYTES], *mine[16];
	char **envp;
	size_t n = 0, k = 0, off = 0;
	int slot = -1;
	pid_t pid;

	reap(a);
	for (int i = 0; i < CMD_MAX_RUNNING; i++)
		if (a->running[i] <= 0)
			slot = i;
	if (slot < 0 || (rs->cmd_ever && a->now - rs->cmd_last < a->o.cmd_interval_ns)) {
		a->st.cmd_skipped++;
		return;
	}
	/* Everything the child needs is built here: between fork and exec
	 * it only calls async-signal-safe functions. */
	add_var(vars, &off, mine, &k, "MLPROBE_ALERT_RULE=%s", f->rule->text);
	add_var(vars, &off, mine, &k, "MLPROBE_ALERT_KIND=%s",
		rule_kind_name(f->rule->kind));
	add_var(vars, &off, mine, &k, "MLPROBE_ALERT_NAME=%.*s", (int)f->name_len,
		f->name ? f->name : "");
	if (f->has_step)
		add_var(vars, &off, mine, &k, "MLPROBE_ALERT_STEP=%lld",
			(long long)f->step);
	else
		add_var(vars, &off, mine, &k, "MLPROBE_ALERT_STEP=");
	add_var(vars, &off, mine, &k, "MLPROBE_ALERT_VALUE=%.17g", f->value);
	if (f->pid >= 0)
		add_var(vars, &off, mine, &k, "MLPROBE_ALERT_PID=%d", (int)f->pid);
	else
		add_var(vars, &off, mine, &k, "MLPROBE_ALERT_PID=");
	/* A process without a rank is rank -1, as in Prometheus's labels and
	 * --partition's rank=-1; a rule about no process (stall, drops) has
	 * neither pid nor rank. */
	if (f->pid >= 0)
		add_var(vars, &off, mine, &k, "MLPROBE_ALERT_RANK=%d",
			f->rank >= 0 ? (int)f->rank : -1);
	else
		add_var(vars, &off, mine, &k, "MLPROBE_ALERT_RANK=");
	add_var(vars, &off, mine, &k, "MLPROBE_ALERT_HOST=%s", a->host);
	add_var(vars, &off, mine, &k, "MLPROBE_ALERT_RUN=%s", a->run);
	add_var(vars, &off, mine, &k, "MLPROBE_ALERT_TIME_NS=%lld", (long long)f->ts);
	add_var(vars, &off, mine, &k, "MLPROBE_ALERT_MESSAGE=%s", f->msg);
	add_var(vars, &off, mine, &k, "MLPROBE_ALERT_DIR=%s", a->dir);
	while (environ && environ[n])
		n++;
	envp = calloc(n + k + 1, sizeof(*envp));
	if (!envp) {
		a->st.cmd_skipped++;
		return;
	}
	n = 0;
	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, "MLPROBE_ALERT_", 14))
			envp[n++] = *e;
	for (size_t i = 0; i < k; i++)
		envp[n++] = mine[i];
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* Its own process group: the terminal's Ctrl-C is for the
		 * trainer and for us, not for a hook halfway through. */
		spool_child_reset();
		execve(a->o.cmd_path, a->o.cmd_argv, envp);
		_exit(127);
	}
	free(envp);
	if (pid < 0) {
		a->st.cmd_skipped++;
		return;
	}
	a->running[slot] = pid;
	a->st.cmd_started++;
	rs->cmd_last = a->now;
	rs->cmd_ever = true;
}

/* ---- firing ---- */

static void fire(struct alerts *a, struct alert_fire *f)
{
	struct rule_state *rs = &a->rs[f->rule_idx];

	a->st.fired++;
	rs->fired++;
	if (!a->o.quiet) {
		if (a->now - rs->window_start >= PRINT_WINDOW_NS || !rs->window_start) {
			if (rs->suppressed)
				fprintf(stderr, "mlprobe: ALERT [%s] %llu more "
					"firings not shown\n", f->rule->text,
					(unsigned long long)rs->suppressed);
			rs->window_start = a->now ? a->now : 1;
			rs->printed = rs->suppressed = 0;
		}
		if (rs->printed < PRINT_BURST) {
			/* the message quotes a name the trainer chose */
			char esc[termtext__max(sizeof(f->msg), -1)];

			termtext__fmt(esc, sizeof(esc), f->msg, strlen(f->msg), -1,
				      false);
			fprintf(stderr, "mlprobe: ALERT [%s] %s\n", f->rule->text, esc);
			rs->printed++;
			a->st.printed++;
		} else {
			rs->suppressed++;
			a->st.suppressed++;
		}
	}
	write_row(a, f);
	if (a->o.on_fire)
		a->o.on_fire(a->o.on_fire_ctx, f);
	if (a->o.cmd_argv)
		run_cmd(a, f);
}

static void who(char *buf, size_t n, uint32_t pid, int32_t rank)
{
	if (rank >= 0)
		snprintf(buf, n, " (pid %u, rank %d)", pid, (int)rank);
	else
		snprintf(buf, n, " (pid %u)", pid);
}

/* ---- series state ---- */

static struct series *series_get(struct alerts *a, int rule, uint32_t pid,
				 const char *name, size_t len)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)rule * 31 ^ pid;

	if (!name)
		len = 0;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 1099511628211ull;
	h ^= h >> 29;
	for (size_t probe = 0; probe < 64; probe++) {
		struct series *s = &a->series[(h + probe) & (SERIES_CAP - 1)];

		if (!s->used) {
			s->used = true;
			s->rule = rule;
			s->pid = pid;
			s->last_step = INT64_MIN;
			if (len)
				memcpy(s->name, name, len);
			s->name[len] = 0;
			return s;
		}
		if (s->rule == rule && s->pid == pid &&
		    (!len || (strlen(s->name) == len && !memcmp(s->name, name, len))))
			return s;
	}
	return NULL;	/* full: this series is not watched (bounded memory) */
}

static int on_metric(void *ctx, const struct row_metric *r)
{
	struct alerts *a = ctx;

	if (r->step > a->max_step) {
		a->max_step = r->step;
		a->progress = true;
	}
	if (!a->has_series)
		return 0;
	for (int i = 0; i < a->o.nrules; i++) {
		const struct rule *ru = &a->rules[i];
		bool wild = ru->kind == RULE_NAN && ru->name_len == 1 && ru->name[0] == '*';
		bool holds;
		struct series *s;

		if (ru->kind != RULE_THRESHOLD && ru->kind != RULE_NAN)
			continue;
		if (!wild && (ru->name_len != r->name_len ||
			      memcmp(ru->name, r->name, r->name_len)))
			continue;
		holds = ru->kind == RULE_NAN ? !isfinite(r->value) : rule_holds(ru, r->value);
		s = series_get(a, i, r->pid, wild ? r->name : NULL, r->name_len);
		if (!s)
			continue;
		if (!holds) {
			s->run = 0;
			s->fired = false;
			continue;
		}
		if (s->run == 0 || r->step != s->last_step)
			s->run++;
		s->last_step = r->step;
		if (s->fired || s->run < ru->for_steps)
			continue;
		s->fired = true;
		{
			struct alert_fire f = {
				.rule = ru, .rule_idx = i, .ts = r->ts,
				.name = r->name, .name_len = r->name_len,
				.has_step = true, .step = r->step, .value = r->value,
				.pid = (int32_t)r->pid, .rank = r->proc->rank,
			};
			char w[64], runs[48] = "";

			who(w, sizeof(w), r->pid, r->proc->rank);
			if (ru->for_steps > 1)
				snprintf(runs, sizeof(runs), ", %u steps in a row",
					 s->run);
			snprintf(f.msg, sizeof(f.msg), "%.*s = %g at step %lld%s%s",
				 (int)(r->name_len > 128 ? 128 : r->name_len), r->name,
				 r->value, (long long)r->step, runs, w);
			fire(a, &f);
		}
	}
	return 0;
}

static int on_span(void *ctx, const struct row_span *r)
{
	struct alerts *a = ctx;

	if (r->has_step && r->step > a->max_step) {
		a->max_step = r->step;
		a->progress = true;
	}
	return 0;
}

void alerts__counters(struct alerts *a, uint64_t dropped, uint64_t steps,
		      uint64_t now)
{
	a->now = now;
	if (steps != a->steps_seen) {
		a->steps_seen = steps;
		a->progress = true;
	}
	for (int i = 0; i < a->o.nrules; i++) {
		struct rule_state *rs = &a->rs[i];
		struct alert_fire f = { .rule = &a->rules[i], .rule_idx = i,
					.pid = -1, .rank = -1 };

		if (a->rules[i].kind != RULE_DROPS || dropped <= rs->drops_seen ||
		    (rs->drops_last_fire && now - rs->drops_last_fire < DROPS_HOLD_NS))
			continue;
		f.ts = utc_ns();
		f.value = (double)dropped;
		snprintf(f.msg, sizeof(f.msg), "%llu records lost so far (+%llu); "
			 "a larger --ring-size or fewer events per step helps",
			 (unsigned long long)dropped,
			 (unsigned long long)(dropped - rs->drops_seen));
		rs->drops_seen = dropped;
		rs->drops_last_fire = now;
		fire(a, &f);
	}
}

static int on_tick(void *ctx, uint64_t now)
{
	struct alerts *a = ctx;

	a->now = now;
	if (!a->last_progress || a->progress) {
		a->last_progress = now;
		if (a->progress)
			for (int i = 0; i < a->o.nrules; i++)
				a->rs[i].stall_fired = false;
		a->progress = false;
	}
	for (int i = 0; a->has_stall && i < a->o.nrules; i++) {
		const struct rule *ru = &a->rules[i];
		struct alert_fire f = { .rule = ru, .rule_idx = i, .pid = -1,
					.rank = -1 };

		if (ru->kind != RULE_STALL || a->rs[i].stall_fired ||
		    now - a->last_progress < ru->stall_ns)
			continue;
		a->rs[i].stall_fired = true;
		f.ts = utc_ns();
		f.value = (now - a->last_progress) / 1e9;
		f.has_step = a->max_step != INT64_MIN;
		f.step = a->max_step;
		if (f.has_step)
			snprintf(f.msg, sizeof(f.msg), "no step progress for %.1f s "
				 "(last step %lld)", f.value, (long long)f.step);
		else
			snprintf(f.msg, sizeof(f.msg), "no step progress for %.1f s "
				 "(no step seen yet)", f.value);
		fire(a, &f);
	}
	if (a->o.cmd_argv)
		reap(a);
	return flush_file(a);
}

static int on_finish(void *ctx)
{
	struct alerts *a = ctx;
	int ret = flush_file(a), r2;

	if (a->o.cmd_argv)
		reap(a);
	for (int i = 0; i < a->o.nrules; i++)
		if (a->rs[i].suppressed && !a->o.quiet)
			fprintf(stderr, "mlprobe: ALERT [%s] %llu more firings not "
				"shown\n", a->rules[i].text,
				(unsigned long long)a->rs[i].suppressed);
	r2 = close_file(a);
	return ret ? ret : r2;
}

int alerts__new(const struct alerts_opts *opts, struct alerts **out)
{
	struct alerts *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (!a)
		return -ENOMEM;
	a->o = *opts;
	a->rules = calloc(opts->nrules ? opts->nrules : 1, sizeof(*a->rules));
	a->rs = calloc(opts->nrules ? opts->nrules : 1, sizeof(*a->rs));
	a->series = calloc(SERIES_CAP, sizeof(*a->series));
	if (!a->rules || !a->rs || !a->series) {
		alerts__free(a);
		return -ENOMEM;
	}
	memcpy(a->rules, opts->rules, opts->nrules * sizeof(*a->rules));
	for (int i = 0; i < opts->nrules; i++) {
		a->has_stall |= a->rules[i].kind == RULE_STALL;
		a->has_series |= a->rules[i].kind == RULE_THRESHOLD ||
				 a->rules[i].kind == RULE_NAN;
	}
	snprintf(a->host, sizeof(a->host), "%s", opts->host ? opts->host : "");
	snprintf(a->run, sizeof(a->run), "%s", opts->run ? opts->run : "");
	snprintf(a->dir, sizeof(a->dir), "%s", opts->dir ? opts->dir : "");
	a->o.dir = a->dir;
	a->o.rules = a->rules;
	if (!a->o.cmd_interval_ns)
		a->o.cmd_interval_ns = 5000000000ull;
	if (!a->o.created_by)
		a->o.created_by = "mlprobe";
	a->max_step = INT64_MIN;
	a->now = mono_ns();
	*out = a;
	return 0;
}

struct sink alerts__sink(struct alerts *a)
{
	return (struct sink){ .name = "alerts", .ctx = a, .metric = on_metric,
			      .span = on_span, .tick = on_tick,
			      .finish = on_finish };
}

const struct alerts_stats *alerts__stats(const struct alerts *a)
{
	return &a->st;
}

int alerts__nfiles(const struct alerts *a)
{
	return a ? a->nfiles : 0;
}

const struct alerts_file *alerts__file(const struct alerts *a, int i)
{
	return i >= 0 && i < a->nfiles ? &a->files[i] : NULL;
}

int alerts_schema(const char *name, const struct pq_column **cols, int *ncols)
{
	const char *base = strrchr(name, '/'), *d;

	base = base ? base + 1 : name;
	if (strncmp(base, "alerts-", 7))
		return -ENOENT;
	d = base + 7;
	/* alerts-NNNN.parquet, at least four digits */
	if (strspn(d, "0123456789") < 4 ||
	    strcmp(d + strspn(d, "0123456789"), ".parquet"))
		return -ENOENT;
	*cols = alert_cols;
	*ncols = A_NCOLS;
	return 0;
}

void alerts__free(struct alerts *a)
{
	if (!a)
		return;
	pq_writer__close(a->w);
	for (int i = 0; i < a->nfiles; i++)
		free(a->files[i].path);
	free(a->files);
	free(a->series);
	free(a->rules);
	free(a->rs);
	free(a);
}
