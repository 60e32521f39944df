// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * mlprobe.bpf.c - the kernel side: one program per USDT probe of provider
 * "mlprobe".  Each turns a probe hit into at most one ring-buffer record.
 *
 * Hot-path rules: no per-event wakeup (BPF_RB_NO_WAKEUP unless the ring is
 * filled past wakeup_bytes), a name crosses the ring once per process
 * (interning), spans are paired here so one record describes a finished
 * span, and every record that cannot be written is counted.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>
#include "wire.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The string-reading programs are loaded sleepable (user space sets
 * BPF_F_SLEEPABLE), so a read may fault the page in.  A string literal on a
 * .rodata page the trainer never touched is not yet mapped, and the
 * non-faulting bpf_probe_read_user_str() would fail on it forever. */
extern int bpf_copy_from_user_str(void *dst, __u32 dst__sz,
				  const void *unsafe_ptr__ign, __u64 flags) __ksym;
#define read_user_str(dst, sz, src) bpf_copy_from_user_str(dst, sz, src, 0)
/* task->group_leader is an RCU pointer: trusted only under this lock in a
 * sleepable program. */
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;

#define MP_VM_WRITE 0x2	/* include/linux/mm.h; macros are not in BTF */
#define MP_PF_EXITING 0x4	/* include/linux/sched.h */
#define MP_ID_NONE 0xffffffffu

/* Set by user space before load. */
const volatile __u64 wakeup_bytes = 1 << 20;
/* Probes attached for every process of a file (--children, --all) fire only
 * for the processes in "tracked".  Per-process links need no filter. */
const volatile __u32 filter = 0;
/* --children: a process forked by a tracked one is tracked from birth. */
const volatile __u32 follow_forks = 0;
/* --all: a process that execs this file (inode and kernel dev_t) is
 * tracked from its first instruction. */
const volatile __u64 exec_ino = 0;
const volatile __u32 exec_dev = 0;
/* The name id of our own span k (wire.h: mp_own_span) is own_id_base + k;
 * 0: we make none. */
const volatile __u32 own_id_base = 0;
/* --batch: records a trainer wrote before this recording began (for an
 * earlier one) are not ours. */
const volatile __u64 start_ns = 0;

/* The processes being traced (tgid -> 1).  User space adds the targets it
 * starts with; the fork and exec hooks add the rest, before the new process
 * runs, so none of its events is missed; exit removes them. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u32);
} tracked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mp_counters);
} counters SEC(".maps");

/* Per process: an epoch that changes on exec (so interned pointers of the old
 * image are never trusted for the new one) and the current step. */
struct mp_proc {
	__u32 epoch;
	__u32 has_step;
	__s64 step;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct mp_proc);
} procs SEC(".maps");

/* Interning.  A key is a pointer (for names in a read-only file mapping,
 * whose text cannot change while mapped) or a content hash (anything else:
 * a stack buffer reused by snprintf, a heap string that is freed and
 * reused).  LRU: an evicted name is simply sent again under a new id. */
struct ikey {
	__u32 tgid;
	__u32 epoch_kind;	/* epoch << 1 | 1 for a content hash */
	__u64 v;		/* pointer, or FNV-1a 64 of the text */
};

struct ival {
	__u32 id;
	__u32 stable;		/* pointer keys: text is immutable */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ikey);
	__type(value, struct ival);
} intern SEC(".maps");

/* The thread's time off CPU so far, per state, and its page faults: a
 * span's share is the difference between its end and its begin. */
struct tsnap {
	__u64 off[3];		/* ns runnable, in I/O wait, blocked otherwise */
	__u32 minflt, majflt;	/* low 32 bits: differences wrap right */
};

struct frame {
	__u64 start;
	__s64 step;
	__u32 name_id;
	__u32 flags;
	struct tsnap t;		/* at start */
};

struct stack {
	__u32 depth;		/* may exceed MP_SPAN_DEPTH; deeper frames untracked */
	__u32 _pad;
	struct frame f[MP_SPAN_DEPTH];
};

/*
 * Uprobe programs can be preempted (they run under migrate_disable(), and
 * the sleepable ones may wait on a page fault), so another thread can run
 * the same program on the same CPU in the middle of ours.  Nothing per CPU
 * may hold state across a helper call, and that includes the stack itself:
 * kernel 6.13+ moves a kprobe-type program whose stack reaches 64 bytes onto
 * a per-CPU "private stack", where a preempting thread overwrites the
 * spilled registers of the preempted one (one record then comes out as a
 * copy of another, and the other is lost).  So:
 *  - the copy of a name being hashed lives in task storage, per thread;
 *  - the sleepable programs keep their stack under 64 bytes (a test loads
 *    every program and checks);
 *  - the others contain a tail call, on a branch never taken: a program
 *    with a tail call never gets a private stack.  (Sleepable programs may
 *    not use a prog array, hence the two ways.)  See docs/bpf.md.
 */
struct scratch {
	char buf[MP_NAME_MAX];
};

/* The thread's last few stable name pointers and their ids: the hot path's
 * answer without a map lookup.  Valid for one image of the process: the
 * kernel raises task->self_exec_id at every exec, and the cache is emptied
 * when it changes.  A new thread or process starts with no storage at all. */
#define NCACHE 8
struct ncache {
	__u64 uptr;		/* 0: empty */
	__u32 id;
	__u32 _pad;
};

/* The kinds whose hits a thread counts in its own state (see fold_hits). */
#define NPEND 3
_Static_assert(MP_K_METRIC < NPEND && MP_K_SPAN_BEGIN < NPEND &&
	       MP_K_SPAN_END < NPEND, "pending hits");

/* The batch as the ring gets it (struct mp_batch_rec), with room behind:
 * a record is written at an offset masked to the power of two below, so
 * the verifier sees every write in bounds; only MP_BATCH_BYTES are used. */
#define BATCH_MASK 2047
_Static_assert(MP_BATCH_BYTES + MP_REC_MAX <= BATCH_MASK + 1, "batch buffer");
struct batch_buf {
	struct mp_hdr h;
	__u32 n;
	__u32 bytes;
	__u8 recs[BATCH_MASK + 1 + MP_REC_MAX];
};

/* --batch: the trainer appends records to its own buffer and sends a batch
 * of them through the mlprobe:batch probe (bpf/ubatch.bpf.h).  A span's
 * split of time is computed after the fact: the thread's off-CPU totals do
 * not move while it runs, so every record written in one time slice has
 * the totals the slice ended with.  When a batching thread leaves its CPU,
 * mp_switch reads how many records its buffers have seen (16-byte reads of
 * memory it just wrote) and, if that grew during the slice, logs the time
 * the slice ended with the totals.  Each entry covers at least one record
 * not yet sent, so NSLICE entries reach back far enough for a full batch. */
