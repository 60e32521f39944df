/* SPDX-License-Identifier: MIT */
/*
 * runmeta.h - DIR/run.json: what was recorded, from where, and what was
 * lost.  Written when recording starts and rewritten at the end, each time
 * through a temp file, fsync and rename, so it is always whole.
 */
#ifndef MLPROBE_RUNMETA_H
#define MLPROBE_RUNMETA_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "account.h"
#include "consume/decoder.h"
#include "sinks/sink_parquet.h"
#include "wire.h"

struct alerts;

struct runmeta {
	const char *dir;
	const char *mode;		/* "launch", "attach" or "all" */
	const char *run, *host;		/* the run id and host of every row */
	char *const *argv;		/* launch: the command */
	int argc;
	const pid_t *pids;
	int npids;
	int64_t start_ns, end_ns;	/* UTC; end 0 while recording */
	const char *const *attached;	/* "path:probe:sites" */
	const char *const *funcs;	/* --func: "spec=path+0xoff" */
	int nfuncs;
	int nattached;
	const struct mp_counters *counters;	/* NULL while recording */
	const struct mp_counters *percpu;
	int ncpus;
	const struct decoder_stats *dec;
	const struct pqsink *sink;
	const struct alerts *alerts;	/* NULL: no alert rules */
	const char *command_log;	/* launch with --live: where the
					 * command's output went */
	int exit_status;		/* launch: target's wait status, -1 unknown */
	const struct account *acct;	/* NULL while recording */
	double cpu_s;			/* consumer CPU time while recording */
};

/* Writes m->dir/run.json.  0 or -errno. */
int runmeta__write(const struct runmeta *m);

#endif
