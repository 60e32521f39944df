/* SPDX-License-Identifier: MIT */
/*
 * wire.h - the records that cross the BPF ring buffer, and the counters the
 * BPF side keeps.  The one header that bpf/ and user/ share; nothing else
 * about the record layout is defined anywhere.
 *
 * Every record starts with struct mp_hdr.  Timestamps are CLOCK_BOOTTIME ns
 * (bpf_ktime_get_boot_ns); user space converts them to UTC.
 * Names (metric and span names) are interned: the first use of a name in a
 * process emits one MP_REC_NAME record carrying the text and a fresh id; later
 * records carry only the id.  Ids are global across processes and never
 * reused within a recording, so the consumer keeps one id -> text table.
 */
#ifndef MLPROBE_WIRE_H
#define MLPROBE_WIRE_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define MP_NAME_MAX	128	/* bytes of a name, NUL included */
#define MP_MSG_MAX	256	/* bytes of a log message, NUL included */
#define MP_SPAN_DEPTH	32	/* open spans tracked per thread */

/* Name id 0 stands for a name pointer that could not be read. */
#define MP_NAME_ID_UNREADABLE 0

/* Spans the kernel side makes itself, and their names.  User space gives
 * them the name ids own_id_base + k (after its --func functions; see
 * tracer.h) and tells the decoder their names. */
enum mp_own_span {
	MP_OWN_STEP,		/* a thread's step: from one MLPROBE_STEP to its next */
	MP_OWN_GC0,		/* CPython's garbage collector, generation 0.. */
	MP_OWN_GC1,
	MP_OWN_GC2,
	MP_OWN_MAX,
};
#define MP_OWN_NAMES { "mlprobe.step", "python.gc.gen0", "python.gc.gen1", \
		       "python.gc.gen2" }

enum mp_rec_type {
	MP_REC_NAME = 1,
	MP_REC_METRIC = 2,
	MP_REC_SPAN = 3,
	MP_REC_LOG = 4,
	MP_REC_PROC = 5,	/* a traced process forked, exec'd, mapped code, exited */
	MP_REC_BATCH = 6,	/* a thread's metric and span records, back to back */
};

/* mp_hdr.flags */
enum mp_rec_flags {
	MP_F_TRUNCATED = 1 << 0,	/* string cut at MP_NAME_MAX/MP_MSG_MAX */
	MP_F_NO_STEP = 1 << 1,		/* no MLPROBE_STEP seen yet: step unknown */
	MP_F_FAULT = 1 << 2,		/* a string pointer could not be read */
};

struct mp_hdr {
	__u16 type;		/* enum mp_rec_type */
	__u16 flags;		/* enum mp_rec_flags */
	__u32 cpu;
	__u32 pid;		/* tgid */
	__u32 tid;
	__u64 ts;		/* boot-time ns; for a span, its start */
};

struct mp_name_rec {
	struct mp_hdr h;
	__u32 id;
	__u32 len;		/* bytes in name, NUL excluded */
	char name[MP_NAME_MAX];
};

struct mp_metric_rec {
	struct mp_hdr h;
	__u32 name_id;
	__u32 _pad;
	__s64 step;
	__u64 value;		/* IEEE-754 bits of a double */
};

/* Where a span's thread spent its time between begin and end, from the
 * scheduler (docs/bpf.md, "Where the time went").  On CPU is the rest:
 * dur_ns - runq_ns - io_ns - wait_ns. */
struct mp_span_time {
	__u64 runq_ns;		/* runnable, waiting for a CPU */
	__u64 io_ns;		/* blocked in I/O wait */
	__u64 wait_ns;		/* blocked otherwise: a lock, a queue, sleep */
	__u32 minflt;		/* page faults */
	__u32 majflt;
};

struct mp_span_rec {
	struct mp_hdr h;
	__u64 dur_ns;
	__s64 step;		/* the process's step when the span began */
	__u32 name_id;
	__u32 depth;		/* 0 = outermost open span of the thread */
	struct mp_span_time t;
};

/* Process lifecycle, for the processes being traced (see "tracked" in
 * mlprobe.bpf.c).  h.pid is the process; these records force a wakeup, as
 * user space may have probes to attach (exec, mmap) or context to read. */
