/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ubatch.bpf.h - `record --batch`: the trainer's own batches.  Part of
 * mlprobe.bpf.c (one BPF object; it is included there, after the hot-path
 * functions it reuses), in a file of its own so that each stays readable.
 *
 * While mlprobe:batch is attached, include/mlprobe.h appends each metric,
 * span begin, span end and step to a buffer of the thread (wire.h: struct
 * mp_urec) and fires the batch probe once per MP_UB_CAP records, at each
 * step, when its oldest record is 100 ms old, and when the thread or the
 * process ends.  mp_ubatch copies the records in, 8 at a time, and runs
 * each through the same code a probe hit of its kind runs, with the
 * record's own timestamp.  A span's split of time comes from the log of
 * the thread's time slices in which it wrote records (struct uslice,
 * acct_at()).
 *
 * The trainer cannot be told what was sent, so each thread's state keeps,
 * per buffer, the sequence number below which its records are handled
 * (ubuf.done): a record is sent, or counted as held (MP_S_HELD), once.  Held records are
 * those the trainer still holds when its thread dies without sending them
 * (killed, or the process exits from another thread: mp_exit reads them,
 * the memory is still mapped there), when it execs (mp_exec_begin), and
 * when recording stops (mp_flush, by the task, sleepable).  Whoever sends
 * or counts claims the records first, with a compare-and-exchange of
 * done.  Records written after recording stopped (stop_ns) are not ours.
 */

/* The thread's totals at time t (a record's), into c->snap: those its time
 * slice ended with (see struct uslice), else the current slice's. */
static __always_inline void acct_at(struct call *c, __u64 t)
{
	struct uslice *e, *found = NULL;
	__u32 h = c->ub.nsl;

	for (int i = 0; i < NSLICE; i++) {
		if (i >= (int)h)
			break;
		e = &c->ub.sl[(h - 1 - i) & (NSLICE - 1)];
		if (e->end <= t)
			break;
		found = e;
	}
	if (!found) {
		acct_snap(c, bpf_get_current_task_btf());
		return;
	}
	c->snap.off[0] = found->off[0];
	c->snap.off[1] = found->off[1];
	c->snap.off[2] = found->off[2];
	c->snap.minflt = found->minflt;
	c->snap.majflt = found->majflt;
}

/* Claims the records [q, q + n) of buffer u that no one has handled: the
 * first of them is returned (q + n: none). */
static __always_inline __u64 ub_claim(struct ubuf *u, __u64 q, __u64 n)
{
	__u64 done = u->done, from = q > done ? q : done;

	if (q + n <= from ||
	    __sync_val_compare_and_swap(&u->done, done, q + n) != done)
		return q + n;
	return from;
}

/* The slot of buffer buf in the thread's state (a new one if unknown; the
 * last one is reused when all are taken). */
static __always_inline struct ubuf *ub_slot(struct call *c, __u64 buf)
{
	int i;

	for (i = 0; i < NBUF; i++)
		if (c->ub.b[i].buf == buf || !c->ub.b[i].buf)
			break;
	if (i >= NBUF)
		i = NBUF - 1;
	if (c->ub.b[i].buf != buf) {
		c->ub.b[i].buf = buf;
		c->ub.b[i].done = 0;
	}
	return &c->ub.b[i];
}

/* An exec: the buffers and the slice log belong to the old image. */
static __always_inline void ub_forget(struct call *c)
{
	for (int i = 0; i < NBUF; i++) {
		c->ub.b[i].buf = 0;
		c->ub.b[i].done = 0;
	}
	c->ub.nsl = 0;
	c->ub.seen = 0;
}

/* Counts one held record (a global function: checked once, not once per
 * record of the loops below). */
__noinline int ub_held_rec(__u64 tk)
{
	__u64 ts = tk & MP_UB_TS_MASK;
	enum mp_kind k;

	if (ts < start_ns || (stop_ns && ts >= stop_ns))
		return 0;	/* not this recording's */
	switch (tk >> 60) {
	case MP_UB_SPAN_BEGIN:
		k = MP_K_SPAN_BEGIN;
		break;
	case MP_UB_SPAN_END:
		k = MP_K_SPAN_END;
		break;
	case MP_UB_STEP:
		k = MP_K_STEP;
		break;
	default:
		k = MP_K_METRIC;
	}
	count_held(k, 1);
	return 0;
}

/* Counts the records a trainer's thread holds in its buffers and no one
 * has handled, as hits of their kinds that were held (see above).
 * READ(dst, size, src) reads the trainer's memory. */
#define UB_HELD(c, READ)                                                       \
	for (int b = 0; b < NBUF; b++) {                                       \
		__u64 head[2] = {}, tk, from, buf = c->ub.b[b].buf;            \
		__u32 n;                                                       \
                                                                               \
		if (!buf || READ(head, sizeof(head), (void *)buf))             \
			continue;                                              \
		n = (__u32)head[1];                                            \
		if (n > MP_UB_CAP)                                             \
			n = MP_UB_CAP;                                         \
		from = ub_claim(&c->ub.b[b], head[0], n);                      \
		for (__u32 i = 0; i < MP_UB_CAP; i++) {                        \
			if (i >= n)                                            \
				break;                                         \
			if (head[0] + i < from)                                \
				continue;                                      \
			tk = 0;                                                \
			READ(&tk, sizeof(tk),                                  \
			     (void *)(buf + MP_UB_HEAD +                       \
				      i * sizeof(struct mp_urec)));            \
			ub_held_rec(tk);                                       \
		}                                                              \
	}

