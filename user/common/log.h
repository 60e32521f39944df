/* SPDX-License-Identifier: MIT */
/*
 * log.h - the three message levels of every mlprobe command.
 *
 * pr_err:     always printed; one line that says what is wrong and what to do.
 * pr_warn:    always printed: a result is not what was asked (a file not
 *             written, a process still running).
 * pr_notice:  a warning that -q hides: something will be traced less than
 *             asked, nothing recorded is lost (a library loader that
 *             cannot be watched).
 * pr_verbose: printed with -v.
 * pr_debug:   printed with -vv.
 * Messages go to stderr, prefixed "mlprobe: ", so stdout stays data.
 */
#ifndef MLPROBE_LOG_H
#define MLPROBE_LOG_H

#include <stdbool.h>
#include <stdio.h>

extern int mp_verbosity;	/* 0 quiet, 1 verbose, 2 debug */
extern bool mp_quiet;		/* -q: no pr_notice */

#define pr_err(fmt, ...) fprintf(stderr, "mlprobe: " fmt "\n", ##__VA_ARGS__)
#define pr_warn(fmt, ...) fprintf(stderr, "mlprobe: warning: " fmt "\n", ##__VA_ARGS__)
#define pr_notice(fmt, ...)                                                    \
	do {                                                                   \
		if (!mp_quiet)                                                 \
			fprintf(stderr, "mlprobe: warning: " fmt "\n",         \
				##__VA_ARGS__);                                \
	} while (0)
#define pr_verbose(fmt, ...)                                                   \
	do {                                                                   \
		if (mp_verbosity >= 1)                                         \
			fprintf(stderr, "mlprobe: " fmt "\n", ##__VA_ARGS__);  \
	} while (0)
#define pr_debug(fmt, ...)                                                     \
	do {                                                                   \
		if (mp_verbosity >= 2)                                         \
			fprintf(stderr, "mlprobe: debug: " fmt "\n",           \
				##__VA_ARGS__);                                \
	} while (0)

#endif
