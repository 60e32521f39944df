// SPDX-License-Identifier: MIT
/* session.c - the pipeline of record and top, wired once (session.h). */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "session.h"
#include "account.h"
#include "attach/follow.h"
#include "attach/launch.h"
#include "attach/procctx.h"
#include "attach/targets.h"
#include "attach/tracer.h"
#include "common/log.h"
#include "consume/decoder.h"
#include "consume/engine.h"

struct session {
	struct session_opts o;
	char path[PATH_MAX];		/* what the probes are attached in */
	bool python;
	struct stat all_st;		/* --all's binary */
	pid_t *found;			/* its running processes */
	int nfound;
	struct func_target *funcs;
	int nfuncs;
	pid_t target;
	bool global;			/* follows forks: --children, --all */
	bool until_empty;		/* ends when no followed process is left */
	struct tracer *tr;
	struct procctx *pc;
	struct follow *fl;
	struct launch *child;
	struct sink *sinks;
	int nsinks, capsinks;
	bool finished;
	struct decoder *dec;
	struct engine *eng;
};

static int no_probes(const struct session *s)
{
	const char *hint = s->o.func_hint ? ", or trace functions with --func" : "";

	if (s->o.pid)
		pr_err("process %d has no mlprobe probes in its executable or "
		       "loaded libraries (build it with #include \"mlprobe.h\"%s)",
		       s->o.pid, hint);
	else
		pr_err("%s has no mlprobe probes (build it with #include "
		       "\"mlprobe.h\" and the MLPROBE_* macros%s)", s->path, hint);
	return 1;
}

/* The probes of the target, or the exit status after one line. */
static int check_sites(struct session *s, int *sites)
{
	char err[512];
	int ret;

	*sites = 0;
	if (s->o.pid) {
		if (targets_check_pid(s->o.pid))
			return 1;
		snprintf(s->path, sizeof(s->path), "/proc/%d/exe", (int)s->o.pid);
		ret = targets_proc_sites(s->o.pid, !s->o.no_gc, err, sizeof(err));
		if (ret < 0 && kill(s->o.pid, 0) && errno == ESRCH) {
			pr_err("PID %d exited while mlprobe was attaching", s->o.pid);
			return 1;
		}
		if (ret < 0) {
			pr_err("cannot read the probes of PID %d: %s", s->o.pid, err);
			return 1;
		}
		*sites = ret;
	}
	if (s->o.argc) {
		if ((ret = launch_resolve(s->o.argv[0], s->path, sizeof(s->path))))
			return ret;
		if (!s->o.all &&
		    (*sites = targets_count_sites(s->path, s->o.argv[0])) < 0)
			return 1;
	}
	if (s->o.all) {
		if (stat(s->o.all, &s->all_st)) {
			pr_err("%s: %s", s->o.all, strerror(errno));
			return 1;
		}
		snprintf(s->path, sizeof(s->path), "%s", s->o.all);
		if ((*sites = targets_count_sites(s->o.all, s->o.all)) < 0)
			return 1;
	}
	return 0;
}

int session__new(const struct session_opts *o, struct session **out)
{
	struct session *s;
	char err[512];
	int ret, sites;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		pr_err("out of memory");
		return 1;
	}
	memcpy(&s->o, o, o->sz < sizeof(s->o) ? o->sz : sizeof(s->o));
	s->target = -1;
	s->global = o->children || o->all;
	s->until_empty = o->children && !o->all;
	if ((ret = check_sites(s, &sites)))
		goto fail;
	if (o->funcs) {
		s->nfuncs = targets_resolve_funcs(o->funcs, o->pid, s->path,
						  &s->funcs, err, sizeof(err));
		if (s->nfuncs < 0) {
			pr_err("%s", err);
			ret = 1;
			goto fail;
		}
	}
	/* A Python interpreter has no probes of its own: they come with the
	 * mlprobe extension module when the script imports it, and the dlopen
	 * watch attaches them then: in the command, or with --all in every
	 * process of the interpreter (torchrun's ranks, torch.multiprocessing
	 * spawn's processes). */
	s->python = !sites && !s->nfuncs && (o->argc || o->all) &&
		    targets_is_python(s->path);
	if (!sites && !s->nfuncs && !s->python) {
		ret = no_probes(s);
		goto fail;
	}
	if (o->all) {
		s->nfound = targets_find_procs(s->all_st.st_dev, s->all_st.st_ino,
					       &s->found);
		if (s->nfound < 0)
			s->nfound = 0;
	}
	*out = s;
	return 0;
fail:
	session__free(s);
	return ret;
}

