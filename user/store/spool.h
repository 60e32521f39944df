/* SPDX-License-Identifier: MIT */
/*
 * spool: finished files wait in DIR/.spool until an upload command has
 * succeeded for each of them.
 *
 * On disk, so a restart loses nothing:
 *   DIR/.spool/NAME        a hard link to each file still to upload (the
 *                          data stays even if DIR/NAME is removed).  NAME
 *                          is the file's path below DIR: with --partition,
 *                          rank=R/metrics-0000.parquet (every rank has a
 *                          metrics-0000.parquet)
 *   DIR/.spool/command     the upload command, one NUL-ended word each
 *   DIR/.spool/log         "uploaded NAME" / "gave-up NAME", one a line
 *   DIR/.spool/upload.log  what the upload commands printed
 * An upload is the command with "{}" replaced by .spool/NAME, exec'd
 * without a shell in its own process group; exit status 0 is success.
 * Uploads are at least once: a crash between a successful upload and the
 * unlink of its link uploads that file again.
 *
 * Nothing here blocks: spool__tick starts, reaps and times out one upload
 * process at a time.  Memory holds a name per pending file; the bytes stay
 * on disk, bounded by max_bytes: past it, the oldest pending files leave the
 * spool (they stay in DIR, not uploaded) and are reported.
 */
#ifndef MLPROBE_SPOOL_H
#define MLPROBE_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spool_opts {
	size_t sz;		/* sizeof(struct spool_opts) */
	const char *dir;	/* the recording directory; must exist */
	/* The command, {} for the file.  NULL: the one saved in the spool.
	 * Given: saved for a later `mlprobe upload DIR`. */
	char *const *argv;
	uint64_t max_bytes;	/* bound on pending bytes; 0: none */
	uint64_t backoff_min_ns;	/* first retry delay; 0: 0.5 s */
	uint64_t backoff_max_ns;	/* cap on the doubling; 0: 60 s */
	uint64_t timeout_ns;	/* one attempt at most; 0: 10 min */
	bool quiet;		/* no line per file sent */
};

struct spool_stats {
	uint64_t sent, sent_bytes;
	uint64_t failures;	/* failed attempts */
	uint64_t pending, pending_bytes;
	uint64_t given_up;	/* left out past max_bytes */
};

struct spool;

/* Opens (creating DIR/.spool) and loads the pending files, oldest first.
 * -ENOENT when no command is given and none is saved; -errno. */
int spool__open(const struct spool_opts *opts, struct spool **out);
/* Queues a finished file (a path below DIR, as DIR/NAME or DIR/rank=R/NAME):
 * links it into the spool and makes the link durable.  Then applies
 * max_bytes.  0, -EINVAL for a path not below DIR, or -errno. */
int spool__add(struct spool *s, const char *path);
/* Reaps a finished upload, times out a hung one, starts the next when the
 * backoff allows.  now: CLOCK_MONOTONIC ns.  Never blocks. */
void spool__tick(struct spool *s, uint64_t now);
/* Lets the next attempt start at the next tick, whatever the backoff. */
void spool__retry_now(struct spool *s);
/* True when nothing is pending. */
bool spool__idle(const struct spool *s);
/* Monotonic ns of the next moment a tick has work (for sleeping). */
uint64_t spool__next_ns(const struct spool *s, uint64_t now);
/* Kills an upload in progress (it stays pending) and waits for it. */
void spool__stop(struct spool *s);
void spool__stats(const struct spool *s, struct spool_stats *st);
/* The last failure in one line ("exit status 1", "killed by signal 9",
 * "timed out after 600 s"), or "" if none. */
const char *spool__last_error(const struct spool *s);
/* Stops (see spool__stop) and frees.  NULL is a no-op. */
void spool__free(struct spool *s);

/* Checks that the upload command line can run: it splits, and its
 * program is found (as execvp finds it).  0, or -errno with one line in
 * err that starts "--upload-cmd: ". */
int spool__check_cmd(const char *line, char *err, size_t errlen);

/* For a directory without a running recorder (recover): queues every file
 * in dir and its rank= folders that want() accepts and that is neither
 * pending nor logged as sent or given up, if dir has a spool.  Returns the number queued, 0
 * without a spool, or -errno. */
int spool__adopt(const char *dir, bool (*want)(const char *name));
/* Files pending in dir's spool (0 without a spool), or -errno. */
int spool__pending(const char *dir);
/* Removes dir's spool; refuses with -EBUSY while files are pending. */
int spool__remove(const char *dir);

#endif
