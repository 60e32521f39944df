/* SPDX-License-Identifier: MIT */
/* record_upload.h - `record`'s side of the upload spool (spool.h): queue
 * finished files, wait a bounded time for uploads at the end, abort on a
 * second signal. */
#ifndef MLPROBE_RECORD_UPLOAD_H
#define MLPROBE_RECORD_UPLOAD_H

#include <stdbool.h>
#include <stdint.h>

struct engine;
struct spool;

/* Signal sig, which eng took, while stopping: leave at once (exit 130),
 * saying which signal from whom.  Every file on disk is valid; only rows
 * since the last flush are lost.  sp may be NULL; lock is the run
 * directory's lock fd or -1. */
_Noreturn void record_abort(const char *dir, struct spool *sp, int lock,
			    const struct engine *eng, int sig);
/* pqsink's file_done hook: queues a finished file (ctx: the spool). */
void record_file_done(void *ctx, const char *path);
/* The spool as a sink tick (ctx: the spool). */
int record_spool_tick(void *ctx, uint64_t now);
/* Lets uploads run until the spool is empty or the deadline (1 s from
 * stop_ns after a signal, else up to 30 s while uploads succeed). */
void record_upload_final(struct spool *sp, struct engine *eng, const char *dir,
			 int lock, bool by_signal, uint64_t stop_ns);
/* CLOCK_MONOTONIC in ns. */
uint64_t record_now_ns(void);
/* One summary line for the uploads, and where the rest waits. */
void record_print_upload(const struct spool *sp, const char *dir);

#endif