/* --all: the binary itself, for the processes that start later; then the
 * ones running now, with their libraries. */
static int attach_all(struct session *s)
{
	char err[512];
	int ret;

	ret = follow__attach_file(s->fl, -1, s->o.all, s->o.all, err, sizeof(err));
	if (ret < 0) {
		pr_err("%s", err);
		return ret;
	}
	for (int i = 0; i < s->nfound; i++) {
		if (follow__add(s->fl, s->found[i]))
			continue;
		if (follow__scan(s->fl, s->found[i], err, sizeof(err)) < 0)
			pr_verbose("PID %d: %s", s->found[i], err);
	}
	pr_verbose("%d running processes of %s", s->nfound, s->o.all);
	return 0;
}

/* The target is tracked before it execs (launch), so its exec and every
 * mmap of its libraries come back as records. */
static int attach_target(struct session *s)
{
	char err[512] = "";
	int ret;

	ret = follow__add(s->fl, s->target);
	if (ret) {
		pr_err("cannot trace PID %d: %s", s->target, strerror(-ret));
		return ret;
	}
	if (s->o.pid)
		ret = follow__scan(s->fl, s->target, err, sizeof(err));
	else if (!s->o.all)
		ret = follow__attach_file(s->fl, s->target, s->path, s->o.argv[0],
					  err, sizeof(err));
	if (ret < 0) {
		if (ret == -ESRCH)
			pr_err("PID %d exited while mlprobe was attaching", s->target);
		else
			pr_err("%s", err[0] ? err : strerror(-ret));
	}
	return ret < 0 ? ret : 0;
}

int session__attach(struct session *s, const char *cmd_output)
{
	struct tracer_opts to = { .sz = sizeof(to), .ring_bytes = s->o.ring_bytes,
				  .bare = s->o.bare, .batch = s->o.batch,
				  .nfunc_ids = s->nfuncs };
	struct follow_opts fo = { .sz = sizeof(fo) };
	char err[512];
	int ret;

	to.filter = to.follow_forks = s->global;
	if (s->o.all) {
		to.exec_ino = s->all_st.st_ino;
		to.exec_dev = s->all_st.st_dev;
	}
	if ((ret = tracer__open(&to, &s->tr, err, sizeof(err)))) {
		pr_err("%s", err);
		return ret;
	}
	s->pc = procctx__new();
	fo.tr = s->tr;
	fo.pc = s->pc;
	fo.global = s->global;
	fo.until_empty = s->until_empty;
	fo.gc = !s->o.no_gc;
	s->fl = s->pc ? follow__new(&fo) : NULL;
	if (!s->fl) {
		pr_err("out of memory");
		return -ENOMEM;
	}
	if (s->o.argc) {
		struct launch_opts lo = { .sz = sizeof(lo), .argv = s->o.argv,
					  .path = s->path, .python = s->python,
					  .output = cmd_output };

		if ((ret = launch__new(&lo, &s->child))) {
			pr_err("cannot start %s: %s", s->o.argv[0], strerror(-ret));
			return ret;
		}
		s->target = launch__pid(s->child);
	} else if (s->o.pid) {
		s->target = s->o.pid;
	}
	if (s->o.all && (ret = attach_all(s)))
		return ret;
	if (s->target > 0 && (ret = attach_target(s)))
		return ret;
	for (int i = 0; i < s->nfuncs; i++) {
		ret = tracer__attach_func(s->tr, s->global ? -1 : s->target,
					  s->funcs[i].path, s->funcs[i].off, i + 1,
					  err, sizeof(err));
		if (ret) {
			pr_err("--func %s: %s", s->funcs[i].spec, err);
			return ret;
		}
	}
	if (s->o.pid && kill(s->o.pid, 0) && errno == ESRCH) {
		pr_err("PID %d exited while mlprobe was attaching", s->o.pid);
		return -ESRCH;
	}
	/* The follow sink first: it sees a process's records before any
	 * other sink does. */
	return session__add_sink(s, follow__sink(s->fl));
}

