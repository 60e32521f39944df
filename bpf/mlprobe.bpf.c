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

#define MP_VM_WRITE 0x2	/* include/linux/mm.h; macros are not in BTF */
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

struct frame {
	__u64 start;
	__s64 step;
	__u32 name_id;
	__u32 flags;
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

/* Per thread (task storage): what a sleepable program keeps across helper
 * calls, the name cache and the span stack. */
struct call {
	__u64 id;		/* pid_tgid */
	__u64 ts;
	__u64 uptr;		/* the name (or message) argument */
	__s64 step;		/* the step (or level) argument */
	__u64 bits;		/* the value argument */
	struct ikey k;		/* interning key */
	__u16 flags;		/* MP_F_* for the record */
	__u16 _pad;
	__u32 nsub;		/* hot records submitted (wake_flag_every) */
	__u64 exec_id;		/* task->self_exec_id the cache belongs to */
	struct ncache nc[NCACHE];
	struct stack st;	/* open spans */
	struct scratch s;	/* a copy of a name being hashed */
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
__u32 next_epoch = 1;

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

static __always_inline __u64 wake_flag(void)
{
	return bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) >= wakeup_bytes ?
		       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* wake_flag() for the hot records, asked once every WAKE_EVERY records of a
 * thread: the query reads the consumer's position, a cache line the
 * draining consumer keeps writing on another CPU, and cost about 60 ns an
 * event (bpf_stats, this VM).  The consumer is woken at most WAKE_EVERY
 * records per thread late, a few KiB against a fill mark of a quarter of
 * the ring; it drains on its timer anyway. */
#define WAKE_EVERY 64
#define wake_flag_every(c) \
	((++(c)->nsub & (WAKE_EVERY - 1)) ? BPF_RB_NO_WAKEUP : wake_flag())

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
static __always_inline struct call *call_begin(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct call *c = bpf_task_storage_get(&calls, task, 0,
					      BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!c)
		return NULL;
	c->id = bpf_get_current_pid_tgid();
	c->ts = bpf_ktime_get_boot_ns();
	c->flags = 0;
	if (c->exec_id != task->self_exec_id) {
		for (int i = 0; i < NCACHE; i++)
			c->nc[i].uptr = 0;
		c->exec_id = task->self_exec_id;
	}
	return c;
}

/* The start of every probe program that keeps per-thread state: NULL when
 * the hit is not ours, or (counted as a drop of kind k) when there is no
 * memory for the state; else the hit is counted and the state returned. */
static __always_inline struct call *probe_enter(enum mp_kind k)
{
	struct call *c;

	if (not_ours(bpf_get_current_pid_tgid()))
		return NULL;
	count(k, MP_S_HITS);
	c = call_begin();
	if (!c)
		count(k, MP_S_DROP_NAME);
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

SEC("usdt")
int mp_metric(struct pt_regs *ctx)
{
	const struct __bpf_usdt_spec *sp;
	struct mp_metric_rec *r;
	struct call *c;
	__u32 nid;

	c = probe_enter(MP_K_METRIC);
	if (!c)
		return 0;
	sp = site_spec(ctx);
	c->uptr = site_arg(ctx, sp, 0);
	c->step = site_arg(ctx, sp, 1);
	c->bits = site_arg(ctx, sp, 2);
	nid = intern_name(c);
	if (nid == MP_ID_NONE) {
		count(MP_K_METRIC, MP_S_DROP_NAME);
		return 0;
	}
	r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
	if (!r) {
		count(MP_K_METRIC, MP_S_DROP_RING);
		return 0;
	}
	fill_hdr(&r->h, MP_REC_METRIC, c->id, c->ts);
	r->h.flags = c->flags;
	r->name_id = nid;
	r->_pad = 0;
	r->step = c->step;
	r->value = c->bits;
	count_flags(MP_K_METRIC, c->flags);
	bpf_ringbuf_submit(r, wake_flag_every(c));
	return 0;
}

SEC("usdt")
int mp_step(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct mp_proc *p;

	KERNEL_STACK(ctx);
	if (not_ours(id))
		return 0;
	count(MP_K_STEP, MP_S_HITS);
	p = get_proc(id >> 32);
	if (p) {
		p->step = site_arg(ctx, site_spec(ctx), 0);
		p->has_step = 1;
	}
	return 0;
}

/* Opens a span (a span_begin probe, or the entry of a --func function). */
static __always_inline void span_push(struct call *c, struct mp_proc *p,
				      __u32 nid)
{
	struct stack *st = &c->st;
	__u32 d = st->depth;

	st->depth = d + 1;
	if (d >= MP_SPAN_DEPTH) {
		count(MP_K_SPAN_BEGIN, MP_S_DEPTH);
		return;
	}
	st->f[d].start = c->ts;
	st->f[d].step = p->step;
	st->f[d].name_id = nid;
	st->f[d].flags = c->flags | (p->has_step ? 0 : MP_F_NO_STEP);
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

	r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
	if (!r) {
		count(MP_K_SPAN_END, MP_S_DROP_RING);
		return;
	}
	match &= MP_SPAN_DEPTH - 1;
	fill_hdr(&r->h, MP_REC_SPAN, c->id, st->f[match].start);
	r->h.flags = st->f[match].flags | c->flags;
	r->dur_ns = c->ts - st->f[match].start;
	r->step = st->f[match].step;
	r->name_id = nid;
	r->depth = match;
	count_flags(MP_K_SPAN_END, r->h.flags);
	bpf_ringbuf_submit(r, wake_flag_every(c));
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

SEC("usdt")
int mp_span_begin(struct pt_regs *ctx)
{
	struct mp_proc *p;
	struct call *c;
	__u32 nid;

	c = probe_enter(MP_K_SPAN_BEGIN);
	if (!c)
		return 0;
	p = get_proc(c->id >> 32);
	if (!p) {
		count(MP_K_SPAN_BEGIN, MP_S_DROP_NAME);
		return 0;
	}
	c->uptr = site_arg(ctx, site_spec(ctx), 0);
	nid = intern_name(c);
	if (nid == MP_ID_NONE) {
		count(MP_K_SPAN_BEGIN, MP_S_DROP_NAME);
		return 0;
	}
	span_push(c, p, nid);
	return 0;
}

SEC("usdt")
int mp_span_end(struct pt_regs *ctx)
{
	struct call *c;
	__u32 nid;

	c = probe_enter(MP_K_SPAN_END);
	if (!c)
		return 0;
	if (!end_stack(c))
		return 0;
	c->uptr = site_arg(ctx, site_spec(ctx), 0);
	nid = intern_name(c);
	if (nid == MP_ID_NONE) {
		/* The name is unknown; the innermost frame is the best guess,
		 * and keeps the depths of later spans right. */
		c->st.depth--;
		count(MP_K_SPAN_END, MP_S_DROP_NAME);
		return 0;
	}
	span_pop(c, nid);
	return 0;
}

/* --func: a uprobe on a function's entry and a uretprobe on its return
 * make one span per call.  The cookie is the name id user space gave the
 * function (ids below the start of next_name_id are theirs), so nothing is
 * read from the trainer's memory. */
SEC("uprobe")
int mp_func_entry(struct pt_regs *ctx)
{
	struct mp_proc *p;
	struct call *c;

	KERNEL_STACK(ctx);
	c = probe_enter(MP_K_SPAN_BEGIN);
	if (!c)
		return 0;
	p = get_proc(c->id >> 32);
	if (!p) {
		count(MP_K_SPAN_BEGIN, MP_S_DROP_NAME);
		return 0;
	}
	span_push(c, p, (__u32)bpf_get_attach_cookie(ctx));
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
	return 0;
}

SEC("usdt")
int mp_log(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	const struct __bpf_usdt_spec *sp;
	struct mp_log_rec *r;
	struct mp_proc *p;
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
	p = get_proc(id >> 32);
	if (p && p->has_step) {
		r->step = p->step;
	} else {
		r->step = 0;
		r->h.flags |= MP_F_NO_STEP;
	}
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
	if (tid != tgid)
		return 0;
	bpf_map_delete_elem(&procs, &tgid);
	if (bpf_map_delete_elem(&tracked, &tgid) == 0)
		proc_event(tgid, MP_PROC_EXIT, 0);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(mp_exec, struct task_struct *task, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	__u32 tgid = task->tgid, one = 1;
	struct inode *ino = bprm->file->f_inode;

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
