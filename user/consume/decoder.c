// SPDX-License-Identifier: MIT
/*
 * decoder.c - ring records to rows.  Runs on the drain path for every
 * event, so it does no allocation per record: names are sanitized once, when
 * their record arrives, and messages into one reused buffer.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/types.h>
#include "decoder.h"
#include "common/utf8.h"
#include "wire.h"

#define NAME_ID_MAX (1u << 24)
/* Names live in pages of 256 ids, allocated as ids arrive: ids are dense
 * from 1, so a real run fills its pages, and a corrupt id near the cap
 * costs one page (and a top array of at most 64 Ki pointers), not the
 * 256 MiB a flat array would. */
#define NAME_PAGE_BITS 8
#define NAME_PAGE (1u << NAME_PAGE_BITS)

struct name {
	char *s;	/* NULL: id not seen */
	uint32_t len;
};

struct name_page {
	struct name n[NAME_PAGE];
};

struct decoder {
	int64_t boot_to_utc;
	struct decoder_opts o;
	const struct sink *sinks;
	int nsinks;
	struct name_page **pages;
	size_t npages;
	char msgbuf[MP_MSG_MAX * 3 + 8];
	char unknown[32];
	struct decoder_stats st;
};

static const char unreadable_name[] = "<unreadable>";
static const struct row_proc unknown_proc = { -1, -1, -1, -1 };

const char *row_level_name(int level)
{
	static const char *const names[] = { "debug", "info", "warn", "error" };

	return level >= 0 && level < 4 ? names[level] : "unknown";
}

int64_t decoder_boot_to_utc_ns(void)
{
	struct timespec b, r, b2;

	/* Bracket the realtime read to halve the error of two clock reads. */
	clock_gettime(CLOCK_BOOTTIME, &b);
	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_BOOTTIME, &b2);
	int64_t bt = ((int64_t)b.tv_sec * 1000000000 + b.tv_nsec +
		      (int64_t)b2.tv_sec * 1000000000 + b2.tv_nsec) / 2;
	return (int64_t)r.tv_sec * 1000000000 + r.tv_nsec - bt;
}

struct decoder *decoder__new(const struct decoder_opts *opts,
			     const struct sink *sinks, int nsinks)
{
	struct decoder *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->boot_to_utc = opts ? opts->boot_to_utc_ns : 0;
	if (opts)
		memcpy(&d->o, opts, opts->sz < sizeof(d->o) ? opts->sz : sizeof(d->o));
	d->sinks = sinks;
	d->nsinks = nsinks;
	return d;
}

void decoder__free(struct decoder *d)
{
	if (!d)
		return;
	for (size_t p = 0; p < d->npages; p++) {
		if (!d->pages[p])
			continue;
		for (size_t i = 0; i < NAME_PAGE; i++)
			free(d->pages[p]->n[i].s);
		free(d->pages[p]);
	}
	free(d->pages);
	free(d);
}

const struct decoder_stats *decoder__stats(const struct decoder *d)
{
	return &d->st;
}

/* A sink reports its own errors (once per kind, to the user); the decoder
 * only counts them. */
static void note_sink_err(struct decoder *d, int err)
{
	if (err)
		d->st.sink_errors++;
}

/* The slot of id, its page allocated if need be; NULL: out of memory. */
static struct name *name_slot(struct decoder *d, uint32_t id)
{
	size_t p = id >> NAME_PAGE_BITS;

	if (p >= d->npages) {
		size_t np = d->npages ? d->npages : 4;
		struct name_page **pp;

		while (np <= p)
			np *= 2;
		pp = realloc(d->pages, np * sizeof(*pp));
		if (!pp)
			return NULL;
		memset(pp + d->npages, 0, (np - d->npages) * sizeof(*pp));
		d->pages = pp;
		d->npages = np;
	}
	if (!d->pages[p] && !(d->pages[p] = calloc(1, sizeof(*d->pages[p]))))
		return NULL;
	return &d->pages[p]->n[id & (NAME_PAGE - 1)];
}

