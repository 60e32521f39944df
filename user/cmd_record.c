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
#include "alert.h"
#include "decoder.h"
#include "engine.h"
#include "fsutil.h"
#include "log.h"
#include "record_stop.h"
#include "record_upload.h"
#include "rundir.h"
#include "runmeta.h"
#include "sink_parquet.h"
#include "sinks.h"
#include "spool.h"
#include "summary.h"
#include "top_ui.h"
#include "tracer.h"
#include "follow.h"
#include "launch.h"
#include "outdir.h"
#include "procctx.h"
#include "targets.h"
#include "usdt_notes.h"

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
       OPT_SPOOL_MAX, OPT_MAX_PENDING };

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
	bool force, quiet, bare, children, partition, live_view;
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

int cmd_record(int argc, char **argv)
{
	struct argp argp = { opts, parse_opt, "-o DIR -- CMD [ARGS...]\n"
			     "-o DIR -p PID\n-o DIR --all PATH [-- CMD [ARGS...]]",
			     doc, children,
			     0, 0 };
	struct args a = { .flush_s = 1.0 };
	struct tracer_opts to = { .sz = sizeof(to) };
	struct pqsink_opts po = { .sz = sizeof(po) };
	struct engine_opts eo = { .sz = sizeof(eo) };
	struct decoder_opts dopt = { .sz = sizeof(dopt) };
	struct follow_opts fo = { .sz = sizeof(fo) };
	struct launch *child = NULL;
	struct tracer *tr = NULL;
	struct engine *eng = NULL;
	struct decoder *dec = NULL;
	struct pqsink *ps = NULL;
	struct procctx *pc = NULL;
	struct follow *fl = NULL;
	struct func_target *funcs = NULL;
	struct mp_counters sum, *percpu = NULL;
	struct account acct;
	struct runmeta rm = { .exit_status = -1 };
	struct sink sinks[10];
	struct livesinks *ls = NULL;
	struct topui *ui = NULL;
	struct spool *sp = NULL;
	int lock = -1, nsinks = 0;
	struct record_stop_opts so;
	struct record_stop_result end;
	char err[512] = "", path[PATH_MAX], main_path[PATH_MAX];
	char host[256] = "", run[256], rundir[PATH_MAX], cmd_log[PATH_MAX + 16];
	const char **attached = NULL, **fdesc = NULL;
	int nfuncs = 0, ncpus = 0, ret, rc = 1, sites = 0;
	pid_t target = -1, *found = NULL;
	int nfound = 0;
	bool py_launch = false;
	struct stat all_st;
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

	/* Find what to attach to before touching anything. */
	if (a.pid) {
		if (targets_check_pid(a.pid))
			return 1;
		snprintf(main_path, sizeof(main_path), "/proc/%d/exe", (int)a.pid);
		ret = targets_proc_sites(a.pid, err, sizeof(err));
		if (ret < 0 && kill(a.pid, 0) && errno == ESRCH) {
			pr_err("PID %d exited while mlprobe was attaching", a.pid);
			return 1;
		}
		if (ret < 0) {
			pr_err("cannot read the probes of PID %d: %s", a.pid, err);
			return 1;
		}
		sites = ret;
	}
	if (a.ncmd) {
		if ((ret = launch_resolve(a.cmd[0], path, sizeof(path))))
			return ret;
		snprintf(main_path, sizeof(main_path), "%s", path);
		if (!a.all && (sites = targets_count_sites(path, a.cmd[0])) < 0)
			return 1;
	}
	if (a.all) {
		if (stat(a.all, &all_st)) {
			pr_err("%s: %s", a.all, strerror(errno));
			return 1;
		}
		snprintf(main_path, sizeof(main_path), "%s", a.all);
		if ((sites = targets_count_sites(a.all, a.all)) < 0)
			return 1;
	}
	if (a.funcs) {
		nfuncs = targets_resolve_funcs(a.funcs, a.pid, main_path, &funcs,
					       err, sizeof(err));
		if (nfuncs < 0) {
			pr_err("%s", err);
			return 1;
		}
	}
	/* A Python interpreter has no probes of its own: they come with the
	 * mlprobe extension module when the script imports it, and the dlopen
	 * watch attaches them then. */
	py_launch = !sites && !nfuncs && a.ncmd && !a.all && targets_is_python(path);
	if (!sites && !nfuncs && !py_launch) {
		if (a.pid)
			pr_err("process %d has no mlprobe probes in its executable "
			       "or loaded libraries (build it with #include "
			       "\"mlprobe.h\", or trace functions with --func)", a.pid);
		else
			pr_err("%s has no mlprobe probes (build it with #include "
			       "\"mlprobe.h\" and the MLPROBE_* macros, or trace "
			       "functions with --func)", main_path);
		goto out_early;
	}

	if (a.all) {
		nfound = targets_find_procs(all_st.st_dev, all_st.st_ino, &found);
		if (nfound < 0)
			nfound = 0;
	}
	gethostname(host, sizeof(host) - 1);
	/* The run id comes from the target's environment: a process of --all
	 * if one runs, else ours (which a launched command inherits). */
	procctx_run_id(a.run_id, a.pid ? a.pid : nfound ? found[0] : getpid(), host, run,
		    sizeof(run));
	if (a.partition) {
		char h[256], r[256];

		snprintf(h, sizeof(h), "%s", host);
		snprintf(r, sizeof(r), "%s", run);
		procctx_path_safe(h, sizeof(h));
		procctx_path_safe(r, sizeof(r));
		snprintf(host, sizeof(host), "%s", h);
		snprintf(run, sizeof(run), "%s", r);
		if (snprintf(rundir, sizeof(rundir), "%s/run=%s/host=%s", a.dir, run,
			     host) >= (int)sizeof(rundir)) {
			pr_err("output directory name too long");
			goto out_early;
		}
	} else {
		snprintf(rundir, sizeof(rundir), "%s", a.dir);
	}
	{
		/* Before the directory: a port in use leaves nothing behind. */
		struct livesinks_opts lo = {
			.sz = sizeof(lo), .cfg = &a.live, .dir = rundir, .host = host,
			.run = run, .created_by = "mlprobe version " MLPROBE_VERSION
				" (build " MLPROBE_BUILD ")",
			.want_live = a.live_view, .quiet_alerts = a.live_view,
		};

		if (livesinks__new(&lo, &ls))
			goto out_early;
	}
	if (outdir_check(rundir, a.force))
		goto out_early;
	lock = rundir__lock(rundir, 2000);
	if (lock < 0) {
		if (lock == -EBUSY)
			pr_err("%s is in use by another mlprobe (record, recover "
			       "or upload)", rundir);
		else
			pr_err("cannot lock %s: %s", rundir, strerror(-lock));
		goto out_early;
	}

	to.ring_bytes = a.ring;
	to.bare = a.bare;
	fo.global = to.filter = to.follow_forks = a.children || a.all;
	if (a.all) {
		to.exec_ino = all_st.st_ino;
		to.exec_dev = all_st.st_dev;
	}
	to.nfunc_ids = nfuncs;
	ret = tracer__open(&to, &tr, err, sizeof(err));
	if (ret) {
		pr_err("%s", err);
		goto out;
	}
	pc = procctx__new();
	fo.tr = tr;
	fo.pc = pc;
	fo.until_empty = a.children && !a.all;
	fl = pc ? follow__new(&fo) : NULL;
	if (!fl) {
		ret = -ENOMEM;
		goto out;
	}

	if (a.ncmd) {
		struct launch_opts lo = { .sz = sizeof(lo), .argv = a.cmd,
					  .path = path, .python = py_launch };

		/* The view owns the terminal: the command writes to a file. */
		snprintf(cmd_log, sizeof(cmd_log), "%s/command.log", rundir);
		if (a.live_view) {
			lo.output = cmd_log;
			rm.command_log = "command.log";
		}

		ret = launch__new(&lo, &child);
		if (ret) {
			pr_err("cannot start %s: %s", a.cmd[0], strerror(-ret));
			goto out;
		}
		target = launch__pid(child);
	} else if (a.pid) {
		target = a.pid;
	}
	if (a.all) {
		/* The binary itself, for processes that start later; then the
		 * ones running now, with their libraries. */
		ret = follow__attach_file(fl, -1, a.all, a.all, err, sizeof(err));
		if (ret < 0) {
			pr_err("%s", err);
			goto out;
		}
		for (int i = 0; i < nfound; i++) {
			if (follow__add(fl, found[i]))
				continue;
			if (follow__scan(fl, found[i], err, sizeof(err)) < 0)
				pr_verbose("PID %d: %s", found[i], err);
		}
		pr_verbose("%d running processes of %s", nfound, a.all);
	}
	if (target > 0) {
		/* Tracked before it execs (launch), so exec and every mmap of
		 * its libraries come back as records. */
		ret = follow__add(fl, target);
		if (ret) {
			pr_err("cannot trace PID %d: %s", target, strerror(-ret));
			goto out;
		}
		if (a.pid)
			ret = follow__scan(fl, target, err, sizeof(err));
		else if (!a.all)
			ret = follow__attach_file(fl, target, path, a.cmd[0], err,
						  sizeof(err));
		if (ret < 0) {
			if (ret == -ESRCH)
				pr_err("PID %d exited while mlprobe was attaching", target);
			else
				pr_err("%s", err);
			goto out;
		}
	}
	for (int i = 0; i < nfuncs; i++) {
		ret = tracer__attach_func(tr, fo.global ? -1 : target, funcs[i].path,
					  funcs[i].off, i + 1, err, sizeof(err));
		if (ret) {
			pr_err("--func %s: %s", funcs[i].spec, err);
			goto out;
		}
	}
	if (a.pid && kill(a.pid, 0) && errno == ESRCH) {
		pr_err("PID %d exited while mlprobe was attaching", a.pid);
		ret = -ESRCH;
		goto out;
	}

	if (a.force && (ret = outdir_clear(rundir)))
		goto out;

	dopt.boot_to_utc_ns = decoder_boot_to_utc_ns();
	follow__decoder_hooks(fl, &dopt);
	po.dir = a.partition ? a.dir : rundir;
	po.partition = a.partition;
	po.host = host;
	po.run = run;
	po.flush_interval_ns = (uint64_t)(a.flush_s * 1e9);
	po.file_bytes = a.file_bytes;
	po.pending_max = a.max_pending;
	/* Measured on 2M metric events: level 6 cost 2.9x the consumer CPU of
	 * level 1 for files 1% smaller. */
	po.gzip_level = 1;
	po.created_by = "mlprobe version " MLPROBE_VERSION " (build " MLPROBE_BUILD ")";
	if (a.upload_cmd) {
		struct spool_opts so = { .sz = sizeof(so), .dir = rundir,
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
			       rundir, strerror(-ret));
			goto out;
		}
		po.file_done = record_file_done;
		po.file_done_ctx = sp;
	}
	if ((ret = pqsink__new(&po, &ps))) {
		pr_err("cannot set up the Parquet sink: %s", strerror(-ret));
		goto out;
	}
	sinks[nsinks++] = pqsink__sink(ps);
	sinks[nsinks++] = follow__sink(fl);
	if (sp)
		sinks[nsinks++] = (struct sink){ .name = "upload", .ctx = sp,
						 .tick = record_spool_tick };
	nsinks += livesinks__sinks(ls, tr, sinks + nsinks, 9 - nsinks);
	if (a.live_view) {
		char title[128];

		topui_title(title, sizeof(title), target, a.ncmd ? a.cmd[0] : a.all);
		/* From here the terminal is the view's: messages print after
		 * it. */
		if (!(ui = topui__new(livesinks__live(ls), "record", title))) {
			ret = -errno;
			pr_err("cannot use this terminal: %s", strerror(errno));
			goto out;
		}
		sinks[nsinks++] = topui__sink(ui);
	}
	dec = decoder__new(&dopt, sinks, nsinks);
	if (!dec) {
		ret = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < nfuncs; i++)
		if ((ret = decoder__add_name(dec, i + 1, funcs[i].spec,
					     strlen(funcs[i].spec))))
			goto out;
	eo.ring_map_fd = tracer__ring_map_fd(tr);
	eo.dec = dec;
	eo.sinks = sinks;
	eo.nsinks = nsinks;
	eo.tick_ms = a.flush_s < 0.1 ? (unsigned)(a.flush_s * 1000) : 100;
	if (fo.until_empty) {
		eo.done = follow__done;
		eo.done_ctx = fl;
	}
	if ((ret = engine__new(&eo, &eng))) {
		pr_err("cannot start the event loop: %s", strerror(-ret));
		goto out;
	}
	/* Without --children the recording ends with its target (in --all
	 * mode, with the command, or only when told). */
	if (target > 0 && !fo.until_empty &&
	    (ret = engine__watch_pid(eng, target))) {
		pr_err("cannot watch PID %d: %s", target, strerror(-ret));
		goto out;
	}

	attached = calloc(tracer__nattached(tr) + 1, sizeof(*attached));
	for (int i = 0; attached && i < tracer__nattached(tr); i++)
		attached[i] = tracer__attached_desc(tr, i);
	fdesc = calloc(nfuncs + 1, sizeof(*fdesc));
	for (int i = 0; fdesc && i < nfuncs; i++) {
		char *d;

		if (asprintf(&d, "%s=%s+0x%llx", funcs[i].spec, funcs[i].path,
			     (unsigned long long)funcs[i].off) < 0)
			d = NULL;
		fdesc[i] = d;
	}
	rm.dir = rundir;
	rm.mode = a.all ? "all" : a.pid ? "attach" : "launch";
	rm.run = run;
	rm.host = host;
	rm.argv = a.cmd;
	rm.argc = a.ncmd;
	rm.pids = follow__pids(fl);
	rm.npids = follow__npids(fl);
	rm.start_ns = now_utc();
	rm.attached = attached;
	rm.nattached = attached ? tracer__nattached(tr) : 0;
	rm.funcs = fdesc;
	rm.nfuncs = fdesc ? nfuncs : 0;
	if ((ret = runmeta__write(&rm)))
		pr_warn("cannot write %s/run.json: %s", rundir, strerror(-ret));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cpu0 = cpu_seconds();

	if (child && (ret = launch__go(child))) {
		char rj[PATH_MAX];

		/* Nothing ran: leave no recording behind. */
		snprintf(rj, sizeof(rj), "%.4000s/run.json", rundir);
		unlink(rj);
		if (rm.command_log)
			unlink(cmd_log);
		if (!launch__running(child))
			rc = 127;
		goto out;
	}
	so = (struct record_stop_opts){
		.sz = sizeof(so), .eng = eng, .tr = tr, .dec = dec, .child = child,
		.ui = ui, .target = target, .many = a.children || a.all,
		.dir = rundir, .sp = sp, .lock = lock,
	};
	if (ui)
		record_view_start(&so);
	else if (!a.quiet) {
		if (a.all && target <= 0)
			fprintf(stderr, "mlprobe: recording every process of %s to "
				"%s; Ctrl-C to stop\n", a.all, rundir);
		else
			fprintf(stderr, "mlprobe: recording PID %d%s to %s; Ctrl-C "
				"to %s\n", target, a.children ? " and its children" :
				a.all ? " and every process of the binary" : "",
				rundir, a.pid ? "detach" : "stop");
	}

	record_run(&so, &end);
	if (end.event < 0)
		pr_err("event loop failed: %s", strerror(-end.event));
	rm.exit_status = end.exit_status;
	clock_gettime(CLOCK_MONOTONIC, &t1);

	ret = sinks[0].finish(sinks[0].ctx);
	if (ret)
		pr_err("cannot finish the Parquet files in %s: %s", rundir,
		       strerror(-ret));
	rc = ret ? 1 : 0;
	for (int i = 1; i < nsinks; i++)
		if (sinks[i].finish && (ret = sinks[i].finish(sinks[i].ctx)))
			pr_err("%s: %s", sinks[i].name, strerror(-ret));

	if (!tracer__counters(tr, &sum, &percpu, &ncpus)) {
		const struct decoder_stats *ds = decoder__stats(dec);

		account_compute(&acct, &sum, ds, ps);
		if (!acct.ok) {
			record_mismatch(&acct, rundir);
			rc = 3;
		}
		rm.acct = &acct;
		rm.counters = &sum;
		rm.percpu = percpu;
		rm.ncpus = ncpus;
		rm.dec = ds;
		rm.sink = ps;
		rm.alerts = livesinks__alerts(ls);
		rm.pids = follow__pids(fl);
		rm.npids = follow__npids(fl);
		rm.end_ns = now_utc();
		/* The drain's cost, not the one-off BPF load and verification. */
		rm.cpu_s = cpu_seconds() - cpu0;
		if ((ret = runmeta__write(&rm))) {
			pr_err("cannot write %s/run.json: %s", rundir, strerror(-ret));
			rc = 1;
		}
	}
	/* The files are final: the view may wait for q, then ends before the
	 * summary. */
	record_view_end(&so, &end);
	ui = NULL;
	if (rm.acct && !a.quiet) {
		record_summary(rundir, &acct, &sum, ps, rm.alerts,
			       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
			       rm.cpu_s, follow__npids(fl));
		livesinks__summary(ls, rundir);
		if (rm.command_log)
			fprintf(stderr, "  command output: %s\n", cmd_log);
	}
	if (sp) {
		char rj[PATH_MAX];

		snprintf(rj, sizeof(rj), "%.4000s/run.json", rundir);
		for (int i = 0; i < alerts__nfiles(rm.alerts); i++)
			record_file_done(sp, alerts__file(rm.alerts, i)->path);
		record_file_done(sp, rj);
		record_upload_final(sp, eng, rundir, lock, end.signo != 0,
				    end.stop_ns);
		if (!a.quiet)
			record_print_upload(sp, rundir);
	}
	if (py_launch && !tracer__nattached(tr))
		pr_warn("%s never imported the mlprobe module: nothing to record "
			"(build it with 'make python' and set PYTHONPATH=build/python, "
			"or pip install ./python)", a.cmd[0]);
	if (launch__running(child)) {
		/* The command outlived a second Ctrl-C: leave it be. */
		pr_warn("PID %d is still running", launch__pid(child));
	} else if (rc == 0) {
		/* Like time(1): the command's failure is ours. */
		rc = launch_exit_code(rm.exit_status);
	}
	/* Before the fork below: the HTTP server's thread stays with us. */
	livesinks__free(ls);
	ls = NULL;
	ret = 0;
out:
	topui__free(ui);
	/* Every file is finished: recover and upload may work in the run's
	 * directory now, while the links are still being destroyed. */
	if (lock >= 0)
		close(lock);
	lock = -1;
	spool__free(sp);
	sp = NULL;
	if (tr && ret == 0 && record_detach())
		_exit(rc);
	if (ret && launch__running(child)) {
		/* Never leave the command waiting on us. */
		launch__kill(child);
		launch__reap(child, -1);
	}
	launch__free(child);
	engine__free(eng);
	decoder__free(dec);
	pqsink__free(ps);
	tracer__free(tr);
	follow__free(fl);
	procctx__free(pc);
	free(attached);
	for (int i = 0; fdesc && i < nfuncs; i++)
		free((char *)fdesc[i]);
	free(fdesc);
	free(percpu);
out_early:
	if (lock >= 0)
		close(lock);
	livesinks__free(ls);
	livecfg_free(&a.live);
	free(funcs);
	free(found);
	return rc;
}