int session__add_sink(struct session *s, struct sink k)
{
	assert(!s->dec);	/* the decoder holds the array from start on */
	if (s->nsinks == s->capsinks) {
		int cap = s->capsinks ? s->capsinks * 2 : 8;
		struct sink *n = realloc(s->sinks, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->sinks = n;
		s->capsinks = cap;
	}
	s->sinks[s->nsinks++] = k;
	return 0;
}

/* The engine's counters hook: one map read per tick. */
static int read_counters(void *ctx, struct row_counters *out)
{
	struct mp_counters c;
	int ret = tracer__counters(ctx, &c, NULL, NULL);

	if (!ret)
		account_row_counters(&c, out);
	return ret;
}

int session__start(struct session *s, unsigned tick_ms)
{
	struct decoder_opts dopt = { .sz = sizeof(dopt) };
	struct engine_opts eo = { .sz = sizeof(eo) };
	int ret;

	dopt.boot_to_utc_ns = decoder_boot_to_utc_ns();
	/* The decoder tells the follow of forks, execs and libraries, and
	 * asks it who each row's process is. */
	dopt.proc = follow__proc_of;
	dopt.on_proc = follow__on_proc;
	dopt.ctx = s->fl;
	s->dec = decoder__new(&dopt, s->sinks, s->nsinks);
	if (!s->dec) {
		pr_err("out of memory");
		return -ENOMEM;
	}
	for (int i = 0; i < s->nfuncs; i++)
		if ((ret = decoder__add_name(s->dec, i + 1, s->funcs[i].spec,
					     strlen(s->funcs[i].spec)))) {
			pr_err("--func %s: %s", s->funcs[i].spec, strerror(-ret));
			return ret;
		}
	/* The spans the BPF side makes (steps, the interpreter's GC). */
	for (int k = 0; k < MP_OWN_MAX; k++) {
		static const char *const own[MP_OWN_MAX] = MP_OWN_NAMES;

		decoder__add_name(s->dec, tracer_own_id(s->nfuncs, k), own[k],
				  strlen(own[k]));
	}
	eo.ring_map_fd = tracer__ring_map_fd(s->tr);
	eo.dec = s->dec;
	eo.sinks = s->sinks;
	eo.nsinks = s->nsinks;
	eo.tick_ms = tick_ms;
	eo.read_counters = read_counters;
	eo.counters_ctx = s->tr;
	if (s->until_empty) {
		eo.done = follow__done;
		eo.done_ctx = s->fl;
	}
	if ((ret = engine__new(&eo, &s->eng))) {
		pr_err("cannot start the event loop: %s", strerror(-ret));
		return ret;
	}
	/* Without --children the run ends with its target (in --all mode,
	 * with the command, or only when told). */
	if (s->target > 0 && !s->until_empty &&
	    (ret = engine__watch_pid(s->eng, s->target))) {
		pr_err("cannot watch PID %d: %s", s->target, strerror(-ret));
		return ret;
	}
	return 0;
}

int session__go(struct session *s)
{
	if (!s->child || !launch__go(s->child))
		return 0;
	return launch__running(s->child) ? 1 : 127;
}

int session__finish_sinks(struct session *s)
{
	int ret, first = 0;

	if (s->finished)
		return 0;
	s->finished = true;
	for (int i = 0; i < s->nsinks; i++) {
		const struct sink *k = &s->sinks[i];

		if (!k->finish || !(ret = k->finish(k->ctx)))
			continue;
		pr_err("%s: %s", k->name, strerror(-ret));
		if (!first)
			first = ret;
	}
	return first;
}

void session__kill_child(struct session *s)
{
	if (s && launch__running(s->child)) {
		launch__kill(s->child);
		launch__reap(s->child, -1);
	}
}

void session__free(struct session *s)
{
	if (!s)
		return;
	launch__free(s->child);
	engine__free(s->eng);
	decoder__free(s->dec);
	tracer__free(s->tr);
	follow__free(s->fl);
	procctx__free(s->pc);
	free(s->sinks);
	free(s->funcs);
	free(s->found);
	free(s);
}

pid_t session__target(const struct session *s)
{
	return s->target;
}

const char *session__path(const struct session *s)
{
	return s->path;
}

bool session__python(const struct session *s)
{
	return s->python;
}

pid_t session__run_pid(const struct session *s)
{
	return s->o.pid ? s->o.pid : s->nfound ? s->found[0] : getpid();
}

int session__nfuncs(const struct session *s)
{
	return s->nfuncs;
}

char *session__func_desc(const struct session *s, int i)
{
	char *d;

	if (asprintf(&d, "%s=%s+0x%llx", s->funcs[i].spec, s->funcs[i].path,
		     (unsigned long long)s->funcs[i].off) < 0)
		return NULL;
	return d;
}

struct tracer *session__tracer(struct session *s)
{
	return s->tr;
}

struct follow *session__follow(struct session *s)
{
	return s->fl;
}

struct launch *session__child(struct session *s)
{
	return s->child;
}

struct decoder *session__decoder(struct session *s)
{
	return s->dec;
}

struct engine *session__engine(struct session *s)
{
	return s->eng;
}