#define NSLICE MP_UB_CAP
struct uslice {
	__u64 end;		/* the slice ended (boot-time ns) */
	__u64 off[3];
	__u32 minflt, majflt;
};

/* A thread has one buffer, unless a module does not share the process's
 * (a library linked with a version script that hides it): a few are
 * told apart by address. */
#define NBUF 4
struct ubuf {
	__u64 buf;		/* the trainer's buffer; 0: none */
	__u64 done;		/* its records below this sequence number are
				 * handled (sent, or counted as held) */
};

struct ubatch {
	struct ubuf b[NBUF];
	__u64 cur;		/* the buffer of the batch being unpacked */
	__u64 q;		/* sequence number of its first record */
	__u64 seen;		/* records the buffers had seen at the last
				 * slice entry */
	__u32 n;		/* records in the batch */
	__u32 busy;		/* unpacking a batch */
	__u32 chunk;		/* which 8 records r holds, + 1 (0: none) */
	__u32 nsl;		/* slice entries written */
	struct mp_urec r[8];	/* records copied in, 8 at a time */
	struct uslice sl[NSLICE];
};

/* The process's recent steps with their times (the leader's storage): a
 * batched span takes the step of its begin's time, not the unpacking's. */
#define NSTEPLOG 8
struct steplog {
	__u64 ts;
	__s64 step;
};

/* Per thread (task storage): what a sleepable program keeps across helper
 * calls, the name cache, the span stack and the batch of records not yet
 * sent.  The group leader's also holds the process's step. */
struct call {
	__u64 id;		/* pid_tgid */
	__u64 ts;
	__u64 uptr;		/* the name (or message) argument */
	__s64 step;		/* the step (or level) argument */
	__u64 bits;		/* the value argument */
	struct ikey k;		/* interning key */
	__u16 flags;		/* MP_F_* for the record */
	__u16 _pad;
	__u32 _pad2;
	__u64 exec_id;		/* task->self_exec_id the cache belongs to */
	struct ncache nc[NCACHE];
	struct stack st;	/* open spans */
	struct scratch s;	/* a copy of a name being hashed */
	__s64 pstep;		/* leader only: the process's step */
	__u32 has_pstep;	/* leader only: MLPROBE_STEP seen in this image */
	__u32 busy;		/* in a program that appends to the batch */
	__u32 bn;		/* the batch: records | bytes << 8 */
	__u32 nflush;		/* batches sent from the hot path */
	__u32 pend[NPEND];	/* hits not yet in the counters, per kind */
	__u32 _pad3;
	__u64 blast;		/* ts of the last record appended */
	/* Where the thread's time goes (see "Where the time went"): its
	 * state since alast (0: not yet known), and the time it spent off CPU
	 * so far; snap is both at this probe's ts. */
	__u32 astate;		/* enum acct_state */
	__u32 _pad4;
	__u64 alast;
	__u64 aoff[3];
	struct tsnap snap;
	struct steplog stl[NSTEPLOG];	/* leader only: recent steps */
	__u32 nstl;
	__u32 _pad6;
	struct frame sf;	/* the thread's step, since its last MLPROBE_STEP */
	__u32 sf_open;
	__u32 _pad5;
	struct ubatch ub;	/* --batch */
	struct batch_buf b;	/* the batch, sent as it is */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct call);
} calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} kstack SEC(".maps");

/* Always 0; in .bss, so neither clang nor the verifier can drop the branch. */
volatile __u32 never;

#define KERNEL_STACK(ctx)                                                      \
	do {                                                                   \
		if (never)                                                     \
			bpf_tail_call(ctx, &kstack, 0);                        \
	} while (0)

/* 0 is MP_NAME_ID_UNREADABLE; user space raises the start above the ids it
 * gives --func functions before loading. */
__u32 next_name_id = 1;
/* Set by user space when it stops recording: probes that fire while the
 * links are being torn down (which takes a grace period per site) do
 * nothing, so the final drain and the counters agree exactly. */
volatile __u32 stopped;
/* When recording stopped (set just before stopped): --batch records
 * written after it are not ours, like probe hits after it. */
volatile __u64 stop_ns;
__u32 next_epoch = 1;

/*
 * Where the time went.  Every thread with task storage (it hit a probe) has
 * a state: on CPU, runnable (preempted, or woken and waiting for a CPU), in
 * I/O wait (blocked with in_iowait set: io_schedule), or blocked otherwise
 * (a futex, a pipe, sleep).  mp_switch moves it off CPU and back, mp_wakeup
 * from blocked to runnable, each adding the time in the state it leaves to
 * the thread's total for that state.  A span snapshots the totals (and the
 * thread's page faults) at its begin and at its end, with the timestamp, so
 * runq + io + wait of a span is exactly its time off CPU and the rest of
 * its duration was on CPU.  Only the thread itself writes its state while
 * it runs (once, when its storage is new); the scheduler's own ordering
 * keeps the switch and wakeup hooks from overlapping for one thread.
 */
enum acct_state { A_CPU, A_RUNQ, A_IO, A_WAIT };

/* Into state s at now, adding the time in the state left. */
static __always_inline void acct_move(struct call *c, enum acct_state s, __u64 now)
{
	__u32 old = c->astate;

	if (old >= A_RUNQ && old <= A_WAIT && now > c->alast)
		c->aoff[old - A_RUNQ] += now - c->alast;
	c->astate = s;
	c->alast = now;
}

/* --batch: a batching thread (the current one) leaves its CPU at now: if
 * its buffers grew during the slice, log the slice's end with the totals. */
static __always_inline void slice_end(struct call *c, struct task_struct *task,
				      __u64 now)
{
	__u64 head[2], seen = 0;
	struct uslice *e;

	for (int i = 0; i < NBUF; i++) {
		if (!c->ub.b[i].buf)
			continue;
		if (bpf_probe_read_user(head, sizeof(head),
					(void *)c->ub.b[i].buf) == 0)
			seen += head[0] + (__u32)head[1];
	}
	if (seen <= c->ub.seen)
		return;
	c->ub.seen = seen;
	e = &c->ub.sl[c->ub.nsl & (NSLICE - 1)];
	e->end = now;
	e->off[0] = c->aoff[0];
	e->off[1] = c->aoff[1];
	e->off[2] = c->aoff[2];
	e->minflt = (__u32)task->min_flt;
	e->majflt = (__u32)task->maj_flt;
	c->ub.nsl++;
}

/* The totals at c->ts, the thread running (called at a probe's entry,
 * before anything that may sleep). */
