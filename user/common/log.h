/* SPDX-License-Identifier: MIT */
/*
 * log.h - the three message levels of every mlprobe command.
 *
 * pr_err:     always printed; one line that says what is wrong and what to do.
 * pr_verbose: printed with -v.
 * pr_debug:   printed with -vv.
 * Messages go to stderr, prefixed "mlprobe: ", so stdout stays data.
 */
#ifndef MLPROBE_LOG_H
#define MLPROBE_LOG_H

#include <stdio.h>

extern int mp_verbosity;	/* 0 quiet, 1 verbose, 2 debug */

#define pr_err(fmt, ...) fprintf(stderr, "mlprobe: " fmt "\n", ##__VA_ARGS__)
#define pr_warn(fmt, ...) fprintf(stderr, "mlprobe: warning: " fmt "\n", ##__VA_ARGS__)
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
