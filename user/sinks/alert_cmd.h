/* SPDX-License-Identifier: MIT */
/*
 * alert_cmd.h - the --on-alert command: started for a firing with the
 * alert in MLPROBE_ALERT_* variables, at most once per rule per interval
 * and 4 at a time (the rest are counted skipped), in its own process group,
 * reaped without waiting.  A failure is reported once.
 */
#ifndef MLPROBE_ALERT_CMD_H
#define MLPROBE_ALERT_CMD_H

#include <stddef.h>
#include <stdint.h>
#include "alert.h"

struct alert_cmd_opts {
	size_t sz;		/* sizeof(struct alert_cmd_opts) */
	char *const *argv;	/* NULL-terminated, borrowed */
	const char *path;	/* argv[0] resolved (alert_cmd_resolve) */
	uint64_t interval_ns;	/* per rule */
	int nrules;
	/* MLPROBE_ALERT_HOST, _RUN and _DIR; borrowed */
	const char *host, *run, *dir;
};

struct alert_cmd;

/* st's cmd_started, cmd_skipped and cmd_failed are kept up to date.  NULL
 * on out of memory. */
struct alert_cmd *alert_cmd__new(const struct alert_cmd_opts *o,
				 struct alerts_stats *st);
/* Starts the command for f, unless its rule started it less than the
 * interval ago or 4 still run.  now: CLOCK_MONOTONIC ns. */
void alert_cmd__run(struct alert_cmd *c, const struct alert_fire *f,
		    uint64_t now);
/* Reaps the commands that have exited.  Never blocks. */
void alert_cmd__reap(struct alert_cmd *c);
void alert_cmd__free(struct alert_cmd *c);

/* Splits an --on-alert command line like --upload-cmd (quotes, no shell)
 * and finds its program on PATH, while the options are parsed.  0, or
 * -errno with one line in err. */
int alert_cmd_resolve(const char *line, char ***argv, char **path, char *err,
		      size_t errlen);

#endif