static __always_inline void acct_snap(struct call *c, struct task_struct *task)
{
	if (!c->alast) {
		/* New storage: the thread is running now. */
		c->astate = A_CPU;
		c->alast = c->ts;
	}
	c->snap.off[0] = c->aoff[0];
	c->snap.off[1] = c->aoff[1];
	c->snap.off[2] = c->aoff[2];
	c->snap.minflt = (__u32)task->min_flt;
	c->snap.majflt = (__u32)task->maj_flt;
}

static __always_inline void count_n(enum mp_kind k, enum mp_stat s, __u64 n)
{
	__u32 zero = 0;
	struct mp_counters *c = bpf_map_lookup_elem(&counters, &zero);

	/* Atomic even though per CPU: a preempted program can share the CPU. */
	if (c)
		__sync_fetch_and_add(&c->v[k][s], n);
}

static __always_inline void count(enum mp_kind k, enum mp_stat s)
{
	count_n(k, s, 1);
}

/* n hits of kind k that the trainer held and no record carries (--batch). */
static __always_inline void count_held(enum mp_kind k, __u64 n)
{
	count_n(k, MP_S_HITS, n);
	count_n(k, MP_S_HELD, n);
}

static __always_inline __u64 wake_flag(void)
{
	return bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) >= wakeup_bytes ?
		       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* The hot path asks wake_flag() once every WAKE_EVERY records of a thread
 * (every few batches): the query reads the consumer's position, a cache
 * line the draining consumer keeps writing on another CPU, and cost about
 * 60 ns an event (bpf_stats, this VM).  The consumer is woken at most
 * WAKE_EVERY records per thread late, a few KiB against a fill mark of a
 * quarter of the ring; it drains on its timer anyway. */
#define WAKE_EVERY 64

/*
 * Batching.  A metric or span record goes into its thread's batch (task
 * storage); the batch crosses the ring as one record.  A ring reserve and
 * submit cost about 30 ns a record on these machines (a spinlock with
 * interrupts off, the producer position, the header's xchg); one output of
 * a full batch costs about as much as two.  See docs/bpf.md, "Batching".
 *
 * Who sends a batch:
 *  - the thread itself, when the batch is full, or when the thread's
 *    previous record is older than BATCH_GAP_NS (a thread that writes
 *    slowly gains nothing from waiting, so its records go out at once);
 *  - mp_switch, when the thread leaves its CPU (it may sleep for long);
 *  - mp_exit, when the thread ends;
 *  - mp_flush (a task iterator user space runs) after recording stopped.
 * The thread appends with plain stores, inside hold()/release(): c->busy
 * keeps the other senders out.  mp_switch runs on the thread's own CPU
 * while it is switched out, and mp_exit in the thread itself, so neither
 * can run in the middle of an append it does not see as busy.  mp_flush
 * runs on another CPU, but only after user space set "stopped" and then
 * made every CPU pass a full barrier (membarrier): a program that had not
 * yet set busy then sees "stopped" and appends nothing.  Senders other than
 * the thread take the batch with an atomic exchange of c->bn, so two of
 * them never send the same records.
 */
#define BATCH_GAP_NS 1000000ULL
#define FLUSH_WAKE_EVERY 4	/* batches: about WAKE_EVERY records */


static __always_inline void hold(struct call *c)
{
	*(volatile __u32 *)&c->busy = 1;
	barrier();
}

static __always_inline void release(struct call *c)
{
	barrier();
	*(volatile __u32 *)&c->busy = 0;
}

/* c->bn packs the batch's records (low byte) and bytes (the rest), so one
 * exchange takes both. */
#define BN_RECS(bn) ((bn) & 0xff)
#define BN_BYTES(bn) ((bn) >> 8)

/* Where the thread's next record goes. */
static __always_inline void *batch_slot(struct call *c)
{
	return &c->b.recs[BN_BYTES(c->bn) & BATCH_MASK];
}

/* The thread's hits go into the per-CPU counters when its batch goes: one
 * atomic add per batch instead of one per hit (~5 ns a hit).  The books
 * still balance when recording stops, as the last batch goes then.  The
 * thread itself reads and clears with plain stores; other senders exchange
 * (two of them may meet when recording stops). */
static __always_inline void fold_hits(struct call *c, bool owner)
{
	for (int k = 0; k < NPEND; k++) {
		__u32 n;

		if (owner) {
			n = c->pend[k];
			c->pend[k] = 0;
		} else {
			n = __sync_lock_test_and_set(&c->pend[k], 0);
		}
		if (n)
			count_n(k, MP_S_HITS, n);
	}
}

/* Sends the batch bn (records and bytes, see BN_*) as one ring record; on
 * a full ring each record is counted as a drop of its own kind.  A batch
 * holds metrics and spans only, so its bytes tell how many are spans. */
#define SPAN_EXTRA (sizeof(struct mp_span_rec) - sizeof(struct mp_metric_rec))
static __noinline int batch_send(struct call *c, __u32 bn, __u64 flags)
{
	__u32 n = BN_RECS(bn), bytes = BN_BYTES(bn), spans;

	if (!c || n == 0 || n > MP_BATCH_MAX || bytes > MP_BATCH_BYTES ||
	    bytes < n * sizeof(struct mp_metric_rec))
		return 0;
	c->b.h.type = MP_REC_BATCH;
	c->b.h.flags = 0;
	c->b.h.cpu = bpf_get_smp_processor_id();
	c->b.h.pid = c->id >> 32;
	c->b.h.tid = (__u32)c->id;
	c->b.h.ts = ((struct mp_hdr *)c->b.recs)->ts;
	c->b.n = n;
	c->b.bytes = bytes;
	if (bpf_ringbuf_output(&rb, &c->b, offsetof(struct mp_batch_rec, recs) +
			       bytes, flags) == 0)
		return 0;
	spans = (bytes - n * sizeof(struct mp_metric_rec)) / SPAN_EXTRA;
	if (spans > n)
		spans = n;
	count_n(MP_K_SPAN_END, MP_S_DROP_RING, spans);
	count_n(MP_K_METRIC, MP_S_DROP_RING, n - spans);
	return 0;
}

/* The thread's record, size bytes, is in batch_slot(c): count it in, and
 * send the batch if no record of any kind fits behind it or the thread
 * writes slowly. */
static __always_inline void batch_commit(struct call *c, __u32 size)
{
	__u32 bn = c->bn + 1 + (size << 8);
	__u64 last = c->blast;

	c->blast = c->ts;
	if (BN_RECS(bn) < MP_BATCH_MAX &&
	    BN_BYTES(bn) + MP_REC_MAX <= MP_BATCH_BYTES &&
	    (c->ts - last < BATCH_GAP_NS || c->ub.busy)) {
		c->bn = bn;
		return;
	}
	c->bn = 0;
	fold_hits(c, true);
	batch_send(c, bn, (++c->nflush & (FLUSH_WAKE_EVERY - 1)) ?
				  BPF_RB_NO_WAKEUP : wake_flag());
}

