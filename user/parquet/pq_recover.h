/* SPDX-License-Identifier: MIT */
/*
 * pq_recover: turns a Parquet file that was being appended when its writer
 * died back into a valid file, keeping every complete row group.
 *
 * pq_writer appends "row group + complete footer" per flush, so every
 * earlier valid state of a file is a byte prefix of it, and a kill during a
 * flush leaves a valid file followed by a torn tail.  Recovery:
 *   1. find the last "<footer><len>PAR1" whose footer parses (scanning back
 *      from the end); every row group it lists must decode, else the file is
 *      damaged in a way a crash does not explain and is left alone;
 *   2. after it, walk the page headers of the torn tail: if they make up a
 *      complete row group (every column's pages hold the same number of
 *      values, and every page decodes), append a new footer listing it;
 *   3. otherwise cut the file back to the last valid state.
 * With no valid footer at all (the first flush was torn, or the file is
 * empty), a schema passed in opts stands in for the footer, so the first
 * row group is kept too, or the file becomes a valid empty table.
 *
 * Knows nothing of probes or mlprobe's tables; columns in, file out.
 */
#ifndef MLPROBE_PQ_RECOVER_H
#define MLPROBE_PQ_RECOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pq_writer.h"

struct pq_recover_opts {
	size_t sz;			/* sizeof(struct pq_recover_opts) */
	/* Schema and created_by to use when no footer survives (optional). */
	const struct pq_column *cols;
	int ncols;
	const char *created_by;
	bool dry_run;			/* report only; change nothing */
};

enum pq_recover_action {
	PQ_RECOVER_INTACT,	/* valid as it is; untouched */
	PQ_RECOVER_TRUNCATED,	/* cut back to the last valid footer */
	PQ_RECOVER_REBUILT,	/* a torn row group kept under a new footer */
	PQ_RECOVER_EMPTY,	/* nothing complete: now a valid empty table */
};

struct pq_recover_result {
	enum pq_recover_action action;
	uint64_t old_bytes, new_bytes;
	int64_t rows;			/* rows in the recovered file */
	int row_groups;
	int64_t rows_rebuilt;		/* rows of the row group kept by 2. */
};

/* The repaired file is keep bytes of the input followed by tail. */
struct pq_recover_plan {
	struct pq_recover_result res;
	uint64_t keep;
	uint8_t *tail;			/* malloc'd; NULL when tail_len is 0 */
	size_t tail_len;
};

/*
 * Plans the repair of the file image buf[0..len) (untrusted bytes).
 * Returns 0 with *plan filled (free plan->tail), or -errno with a one-line
 * reason in err: -EINVAL when no valid state is found and no schema is
 * given, -EBADMSG when a row group listed by the last valid footer does not
 * decode (damage, not a torn tail).
 */
int pq_recover__plan(const uint8_t *buf, size_t len,
		     const struct pq_recover_opts *opts,
		     struct pq_recover_plan *plan, char *err, size_t errlen);

/*
 * Repairs path in place: plans from its bytes, then writes the new tail
 * (if any), truncates, and fsyncs the file.  The bytes of the last valid
 * state are never overwritten, so a crash of recover itself leaves a file
 * that a second run repairs.  The directory fsync is the caller's.
 * Returns 0 with *res filled, or -errno with a one-line reason in err.
 */
int pq_recover__file(const char *path, const struct pq_recover_opts *opts,
		     struct pq_recover_result *res, char *err, size_t errlen);

const char *pq_recover__action_name(enum pq_recover_action a);

#endif /* MLPROBE_PQ_RECOVER_H */
