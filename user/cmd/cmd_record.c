// SPDX-License-Identifier: MIT
/*
 * cmd_record.c - `mlprobe record`: attach to a trainer (launched, or running)
 * and write what its probes emit to Parquet until it exits or we are told
 * to stop.  Argument parsing and what a recording adds to the session
 * (session.h) live here: the output directory, the Parquet sink, the
 * upload spool, run.json, the books and the summary.
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
#include "attach/follow.h"
#include "attach/launch.h"
#include "attach/procctx.h"
#include "attach/targets.h"
#include "attach/tracer.h"
#include "common/log.h"
#include "common/spawn.h"
#include "consume/decoder.h"
#include "consume/engine.h"
#include "session/account.h"
#include "session/record_stop.h"
#include "session/record_upload.h"
#include "session/runmeta.h"
#include "session/session.h"
#include "session/summary.h"
#include "sinks/alert.h"
#include "sinks/sink_parquet.h"
#include "sinks/sinks.h"
#include "sinks/top_ui.h"
#include "store/outdir.h"
#include "store/rundir.h"
#include "store/spool.h"
#include "common/version.h"

static const char doc[] =
	"Record the mlprobe probes of a trainer to Parquet.\n"
	"\n"
	"With a command, mlprobe starts it with the probes already attached, so no\n"
	"event of main() is missed; Ctrl-C stops the command and the recording.\n"
	"With -p, mlprobe attaches to a running process (all its threads and its\n"
	"libraries, also those loaded later); Ctrl-C detaches and leaves the\n"
	"process running.  --children also records the processes it forks from\n"
	"then on (DataLoader workers).  --all records every process of a binary,\n"
	"running or started later (all ranks on a node).  --func puts a span on\n"
	"every call of functions, in binaries that have no probes too.\n"
	"\n"
	"Writes DIR/metrics-NNNN.parquet, spans-NNNN.parquet, logs-NNNN.parquet\n"
	"and run.json; with --partition, DIR/run=ID/host=H/rank=R/ for each rank.\n"
	"Every flush leaves valid Parquet files on disk.\n"
	"\n"
	"Exit status: the command's own (128+N if signal N killed it); 126 or\n"
	"127 if it could not run; 1 for a recording error; 2 for bad arguments;\n"
	"3 if the books do not balance; 130 if aborted while stopping.\n"
	"\n"
	"EXAMPLES:\n"
	"  mlprobe record -o runs/exp1 -- ./train --lr 3e-4\n"
	"  mlprobe record -o runs/live -p 4242 --children --flush-interval 0.2\n"
	"  mlprobe record -o runs/job --partition --all /usr/bin/python3.11\n"
	"  mlprobe record -o runs/f -p 4242 --func forward,libfoo.so:load_batch\n"
	"  mlprobe record -o runs/exp2 --upload-cmd 'aws s3 cp {} s3://b/e2/' \\\n"
	"      -- ./train\n"
	"  mlprobe record -o runs/a --alert 'nan(loss)' --alert 'stall 60s' "
	"-p 4242\n"
	"  mlprobe record -o runs/x --live --prometheus 127.0.0.1:9464 -p 4242\n";

enum { OPT_RUN_ID = 0x100, OPT_PARTITION, OPT_LIVE, OPT_UPLOAD_CMD = 0x500,
       OPT_SPOOL_MAX, OPT_MAX_PENDING, OPT_NO_GC, OPT_BATCH };

static const struct argp_option opts[] = {
	{ "output", 'o', "DIR", 0, "Output directory (created if missing)", 0 },
	{ "pid", 'p', "PID", 0, "Attach to this running process", 0 },
	{ "children", 'c', NULL, 0, "Also record the processes it forks from "
				    "now on, and theirs", 0 },
	{ "all", 'a', "PATH", 0, "Record every process running the binary PATH, "
				 "and those that start later", 0 },
	{ "func", 'u', "SYM,...", 0, "A span per call of these functions (SYM, "
				     "or LIB:SYM in a library)", 0 },
	{ "run-id", OPT_RUN_ID, "ID", 0, "The run id of every row (default: "
		"MLPROBE_RUN_ID, TORCHELASTIC_RUN_ID or SLURM_JOB_ID of the "
		"target, else made from the time and host)", 0 },
	{ "partition", OPT_PARTITION, NULL, 0, "Write DIR/run=ID/host=H/rank=R/ "
		"(Hive layout, one directory per rank)", 0 },
	{ "force", 'f', NULL, 0, "Reuse a non-empty output directory, replacing "
				 "an earlier recording in it", 0 },
	{ "flush-interval", 'F', "SEC", 0, "Flush at least this often "
					   "(default 1)", 0 },
	{ "ring-size", 'r', "BYTES", 0, "BPF ring buffer size, power of two, "
					"K/M suffix (default 16M)", 0 },
	{ "file-size", 's', "BYTES", 0, "Start a new file above this size, K/M/G "
					"suffix (default 256M)", 0 },
	{ "max-pending", OPT_MAX_PENDING, "BYTES", 0, "While the disk fails, "
		"keep at most this much of a table's rows in memory; past it "
		"new rows are dropped and counted (default 32M)", 0 },
	{ "quiet", 'q', NULL, 0, "Print no summary", 0 },
	{ "batch", OPT_BATCH, NULL, 0, "The trainer batches its metrics, spans "
		"and steps (64 a batch, or 100 ms) and traps once a batch: an "
		"event costs a fraction of a trap.  Held records of a thread "
		"that dies, or when recording stops, are counted, not written "
		"(binaries built with this mlprobe.h; others trap per event)", 0 },
	{ "no-gc", OPT_NO_GC, NULL, 0, "No python.gc.genN spans for CPython's "
		"garbage collections (from the interpreter's own probes)", 0 },
	{ "live", OPT_LIVE, NULL, 0, "Show the live view of `mlprobe top` while "
		"recording (q stops; needs a terminal).  A launched command's "
		"output goes to DIR/command.log meanwhile", 0 },
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
	bool force, quiet, bare, children, partition, live_view, no_gc, batch;
	const char *all, *funcs, *run_id;
	double flush_s;
	unsigned long long ring, file_bytes, spool_max, max_pending;
	const char *upload_cmd;
	struct livecfg live;	/* alerts, live view, Prometheus (sinks.h) */
	char **cmd;
	int ncmd;
};