/* Sends the batch of a thread that is not appending (see above). */
static __always_inline void batch_take(struct call *c)
{
	if (c->busy)
		return;
	fold_hits(c, false);
	if (c->bn)
		batch_send(c, __sync_lock_test_and_set(&c->bn, 0), wake_flag());
}

/* True when a probe hit is not ours to record: recording stopped, or a
 * process we do not trace hit a probe attached for every process. */
static __always_inline bool not_ours(__u64 pid_tgid)
{
	__u32 tgid = pid_tgid >> 32;

	return stopped || (filter && !bpf_map_lookup_elem(&tracked, &tgid));
}

static __always_inline void fill_hdr(struct mp_hdr *h, __u16 type, __u64 id,
				     __u64 ts)
{
	h->type = type;
	h->flags = 0;
	h->cpu = bpf_get_smp_processor_id();
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->ts = ts;
}

static __always_inline struct mp_proc *get_proc(__u32 tgid)
{
	struct mp_proc *p = bpf_map_lookup_elem(&procs, &tgid);

	if (p)
		return p;
	struct mp_proc np = { .epoch = __sync_fetch_and_add(&next_epoch, 1) };
	bpf_map_update_elem(&procs, &tgid, &np, BPF_NOEXIST);
	return bpf_map_lookup_elem(&procs, &tgid);
}

/* Marks a string that filled its buffer as truncated unless the byte after
 * the copy ends it.  n is read_user_str()'s return value. */
static __always_inline bool truncated(const char *src, long n, long max)
{
	char c = 0;

	if (n < max)
		return false;
	if (bpf_copy_from_user(&c, 1, src + max - 1))
		return false;
	return c != 0;
}

static long vma_cb(struct task_struct *task, struct vm_area_struct *vma,
		   void *data)
{
	__u32 *stable = data;

	*stable = vma->vm_file && !(vma->vm_flags & MP_VM_WRITE);
	return 0;
}

/* Sends a new name for c->k, the text in the scratch copy.  Returns its id
 * (or the id another thread gave the same key first), or MP_ID_NONE when
 * the ring is full. */
static __always_inline __u32 new_name(struct call *c, bool trunc)
{
	struct mp_name_rec *r;
	struct ival v = { .stable = 1 };
	struct ival *old;
	long n;

	r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
	if (!r) {
		count(MP_K_NAME, MP_S_DROP_RING);
		return MP_ID_NONE;
	}
	fill_hdr(&r->h, MP_REC_NAME, c->id, c->ts);
	n = bpf_probe_read_kernel_str(r->name, sizeof(r->name), c->s.buf);
	if (n <= 0) {
		bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP);
		return MP_NAME_ID_UNREADABLE;
	}
	if (trunc)
		r->h.flags |= MP_F_TRUNCATED;
	r->len = n - 1;
	v.id = __sync_fetch_and_add(&next_name_id, 1);
	r->id = v.id;
	/* Insert before submit: a record that uses the id on another CPU is
	 * reserved after ours, and the consumer never reads past a record
	 * that is still reserved, so the name always arrives first. */
	if (bpf_map_update_elem(&intern, &c->k, &v, BPF_NOEXIST) == -17 /*EEXIST*/) {
		bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP);
		old = bpf_map_lookup_elem(&intern, &c->k);
		return old ? old->id : MP_ID_NONE;
	}
	count(MP_K_NAME, MP_S_HITS);
	if (trunc)
		count(MP_K_NAME, MP_S_TRUNCATED);
	bpf_ringbuf_submit(r, wake_flag());
	return v.id;
}

/* The thread's cache slot for a name pointer. */
static __always_inline struct ncache *ncache_slot(struct call *c, __u64 uptr)
{
	return &c->nc[(uptr * 0x9e3779b97f4a7c15ULL) >> 61 & (NCACHE - 1)];
}

/* intern_name()'s slow path: a pointer seen for the first time, or one
 * whose text must be checked.  A name's id is the id of its text (a
 * content-hash key), whatever the pointer: span ends are matched to their
 * begins by id, so one text must not get two ids in a process, not even
 * when bpf_find_vma() cannot take the mmap lock (a thread being created
 * holds it) and the pointer's kind stays unknown for this one call.  A
 * stable pointer then caches its text's id under its own key, and in the
 * thread's cache.  A subprogram of its own, to keep each frame small (see
 * struct call). */
static __noinline __u32 intern_slow(struct call *c, __u32 seen)
{
	struct ival nv = {};
	struct ival *v;
	__u64 h = 0xcbf29ce484222325ULL;
	__u32 id;
	long n;

	if (!c)
		return MP_ID_NONE;
	if (!seen && bpf_find_vma(bpf_get_current_task_btf(), c->uptr, vma_cb,
				  &nv.stable, 0) == 0 && !nv.stable)
		/* Remember that this pointer needs its text checked. */
		bpf_map_update_elem(&intern, &c->k, &nv, BPF_ANY);

	n = read_user_str(c->s.buf, sizeof(c->s.buf), (void *)c->uptr);
	if (n <= 0) {
		c->flags |= MP_F_FAULT;
		return MP_NAME_ID_UNREADABLE;
	}
	for (int i = 0; i < MP_NAME_MAX; i++) {
		if (i >= n - 1)
			break;
		h ^= (__u8)c->s.buf[i];
		h *= 0x100000001b3ULL;
	}
	c->k.epoch_kind |= 1;
	c->k.v = h;
	v = bpf_map_lookup_elem(&intern, &c->k);
	if (v)
		id = v->id;
	else
		id = new_name(c, truncated((void *)c->uptr, n, MP_NAME_MAX));
	if (nv.stable && id != MP_ID_NONE && id != MP_NAME_ID_UNREADABLE) {
		struct ncache *e = ncache_slot(c, c->uptr);

		nv.id = id;
		c->k.epoch_kind &= ~1u;
		c->k.v = c->uptr;
		bpf_map_update_elem(&intern, &c->k, &nv, BPF_ANY);
		e->uptr = c->uptr;
		e->id = id;
	}
	if (id == MP_NAME_ID_UNREADABLE)
		c->flags |= MP_F_FAULT;
	return id;
}

/* Returns the id of the name at c->uptr for this process, sending the name
 * first if it is new.  MP_ID_NONE: the caller's record must be dropped.
 * The thread's cache answers for a stable pointer it has seen; the intern
 * map for one another thread has seen. */