enum mp_proc_event {
	MP_PROC_FORK = 1,	/* h.pid was forked by ppid, and is tracked now */
	MP_PROC_EXEC = 2,	/* h.pid exec'd a new image (tracked) */
	MP_PROC_MMAP = 3,	/* h.pid's loader changed its library list */
	MP_PROC_EXIT = 4,	/* h.pid exited, and is no longer tracked */
};

struct mp_proc_rec {
	struct mp_hdr h;
	__u32 event;		/* enum mp_proc_event */
	__u32 ppid;		/* for MP_PROC_FORK; else 0 */
};

struct mp_log_rec {
	struct mp_hdr h;
	__s64 step;
	__u32 level;
	__u32 len;		/* bytes in msg, NUL excluded */
	char msg[MP_MSG_MAX];
};

/* A thread's hot records (metric and span), gathered in its task storage
 * and sent as one ring record: n whole records back to back, each of its
 * own type's size (a metric 48 bytes, a span 80), bytes in all, in the
 * order the thread wrote them.  h carries the thread (h.ts is the first
 * record's).  See docs/bpf.md, "Batching". */
#define MP_BATCH_MAX	32	/* records */
#define MP_BATCH_BYTES	1280	/* bytes of records */
#define MP_REC_MAX	80	/* the largest record in a batch (a span) */

struct mp_batch_rec {
	struct mp_hdr h;
	__u32 n;
	__u32 bytes;
	__u8 recs[MP_BATCH_BYTES];
};

_Static_assert(sizeof(struct mp_metric_rec) == 48, "batched metric");
_Static_assert(sizeof(struct mp_span_rec) == MP_REC_MAX, "batched span");

/* --batch: the trainer's own buffer (include/mlprobe.h, struct mlprobe__buf):
 * a 16-byte head (the sequence number of the first record, the count) and
 * MP_UB_CAP records of 32 bytes, tk = boot-time ns | kind << 60. */
#define MP_UB_CAP	64
#define MP_UB_HEAD	16
#define MP_UB_TS_MASK	((1ULL << 60) - 1)
enum mp_ub_kind { MP_UB_METRIC, MP_UB_SPAN_BEGIN, MP_UB_SPAN_END, MP_UB_STEP };

struct mp_urec {
	__u64 tk;
	__u64 a, b, c;
};

/* What the probes count, per CPU, per kind.  A "kind" is a probe. */
enum mp_kind {
	MP_K_METRIC,
	MP_K_SPAN_BEGIN,
	MP_K_SPAN_END,
	MP_K_LOG,
	MP_K_STEP,
	MP_K_NAME,		/* name records (interning), not a probe: HITS
				 * counts records submitted, DROP_RING those
				 * lost (the event that needed it is lost too,
				 * and counted under its own kind) */
	MP_K_PROC,		/* process records, not a probe: HITS counts
				 * records submitted, DROP_RING those lost */
	MP_K_MAX,
};

/* Records submitted for a kind = HITS - DROP_RING - DROP_NAME - UNMATCHED -
 * DEPTH - HELD; user space derives it instead of paying a second atomic add. */
enum mp_stat {
	MP_S_HITS,		/* probe fired */
	MP_S_DROP_RING,		/* ring full: reserve failed, record lost */
	MP_S_DROP_NAME,		/* name could not be interned: record lost */
	MP_S_UNMATCHED,		/* span_end without its span_begin, or a
				 * span_begin never ended (popped by an outer
				 * end); no record */
	MP_S_DEPTH,		/* spans nested deeper than MP_SPAN_DEPTH */
	MP_S_TRUNCATED,		/* record written with a truncated string */
	MP_S_FAULT,		/* record written, a string was unreadable */
	MP_S_HELD,		/* --batch: held in the trainer's buffer when its
				 * thread ended without sending it (killed,
				 * exec), or when recording stopped; no record */
	MP_S_MAX,
};

struct mp_counters {
	__u64 v[MP_K_MAX][MP_S_MAX];
};

#endif /* MLPROBE_WIRE_H */
