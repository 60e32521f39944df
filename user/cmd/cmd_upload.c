// SPDX-License-Identifier: MIT
/*
 * cmd_upload.c - `mlprobe upload DIR`: send the files that wait in a
 * recording's upload spool (after a restart, a crash, or a remote that was
 * down), with the command saved by `record --upload-cmd` or a new one.
 * The spool does the work; this file runs its loop in the foreground.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include "cmds.h"
#include "common/log.h"
#include "store/rundir.h"
#include "store/spool.h"
#include "common/spawn.h"

static const char doc[] =
	"Upload the files that wait in a recording's spool.\n"
	"\n"
	"`record --upload-cmd` keeps each finished file in DIR/.spool until its\n"
	"upload command succeeds.  Files still there (the remote was down, or\n"
	"mlprobe stopped or crashed) are sent by this command, oldest first,\n"
	"with the saved command or the one given, retrying with backoff.  It\n"
	"stops after --tries failures in a row, leaving the rest in the spool.\n"
	"\n"
	"Exit status: 0 when the spool is empty, 1 when files remain, 2 for bad\n"
	"arguments, 130 on Ctrl-C.\n"
	"\n"
	"EXAMPLES:\n"
	"  mlprobe upload runs/exp2\n"
	"  mlprobe upload runs/exp2 --upload-cmd 'rsync -a {} backup:/runs/exp2/'\n";

enum { OPT_UPLOAD_CMD = 0x500, OPT_TRIES };

static const struct argp_option opts[] = {
	{ "upload-cmd", OPT_UPLOAD_CMD, "CMD", 0, "Use (and save) this command "
		"instead of the saved one; {} is the file", 0 },
	{ "tries", OPT_TRIES, "N", 0, "Give up after N failures in a row "
		"(default 5)", 0 },
	{ "quiet", 'q', NULL, 0, "Print only problems", 0 },
	{ "verbose", 'v', NULL, 0, "More messages", 0 },
	{},
};

struct args {
	const char *dir, *cmd;
	long tries;
	bool quiet;
};

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	struct args *a = st->input;
	char *end;

	switch (key) {
	case OPT_UPLOAD_CMD:
		a->cmd = arg;
		break;
	case OPT_TRIES:
		errno = 0;
		a->tries = strtol(arg, &end, 10);
		if (errno || *end || a->tries < 1 || a->tries > 1000000)
			argp_failure(st, 2, 0, "invalid number of tries '%s'", arg);
		break;
	case 'q':
		a->quiet = true;
		break;
	case 'v':
		mp_verbosity++;
		break;
	case ARGP_KEY_ARG:
		if (a->dir)
			argp_failure(st, 2, 0, "give one recording directory");
		a->dir = arg;
		break;
	case ARGP_KEY_END:
		if (!a->dir)
			argp_failure(st, 2, 0, "give a recording directory");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int cmd_upload(int argc, char **argv)
{
	struct argp argp = { opts, parse_opt, "DIR", doc, 0, 0, 0 };
	struct args a = { .tries = 5 };
	struct spool_opts so = { .sz = sizeof(so) };
	struct spool_stats st;
	struct spool *sp = NULL;
	char **uav = NULL, err[256];
	uint64_t failures0;
	sigset_t mask;
	int lock, sfd = -1, ret, rc = 1;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return 2;
	lock = rundir__lock(a.dir, 5000);
	if (lock == -EBUSY) {
		pr_err("%s is in use by a running mlprobe (record, recover or "
		       "upload); it uploads by itself", a.dir);
		return 1;
	}
	if (lock < 0) {
		pr_err("cannot open %s: %s", a.dir, strerror(-lock));
		return 1;
	}
	if (spool__pending(a.dir) <= 0 && !a.cmd) {
		if (!a.quiet)
			fprintf(stderr, "mlprobe: nothing waits for upload in %s\n",
				a.dir);
		close(lock);
		return 0;
	}
	if (a.cmd && (spool__check_cmd(a.cmd, err, sizeof(err)) ||
		      spawn_split(a.cmd, "the upload command", &uav, err,
				  sizeof(err)))) {
		pr_err("%s", err);
		goto cleanup;
	}
	so.dir = a.dir;
	so.argv = uav;
	so.quiet = a.quiet;
	ret = spool__open(&so, &sp);
	if (ret == -ENOENT) {
		pr_err("%s has no saved upload command: give one with "
		       "--upload-cmd 'CMD {}'", a.dir);
		goto cleanup;
	}
	if (ret) {
		pr_err("cannot open the spool in %s: %s", a.dir, strerror(-ret));
		goto cleanup;
	}
	/* Ctrl-C leaves what is not sent in the spool. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	spool__stats(sp, &st);
	failures0 = st.failures;
	for (;;) {
		struct signalfd_siginfo si;
		uint64_t now = mono_ns(), next;

		spool__tick(sp, now);
		spool__stats(sp, &st);
		if (spool__idle(sp)) {
			rc = 0;
			break;
		}
		/* A success resets the count: failures in a row only. */
		if (spool__last_error(sp)[0] &&
		    st.failures - failures0 >= (uint64_t)a.tries) {
			pr_err("giving up after %ld failures in a row (%s); %llu "
			       "files still wait in %s/.spool", a.tries,
			       spool__last_error(sp),
			       (unsigned long long)st.pending, a.dir);
			break;
		}
		if (!spool__last_error(sp)[0])
			failures0 = st.failures;
		if (sfd >= 0 && read(sfd, &si, sizeof(si)) == sizeof(si)) {
			spool__stop(sp);
			spool__stats(sp, &st);
			pr_err("interrupted; %llu files still wait in %s/.spool",
			       (unsigned long long)st.pending, a.dir);
			rc = 130;
			break;
		}
		next = spool__next_ns(sp, now);
		usleep(next - now > 20000000ull ? 20000 :
		       (useconds_t)((next - now) / 1000));
	}
	if (!rc && !a.quiet)
		fprintf(stderr, "mlprobe: %llu files uploaded; nothing waits in "
			"%s/.spool\n", (unsigned long long)st.sent, a.dir);
cleanup:
	spool__free(sp);
	free(uav);
	if (sfd >= 0)
		close(sfd);
	close(lock);
	return rc;
}