static __always_inline __u32 intern_name(struct call *c)
{
	struct ncache *e = ncache_slot(c, c->uptr);
	struct mp_proc *p;
	struct ival *v;

	if (e->uptr == c->uptr && c->uptr)
		return e->id;
	p = get_proc(c->id >> 32);
	if (!p)
		return MP_ID_NONE;
	c->k.tgid = c->id >> 32;
	c->k.epoch_kind = p->epoch << 1;
	c->k.v = c->uptr;
	v = bpf_map_lookup_elem(&intern, &c->k);
	if (v && v->stable) {
		e->uptr = c->uptr;
		e->id = v->id;
		return v->id;
	}
	return intern_slow(c, v != NULL);
}

/* The saved user register at byte offset off of the context.  The verifier
 * allows only loads at a constant offset from the context pointer, and
 * clang would fold the cases of a plain switch into one computed load, so
 * each case is its own load in assembly. */
#if defined(__TARGET_ARCH_arm64)
#define CTX_BYTES sizeof(struct user_pt_regs)
#else
#define CTX_BYTES sizeof(struct pt_regs)
#endif
#define REG_CASE(off)                                                          \
	case off:                                                              \
		if (off + 8 > CTX_BYTES)                                       \
			return 0;                                              \
		__asm__ __volatile__("%0 = *(u64 *)(%1 + " #off ")"            \
				     : "=r"(v) : "r"(ctx));                    \
		return v
static __always_inline __u64 ctx_reg(struct pt_regs *ctx, int off)
{
	__u64 v;

	switch (off) {
	REG_CASE(0);
	REG_CASE(8);
	REG_CASE(16);
	REG_CASE(24);
	REG_CASE(32);
	REG_CASE(40);
	REG_CASE(48);
	REG_CASE(56);
	REG_CASE(64);
	REG_CASE(72);
	REG_CASE(80);
	REG_CASE(88);
	REG_CASE(96);
	REG_CASE(104);
	REG_CASE(112);
	REG_CASE(120);
	REG_CASE(128);
	REG_CASE(136);
	REG_CASE(144);
	REG_CASE(152);
	REG_CASE(160);
	REG_CASE(168);
	REG_CASE(176);
	REG_CASE(184);
	REG_CASE(192);
	REG_CASE(200);
	REG_CASE(208);
	REG_CASE(216);
	REG_CASE(224);
	REG_CASE(232);
	REG_CASE(240);
	REG_CASE(248);
	REG_CASE(256);
	REG_CASE(264);
	}
	return 0;
}

/* The site's argument spec (libbpf's USDT attach gives each site a spec id
 * as its cookie).  NULL only for a site libbpf did not attach. */
static __always_inline const struct __bpf_usdt_spec *site_spec(struct pt_regs *ctx)
{
	int id = bpf_get_attach_cookie(ctx);

	return bpf_map_lookup_elem(&__bpf_usdt_specs, &id);
}

/* Argument i of a USDT site.  mlprobe.h passes every argument in a full
 * 8-byte register ("8@%rdi"), which is read straight from the context;
 * anything else (a site written by another USDT macro, or by hand) goes
 * through libbpf's general bpf_usdt_arg(), which costs a helper call and a
 * probe read per argument. */
static __always_inline long site_arg(struct pt_regs *ctx,
				     const struct __bpf_usdt_spec *sp, int i)
{
	long v = 0;

	if (!sp)
		return 0;
	if (sp->arg_cnt > i && sp->args[i].arg_type == BPF_USDT_ARG_REG &&
	    sp->args[i].arg_bitshift == 0)
		return ctx_reg(ctx, sp->args[i].reg_off);
	bpf_usdt_arg(ctx, i, &v);
	return v;
}

/* Starts a probe program's work: its per-thread state, with the time and
 * the ids in it, and the name cache emptied if the thread has exec'd since
 * it was filled.  NULL: no memory for the state (the caller counts a drop). */
static __always_inline struct call *call_begin(__u64 id, bool snap)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct call *c = bpf_task_storage_get(&calls, task, 0,
					      BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!c)
		return NULL;
	c->id = id;
	c->ts = bpf_ktime_get_boot_ns();
	c->flags = 0;
	/* A span's begin or end: the thread's time so far, with ts. */
	if (snap)
		acct_snap(c, task);
	if (c->exec_id != task->self_exec_id) {
		for (int i = 0; i < NCACHE; i++)
			c->nc[i].uptr = 0;
		c->exec_id = task->self_exec_id;
	}
	return c;
}

/* The start of every probe program that keeps per-thread state (k is
 * METRIC, SPAN_BEGIN or SPAN_END): NULL when the hit is not ours, or
 * (counted as a hit and a drop) when there is no memory for the state.
 * Else the state comes back held (busy; "stopped" is read again after busy
 * is set, for mp_flush, see Batching) with the hit counted in it; the
 * caller releases it. */
static __always_inline struct call *probe_enter(enum mp_kind k)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct call *c;

	if (not_ours(id))
		return NULL;
	c = call_begin(id, k != MP_K_METRIC);
	if (!c) {
		count(k, MP_S_HITS);
		count(k, MP_S_DROP_NAME);
		return NULL;
	}
	hold(c);
	if (*(volatile __u32 *)&stopped) {
		release(c);
		return NULL;
	}
	c->pend[k]++;
	return c;
}

/* Counts a record that was written with a damaged string.  A truncated name
 * is counted once, on its MP_REC_NAME; a truncated message on each log. */
static __always_inline void count_flags(enum mp_kind k, __u16 flags)
{
	if (flags & MP_F_TRUNCATED)
		count(k, MP_S_TRUNCATED);
	if (flags & MP_F_FAULT)
		count(k, MP_S_FAULT);
}

/* A metric record from c->uptr, c->step, c->bits at c->ts. */
static __always_inline void metric_emit(struct call *c)
{
	struct mp_metric_rec *r;
	__u32 nid;

	nid = intern_name(c);
	if (nid == MP_ID_NONE) {
		count(MP_K_METRIC, MP_S_DROP_NAME);
		return;
	}
	r = batch_slot(c);
	fill_hdr(&r->h, MP_REC_METRIC, c->id, c->ts);
	r->h.flags = c->flags;
	r->name_id = nid;
	r->_pad = 0;
	r->step = c->step;
	r->value = c->bits;
	count_flags(MP_K_METRIC, c->flags);
	batch_commit(c, sizeof(*r));
}

SEC("usdt")
int mp_metric(struct pt_regs *ctx)
{
	struct call *c = probe_enter(MP_K_METRIC);
	const struct __bpf_usdt_spec *sp;

	if (!c)
		return 0;
	sp = site_spec(ctx);
	c->uptr = site_arg(ctx, sp, 0);
	c->step = site_arg(ctx, sp, 1);
	c->bits = site_arg(ctx, sp, 2);
	metric_emit(c);
	release(c);
	return 0;
}

