// SPDX-License-Identifier: MIT
/*
 * cmd_record.c - `mlprobe record`: attach to a trainer (launched, or running)
 * and write what its probes emit to Parquet until it exits or we are told
 * to stop.  Argument parsing and the order of the steps live here; the work
 * is done by tracer, engine, decoder, sink_parquet and runmeta.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "cmds.h"
#include "account.h"
#include "decoder.h"
#include "engine.h"
#include "log.h"
#include "rundir.h"
#include "runmeta.h"
#include "sink_parquet.h"
#include "spool.h"
#include "tracer.h"
#include "usdt_notes.h"

static const char doc[] =
	"Record the mlprobe probes of a trainer to Parquet.\n"
	"\n"
	"USAGE: mlprobe record -o DIR [OPTIONS] -- CMD [ARGS...]\n"
	"       mlprobe record -o DIR [OPTIONS] -p PID\n"
	"\n"
	"With a command, mlprobe starts it with the probes already attached, so no\n"
	"event of main() is missed; Ctrl-C stops the command and the recording.\n"
	"With -p, mlprobe attaches to a running process (all its threads and its\n"
	"loaded libraries); Ctrl-C detaches and leaves the process running.\n"
	"\n"
	"Writes DIR/metrics-NNNN.parquet, spans-NNNN.parquet, logs-NNNN.parquet\n"
	"and run.json.  Every flush leaves valid Parquet files on disk.\n"
	"\n"
	"EXAMPLES:\n"
	"  mlprobe record -o runs/exp1 -- ./train --lr 3e-4\n"
	"  mlprobe record -o runs/live -p 4242 --flush-interval 0.2\n"
	"  mlprobe record -o runs/exp2 --upload-cmd 'aws s3 cp {} s3://b/exp2/' "
	"-- ./train\n";

enum { OPT_UPLOAD_CMD = 0x500, OPT_SPOOL_MAX };

static const struct argp_option opts[] = {
	{ "output", 'o', "DIR", 0, "Output directory (created if missing)", 0 },
	{ "pid", 'p', "PID", 0, "Attach to this running process", 0 },
	{ "force", 'f', NULL, 0, "Reuse a non-empty output directory, replacing "
				 "an earlier recording in it", 0 },
	{ "flush-interval", 'F', "SEC", 0, "Flush at least this often "
					   "(default 1)", 0 },
	{ "ring-size", 'r', "BYTES", 0, "BPF ring buffer size, power of two, "
					"K/M suffix (default 16M)", 0 },
	{ "file-size", 's', "BYTES", 0, "Start a new file above this size, K/M/G "
					"suffix (default 256M)", 0 },
	{ "quiet", 'q', NULL, 0, "Print no summary", 0 },
	{ "upload-cmd", OPT_UPLOAD_CMD, "CMD", 0, "Run CMD for each finished "
		"file ({} is the file; exec'd without a shell), retrying with "
		"backoff; files wait in DIR/.spool until it succeeds", 0 },
	{ "spool-max", OPT_SPOOL_MAX, "BYTES", 0, "At most this much waiting "
		"for upload; past it the oldest files are left out and "
		"reported (default: no bound)", 0 },
	{ "bench-floor", 'B', NULL, OPTION_HIDDEN, "Benchmark floor: metric "
		"probes run an empty BPF program (nothing is recorded)", 0 },
	{ "verbose", 'v', NULL, 0, "More messages (-vv: libbpf debug)", 0 },
	{},
};

struct args {
	const char *dir;
	pid_t pid;
	bool force, quiet, bare;
	double flush_s;
	unsigned long long ring, file_bytes, spool_max;
	const char *upload_cmd;
	char **cmd;
	int ncmd;
};

static int parse_size(const char *s, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	struct args *a = st->input;
	char *end;
	long v;

	switch (key) {
	case 'o':
		a->dir = arg;
		break;
	case 'p':
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end || v <= 0 || v > INT_MAX)
			argp_failure(st, 2, 0, "invalid PID '%s'", arg);
		a->pid = (pid_t)v;
		break;
	case 'f':
		a->force = true;
		break;
	case 'F':
		errno = 0;
		a->flush_s = strtod(arg, &end);
		if (errno || *end || !(a->flush_s >= 0.01 && a->flush_s <= 3600))
			argp_failure(st, 2, 0, "invalid flush interval '%s' (0.01 to 3600 s)",
				   arg);
		break;
	case 'r':
		if (parse_size(arg, &a->ring) || a->ring < 4096 ||
		    (a->ring & (a->ring - 1)) || a->ring > (1ull << 30))
			argp_failure(st, 2, 0, "invalid ring size '%s' (a power of two, "
				       "4K to 1G)", arg);
		break;
	case 's':
		if (parse_size(arg, &a->file_bytes) || a->file_bytes < 4096)
			argp_failure(st, 2, 0, "invalid file size '%s'", arg);
		break;
	case 'q':
		a->quiet = true;
		break;
	case OPT_UPLOAD_CMD:
		a->upload_cmd = arg;
		break;
	case OPT_SPOOL_MAX:
		if (parse_size(arg, &a->spool_max) || !a->spool_max)
			argp_failure(st, 2, 0, "invalid spool size '%s'", arg);
		break;
	case 'B':
		a->bare = true;
		break;
	case 'v':
		mp_verbosity++;
		break;
	case ARGP_KEY_ARGS:
		a->cmd = st->argv + st->next;
		a->ncmd = st->argc - st->next;
		break;
	case ARGP_KEY_END:
		if (!a->dir)
			argp_failure(st, 2, 0, "an output directory is required (-o DIR)");
		if (!a->pid == !a->ncmd)
			argp_failure(st, 2, 0, "give either -p PID or -- CMD [ARGS...]");
		if (a->spool_max && !a->upload_cmd)
			argp_failure(st, 2, 0, "--spool-max goes with --upload-cmd");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static bool is_our_file(const char *n)
{
	static const char *const pre[] = { "metrics-", "spans-", "logs-" };
	size_t len = strlen(n);

	if (!strcmp(n, "run.json") || !strcmp(n, ".run.json.tmp") ||
	    !strcmp(n, ".spool"))
		return true;
	for (int i = 0; i < 3; i++)
		if (!strncmp(n, pre[i], strlen(pre[i])) && len > 8 &&
		    !strcmp(n + len - 8, ".parquet"))
			return true;
	return false;
}

/* mkdir -p */
static int mkdirs(const char *dir)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *s = tmp + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(tmp, 0755) && errno != EEXIST ? -1 : 0;
}