/* A size in bytes with an optional K, M or G suffix (and B).  0, or a
 * negative errno with why in *why: not a number, negative, or too large
 * for 64 bits once the suffix is applied (strtoull alone would wrap "-1"
 * to 2^64 - 1). */
static int parse_size(const char *s, unsigned long long *out,
		      const char **why)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	*why = "a number of bytes, with an optional K, M or G suffix";
	s += strspn(s, " \t");
	if (*s == '-') {
		*why = "a size cannot be negative";
		return -ERANGE;
	}
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v > (ULLONG_MAX >> shift)) {
		*why = "too large";
		return -ERANGE;
	}
	*out = v << shift;
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	struct args *a = st->input;
	const char *why;
	char *end, err[512];

	switch (key) {
	case ARGP_KEY_INIT:
		st->child_inputs[0] = &a->live;
		break;
	case 'o':
		a->dir = arg;
		break;
	case 'p':
		a->pid = targets_parse_pid(arg);
		if (!a->pid)
			argp_failure(st, 2, 0, "invalid PID '%s'", arg);
		break;
	case 'f':
		a->force = true;
		break;
	case 'c':
		a->children = true;
		break;
	case 'a':
		a->all = arg;
		break;
	case 'u':
		a->funcs = arg;
		break;
	case OPT_RUN_ID:
		if (!*arg || strlen(arg) > 200)
			argp_failure(st, 2, 0, "invalid run id '%s' (1 to 200 "
				     "characters)", arg);
		a->run_id = arg;
		break;
	case OPT_PARTITION:
		a->partition = true;
		break;
	case 'F':
		errno = 0;
		a->flush_s = strtod(arg, &end);
		if (errno || *end || !(a->flush_s >= 0.01 && a->flush_s <= 3600))
			argp_failure(st, 2, 0, "invalid flush interval '%s' (0.01 to 3600 s)",
				   arg);
		break;
	case 'r':
		if (parse_size(arg, &a->ring, &why) || a->ring < 4096 ||
		    (a->ring & (a->ring - 1)) || a->ring > (1ull << 30))
			argp_failure(st, 2, 0, "invalid ring size '%s' (a power of two, "
				       "4K to 1G)", arg);
		break;
	case 's':
		if (parse_size(arg, &a->file_bytes, &why))
			argp_failure(st, 2, 0, "invalid file size '%s' (%s)", arg,
				     why);
		else if (a->file_bytes < 4096)
			argp_failure(st, 2, 0, "invalid file size '%s' (4K at "
				     "least)", arg);
		break;
	case 'q':
		a->quiet = mp_quiet = true;
		break;
	case OPT_NO_GC:
		a->no_gc = true;
		break;
	case OPT_LIVE:
		a->live_view = true;
		break;
	case OPT_UPLOAD_CMD:
		a->upload_cmd = arg;
		break;
	case OPT_MAX_PENDING:
		if (parse_size(arg, &a->max_pending, &why))
			argp_failure(st, 2, 0, "invalid --max-pending '%s' (%s)",
				     arg, why);
		else if (a->max_pending < 4096)
			argp_failure(st, 2, 0, "invalid --max-pending '%s' (4K "
				     "at least)", arg);
		break;
	case OPT_SPOOL_MAX:
		if (parse_size(arg, &a->spool_max, &why))
			argp_failure(st, 2, 0, "invalid spool size '%s' (%s)", arg,
				     why);
		else if (!a->spool_max)
			argp_failure(st, 2, 0, "invalid spool size '%s' (more "
				     "than 0)", arg);
		break;
	case 'B':
		a->bare = true;
		break;
	case OPT_BATCH:
		a->batch = true;
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
		if (a->all && a->pid)
			argp_failure(st, 2, 0, "--all and -p exclude each other");
		if (!a->all && !a->pid == !a->ncmd)
			argp_failure(st, 2, 0, "give either -p PID or -- CMD [ARGS...]");
		if (a->spool_max && !a->upload_cmd)
			argp_failure(st, 2, 0, "--spool-max goes with --upload-cmd");
		/* A command that cannot run is found now, not at the first
		 * finished file (--on-alert is checked the same way). */
		if (a->upload_cmd &&
		    spool__check_cmd(a->upload_cmd, err, sizeof(err)))
			argp_failure(st, 2, 0, "%s", err);
		if (a->live_view && (!isatty(0) || !isatty(1)))
			argp_failure(st, 2, 0, "--live needs a terminal; leave it "
				     "out (or use --prometheus)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
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

static const struct argp_child children[] = {
	{ &livecfg_argp, 0, "Alerts and live output:", 0 },
	{},
};

/* What one recording holds besides the session. */
struct rec {
	struct args *a;
	struct session *s;
	char host[256], run[256], dir[PATH_MAX], cmd_log[PATH_MAX + 16];
	struct livesinks *ls;
	struct topui *ui;
	struct pqsink *ps;
	struct spool *sp;
	int lock;
	struct runmeta rm;
	const char **attached, **fdesc;
	struct mp_counters sum, *percpu;
	int ncpus;
	struct account acct;
	struct record_stop_opts so;
	struct record_stop_result end;
	double secs, cpu0;
};

/* The run id and host of every row, and the recording's directory (with
 * --partition, DIR/run=ID/host=H: the rank folders go below). */
static int name_run(struct rec *r)
{
	const struct args *a = r->a;

	gethostname(r->host, sizeof(r->host) - 1);
	/* The run id comes from the target's environment: a process of --all
	 * if one runs, else ours (which a launched command inherits). */
	procctx_run_id(a->run_id, session__run_pid(r->s), r->host, r->run,
		       sizeof(r->run));
	if (!a->partition) {
		snprintf(r->dir, sizeof(r->dir), "%s", a->dir);
		return 0;
	}
	procctx_path_safe(r->host, sizeof(r->host));
	procctx_path_safe(r->run, sizeof(r->run));
	if (snprintf(r->dir, sizeof(r->dir), "%s/run=%s/host=%s", a->dir, r->run,
		     r->host) >= (int)sizeof(r->dir)) {
		pr_err("output directory name too long");
		return -ENAMETOOLONG;
	}
	return 0;
}

/* The live sinks (before the directory: a port in use leaves nothing
 * behind), then the directory, checked and locked. */
static int claim_dir(struct rec *r)
{
	struct livesinks_opts lo = {
		.sz = sizeof(lo), .cfg = &r->a->live, .dir = r->dir,
		.host = r->host, .run = r->run, .created_by = mlprobe_created_by,
		.want_live = r->a->live_view, .quiet_alerts = r->a->live_view,
	};
	int ret;

	if ((ret = livesinks__new(&lo, &r->ls)) || (ret = outdir_check(r->dir, r->a->force)))
		return ret ? ret : -EINVAL;
	r->lock = rundir__lock(r->dir, 2000);
	if (r->lock >= 0)
		return 0;
	if (r->lock == -EBUSY)
		pr_err("%s is in use by another mlprobe (record, recover or "
		       "upload)", r->dir);
	else
		pr_err("cannot lock %s: %s", r->dir, strerror(-r->lock));
	return r->lock;
}

static int open_spool(struct rec *r)
{
	struct spool_opts so = { .sz = sizeof(so), .dir = r->dir,
				 .max_bytes = r->a->spool_max, .quiet = true };
	char err[512], **uav;
	int ret;

	if ((ret = spawn_split(r->a->upload_cmd, "the upload command", &uav, err,
			       sizeof(err)))) {
		pr_err("%s", err);
		return ret;
	}
	so.argv = uav;
	ret = spool__open(&so, &r->sp);
	free(uav);
	if (ret)
		pr_err("cannot set up the upload spool in %s/.spool: %s", r->dir,
		       strerror(-ret));
	return ret;
}

/* What a recording adds to the session's fan-out: the Parquet files, the
 * upload spool's tick, the live sinks, the view. */
static int add_sinks(struct rec *r)
{
	const struct args *a = r->a;
	struct pqsink_opts po = {
		.sz = sizeof(po), .dir = a->partition ? a->dir : r->dir,
		.partition = a->partition, .host = r->host, .run = r->run,
		.flush_interval_ns = (uint64_t)(a->flush_s * 1e9),
		.file_bytes = a->file_bytes, .pending_max = a->max_pending,
		/* Measured on 2M metric events: level 6 cost 2.9x the
		 * consumer CPU of level 1 for files 1% smaller. */
		.gzip_level = 1, .created_by = mlprobe_created_by,
	};
	struct sink live[8];
	char title[128];
	int ret, n;

	if (a->upload_cmd) {
		if ((ret = open_spool(r)))
			return ret;
		po.file_done = record_file_done;
		po.file_done_ctx = r->sp;
	}
	if ((ret = pqsink__new(&po, &r->ps))) {
		pr_err("cannot set up the Parquet sink: %s", strerror(-ret));
		return ret;
	}
	if ((ret = session__add_sink(r->s, pqsink__sink(r->ps))))
		return ret;
	if (r->sp && (ret = session__add_sink(r->s, (struct sink){
			.name = "upload", .ctx = r->sp, .tick = record_spool_tick })))
		return ret;
	n = livesinks__sinks(r->ls, live, 8);
	for (int i = 0; i < n; i++)
		if ((ret = session__add_sink(r->s, live[i])))
			return ret;
	if (!a->live_view)
		return 0;
	topui_title(title, sizeof(title), session__target(r->s),
		    a->ncmd ? a->cmd[0] : a->all);
	/* From here the terminal is the view's: messages print after it. */
	if (!(r->ui = topui__new(livesinks__live(r->ls), "record", title))) {
		ret = -errno;
		pr_err("cannot use this terminal: %s", strerror(errno));
		return ret;
	}
	return session__add_sink(r->s, topui__sink(r->ui));
}

/* run.json as the recording starts: what is attached, to what. */
static void write_start_meta(struct rec *r)
{
	struct tracer *tr = session__tracer(r->s);
	struct follow *fl = session__follow(r->s);
	int nat = tracer__nattached(tr), nf = session__nfuncs(r->s), ret;

	r->attached = calloc(nat + 1, sizeof(*r->attached));
	for (int i = 0; r->attached && i < nat; i++)
		r->attached[i] = tracer__attached_desc(tr, i);
	r->fdesc = calloc(nf + 1, sizeof(*r->fdesc));
	for (int i = 0; r->fdesc && i < nf; i++)
		r->fdesc[i] = session__func_desc(r->s, i);
	r->rm.dir = r->dir;
	r->rm.mode = r->a->all ? "all" : r->a->pid ? "attach" : "launch";
	r->rm.run = r->run;
	r->rm.host = r->host;
	r->rm.argv = r->a->cmd;
	r->rm.argc = r->a->ncmd;
	r->rm.pids = follow__pids(fl);
	r->rm.npids = follow__npids(fl);
	r->rm.start_ns = now_utc();
	r->rm.attached = r->attached;
	r->rm.nattached = r->attached ? nat : 0;
	r->rm.funcs = r->fdesc;
	r->rm.nfuncs = r->fdesc ? nf : 0;
	if ((ret = runmeta__write(&r->rm)))
		pr_warn("cannot write %s/run.json: %s", r->dir, strerror(-ret));
}

static void say_recording(const struct rec *r)
{
	const struct args *a = r->a;

	if (r->ui)
		record_view_start(&r->so);
	else if (a->quiet)
		return;
	else if (a->all && r->so.target <= 0)
		fprintf(stderr, "mlprobe: recording every process of %s to %s; "
			"Ctrl-C to stop\n", a->all, r->dir);
	else
		fprintf(stderr, "mlprobe: recording PID %d%s to %s; Ctrl-C to "
			"%s\n", r->so.target, a->children ? " and its children" :
			a->all ? " and every process of the binary" : "", r->dir,
			a->pid ? "detach" : "stop");
}

/* The files made final, then the books and run.json.  Returns the exit
 * status so far: 0, 1 (a file or run.json could not be written) or 3 (the
 * books do not balance). */
static int finish_files(struct rec *r)
{
	struct tracer *tr = session__tracer(r->s);
	int ret, rc = 0;

	if ((ret = pqsink__finish(r->ps))) {
		pr_err("cannot finish the Parquet files in %s: %s", r->dir,
		       strerror(-ret));
		rc = 1;
	}
	session__finish_sinks(r->s);
	if (tracer__counters(tr, &r->sum, &r->percpu, &r->ncpus))
		return rc;
	account_compute(&r->acct, &r->sum, decoder__stats(session__decoder(r->s)),
			r->ps);
	if (!r->acct.ok) {
		record_mismatch(&r->acct, r->dir);
		rc = 3;
	}
	r->rm.acct = &r->acct;
	r->rm.counters = &r->sum;
	r->rm.percpu = r->percpu;
	r->rm.ncpus = r->ncpus;
	r->rm.dec = decoder__stats(session__decoder(r->s));
	r->rm.sink = r->ps;
	r->rm.alerts = livesinks__alerts(r->ls);
	r->rm.pids = follow__pids(session__follow(r->s));
	r->rm.npids = follow__npids(session__follow(r->s));
	r->rm.end_ns = now_utc();
	/* The drain's cost, not the one-off BPF load and verification. */
	r->rm.cpu_s = cpu_seconds() - r->cpu0;
	if ((ret = runmeta__write(&r->rm))) {
		pr_err("cannot write %s/run.json: %s", r->dir, strerror(-ret));
		rc = 1;
	}
	return rc;
}

/* The view's end, the summary, the last uploads. */
static void report(struct rec *r)
{
	struct engine *eng = session__engine(r->s);

	/* The files are final: the view may wait for q, then ends before the
	 * summary. */
	record_view_end(&r->so, &r->end);
	r->ui = NULL;
	if (r->rm.acct && !r->a->quiet) {
		record_summary(r->dir, &r->acct, &r->sum, r->ps, r->rm.alerts,
			       r->secs, r->rm.cpu_s,
			       follow__npids(session__follow(r->s)));
		livesinks__summary(r->ls, r->dir);
		if (r->rm.command_log)
			fprintf(stderr, "  command output: %s\n", r->cmd_log);
	}
	if (r->sp) {
		char rj[PATH_MAX];

		snprintf(rj, sizeof(rj), "%.4000s/run.json", r->dir);
		for (int i = 0; i < alerts__nfiles(r->rm.alerts); i++)
			record_file_done(r->sp, alerts__file(r->rm.alerts, i)->path);
		record_file_done(r->sp, rj);
		record_upload_final(r->sp, eng, r->dir, r->lock, r->end.signo != 0,
				    r->end.stop_ns);
		if (!r->a->quiet)
			record_print_upload(r->sp, r->dir);
	}
	if (session__python(r->s) && !tracer__nattached(session__tracer(r->s)))
		pr_warn("%s%s %s the mlprobe module: nothing to record (build it with "
			"'make python' and set PYTHONPATH=build/python, or pip install "
			"./python)", r->a->all ? "no process of " : "",
			r->a->all ? r->a->all : r->a->cmd[0],
			r->a->all ? "imported" : "never imported");
}

/* Nothing ran: leave no recording behind. */
static void unrecord(struct rec *r)
{
	char rj[PATH_MAX];

	snprintf(rj, sizeof(rj), "%.4000s/run.json", r->dir);
	unlink(rj);
	if (r->rm.command_log)
		unlink(r->cmd_log);
}

/* Attaches, builds the sinks, runs until the end, finishes the files.
 * Returns the exit status; *ran: the recording ran (it is final now). */
static int record(struct rec *r, bool *ran)
{
	const struct args *a = r->a;
	struct launch *child;
	struct timespec t0, t1;
	int rc;

	*ran = false;
	/* The view owns the terminal: the command writes to a file. */
	snprintf(r->cmd_log, sizeof(r->cmd_log), "%s/command.log", r->dir);
	if (a->live_view)
		r->rm.command_log = "command.log";
	if (session__attach(r->s, a->live_view ? r->cmd_log : NULL) ||
	    (a->force && outdir_clear(r->dir)) || add_sinks(r) ||
	    session__start(r->s, a->flush_s < 0.1 ? (unsigned)(a->flush_s * 1000)
						   : 100))
		return 1;
	child = session__child(r->s);
	write_start_meta(r);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r->cpu0 = cpu_seconds();
	if ((rc = session__go(r->s))) {
		unrecord(r);
		return rc;
	}
	r->so = (struct record_stop_opts){
		.sz = sizeof(r->so), .eng = session__engine(r->s),
		.tr = session__tracer(r->s), .dec = session__decoder(r->s),
		.child = child, .ui = r->ui, .target = session__target(r->s),
		.many = a->children || a->all, .dir = r->dir, .sp = r->sp,
		.lock = r->lock,
	};
	say_recording(r);
	record_run(&r->so, &r->end);
	if (r->end.event < 0)
		pr_err("event loop failed: %s", strerror(-r->end.event));
	r->rm.exit_status = r->end.exit_status;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	rc = finish_files(r);
	*ran = true;
	report(r);
	if (launch__running(child))
		/* The command outlived a second Ctrl-C: leave it be. */
		pr_warn("PID %d is still running", launch__pid(child));
	else if (rc == 0)
		/* Like time(1): the command's failure is ours. */
		rc = launch_exit_code(r->rm.exit_status);
	return rc;
}

int cmd_record(int argc, char **argv)
{
	struct argp argp = { opts, parse_opt, "-o DIR -- CMD [ARGS...]\n"
			     "-o DIR -p PID\n-o DIR --all PATH [-- CMD [ARGS...]]",
			     doc, children, 0, 0 };
	struct args a = { .flush_s = 1.0 };
	struct rec r = { .a = &a, .lock = -1, .rm = { .exit_status = -1 } };
	struct session_opts so = { .sz = sizeof(so) };
	bool ran = false;
	int rc;

	if (argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &a))
		return 2;
	/* A closed stdout or pipe must not kill a recording midway, nor a
	 * request to stop one that is still attaching (the engine takes it
	 * once it runs). */
	signal(SIGPIPE, SIG_IGN);
	engine_block_signals();
	if (geteuid() != 0) {
		pr_err("record needs root to load BPF programs and attach "
		       "uprobes: run it with sudo");
		return 1;
	}
	so.pid = a.pid;
	so.argv = a.cmd;
	so.argc = a.ncmd;
	so.all = a.all;
	so.funcs = a.funcs;
	so.children = a.children;
	so.func_hint = true;
	so.ring_bytes = a.ring;
	so.bare = a.bare;
	so.batch = a.batch;
	so.no_gc = a.no_gc;
	/* Find what to attach to before touching anything. */
	if ((rc = session__new(&so, &r.s)))
		goto out;
	rc = 1;
	if (name_run(&r) || claim_dir(&r))
		goto out;
	rc = record(&r, &ran);
	/* Before the fork below: the HTTP server's thread stays with us. */
	livesinks__free(r.ls);
	r.ls = NULL;
out:
	topui__free(r.ui);
	/* Every file is finished: recover and upload may work in the run's
	 * directory now, while the links are still being destroyed. */
	if (r.lock >= 0)
		close(r.lock);
	spool__free(r.sp);
	if (ran && record_detach())
		_exit(rc);
	if (!ran)
		session__kill_child(r.s);
	session__free(r.s);
	pqsink__free(r.ps);
	free(r.attached);
	for (int i = 0; r.fdesc && r.fdesc[i]; i++)
		free((char *)r.fdesc[i]);
	free(r.fdesc);
	free(r.percpu);
	livesinks__free(r.ls);
	livecfg_free(&a.live);
	return rc;
}