static int set_name(struct decoder *d, uint32_t id, const char *text,
		    size_t len, bool truncated)
{
	struct name *n;
	char *s;

	if (id == MP_NAME_ID_UNREADABLE || id >= NAME_ID_MAX)
		return -EINVAL;
	if (!(n = name_slot(d, id)))
		return -ENOMEM;
	s = malloc(utf8_sanitize_max(len));
	if (!s)
		return -ENOMEM;
	free(n->s);	/* an id is sent once; be safe anyway */
	n->len = utf8_sanitize(s, text, len, truncated);
	n->s = s;
	return 0;
}

static int add_name(struct decoder *d, const struct mp_name_rec *r)
{
	size_t len = r->len < MP_NAME_MAX ? r->len : MP_NAME_MAX - 1;
	int ret = set_name(d, r->id, r->name, len, r->h.flags & MP_F_TRUNCATED);

	if (!ret)
		d->st.names++;
	return ret;
}

int decoder__add_name(struct decoder *d, uint32_t id, const char *s, size_t len)
{
	return set_name(d, id, s, len, false);
}

static const struct row_proc *proc_of(struct decoder *d, uint32_t pid)
{
	const struct row_proc *p = d->o.proc ? d->o.proc(d->o.ctx, pid) : NULL;

	return p ? p : &unknown_proc;
}

static const char *lookup(struct decoder *d, uint32_t id, size_t *len)
{
	size_t p = id >> NAME_PAGE_BITS;
	const struct name *n;

	if (id == MP_NAME_ID_UNREADABLE) {
		*len = sizeof(unreadable_name) - 1;
		return unreadable_name;
	}
	if (p < d->npages && d->pages[p] &&
	    (n = &d->pages[p]->n[id & (NAME_PAGE - 1)])->s) {
		*len = n->len;
		return n->s;
	}
	/* Cannot happen while BPF keeps its ordering promise; keep the row. */
	d->st.unknown_names++;
	*len = (size_t)snprintf(d->unknown, sizeof(d->unknown), "<id %u>", id);
	return d->unknown;
}

/* Where the span's time went.  Off CPU is never more than the span
 * (the kernel takes both from one clock); a corrupt record is clamped,
 * so cpu_ns is never negative and the four always add up. */
static void span_time(struct row_span *s, const struct mp_span_rec *r)
{
	uint64_t left = r->dur_ns;

	s->runq_ns = (int64_t)(r->t.runq_ns < left ? r->t.runq_ns : left);
	left -= (uint64_t)s->runq_ns;
	s->io_ns = (int64_t)(r->t.io_ns < left ? r->t.io_ns : left);
	left -= (uint64_t)s->io_ns;
	s->wait_ns = (int64_t)(r->t.wait_ns < left ? r->t.wait_ns : left);
	left -= (uint64_t)s->wait_ns;
	s->cpu_ns = (int64_t)left;
	s->minflt = r->t.minflt;
	s->majflt = r->t.majflt;
}

/* A thread's batch: n whole metric or span records, back to back, bytes in
 * all (wire.h).  A batch whose count or sizes do not add up, or with a
 * record of another type, is malformed as a whole; the records before a
 * bad one are kept. */
static int feed_batch(struct decoder *d, const struct mp_batch_rec *b,
		      size_t size)
{
	size_t hdr = offsetof(struct mp_batch_rec, recs), off = 0;

	if (size < hdr || b->n == 0 || b->n > MP_BATCH_MAX ||
	    b->bytes > MP_BATCH_BYTES || size < hdr + b->bytes)
		goto malformed;
	for (uint32_t i = 0; i < b->n; i++) {
		const struct mp_hdr *h = (const void *)(b->recs + off);
		size_t len;

		if (off + sizeof(*h) > b->bytes)
			goto malformed;
		if (h->type == MP_REC_METRIC)
			len = sizeof(struct mp_metric_rec);
		else if (h->type == MP_REC_SPAN)
			len = sizeof(struct mp_span_rec);
		else
			goto malformed;
		if (off + len > b->bytes)
			goto malformed;
		decoder__feed(d, h, len);
		off += len;
	}
	if (off != b->bytes)
		goto malformed;
	d->st.batches++;
	return 0;
malformed:
	d->st.malformed++;
	return -EINVAL;
}

