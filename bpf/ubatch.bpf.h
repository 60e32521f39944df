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
 * The trainer cannot be told what was sent, so each thread's state keeps
 * the sequence number below which its records are handled (ub.done): a
 * record is sent, or counted as held (MP_S_HELD), once.  Held records are
 * those the trainer still holds when its thread dies without sending them
 * (killed, or the process exits from another thread: mp_exit reads them,
 * the memory is still mapped there), when it execs (mp_exec_begin), and
 * when recording stops (mp_flush, by the task, sleepable).  Whoever counts
 * claims the records first, with a compare-and-exchange of ub.done.
 */

/* The thread's totals when it wrote record seq, into c->snap: those of the
 * first slice that ended after it (see struct uslice), else of the slice
 * it runs in now, which is the one it wrote the record in. */
static __always_inline void acct_at(struct call *c, __u64 seq)
{
	struct uslice *e, *found = NULL;
	__u32 h = c->ub.nsl;

	for (int i = 0; i < NSLICE; i++) {
		if (i >= (int)h)
			break;
		e = &c->ub.sl[(h - 1 - i) & (NSLICE - 1)];
		if (e->hi <= seq)
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

/* Counts one held record (a global function: checked once, not once per
 * record of the loops below). */
__noinline int ub_held_rec(__u64 tk)
{
	enum mp_kind k;

	if ((tk & MP_UB_TS_MASK) < start_ns)
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
	count(k, MP_S_HITS);
	count(k, MP_S_HELD);
	return 0;
}

/* Counts the records a trainer's thread holds and no one has handled, as
 * hits of their kinds that were held (see above).  READ(dst, size, src)
 * reads the trainer's memory. */
#define UB_HELD(c, READ)                                                       \
	do {                                                                   \
		__u64 head[2] = {}, tk, from, done;                            \
		__u32 n;                                                       \
                                                                               \
		if (!c->ub.buf || READ(head, sizeof(head), (void *)c->ub.buf)) \
			break;                                                 \
		n = (__u32)head[1];                                            \
		if (n > MP_UB_CAP)                                             \
			n = MP_UB_CAP;                                         \
		done = c->ub.done;                                             \
		from = head[0] > done ? head[0] : done;                        \
		if (head[0] + n <= from ||                                     \
		    __sync_val_compare_and_swap(&c->ub.done, done,             \
						head[0] + n) != done)          \
			break;                                                 \
		for (__u32 i = 0; i < MP_UB_CAP; i++) {                        \
			if (i >= n)                                            \
				break;                                         \
			if (head[0] + i < from)                                \
				continue;                                      \
			tk = 0;                                                \
			READ(&tk, sizeof(tk),                                  \
			     (void *)(c->ub.buf + MP_UB_HEAD +                 \
				      i * sizeof(struct mp_urec)));            \
			ub_held_rec(tk);                                       \
		}                                                              \
	} while (0)

/* The current thread's (its memory is mapped and resident: it wrote it). */
static __noinline void ub_held_current(struct call *c)
{
	if (c)
		UB_HELD(c, bpf_probe_read_user);
}

#define READ_TASK(dst, sz, src) bpf_copy_from_user_task(dst, sz, src, task, 0)
/* Another thread's, from a sleepable program.  One inside a program (busy)
 * is left to it: it sends or counts its batch itself. */
static __always_inline void ub_held_task(struct call *c,
					 struct task_struct *task)
{
	if (!c->busy)
		UB_HELD(c, READ_TASK);
}

/* Record i of the batch.  A global function: the verifier checks it once,
 * not once per record of the loop that calls it.  Non-zero: stop. */
__noinline int ub_rec(struct call *c, __u32 i)
{
	struct mp_urec *r;
	__u64 tk;

	if (!c || i >= MP_UB_CAP)
		return 1;
	if ((i & 7) == 0 &&
	    bpf_copy_from_user(c->ub.r, sizeof(c->ub.r),
			       (void *)(c->ub.buf + MP_UB_HEAD +
					i * sizeof(struct mp_urec)))) {
		/* Unreadable: the trainer's buffer is not what it said. */
		count(MP_K_METRIC, MP_S_HITS);
		count(MP_K_METRIC, MP_S_HELD);
		return 0;
	}
	r = &c->ub.r[i & 7];
	tk = r->tk;
	if (c->ub.q + i < c->ub.done || (tk & MP_UB_TS_MASK) < start_ns)
		return 0;
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
		acct_at(c, c->ub.q + i);
		span_begin_emit(c);
		break;
	case MP_UB_SPAN_END:
		c->pend[MP_K_SPAN_END]++;
		acct_at(c, c->ub.q + i);
		span_end_emit(c);
		break;
	case MP_UB_STEP:
		count(MP_K_STEP, MP_S_HITS);
		set_pstep(c->id, (__s64)c->uptr);
		if (own_id_base) {
			acct_at(c, c->ub.q + i);
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
 * sequence number of the first. */
SEC("usdt")
int mp_ubatch(struct pt_regs *ctx)
{
	const struct __bpf_usdt_spec *sp = site_spec(ctx);
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct call *c;
	__u64 n;
	__u32 bn;

	if (filter && !bpf_map_lookup_elem(&tracked, &tgid))
		return 0;
	n = site_arg(ctx, sp, 1);
	if (n > MP_UB_CAP)
		n = MP_UB_CAP;
	c = call_begin(id, true);
	if (!c) {
		count_n(MP_K_METRIC, MP_S_HITS, n);
		count_n(MP_K_METRIC, MP_S_HELD, n);
		return 0;
	}
	c->ub.buf = site_arg(ctx, sp, 0);
	hold(c);
	if (*(volatile __u32 *)&stopped) {
		release(c);
		ub_held_current(c);
		return 0;
	}
	c->ub.q = site_arg(ctx, sp, 2);
	c->ub.busy = 1;
	for (__u32 i = 0; i < MP_UB_CAP; i++)
		if (i >= n || ub_rec(c, i))
			break;
	c->ub.busy = 0;
	if (c->ub.q + n > c->ub.done)
		c->ub.done = c->ub.q + n;
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
	if (task->bpf_storage)
		ub_held_current(bpf_task_storage_get(&calls, task, 0, 0));
	return 0;
}