/*
 * The process's step lives in its group leader's task storage: the leader
 * thread reads it with no lookup at all, another thread with one task
 * storage lookup (the procs hash lookup it replaces cost about 28 ns a
 * span).  A leader that has exited while its threads run on may have no
 * storage and can get none; the step then goes to procs, which readers ask
 * only in that case.  mp_exec forgets the step of the old image.
 */
static __always_inline struct call *leader_call(struct call *c, __u64 flags)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct call *lc;

	if (c && task->pid == task->tgid)
		return c;
	bpf_rcu_read_lock();
	lc = bpf_task_storage_get(&calls, task->group_leader, 0, flags);
	bpf_rcu_read_unlock();
	return lc;
}

/* The process's step into *step (c: the thread's state, or NULL); false
 * before its first MLPROBE_STEP. */
static __always_inline bool proc_step(struct call *c, __u32 tgid, __s64 *step)
{
	struct call *lc = leader_call(c, 0);
	struct mp_proc *p;

	if (lc && lc->has_pstep) {
		*step = lc->pstep;
		/* A batched record (--batch): the step of its time, if the
		 * log reaches back that far. */
		if (c && c->ub.busy) {
			__u32 h = lc->nstl;

			for (int i = 0; i < NSTEPLOG; i++) {
				struct steplog *e;

				if (i >= (int)h)
					break;
				e = &lc->stl[(h - 1 - i) & (NSTEPLOG - 1)];
				if (e->ts <= c->ts) {
					*step = e->step;
					return true;
				}
				if (i + 1 == (int)h)
					return false;	/* before the first */
			}
		}
		return true;
	}
	if (!(bpf_get_current_task_btf()->group_leader->flags & MP_PF_EXITING))
		return false;
	p = bpf_map_lookup_elem(&procs, &tgid);
	if (!p || !p->has_step)
		return false;
	*step = p->step;
	return true;
}

/* A span's share of its thread's time: end - begin. */
static __always_inline void span_time(struct mp_span_time *t,
				      const struct tsnap *b, const struct tsnap *e)
{
	t->runq_ns = e->off[0] - b->off[0];
	t->io_ns = e->off[1] - b->off[1];
	t->wait_ns = e->off[2] - b->off[2];
	t->minflt = e->minflt - b->minflt;
	t->majflt = e->majflt - b->majflt;
}

/* A thread's step is a span too (named "mlprobe.step"): from one
 * MLPROBE_STEP of the thread to its next, so the step's row says where its
 * time went.  It is the thread's own, beside its span stack. */
static __always_inline void step_emit(struct call *c, __s64 step)
{
	struct mp_span_rec *r;

	if (c->sf_open) {
		r = batch_slot(c);
		fill_hdr(&r->h, MP_REC_SPAN, c->id, c->sf.start);
		r->h.flags = c->sf.flags;
		r->dur_ns = c->ts - c->sf.start;
		r->step = c->sf.step;
		r->name_id = own_id_base + MP_OWN_STEP;
		r->depth = 0;
		span_time(&r->t, &c->sf.t, &c->snap);
		/* Counted as a span: the books see one more. */
		c->pend[MP_K_SPAN_END]++;
		batch_commit(c, sizeof(*r));
	}
	c->sf.start = c->ts;
	c->sf.step = step;
	c->sf.flags = 0;
	c->sf.t = c->snap;
	c->sf_open = 1;
}

static __always_inline void step_span(__u64 id, __s64 step)
{
	struct call *c = call_begin(id, true);

	if (!c)
		return;
	hold(c);
	if (!*(volatile __u32 *)&stopped)
		step_emit(c, step);
	release(c);
}

/* The process's step is step from ts (the leader's storage, else procs).
 * ts 0: a step probe hit, now; the step log is for batched steps only, and
 * is emptied (batched records then take the latest step, as before it). */