/* The current thread's (its memory is mapped and resident: it wrote it). */
static __noinline void ub_held_current(struct call *c)
{
	if (c)
		UB_HELD(c, bpf_probe_read_user);
}

#define READ_TASK(dst, sz, src) bpf_copy_from_user_task(dst, sz, src, task, 0)
/* Another thread's, from a sleepable program.  A thread inside mp_ubatch
 * has claimed its batch already; the claim keeps the two apart. */
static __always_inline void ub_held_task(struct call *c,
					 struct task_struct *task)
{
	UB_HELD(c, READ_TASK);
}

/* Record i of the batch being unpacked.  A global function: the verifier
 * checks it once, not once per record of the loop that calls it.  Non-zero:
 * stop. */
__noinline int ub_rec(struct call *c, __u32 i)
{
	struct mp_urec *r;
	__u64 tk;

	if (!c || i >= MP_UB_CAP)
		return 1;
	if (c->ub.chunk != (i >> 3) + 1) {
		if (bpf_copy_from_user(c->ub.r, sizeof(c->ub.r),
				       (void *)(c->ub.cur + MP_UB_HEAD +
						(i & ~7u) * sizeof(struct mp_urec)))) {
			/* The trainer's buffer is not what it said: the rest
			 * of the batch is counted, kinds unknown. */
			if (c->ub.n > i)
				count_held(MP_K_METRIC, c->ub.n - i);
			return 1;
		}
		c->ub.chunk = (i >> 3) + 1;
	}
	r = &c->ub.r[i & 7];
	tk = r->tk;
	if ((tk & MP_UB_TS_MASK) < start_ns)
		return 0;	/* an earlier recording's */
	c->ts = tk & MP_UB_TS_MASK;
	c->flags = 0;
	c->uptr = r->a;
	c->step = r->b;
	c->bits = r->c;
	switch (tk >> 60) {
	case MP_UB_METRIC:
		c->pend[MP_K_METRIC]++;
		metric_emit(c);
		break;
	case MP_UB_SPAN_BEGIN:
		c->pend[MP_K_SPAN_BEGIN]++;
		acct_at(c, c->ts);
		span_begin_emit(c);
		break;
	case MP_UB_SPAN_END:
		c->pend[MP_K_SPAN_END]++;
		acct_at(c, c->ts);
		span_end_emit(c);
		break;
	case MP_UB_STEP:
		count(MP_K_STEP, MP_S_HITS);
		set_pstep(c->id, (__s64)c->uptr, c->ts);
		if (own_id_base) {
			acct_at(c, c->ts);
			step_emit(c, (__s64)c->uptr);
		}
		break;
	default:	/* not a kind the header writes */
		count(MP_K_METRIC, MP_S_HITS);
		count(MP_K_METRIC, MP_S_DROP_NAME);
	}
	return 0;
}

/* mlprobe:batch (sleepable): arg0 the buffer, arg1 its records, arg2 the
 * sequence number of the first.  None: the thread says where its buffer
 * is. */
SEC("usdt")
int mp_ubatch(struct pt_regs *ctx)
{
	const struct __bpf_usdt_spec *sp = site_spec(ctx);
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	__u64 n, q, from;
	struct ubuf *u;
	struct call *c;
	__u32 bn;

	if (filter && !bpf_map_lookup_elem(&tracked, &tgid))
		return 0;
	n = site_arg(ctx, sp, 1);
	if (n > MP_UB_CAP)
		n = MP_UB_CAP;
	c = call_begin(id, true);
	if (!c) {
		count_held(MP_K_METRIC, n);
		return 0;
	}
	hold(c);
	u = ub_slot(c, site_arg(ctx, sp, 0));
	if (*(volatile __u32 *)&stopped) {
		release(c);
		ub_held_current(c);
		return 0;
	}
	q = site_arg(ctx, sp, 2);
	from = ub_claim(u, q, n);
	c->ub.cur = u->buf;
	c->ub.q = q;
	c->ub.n = n;
	c->ub.chunk = 0;
	c->ub.busy = 1;
	for (__u32 i = 0; i < MP_UB_CAP; i++) {
		if (i >= n)
			break;
		if (q + i >= from && ub_rec(c, i))
			break;
	}
	c->ub.busy = 0;
	fold_hits(c, true);
	bn = c->bn;
	c->bn = 0;
	if (bn)
		batch_send(c, bn, wake_flag());
	release(c);
	return 0;
}

/* An exec replaces the memory the trainer's records are in: they are
 * counted while it is still there (the exec'ing thread's; the others end
 * through mp_exit).  sched_prepare_exec (6.10) runs in begin_new_exec(),
 * in the exec'ing task, before its memory is replaced. */
SEC("tp_btf/sched_prepare_exec")
int BPF_PROG(mp_exec_begin, struct task_struct *task, struct linux_binprm *bprm)
{
	struct call *c;

	if (!task->bpf_storage)
		return 0;
	c = bpf_task_storage_get(&calls, task, 0, 0);
	if (!c)
		return 0;
	ub_held_current(c);
	ub_forget(c);	/* no slice_end may read the new image at these */
	return 0;
}
