/* SPDX-License-Identifier: MIT */
/*
 * decoder.h - ring-buffer records (bpf/wire.h) to rows (rows.h).
 *
 * Keeps the id -> name table that interning builds, makes every string valid
 * UTF-8 (marking truncation), converts boot-time to UTC, and hands each row
 * to the sinks.  Knows nothing of BPF maps or files.
 */
#ifndef MLPROBE_DECODER_H
#define MLPROBE_DECODER_H

#include <stddef.h>
#include <stdint.h>
#include "rows.h"

struct mp_proc_rec;

struct decoder_opts {
	size_t sz;			/* sizeof(struct decoder_opts) */
	int64_t boot_to_utc_ns;		/* added to every boot-time ts */
	/* The context of a row's process; NULL: every field unknown.  The
	 * returned pointer must stay valid until the next call. */
	const struct row_proc *(*proc)(void *ctx, uint32_t pid);
	/* A process record (fork, exec, mmap, exit); NULL: ignored. */
	void (*on_proc)(void *ctx, const struct mp_proc_rec *r);
	void *ctx;
};

struct decoder_stats {
	uint64_t rows[ROW_TABLES];	/* rows handed to the sinks */
	uint64_t names;			/* name records */
	uint64_t procs;			/* process records */
	uint64_t batches;		/* batch records (their rows are in rows) */
	uint64_t malformed;		/* records too short or of unknown type */
	uint64_t unknown_names;		/* ids used before their name arrived */
	uint64_t sink_errors;
};

struct decoder;

/* sinks is borrowed and must outlive the decoder.  NULL + errno on failure. */
struct decoder *decoder__new(const struct decoder_opts *opts,
			     const struct sink *sinks, int nsinks);
/* Decodes one record.  Returns 0, or -EINVAL for a malformed record (counted,
 * skipped: the stream goes on). */
int decoder__feed(struct decoder *d, const void *data, size_t size);
/* Names user space assigns itself (--func functions): id 1..2^24-1, text
 * valid UTF-8 or it is repaired.  -EINVAL, -ENOMEM. */
int decoder__add_name(struct decoder *d, uint32_t id, const char *s,
		      size_t len);
const struct decoder_stats *decoder__stats(const struct decoder *d);
void decoder__free(struct decoder *d);

/* CLOCK_REALTIME - CLOCK_BOOTTIME now, in ns. */
int64_t decoder_boot_to_utc_ns(void);

#endif
