// SPDX-License-Identifier: MIT
/* account.c - the one place that maps kernel counters to tables. */
#include "account.h"
#include "attach/tracer.h"

static const struct {
	const char *table, *kind;
	enum mp_kind k;
} map[ROW_TABLES] = {
	[ROW_METRICS] = { "metrics", "metric", MP_K_METRIC },
	[ROW_SPANS] = { "spans", "span", MP_K_SPAN_END },
	[ROW_LOGS] = { "logs", "log", MP_K_LOG },
};

static uint64_t lost(const struct mp_counters *c, enum mp_kind k)
{
	return c->v[k][MP_S_DROP_RING] + c->v[k][MP_S_DROP_NAME] +
	       c->v[k][MP_S_HELD];
}

static uint64_t unmatched(const struct mp_counters *c, enum mp_kind k)
{
	return c->v[k][MP_S_UNMATCHED] + c->v[k][MP_S_DEPTH];
}

void account_compute(struct account *a, const struct mp_counters *c,
		     const struct decoder_stats *ds, const struct pqsink *sink)
{
	a->ok = true;
	for (int i = 0; i < ROW_TABLES; i++) {
		struct account_table *t = &a->t[i];
		enum mp_kind k = map[i].k;

		t->table = map[i].table;
		t->kind = map[i].kind;
		t->hits = c->v[k][MP_S_HITS];
		t->emitted = tracer_emitted(c, k);
		t->delivered = ds->rows[i];
		t->written = sink ? pqsink__rows(sink, i) : 0;
		t->lost_io = sink ? pqsink__dropped(sink, i) : 0;
		t->lost_kernel = lost(c, k);
		t->lost_ring = c->v[k][MP_S_DROP_RING];
		t->lost_name = c->v[k][MP_S_DROP_NAME];
		t->lost_held = c->v[k][MP_S_HELD];
		t->truncated = c->v[k][MP_S_TRUNCATED];
		t->unmatched = unmatched(c, k);
		if (k == MP_K_SPAN_END) {
			/* A span's begin can be lost or left open too. */
			t->lost_kernel += lost(c, MP_K_SPAN_BEGIN);
			t->lost_ring += c->v[MP_K_SPAN_BEGIN][MP_S_DROP_RING];
			t->lost_name += c->v[MP_K_SPAN_BEGIN][MP_S_DROP_NAME];
			t->lost_held += c->v[MP_K_SPAN_BEGIN][MP_S_HELD];
			t->unmatched += unmatched(c, MP_K_SPAN_BEGIN);
		}
		t->ok = t->delivered == t->emitted &&
			t->written + t->lost_io == t->delivered;
		a->ok &= t->ok;
	}
	a->names_emitted = tracer_emitted(c, MP_K_NAME);
	a->names_delivered = ds->names;
	a->ok &= a->names_emitted == a->names_delivered;
}

void account_row_counters(const struct mp_counters *c, struct row_counters *out)
{
	for (int i = 0; i < ROW_TABLES; i++) {
		enum mp_kind k = map[i].k;

		out->events[i] = c->v[k][MP_S_HITS];
		out->lost[i] = lost(c, k);
	}
	out->lost[ROW_SPANS] += lost(c, MP_K_SPAN_BEGIN);
	out->steps = c->v[MP_K_STEP][MP_S_HITS];
}