/* Makes dir usable without changing what is in it: created if missing,
 * refused if it holds anything unless --force, and refused even then if it
 * holds files that mlprobe did not write.  Nothing is deleted here; see
 * clear_dir. */
static int check_dir(const char *dir, bool force)
{
	char probe[PATH_MAX];
	struct dirent *de;
	bool empty = true, foreign = false;
	DIR *d;
	int fd;

	if (mkdirs(dir)) {
		pr_err("cannot create output directory %s: %s", dir, strerror(errno));
		return -1;
	}
	d = opendir(dir);
	if (!d) {
		pr_err("cannot open output directory %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		empty = false;
		if (!is_our_file(de->d_name))
			foreign = true;
	}
	closedir(d);
	if (!empty && !force) {
		pr_err("output directory %s is not empty: choose a new one, or "
		       "--force to replace the recording in it", dir);
		return -1;
	}
	if (foreign) {
		pr_err("output directory %s holds files mlprobe did not write; "
		       "refusing to mix a recording into it", dir);
		return -1;
	}
	if (spool__pending(dir) > 0) {
		pr_err("%s holds files not uploaded yet: run 'mlprobe upload "
		       "%s' first (or remove %s/.spool)", dir, dir, dir);
		return -1;
	}
	snprintf(probe, sizeof(probe), "%.4000s/.mlprobe-write-test", dir);
	fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		pr_err("output directory %s is not writable: %s", dir,
		       strerror(errno));
		return -1;
	}
	close(fd);
	unlink(probe);
	return 0;
}