static __always_inline void set_pstep(__u64 id, __s64 step, __u64 ts)
{
	struct mp_proc *p;
	struct call *lc;

	lc = leader_call(NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (lc) {
		lc->pstep = step;
		lc->has_pstep = 1;
		if (!ts) {
			lc->nstl = 0;
		} else {
			lc->stl[lc->nstl & (NSTEPLOG - 1)].ts = ts;
			lc->stl[lc->nstl & (NSTEPLOG - 1)].step = step;
			lc->nstl++;
		}
	} else if ((p = get_proc(id >> 32))) {
		p->step = step;
		p->has_step = 1;
	}
}

SEC("usdt")
int mp_step(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__s64 step;

	KERNEL_STACK(ctx);
	if (not_ours(id))
		return 0;
	count(MP_K_STEP, MP_S_HITS);
	step = site_arg(ctx, site_spec(ctx), 0);
	set_pstep(id, step, 0);
	if (own_id_base)
		step_span(id, step);
	return 0;
}

/* Opens a span (a span_begin probe, or the entry of a --func function). */
static __always_inline void span_push(struct call *c, __u32 nid)
{
	struct stack *st = &c->st;
	__u32 d = st->depth;
	__s64 step = 0;
	bool has_step;

	st->depth = d + 1;
	if (d >= MP_SPAN_DEPTH) {
		count(MP_K_SPAN_BEGIN, MP_S_DEPTH);
		return;
	}
	has_step = proc_step(c, c->id >> 32, &step);
	st->f[d].start = c->ts;
	st->f[d].step = step;
	st->f[d].name_id = nid;
	st->f[d].flags = c->flags | (has_step ? 0 : MP_F_NO_STEP);
	st->f[d].t = c->snap;
}

/* Closes the innermost open span named nid of the thread and submits its
 * record.  Spans opened inside it that were never ended are closed with it
 * and counted as unmatched. */
static __noinline void span_pop(struct call *c, __u32 nid)
{
	struct mp_span_rec *r;
	struct stack *st;
	int match = -1;
	__u32 d;

	if (!c)
		return;
	st = &c->st;
	d = st->depth;
	/* end_stack() checked it; bounded again here for the verifier. */
	if (d > MP_SPAN_DEPTH)
		return;

	/* From the innermost frame out: almost always the first one. */
	for (int i = 0; i < MP_SPAN_DEPTH; i++) {
		int j = (int)d - 1 - i;

		if (j < 0)
			break;
		if (st->f[j & (MP_SPAN_DEPTH - 1)].name_id == nid) {
			match = j;
			break;
		}
	}
	if (match < 0) {
		count(MP_K_SPAN_END, MP_S_UNMATCHED);
		return;
	}
	if (d > (__u32)match + 1)
		count_n(MP_K_SPAN_BEGIN, MP_S_UNMATCHED, d - match - 1);
	st->depth = match;

	r = batch_slot(c);
	match &= MP_SPAN_DEPTH - 1;
	fill_hdr(&r->h, MP_REC_SPAN, c->id, st->f[match].start);
	r->h.flags = st->f[match].flags | c->flags;
	r->dur_ns = c->ts - st->f[match].start;
	r->step = st->f[match].step;
	r->name_id = nid;
	r->depth = match;
	span_time(&r->t, &st->f[match].t, &c->snap);
	count_flags(MP_K_SPAN_END, r->h.flags);
	batch_commit(c, sizeof(*r));
}

/* True when the thread has a span to close (else counted).  A frame begun
 * too deep to track is popped here. */
static __always_inline bool end_stack(struct call *c)
{
	__u32 d = c->st.depth;

	if (d == 0) {
		count(MP_K_SPAN_END, MP_S_UNMATCHED);
		return false;
	}
	if (d > MP_SPAN_DEPTH) {
		/* Its begin was too deep to track; counted there. */
		c->st.depth = d - 1;
		count(MP_K_SPAN_END, MP_S_DEPTH);
		return false;
	}
	return true;
}

/* Opens the span named at c->uptr, at c->ts. */
static __always_inline void span_begin_emit(struct call *c)
{
	__u32 nid;

	nid = intern_name(c);
	if (nid == MP_ID_NONE) {
		count(MP_K_SPAN_BEGIN, MP_S_DROP_NAME);
		return;
	}
	span_push(c, nid);
}

SEC("usdt")
int mp_span_begin(struct pt_regs *ctx)
{
	struct call *c = probe_enter(MP_K_SPAN_BEGIN);

	if (!c)
		return 0;
	c->uptr = site_arg(ctx, site_spec(ctx), 0);
	span_begin_emit(c);
	release(c);
	return 0;
}

/* Closes the span named at c->uptr, at c->ts. */
static __always_inline void span_end_emit(struct call *c)
{
	__u32 nid;

	if (!end_stack(c))
		return;
	nid = intern_name(c);
	if (nid == MP_ID_NONE) {
		/* The name is unknown; the innermost frame is the best guess,
		 * and keeps the depths of later spans right. */
		c->st.depth--;
		count(MP_K_SPAN_END, MP_S_DROP_NAME);
		return;
	}
	span_pop(c, nid);
}

SEC("usdt")
int mp_span_end(struct pt_regs *ctx)
{
	struct call *c = probe_enter(MP_K_SPAN_END);

	if (!c)
		return 0;
	c->uptr = site_arg(ctx, site_spec(ctx), 0);
	span_end_emit(c);
	release(c);
	return 0;
}

/* --func: a uprobe on a function's entry and a uretprobe on its return
 * make one span per call.  The cookie is the name id user space gave the
 * function (ids below the start of next_name_id are theirs), so nothing is
 * read from the trainer's memory. */
SEC("uprobe")
int mp_func_entry(struct pt_regs *ctx)
{
	struct call *c;

	KERNEL_STACK(ctx);
	c = probe_enter(MP_K_SPAN_BEGIN);
	if (!c)
		return 0;
	span_push(c, (__u32)bpf_get_attach_cookie(ctx));
	release(c);
	return 0;
}

SEC("uretprobe")
int mp_func_exit(struct pt_regs *ctx)
{
	struct call *c;

	KERNEL_STACK(ctx);
	c = probe_enter(MP_K_SPAN_END);
	if (!c)
		return 0;
	if (end_stack(c))
		span_pop(c, (__u32)bpf_get_attach_cookie(ctx));
	release(c);
	return 0;
}

/* CPython's garbage collector, from the interpreter's own USDT probes
 * (python:gc__start with the generation, python:gc__done): a span
 * "python.gc.genN" of the thread that collects, nested in whatever span it
 * interrupted, so a slow step shows the pause.  Not sleepable: nothing is
 * read from the trainer's memory but the argument. */
SEC("usdt")
int mp_gc_start(struct pt_regs *ctx)
{
	struct call *c;
	long gen;

	KERNEL_STACK(ctx);
	c = probe_enter(MP_K_SPAN_BEGIN);
	if (!c)
		return 0;
	gen = site_arg(ctx, site_spec(ctx), 0);
	if (gen < 0 || gen > 2)
		gen = 2;
	span_push(c, own_id_base + MP_OWN_GC0 + (__u32)gen);
	release(c);
	return 0;
}

/* The collection ends: the innermost open span, if it is a collection. */
SEC("usdt")
int mp_gc_done(struct pt_regs *ctx)
{
	struct call *c;
	__u32 d, nid;

	KERNEL_STACK(ctx);
	c = probe_enter(MP_K_SPAN_END);
	if (!c)
		return 0;
	d = c->st.depth;
	if (d == 0 || d > MP_SPAN_DEPTH) {
		/* Began before we attached, or too deep to track. */
		end_stack(c);
		release(c);
		return 0;
	}
	nid = c->st.f[(d - 1) & (MP_SPAN_DEPTH - 1)].name_id;
	if (nid >= own_id_base + MP_OWN_GC0 && nid <= own_id_base + MP_OWN_GC2)
		span_pop(c, nid);
	else
		count(MP_K_SPAN_END, MP_S_UNMATCHED);
	release(c);
	return 0;
}

SEC("usdt")
int mp_log(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	const struct __bpf_usdt_spec *sp;
	struct mp_log_rec *r;
	const char *msg;
	long n;

	if (not_ours(id))
		return 0;
	count(MP_K_LOG, MP_S_HITS);
	r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
	if (!r) {
		count(MP_K_LOG, MP_S_DROP_RING);
		return 0;
	}
	fill_hdr(&r->h, MP_REC_LOG, id, bpf_ktime_get_boot_ns());
	r->step = 0;
	if (!proc_step(NULL, id >> 32, &r->step))
		r->h.flags |= MP_F_NO_STEP;
	sp = site_spec(ctx);
	r->level = site_arg(ctx, sp, 0);
	msg = (const char *)site_arg(ctx, sp, 1);
	n = read_user_str(r->msg, sizeof(r->msg), msg);
	if (n <= 0) {
		r->len = 0;
		r->msg[0] = 0;
		r->h.flags |= MP_F_FAULT;
	} else {
		r->len = n - 1;
		if (truncated(msg, n, MP_MSG_MAX))
			r->h.flags |= MP_F_TRUNCATED;
	}
	count_flags(MP_K_LOG, r->h.flags);
	bpf_ringbuf_submit(r, wake_flag());
	return 0;
}

/* The floor that the benchmark compares against: the same probe, no work. */
SEC("usdt")
int mp_bare(void *ctx)
{
	return 0;
}

#include "ubatch.bpf.h"

/* Tells user space about a traced process.  Rare, so it wakes the consumer:
 * there may be probes to attach (exec, mmap) or context to read. */
static __always_inline void proc_event(__u32 tgid, __u32 event, __u32 ppid)
{
	struct mp_proc_rec *r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);

	if (!r) {
		count(MP_K_PROC, MP_S_DROP_RING);
		return;
	}
	r->h.type = MP_REC_PROC;
	r->h.flags = 0;
	r->h.cpu = bpf_get_smp_processor_id();
	r->h.pid = tgid;
	r->h.tid = tgid;
	r->h.ts = bpf_ktime_get_boot_ns();
	r->event = event;
	r->ppid = ppid;
	count(MP_K_PROC, MP_S_HITS);
	bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP);
}

