/* SPDX-License-Identifier: MIT */
/*
 * tracer.h - the BPF side as user space sees it: load the programs, attach
 * them to the mlprobe probes of a process, read the counters, detach.
 *
 * Order (libbpf-bootstrap): open, configure (ring size, wakeup mark), load,
 * then attach per target.  Detaching is tracer__free(); the kernel also drops
 * every uprobe and semaphore count when the process that owns the links dies,
 * so a kill -9 of mlprobe leaves the trainer clean.
 */
#ifndef MLPROBE_TRACER_H
#define MLPROBE_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "wire.h"

struct tracer_opts {
	size_t sz;		/* sizeof(struct tracer_opts) */
	size_t ring_bytes;	/* power of two, >= page size; 0: 16 MiB */
	uint64_t wakeup_bytes;	/* force a wakeup above this fill; 0: ring/4 */
	bool bare;		/* benchmark floor: metric probe runs a no-op */
	bool batch;		/* attach mlprobe:batch: the trainer batches its
				 * records (include/mlprobe.h) */
	bool filter;		/* links for every process (pid -1) fire only
				 * for tracked processes (tracer__track) */
	bool follow_forks;	/* a tracked process's children are tracked */
	uint64_t exec_ino;	/* --all: a process exec'ing this file ... */
	uint64_t exec_dev;	/* ... (st_dev) is tracked; 0: none */
	uint32_t nfunc_ids;	/* name ids 1..nfunc_ids are user space's, then
				 * MP_OWN_MAX for the spans the BPF side
				 * makes (wire.h: tracer_own_id) */
};

struct tracer;

/* Opens and loads the BPF programs.  On failure returns -errno and writes one
 * line to err saying what is wrong and what to do. */
int tracer__open(const struct tracer_opts *opts, struct tracer **out,
		 char *err, size_t errlen);

/* Attaches every mlprobe probe found in the ELF at path, for process pid
 * (all its threads), or for every process that maps path when pid is -1.  path may be /proc/PID/exe or a library as mapped.
 * Returns the number of probe sites attached (0: the file has none), or
 * -errno with a reason in err. */
int tracer__attach(struct tracer *t, pid_t pid, const char *path, char *err,
		   size_t errlen);

/* Adds a process to the tracked set: its probe hits pass the filter, and its
 * forks (follow_forks), exec, executable mmaps and exit come back as
 * MP_REC_PROC records.  -errno on failure. */
int tracer__track(struct tracer *t, pid_t pid);
/* CPython's garbage-collector probes (python:gc__start, gc__done) in the
 * ELF file at path, if it has both: each collection becomes a span
 * python.gc.genN of the thread.  Returns the sites attached (0: the file
 * has none), or -errno with a reason in err. */
int tracer__attach_gc(struct tracer *t, pid_t pid, const char *path, char *err,
		      size_t errlen);

/* --func: a span per call of the function at file offset off of path, in
 * process pid (-1: every process, filtered).  name_id is the id the decoder
 * knows the function by (1..nfunc_ids).  0 or -errno with a reason in err. */
int tracer__attach_func(struct tracer *t, pid_t pid, const char *path,
			uint64_t off, uint32_t name_id, char *err, size_t errlen);

/* dlopen watch: a uprobe on the dynamic loader's _dl_debug_state at file
 * offset off of path, for pid (-1: every tracked process), which reports
 * MP_PROC_MMAP when a tracked process's library list changes. */
int tracer__attach_loader(struct tracer *t, pid_t pid, const char *path,
			  uint64_t off, char *err, size_t errlen);

/* Probes attached so far, as "probe:sites" lines for run.json. */
int tracer__nattached(const struct tracer *t);
const char *tracer__attached_desc(const struct tracer *t, int i);

int tracer__ring_map_fd(const struct tracer *t);

/* Sums the per-CPU counters into *sum.  If percpu is not NULL it receives a
 * malloc'ed array of *ncpus per-CPU copies (caller frees). */
int tracer__counters(const struct tracer *t, struct mp_counters *sum,
		     struct mp_counters **percpu, int *ncpus);

/* Makes every probe a no-op at once (they stay attached), and sends the
 * threads' batches.  Cheap, unlike detaching (a grace period, ~10 ms).  A
 * program already past the check may still submit a record: drain, and
 * tracer__flush, until the counters and the delivered rows agree. */
void tracer__stop(struct tracer *t);

/* After tracer__stop: sends the records threads still hold in their
 * batches (tracer__stop did it once; a thread caught inside a probe then
 * is sent by a later call).  0 or -errno. */
int tracer__flush(struct tracer *t);

/* Detaches every probe; counters and ring stay readable.  Idempotent.  Each
 * uprobe costs the kernel a grace period to remove (about 0.1 s per site,
 * measured on 6.18), so the links are destroyed in parallel. */
void tracer__detach(struct tracer *t);


/* Detaches everything and frees.  NULL is fine. */
void tracer__free(struct tracer *t);

/* Records written for a kind, derived from the kernel's counters. */
uint64_t tracer_emitted(const struct mp_counters *c, enum mp_kind k);
/* The name id of the BPF side's own span k, given nfunc_ids. */
uint32_t tracer_own_id(uint32_t nfunc_ids, enum mp_own_span k);
const char *tracer_kind_name(enum mp_kind k);
const char *tracer_stat_name(enum mp_stat s);

#endif