/* --force: removes the earlier recording (our files only).  Called once the
 * probes are attached, so a failure before that loses nothing. */
static int clear_dir(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int ret = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (!strcmp(de->d_name, ".spool") && (ret = spool__remove(dir))) {
			pr_err("cannot remove %s/.spool: %s", dir, strerror(-ret));
			break;
		} else if (strcmp(de->d_name, ".spool") &&
			   is_our_file(de->d_name) &&
			   unlinkat(dirfd(d), de->d_name, 0)) {
			ret = -errno;
			pr_err("cannot remove %s/%s: %s", dir, de->d_name,
			       strerror(errno));
			break;
		}
	closedir(d);
	return ret;
}

/* CPU time of the consumer (this process), user + system. */
static double cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return -1;
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int64_t now_utc(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The launched command waits on go[0] until the probes are attached, then
 * execs.  An exec failure comes back over err[1] (close-on-exec). */
struct child {
	pid_t pid;
	int go, err;
};

static int spawn(char **argv, struct child *c)
{
	int go[2], err[2];

	if (pipe2(go, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		return -errno;
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (c->pid == 0) {
		sigset_t none;
		char b;
		int e;

		close(go[1]);
		close(err[0]);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);	/* we ignore it; the command must not */
		if (read(go[0], &b, 1) != 1)
			_exit(127);	/* mlprobe gave up before attaching */
		execvp(argv[0], argv);
		e = errno;
		if (write(err[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(err[1]);
	c->go = go[1];
	c->err = err[0];
	return 0;
}

static void print_summary(const struct args *a, const struct account *acct,
			  const struct mp_counters *c, struct pqsink *ps,
			  double secs, double cpu_s, uint64_t records)
{
	unsigned long long total = 0;

	fprintf(stderr, "mlprobe: recorded %.1f s to %s\n", secs, a->dir);
	fprintf(stderr, "  %-8s %12s %12s %12s %10s\n", "kind", "events",
		"written", "dropped", "unmatched");
	for (int i = 0; i < ROW_TABLES; i++) {
		const struct account_table *t = &acct->t[i];

		fprintf(stderr, "  %-8s %12llu %12llu %12llu %10llu\n", t->kind,
			(unsigned long long)t->hits, (unsigned long long)t->written,
			(unsigned long long)(t->lost_kernel + t->lost_io),
			(unsigned long long)t->unmatched);
	}
	fprintf(stderr, "  %-8s %12llu\n", "step",
		(unsigned long long)c->v[MP_K_STEP][MP_S_HITS]);
	for (int i = 0; i < ROW_TABLES; i++) {
		const struct account_table *t = &acct->t[i];

		if (t->lost_kernel + t->lost_io + t->truncated)
			fprintf(stderr, "  %s: dropped %llu ring full, %llu name "
				"not sent, %llu disk; %llu written cut short\n",
				t->kind, (unsigned long long)t->lost_ring,
				(unsigned long long)t->lost_name,
				(unsigned long long)t->lost_io,
				(unsigned long long)t->truncated);
	}
	for (int i = 0; i < pqsink__nfiles(ps); i++) {
		const struct pqsink_file *f = pqsink__file(ps, i);
		const char *base = strrchr(f->path, '/');

		total += f->bytes;
		fprintf(stderr, "  %-22s %10llu rows %10llu bytes\n",
			base ? base + 1 : f->path, (unsigned long long)f->rows,
			(unsigned long long)f->bytes);
	}
	fprintf(stderr, "  %d files, %llu bytes\n", pqsink__nfiles(ps), total);
	if (cpu_s >= 0 && records)
		fprintf(stderr, "  consumer CPU %.3f s, %.3f s per million records\n",
			cpu_s, cpu_s * 1e6 / records);
}

/* One loud line naming every table whose books do not balance. */
static void report_mismatch(const struct account *acct, const char *dir)
{
	char buf[512];
	int n = 0;

	for (int i = 0; i < ROW_TABLES; i++) {
		const struct account_table *t = &acct->t[i];

		if (t->ok || n >= (int)sizeof(buf) - 1)
			continue;
		n += snprintf(buf + n, sizeof(buf) - n,
			      "%s%s: emitted %llu, delivered %llu, written %llu + "
			      "lost %llu", n ? "; " : "", t->table,
			      (unsigned long long)t->emitted,
			      (unsigned long long)t->delivered,
			      (unsigned long long)t->written,
			      (unsigned long long)t->lost_io);
	}
	if (acct->names_emitted != acct->names_delivered && n < (int)sizeof(buf) - 1)
		n += snprintf(buf + n, sizeof(buf) - n, "%snames: emitted %llu, "
			      "delivered %llu", n ? "; " : "",
			      (unsigned long long)acct->names_emitted,
			      (unsigned long long)acct->names_delivered);
	pr_err("ACCOUNTING MISMATCH (%s); see %s/run.json", buf, dir);
}

/* After tracer__stop: a program that passed the stop check may still be
 * running (a sleepable read can wait on a page fault), so drain until every
 * record the counters count has been delivered, for at most a second.
 * Returns a signal that arrived meanwhile (the caller aborts), or 0. */
static int drain_all(struct tracer *tr, struct engine *eng, struct decoder *dec)
{
	struct mp_counters c;
	struct account acct;
	int sig;

	for (int i = 0; i < 500; i++) {
		engine__drain(eng);
		if ((sig = engine__poll_signal(eng)))
			return sig;
		if (tracer__counters(tr, &c, NULL, NULL))
			return 0;
		account_compute(&acct, &c, decoder__stats(dec), NULL);
		bool balanced = acct.names_emitted == acct.names_delivered;

		for (int t = 0; t < ROW_TABLES; t++)
			balanced &= acct.t[t].delivered == acct.t[t].emitted;
		if (balanced)
			return 0;
		usleep(2000);
	}
	return 0;
}

/* A signal while stopping: leave at once.  Every file on disk is valid
 * (each flush leaves it so); only rows since the last flush are lost.  The
 * probes are already off (tracer__stop); removing the uprobes costs a grace
 * period per site in the exit of the last process holding the links, so a
 * child in its own session holds them until we are gone. */
static _Noreturn void abort_now(const char *dir, struct spool *sp, int lock)
{
	int p[2];

	spool__stop(sp);
	pr_err("aborted: the files in %s hold every row up to the last flush; "
	       "run.json was not finished", dir);
	if (lock >= 0)
		close(lock);
	fflush(NULL);
	if (!pipe(p) && fork() == 0) {
		char c;

		setsid();
		close(p[1]);
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	_exit(130);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void file_done(void *ctx, const char *path)
{
	int ret = spool__add(ctx, path);

	if (ret)
		pr_err("cannot queue %s for upload: %s", path, strerror(-ret));
}

static int spool_tick(void *ctx, uint64_t now)
{
	spool__tick(ctx, now);
	return 0;
}

/* How long the end of a recording waits for uploads: after a signal, until
 * 1 s from the stop (the user is waiting); after the target's own exit,
 * up to 30 s while uploads succeed.  What is left stays in the spool for
 * `mlprobe upload`. */
#define UPLOAD_GRACE_SIGNAL_NS 1000000000ull
#define UPLOAD_WAIT_NS 30000000000ull

/* Lets uploads run until the spool is empty or the deadline.  A signal
 * ends the wait; one while stopping after a signal aborts. */
static void upload_final(struct spool *sp, struct engine *eng, const char *dir,
			 int lock, bool by_signal, uint64_t stop_ns)
{
	uint64_t deadline = by_signal ? stop_ns + UPLOAD_GRACE_SIGNAL_NS
				      : mono_ns() + UPLOAD_WAIT_NS;
	struct spool_stats st;
	uint64_t failures0;

	/* One attempt now, whatever the backoff says; a failure ends the
	 * wait (the files stay in the spool for `mlprobe upload`). */
	spool__stats(sp, &st);
	failures0 = st.failures;
	spool__retry_now(sp);

	for (;;) {
		uint64_t now = mono_ns();

		spool__tick(sp, now);
		if (spool__idle(sp) || now >= deadline)
			break;
		if (spool__stats(sp, &st), st.failures > failures0)
			break;	/* the remote fails: do not keep the user */
		if (engine__poll_signal(eng)) {
			if (by_signal)
				abort_now(dir, sp, lock);
			break;
		}
		usleep(20000);
	}
	spool__stop(sp);
}

static void print_upload(const struct spool *sp, const char *dir)
{
	struct spool_stats st;

	spool__stats(sp, &st);
	fprintf(stderr, "  upload: %llu files sent, %llu failed attempts, "
		"%llu waiting\n", (unsigned long long)st.sent,
		(unsigned long long)st.failures, (unsigned long long)st.pending);
	if (st.pending)
		fprintf(stderr, "mlprobe: %llu files wait in %s/.spool (last "
			"error: %s): 'mlprobe upload %s' resumes\n",
			(unsigned long long)st.pending, dir,
			*spool__last_error(sp) ? spool__last_error(sp) : "none",
			dir);
}

/*
 * Removing a uprobe costs the kernel a grace period (about 0.1 s per probe
 * site on 6.18), so detaching a trainer with many sites takes seconds.  The
 * probes are already no-ops (tracer__stop) and every file is finished, so
 * the user need not wait: the parent returns the exit code now, and a child
 * in its own session detaches, frees and exits.  Returns true in the parent
 * (which must _exit), false in the child or when fork fails.
 */
static bool background_detach(void)
{
	pid_t pid;

#if defined(__SANITIZE_ADDRESS__)
	/* Sanitizer builds free everything in the process that the tests
	 * wait for, so a leak or a bad free fails them. */
	return false;
#endif
	fflush(NULL);
	pid = fork();
	if (pid <= 0) {
		if (pid == 0)
			setsid();
		return false;
	}
	return true;
}

int cmd_record(int argc, char **argv)
{
	struct argp argp = { opts, parse_opt, "-- CMD [ARGS...]", doc, 0, 0, 0 };
	struct args a = { .flush_s = 1.0 };
	struct tracer_opts to = { .sz = sizeof(to) };
	struct pqsink_opts po = { .sz = sizeof(po) };
	struct engine_opts eo = { .sz = sizeof(eo) };
	struct decoder_opts dopt = { .sz = sizeof(dopt) };
	struct child child = { .pid = -1, .go = -1, .err = -1 };
	struct tracer *tr = NULL;
	struct engine *eng = NULL;
	struct decoder *dec = NULL;
	struct pqsink *ps = NULL;
	struct mp_counters sum, *percpu = NULL;
	struct account acct;
	struct runmeta rm = { .exit_status = -1 };
	struct sink sinks[2];
	struct spool *sp = NULL;
	char err[512] = "", path[PATH_MAX];
	struct usdt_file *libs = NULL;
	const char **attached = NULL;
	int nlibs = 0, ncpus = 0, ret, rc = 1, status = -1, signo = 0, lock = -1;
	int nsinks = 1;
	uint64_t stop_ns;
	pid_t target;
	struct timespec t0, t1;
	double cpu0 = 0;

	if (argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &a))
		return 2;
	/* A closed stdout or pipe must not kill a recording midway. */
	signal(SIGPIPE, SIG_IGN);
	if (geteuid() != 0) {
		pr_err("record needs root to load BPF programs and attach "
		       "uprobes: run it with sudo");
		return 1;
	}

	/* Find the probes before touching anything. */
	if (a.pid) {
		if (kill(a.pid, 0) && errno == ESRCH) {
			pr_err("no process with PID %d", a.pid);
			return 1;
		}
		nlibs = usdt_proc__scan(a.pid, "mlprobe", &libs, err, sizeof(err));
		if (nlibs < 0) {
			pr_err("cannot read the probes of PID %d: %s", a.pid, err);
			return 1;
		}
		if (nlibs == 0) {
			pr_err("process %d has no mlprobe probes in its executable or "
			       "loaded libraries (build it with #include \"mlprobe.h\")",
			       a.pid);
			return 1;
		}
	} else {
		struct usdt_file f = { 0 };

		ret = usdt_resolve_cmd(a.cmd[0], path, sizeof(path));
		if (ret) {
			if (ret == -ENOENT)
				pr_err("%s: command not found", a.cmd[0]);
			else
				pr_err("%s: %s", a.cmd[0], strerror(-ret));
			return ret == -ENOENT ? 127 : 126;
		}
		ret = usdt_file__read(path, "mlprobe", &f, err, sizeof(err));
		if (ret) {
			pr_err("%s: %s", a.cmd[0], err);
			return 1;
		}
		ret = f.nsites;
		usdt_file__free(&f);
		if (!ret) {
			pr_err("%s has no mlprobe probes (build it with #include "
			       "\"mlprobe.h\" and the MLPROBE_* macros)", path);
			return 1;
		}
	}
	if (check_dir(a.dir, a.force))
		return 1;
	lock = rundir__lock(a.dir, 2000);
	if (lock < 0) {
		if (lock == -EBUSY)
			pr_err("%s is in use by another mlprobe (record, recover "
			       "or upload)", a.dir);
		else
			pr_err("cannot lock %s: %s", a.dir, strerror(-lock));
		return 1;
	}

	to.ring_bytes = a.ring;
	to.bare = a.bare;
	ret = tracer__open(&to, &tr, err, sizeof(err));
	if (ret) {
		pr_err("%s", err);
		goto out;
	}

	if (a.pid) {
		target = a.pid;
		for (int i = 0; i < nlibs; i++) {
			/* usdt_proc__scan gives /proc/PID/exe for the executable
			 * (it works even when the file was replaced) and
			 * /proc/PID/root/... for libraries. */
			const char *p = libs[i].path;

			ret = tracer__attach(tr, a.pid, p, err, sizeof(err));
			if (ret < 0) {
				pr_err("%s", err);
				goto out;
			}
			pr_verbose("attached %d probe sites in %s", ret,
				   libs[i].display);
		}
	} else {
		ret = spawn(a.cmd, &child);
		if (ret) {
			pr_err("cannot start %s: %s", a.cmd[0], strerror(-ret));
			goto out;
		}
		target = child.pid;
		ret = tracer__attach(tr, child.pid, path, err, sizeof(err));
		if (ret < 0) {
			pr_err("%s", err);
			goto out;
		}
		pr_verbose("attached %d probe sites in %s", ret, path);
	}

	if (a.force && (ret = clear_dir(a.dir)))
		goto out;

	dopt.boot_to_utc_ns = decoder_boot_to_utc_ns();
	po.dir = a.dir;
	po.flush_interval_ns = (uint64_t)(a.flush_s * 1e9);
	po.file_bytes = a.file_bytes;
	/* Measured on 2M metric events: level 6 cost 2.9x the consumer CPU of
	 * level 1 for files 1% smaller. */
	po.gzip_level = 1;
	po.created_by = "mlprobe version " MLPROBE_VERSION " (build " MLPROBE_BUILD ")";
	if (a.upload_cmd) {
		struct spool_opts so = { .sz = sizeof(so), .dir = a.dir,
					 .max_bytes = a.spool_max, .quiet = true };
		char **uav;

		if ((ret = spool__split(a.upload_cmd, &uav, err, sizeof(err)))) {
			pr_err("%s", err);
			goto out;
		}
		so.argv = uav;
		ret = spool__open(&so, &sp);
		free(uav);
		if (ret) {
			pr_err("cannot set up the upload spool in %s/.spool: %s",
			       a.dir, strerror(-ret));
			goto out;
		}
		po.file_done = file_done;
		po.file_done_ctx = sp;
		sinks[nsinks++] = (struct sink){ .name = "upload", .ctx = sp,
						 .tick = spool_tick };
	}
	if ((ret = pqsink__new(&po, &ps))) {
		pr_err("cannot set up the Parquet sink: %s", strerror(-ret));
		goto out;
	}
	sinks[0] = pqsink__sink(ps);
	dec = decoder__new(&dopt, sinks, 1);
	if (!dec) {
		ret = -ENOMEM;
		goto out;
	}
	eo.ring_map_fd = tracer__ring_map_fd(tr);
	eo.dec = dec;
	eo.sinks = sinks;
	eo.nsinks = nsinks;
	eo.tick_ms = a.flush_s < 0.1 ? (unsigned)(a.flush_s * 1000) : 100;
	if ((ret = engine__new(&eo, &eng)) || (ret = engine__watch_pid(eng, target))) {
		pr_err("cannot watch PID %d: %s", target, strerror(-ret));
		goto out;
	}

	attached = calloc(tracer__nattached(tr) + 1, sizeof(*attached));
	for (int i = 0; attached && i < tracer__nattached(tr); i++)
		attached[i] = tracer__attached_desc(tr, i);
	rm.dir = a.dir;
	rm.mode = a.pid ? "attach" : "launch";
	rm.argv = a.cmd;
	rm.argc = a.ncmd;
	rm.pids = &target;
	rm.npids = 1;
	rm.start_ns = now_utc();
	rm.attached = attached;
	rm.nattached = attached ? tracer__nattached(tr) : 0;
	if ((ret = runmeta__write(&rm)))
		pr_warn("cannot write %s/run.json: %s", a.dir, strerror(-ret));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cpu0 = cpu_seconds();

	if (child.pid > 0) {
		int e = 0;

		if (write(child.go, "g", 1) != 1) {
			ret = -errno;
			pr_err("cannot start %s: %s", a.cmd[0], strerror(errno));
			goto out;
		}
		close(child.go);
		child.go = -1;
		if (read(child.err, &e, sizeof(e)) == sizeof(e)) {
			char rj[PATH_MAX];

			pr_err("cannot run %s: %s", a.cmd[0], strerror(e));
			waitpid(child.pid, &status, 0);
			child.pid = -1;
			/* Nothing ran: leave no recording behind. */
			snprintf(rj, sizeof(rj), "%.4000s/run.json", a.dir);
			unlink(rj);
			rc = 127;
			ret = -ENOEXEC;
			goto out;
		}
	}
	if (!a.quiet)
		fprintf(stderr, "mlprobe: recording PID %d to %s; Ctrl-C to %s\n",
			target, a.dir, a.pid ? "detach" : "stop");

	ret = engine__run(eng, &signo);
	if (ret == ENGINE_SIGNAL && child.pid > 0 && signo != SIGHUP) {
		/* Launch mode: keep draining until the command exits.  Ctrl-C
		 * went to the whole foreground process group, the command
		 * included, so SIGINT is not passed on (it would interrupt the
		 * command twice, say in the middle of saving a checkpoint, as
		 * time(1) and strace know).  SIGTERM is aimed at us: pass it on.
		 * A second signal stops at once. */
		if (signo != SIGINT)
			kill(child.pid, SIGTERM);
		ret = engine__run(eng, &signo);
	}
	if (ret < 0)
		pr_err("event loop failed: %s", strerror(-ret));

	/* Stop the probes first, so nothing new arrives; then drain what is
	 * left.  Detaching comes last: it takes a grace period per site. */
	tracer__stop(tr);
	stop_ns = mono_ns();
	/* From here on a signal aborts: Ctrl-C twice never waits. */
	if (drain_all(tr, eng, dec))
		abort_now(a.dir, sp, lock);
	if (child.pid > 0 && waitpid(child.pid, &status, WNOHANG) > 0)
		rm.exit_status = status;
	clock_gettime(CLOCK_MONOTONIC, &t1);

	ret = sinks[0].finish(sinks[0].ctx);
	if (ret)
		pr_err("cannot finish the Parquet files in %s: %s", a.dir,
		       strerror(-ret));
	rc = ret ? 1 : 0;

	if (!tracer__counters(tr, &sum, &percpu, &ncpus)) {
		const struct decoder_stats *ds = decoder__stats(dec);

		account_compute(&acct, &sum, ds, ps);
		if (!acct.ok) {
			report_mismatch(&acct, a.dir);
			rc = 3;
		}
		rm.acct = &acct;
		rm.counters = &sum;
		rm.percpu = percpu;
		rm.ncpus = ncpus;
		rm.dec = ds;
		rm.sink = ps;
		rm.end_ns = now_utc();
		/* The drain's cost, not the one-off BPF load and verification. */
		rm.cpu_s = cpu_seconds() - cpu0;
		if ((ret = runmeta__write(&rm))) {
			pr_err("cannot write %s/run.json: %s", a.dir, strerror(-ret));
			rc = 1;
		}
		if (!a.quiet)
			print_summary(&a, &acct, &sum, ps,
				      (t1.tv_sec - t0.tv_sec) +
					      (t1.tv_nsec - t0.tv_nsec) / 1e9,
				      rm.cpu_s, engine__records(eng));
	}
	if (sp) {
		char rj[PATH_MAX];

		snprintf(rj, sizeof(rj), "%.4000s/run.json", a.dir);
		file_done(sp, rj);
		upload_final(sp, eng, a.dir, lock, signo != 0, stop_ns);
		if (!a.quiet)
			print_upload(sp, a.dir);
	}
	if (child.pid > 0 && rm.exit_status < 0) {
		/* The command outlived a second Ctrl-C: leave it be. */
		pr_warn("PID %d is still running", child.pid);
	} else if (rc == 0 && rm.exit_status >= 0) {
		/* Like time(1): the command's failure is ours. */
		if (WIFEXITED(rm.exit_status))
			rc = WEXITSTATUS(rm.exit_status);
		else if (WIFSIGNALED(rm.exit_status) &&
			 WTERMSIG(rm.exit_status) != SIGINT &&
			 WTERMSIG(rm.exit_status) != SIGTERM)
			rc = 128 + WTERMSIG(rm.exit_status);
	}
	ret = 0;
out:
	/* Every file is finished: recover and upload may work in DIR now,
	 * while the links are still being destroyed. */
	if (lock >= 0)
		close(lock);
	spool__free(sp);
	sp = NULL;
	if (tr && ret == 0 && background_detach())
		_exit(rc);
	if (ret && child.pid > 0) {
		/* Never leave the command waiting on us. */
		kill(child.pid, SIGKILL);
		waitpid(child.pid, NULL, 0);
	}
	if (child.go >= 0)
		close(child.go);
	if (child.err >= 0)
		close(child.err);
	engine__free(eng);
	decoder__free(dec);
	pqsink__free(ps);
	tracer__free(tr);
	for (int i = 0; i < nlibs; i++)
		usdt_file__free(&libs[i]);
	free(libs);
	free(attached);
	free(percpu);
	return rc;
}