static __always_inline bool is_tracked(__u32 tgid)
{
	return bpf_map_lookup_elem(&tracked, &tgid) != NULL;
}

/* Runs in the parent before the child is first scheduled, so a tracked
 * child's first probe hit already passes the filter. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(mp_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid, one = 1;

	if (!follow_forks || ctgid == ptgid || stopped)	/* a thread */
		return 0;
	if (!is_tracked(ptgid))
		return 0;
	if (bpf_map_update_elem(&tracked, &ctgid, &one, BPF_ANY))
		return 0;
	proc_event(ctgid, MP_PROC_FORK, ptgid);
	return 0;
}

/* Forget per-thread and per-process state as threads and processes end, and
 * renew a process's epoch when it execs a new image. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(mp_exit, struct task_struct *task)
{
	__u32 tid = task->pid, tgid = task->tgid;
	struct call *cl = bpf_task_storage_get(&calls, task, 0, 0);

	/* Spans still open when their thread ends never get a record.  (The
	 * storage itself goes with the task.) */
	if (cl && cl->st.depth) {
		__u32 d = cl->st.depth < MP_SPAN_DEPTH ? cl->st.depth : MP_SPAN_DEPTH;

		cl->st.depth = 0;
		count_n(MP_K_SPAN_BEGIN, MP_S_UNMATCHED, d);
	}
	/* Its batch goes now: the storage goes with the task.  (--batch: what
	 * the trainer still held is counted; its memory is still mapped here,
	 * the tracepoint comes before exit_mm() since 6.16.) */
	if (cl) {
		batch_take(cl);
		ub_held_current(cl);
	}
	if (tid != tgid)
		return 0;
	bpf_map_delete_elem(&procs, &tgid);
	if (bpf_map_delete_elem(&tracked, &tgid) == 0)
		proc_event(tgid, MP_PROC_EXIT, 0);
	return 0;
}

/* A thread leaving its CPU sends its batch: it may not run (or write a
 * record) again for long.  Both threads' time is accounted (see "Where the
 * time went"): prev leaves the CPU, runnable when preempted (or when it
 * yields), blocked otherwise; next comes back to it.  Costs every context
 * switch on the machine two loads while recording, and a tracked thread's
 * switch two task storage lookups and a clock read. */
SEC("tp_btf/sched_switch")
int BPF_PROG(mp_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	struct call *c;
	__u64 now = 0;

	/* Most tasks on the machine have no task storage at all: one load
	 * instead of a helper call (the lookup's recursion guard and cache
	 * walk) on every switch. */
	if (prev->bpf_storage &&
	    (c = bpf_task_storage_get(&calls, prev, 0, 0))) {
		batch_take(c);
		if (c->alast || c->ub.b[0].buf)
			now = bpf_ktime_get_boot_ns();
		if (c->ub.b[0].buf)
			slice_end(c, prev, now);
		if (c->alast) {
			acct_move(c, preempt || !prev_state ? A_RUNQ :
				     BPF_CORE_READ_BITFIELD(prev, in_iowait) ?
				     A_IO : A_WAIT, now);
		}
	}
	if (next->bpf_storage &&
	    (c = bpf_task_storage_get(&calls, next, 0, 0)) && c->alast)
		acct_move(c, A_CPU, now ? now : bpf_ktime_get_boot_ns());
	return 0;
}

/* A blocked tracked thread is woken: from here it waits for a CPU.  (A
 * thread woken before it ever left its CPU is on CPU still.) */
SEC("tp_btf/sched_wakeup")
int BPF_PROG(mp_wakeup, struct task_struct *p)
{
	struct call *c;

	if (!p->bpf_storage || !(c = bpf_task_storage_get(&calls, p, 0, 0)) ||
	    (c->astate != A_IO && c->astate != A_WAIT) || !c->alast)
		return 0;
	acct_move(c, A_RUNQ, bpf_ktime_get_boot_ns());
	return 0;
}

/* Run by user space (a task iterator) after it stopped recording: sends
 * every batch still held (see Batching; user space has made every CPU pass
 * a barrier since it set "stopped"), and counts the records trainers still
 * hold (--batch).  Sleepable, to read their memory.  A thread caught inside a program is
 * skipped: its batch goes on the next run, or when it leaves its CPU. */
SEC("iter.s/task")
int mp_flush(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct call *c;

	if (!task || !stopped)
		return 0;
	c = bpf_task_storage_get(&calls, task, 0, 0);
	if (c) {
		batch_take(c);
		ub_held_task(c, task);
	}
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(mp_exec, struct task_struct *task, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	__u32 tgid = task->tgid, one = 1;
	struct inode *ino = bprm->file->f_inode;
	/* The exec'ing thread is the leader now; the new image has no step.
	 * What it wrote before exec goes now, ahead of the exec record, so
	 * no row of the old image is read as one of the new. */
	struct call *lc = bpf_task_storage_get(&calls, task, 0, 0);

	if (lc) {
		lc->has_pstep = 0;
		lc->sf_open = 0;	/* a step of the old image ends unseen */
		batch_take(lc);
		ub_forget(lc);		/* counted in mp_exec_begin */
	}
	bpf_map_delete_elem(&procs, &tgid);
	if (stopped)
		return 0;
	if (!is_tracked(tgid)) {
		if (!exec_ino || ino->i_ino != exec_ino ||
		    ino->i_sb->s_dev != exec_dev)
			return 0;
		if (bpf_map_update_elem(&tracked, &tgid, &one, BPF_ANY))
			return 0;
	}
	proc_event(tgid, MP_PROC_EXEC, 0);
	return 0;
}

/* dlopen: the dynamic loader calls _dl_debug_state() (the r_debug hook that
 * debuggers break on) whenever its list of libraries changes; user space
 * then rescans the process's mappings.  Costs the trainer one uprobe hit
 * per dlopen or dlclose, nothing per probe hit. */
SEC("uprobe")
int mp_dl_state(struct pt_regs *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	KERNEL_STACK(ctx);
	if (!stopped && is_tracked(tgid))
		proc_event(tgid, MP_PROC_MMAP, 0);
	return 0;
}