int decoder__feed(struct decoder *d, const void *data, size_t size)
{
	const struct mp_hdr *h = data;
	int64_t ts;

	if (size < sizeof(*h))
		goto malformed;
	ts = (int64_t)h->ts + d->boot_to_utc;

	switch (h->type) {
	case MP_REC_NAME:
		if (size < sizeof(struct mp_name_rec))
			goto malformed;
		return add_name(d, data) == -EINVAL ? (d->st.malformed++, -EINVAL) : 0;
	case MP_REC_PROC:
		if (size < sizeof(struct mp_proc_rec))
			goto malformed;
		d->st.procs++;
		if (d->o.on_proc)
			d->o.on_proc(d->o.ctx, data);
		return 0;
	case MP_REC_METRIC: {
		const struct mp_metric_rec *r = data;
		struct row_metric m;

		if (size < sizeof(*r))
			goto malformed;
		m.ts = ts;
		m.pid = h->pid;
		m.tid = h->tid;
		m.cpu = h->cpu;
		m.step = r->step;
		memcpy(&m.value, &r->value, sizeof(m.value));
		m.name = lookup(d, r->name_id, &m.name_len);
		m.proc = proc_of(d, h->pid);
		for (int i = 0; i < d->nsinks; i++)
			if (d->sinks[i].metric)
				note_sink_err(d, d->sinks[i].metric(d->sinks[i].ctx, &m));
		d->st.rows[ROW_METRICS]++;
		return 0;
	}
	case MP_REC_SPAN: {
		const struct mp_span_rec *r = data;
		struct row_span s;

		if (size < sizeof(*r))
			goto malformed;
		s.ts = ts;
		s.dur_ns = (int64_t)r->dur_ns;
		s.pid = h->pid;
		s.tid = h->tid;
		s.cpu = h->cpu;
		s.depth = r->depth;
		s.has_step = !(h->flags & MP_F_NO_STEP);
		s.step = r->step;
		s.name = lookup(d, r->name_id, &s.name_len);
		s.proc = proc_of(d, h->pid);
		span_time(&s, r);
		for (int i = 0; i < d->nsinks; i++)
			if (d->sinks[i].span)
				note_sink_err(d, d->sinks[i].span(d->sinks[i].ctx, &s));
		d->st.rows[ROW_SPANS]++;
		return 0;
	}
	case MP_REC_BATCH:
		return feed_batch(d, data, size);
	case MP_REC_LOG: {
		const struct mp_log_rec *r = data;
		struct row_log l;
		size_t len;

		if (size < sizeof(*r))
			goto malformed;
		len = r->len < MP_MSG_MAX ? r->len : MP_MSG_MAX - 1;
		l.ts = ts;
		l.pid = h->pid;
		l.tid = h->tid;
		l.cpu = h->cpu;
		l.level = (int)r->level;
		l.has_step = !(h->flags & MP_F_NO_STEP);
		l.step = r->step;
		l.msg_len = utf8_sanitize(d->msgbuf, r->msg, len,
					  h->flags & MP_F_TRUNCATED);
		l.msg = d->msgbuf;
		l.proc = proc_of(d, h->pid);
		for (int i = 0; i < d->nsinks; i++)
			if (d->sinks[i].log)
				note_sink_err(d, d->sinks[i].log(d->sinks[i].ctx, &l));
		d->st.rows[ROW_LOGS]++;
		return 0;
	}
	}
malformed:
	d->st.malformed++;
	return -EINVAL;
}
