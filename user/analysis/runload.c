// SPDX-License-Identifier: MIT
/*
 * runload.c - read a recording's Parquet tables into arrays, with strings
 * interned once (a run has few distinct names and many rows).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "parquet/pq_reader.h"
#include "store/recfiles.h"
#include "runload.h"
#include "stats.h"
#include "store/tables.h"

_Static_assert(RL_METRICS == (int)TABLE_METRICS && RL_SPANS == (int)TABLE_SPANS &&
	       RL_LOGS == (int)TABLE_LOGS, "runload.h and tables.h agree");

const char *runload__table_name(enum runload_table t)
{
	return t < RL_NTABLES ? tables_def((enum table_id)t)->name : "?";
}

size_t runload__glob(const char *dir, enum runload_table t, glob_t *g)
{
	return recfiles__glob(dir, (int)t, g);
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
	return h;
}

uint32_t runload__find(const struct runload *r, const char *s)
{
	if (!r->hash_cap)
		return UINT32_MAX;
	for (size_t i = fnv1a(s) & (r->hash_cap - 1);; i = (i + 1) & (r->hash_cap - 1)) {
		uint32_t id = r->hash[i];

		if (!id)
			return UINT32_MAX;
		if (!strcmp(r->strs[id - 1], s))
			return id - 1;
	}
}

static int grow_hash(struct runload *r)
{
	size_t cap = r->hash_cap ? r->hash_cap * 2 : 64;
	uint32_t *h = calloc(cap, sizeof(*h));

	if (!h)
		return -ENOMEM;
	for (size_t id = 0; id < r->nstrs; id++) {
		size_t i = fnv1a(r->strs[id]) & (cap - 1);

		while (h[i])
			i = (i + 1) & (cap - 1);
		h[i] = (uint32_t)id + 1;
	}
	free(r->hash);
	r->hash = h;
	r->hash_cap = cap;
	return 0;
}

/* Id of s, added when new; UINT32_MAX when out of memory. */
static uint32_t intern(struct runload *r, const char *s)
{
	uint32_t id = runload__find(r, s);
	size_t i;

	if (id != UINT32_MAX)
		return id;
	if ((r->nstrs + 1) * 2 > r->hash_cap && grow_hash(r))
		return UINT32_MAX;
	if (r->nstrs == r->cap_strs) {
		size_t cap = r->cap_strs ? r->cap_strs * 2 : 64;
		char **n = realloc(r->strs, cap * sizeof(*n));

		if (!n)
			return UINT32_MAX;
		r->strs = n;
		r->cap_strs = cap;
	}
	if (!(r->strs[r->nstrs] = strdup(s)))
		return UINT32_MAX;
	for (i = fnv1a(s) & (r->hash_cap - 1); r->hash[i]; i = (i + 1) & (r->hash_cap - 1))
		;
	r->hash[i] = (uint32_t)++r->nstrs;
	return (uint32_t)(r->nstrs - 1);
}

const char *runload__str(const struct runload *r, uint32_t id)
{
	return id < r->nstrs ? r->strs[id] : "";
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

enum { C_TS, C_PID, C_TID, C_NAME, C_VAL, C_STEP, C_DEPTH, C_RUNQ, C_IO,
       C_WAIT, C_MINFLT, C_MAJFLT, NCOLS };

/* The columns each table has, as columns of its schema (tables.h), in the
 * order C_TS .. C_MAJFLT; from C_STEP on they are optional (-1: none; a
 * recording made before spans had their time split has none of those). */
static const int need[RL_NTABLES][NCOLS] = {
	[RL_METRICS] = { MC_TS, MC_PID, MC_TID, MC_NAME, MC_VALUE, MC_STEP, -1,
			 -1, -1, -1, -1, -1 },
	[RL_SPANS] = { SC_TS, SC_PID, SC_TID, SC_NAME, SC_DUR, SC_STEP, SC_DEPTH,
		       SC_RUNQ, SC_IO, SC_WAIT, SC_MINFLT, SC_MAJFLT },
	[RL_LOGS] = { LC_TS, LC_PID, LC_TID, LC_LEVEL, LC_MSG, LC_STEP, -1,
		      -1, -1, -1, -1, -1 },
};

/* The column of file pr that holds column k of table t, or -1. */
static int col_of(const struct pq_reader *pr, int t, int k)
{
	return need[t][k] < 0 ? -1 : pq_reader__col_index(pr,
		tables_def((enum table_id)t)->cols[need[t][k]].name);
}

static const char *col_name(int t, int k)
{
	return tables_def((enum table_id)t)->cols[need[t][k]].name;
}

static int grow(void **arr, size_t *cap, size_t want, size_t elem)
{
	size_t c = *cap ? *cap : 1024;
	void *n;

	if (want <= *cap)
		return 0;
	while (c < want)
		c *= 2;
	if (!(n = realloc(*arr, c * elem)))
		return -ENOMEM;
	*arr = n;
	*cap = c;
	return 0;
}

struct runload *runload__new(const char *path)
{
	struct runload *r = calloc(1, sizeof(*r));

	if (r)
		r->path = path;
	return r;
}

int runload__add_span(struct runload *r, const struct rl_span *s,
		      const char *name)
{
	uint32_t id = intern(r, name);

	if (id == UINT32_MAX ||
	    grow((void **)&r->spans, &r->cap_spans, r->nspans + 1, sizeof(*s)))
		return -ENOMEM;
	r->spans[r->nspans] = *s;
	r->spans[r->nspans++].name = id;
	return 0;
}

int runload__add_metric(struct runload *r, const struct rl_metric *m,
			const char *name)
{
	uint32_t id = intern(r, name);

	if (id == UINT32_MAX ||
	    grow((void **)&r->metrics, &r->cap_metrics, r->nmetrics + 1, sizeof(*m)))
		return -ENOMEM;
	r->metrics[r->nmetrics] = *m;
	r->metrics[r->nmetrics++].name = id;
	return 0;
}

int runload__add_log(struct runload *r, const struct rl_log *l,
		     const char *level, const char *msg)
{
	uint32_t lv = intern(r, level), id = intern(r, msg);

	if (lv == UINT32_MAX || id == UINT32_MAX ||
	    grow((void **)&r->logs, &r->cap_logs, r->nlogs + 1, sizeof(*l)))
		return -ENOMEM;
	r->logs[r->nlogs] = *l;
	r->logs[r->nlogs].level = lv;
	r->logs[r->nlogs++].msg = id;
	return 0;
}

/* A span's time split, when the file has it (all three columns). */
static void span_time(struct rl_span *s, const struct pq_values *v, size_t i)
{
	if (!v[C_RUNQ].n || !v[C_IO].n || !v[C_WAIT].n)
		return;
	s->has_time = true;
	s->runq = v[C_RUNQ].i64[i];
	s->io = v[C_IO].i64[i];
	s->wait = v[C_WAIT].i64[i];
	s->minflt = v[C_MINFLT].n ? (uint32_t)v[C_MINFLT].i64[i] : 0;
	s->majflt = v[C_MAJFLT].n ? (uint32_t)v[C_MAJFLT].i64[i] : 0;
}

/* The rank of the rows of a file: from a rank=R folder of a --partition
 * recording (rank=-1 holds processes without one), else per row from
 * the rank column (rank_col; NULL when the file has none). */
struct rank_src {
	bool from_path;
	int32_t path_rank;		/* -1: none */
	const struct pq_values *col;
};

static void span_rank(struct rl_span *s, const struct rank_src *rs, size_t i)
{
	if (rs->from_path) {
		s->has_rank = rs->path_rank >= 0;
		s->rank = rs->path_rank;
	} else if (rs->col && rs->col->n > i &&
		   !(rs->col->isnull && rs->col->isnull[i])) {
		s->has_rank = true;
		s->rank = (int32_t)rs->col->i64[i];
	}
}

/* A rank=R component of path's folders, as rank_src. */
static void rank_of_path(const char *path, struct rank_src *rs)
{
	const char *p = path, *slash = strrchr(path, '/');
	char *end;
	long v;

	while (slash && (p = strstr(p, "rank=")) && p < slash) {
		if (p == path || p[-1] == '/') {
			errno = 0;
			v = strtol(p + 5, &end, 10);
			if (!errno && end > p + 5 && *end == '/' &&
			    v >= INT32_MIN && v <= INT32_MAX) {
				rs->from_path = true;
				rs->path_rank = v < 0 ? -1 : (int32_t)v;
			}
		}
		p += 5;
	}
}

/* Appends the rows of one row group; v holds the decoded columns. */
static int add_rows(struct runload *r, enum runload_table t,
		    const struct pq_values *v, size_t n,
		    const struct rank_src *rs)
{
	const struct pq_values *step = v[C_STEP].n ? &v[C_STEP] : NULL;
	int ret = 0;

	for (size_t i = 0; i < n && !ret; i++) {
		int64_t st = step && !(step->isnull && step->isnull[i]) ?
			     step->i64[i] : -1;
		uint32_t pid = (uint32_t)v[C_PID].i64[i], tid = (uint32_t)v[C_TID].i64[i];

		if (t == RL_SPANS) {
			struct rl_span s = {
				.ts = v[C_TS].i64[i], .dur = v[C_VAL].i64[i],
				.step = st, .pid = pid, .tid = tid,
				.depth = v[C_DEPTH].n ? (uint32_t)v[C_DEPTH].i64[i] : 0,
			};

			span_time(&s, v, i);
			span_rank(&s, rs, i);

			ret = runload__add_span(r, &s, v[C_NAME].str[i]);
		} else if (t == RL_METRICS) {
			struct rl_metric m = {
				.ts = v[C_TS].i64[i], .value = v[C_VAL].f64[i],
				.step = st, .pid = pid, .tid = tid,
			};

			ret = runload__add_metric(r, &m, v[C_NAME].str[i]);
		} else {
			struct rl_log l = {
				.ts = v[C_TS].i64[i], .step = st, .pid = pid,
				.tid = tid,
			};

			ret = runload__add_log(r, &l, v[C_NAME].str[i],
					       v[C_VAL].str[i]);
		}
	}
	return ret;
}

/* The table a file holds, told by its columns; -1 when none fits. */
static int table_of(const struct pq_reader *pr)
{
	static const int order[] = { RL_SPANS, RL_METRICS, RL_LOGS };

	/* duration_ns, value, message: each is in one table only */
	for (int i = 0; i < 3; i++)
		if (col_of(pr, order[i], C_VAL) >= 0)
			return order[i];
	return -1;
}

static bool type_ok(const struct pq_reader *pr, int col, int k)
{
	enum pq_type ty = pq_reader__col(pr, col)->type;

	switch (k) {
	case C_NAME:
		return ty == PQ_STRING;
	case C_VAL:	/* value (double), duration_ns (int) or message */
		return ty == PQ_DOUBLE || ty == PQ_INT64 || ty == PQ_INT32 ||
		       ty == PQ_STRING;
	default:	/* ts, pid, tid, step, depth */
		return ty == PQ_INT64 || ty == PQ_INT32 || ty == PQ_TIMESTAMP_NS;
	}
}

/* Reads one file of table t (or of the table its columns tell when t < 0). */
static int load_file(struct runload *r, const char *path,
		     int t, char *err, size_t errlen)
{
	struct pq_reader *pr = pq_reader__open(path, err, errlen);
	int col[NCOLS], rank_col = -1, ret = 0;
	struct rank_src rs = { 0 };

	if (!pr) {
		/* pq_reader's reason, prefixed with the file */
		char why[256];

		snprintf(why, sizeof(why), "%s", err);
		seterr(err, errlen, "%s: %s", path, why);
		return -EINVAL;
	}
	if (t < 0 && (t = table_of(pr)) < 0) {
		seterr(err, errlen, "%s: not an mlprobe table (no duration_ns, "
		       "value or message column)", path);
		ret = -EINVAL;
		goto out;
	}
	for (int k = 0; k < C_STEP; k++) {
		col[k] = col_of(pr, t, k);
		if (col[k] < 0 || !type_ok(pr, col[k], k)) {
			seterr(err, errlen, "%s: %s column '%s' (is it an mlprobe "
			       "%s file?)", path, col[k] < 0 ? "no" : "wrong type of",
			       col_name(t, k), runload__table_name(t));
			ret = -EINVAL;
			goto out;
		}
	}
	for (int k = C_STEP; k < NCOLS; k++)
		col[k] = col_of(pr, t, k);
	for (int k = C_STEP; k < NCOLS; k++)
		if (col[k] >= 0 && !type_ok(pr, col[k], k))
			col[k] = -1;
	if (t == RL_SPANS) {
		rank_of_path(path, &rs);
		rank_col = rs.from_path ? -1 : pq_reader__col_index(pr, "rank");
		if (rank_col >= 0 && !type_ok(pr, rank_col, C_STEP))
			rank_col = -1;
	}
	if ((t == RL_SPANS || t == RL_METRICS) &&
	    pq_reader__col(pr, col[C_VAL])->type == PQ_STRING) {
		seterr(err, errlen, "%s: column '%s' is not a number", path,
		       need[t][C_VAL]);
		ret = -EINVAL;
		goto out;
	}
	if (t == RL_SPANS && pq_reader__col(pr, col[C_VAL])->type == PQ_DOUBLE) {
		seterr(err, errlen, "%s: column 'duration_ns' is not an integer", path);
		ret = -EINVAL;
		goto out;
	}
	if (t == RL_METRICS && pq_reader__col(pr, col[C_VAL])->type != PQ_DOUBLE) {
		seterr(err, errlen, "%s: column 'value' is not a double", path);
		ret = -EINVAL;
		goto out;
	}
	if (t == RL_LOGS && (pq_reader__col(pr, col[C_VAL])->type != PQ_STRING ||
			     pq_reader__col(pr, col[C_NAME])->type != PQ_STRING)) {
		seterr(err, errlen, "%s: columns 'level' and 'message' must be "
		       "strings", path);
		ret = -EINVAL;
		goto out;
	}
	for (int g = 0; g < pq_reader__nrowgroups(pr) && !ret; g++) {
		struct pq_values v[NCOLS] = { 0 }, rank = { 0 };
		char why[256];

		for (int k = 0; k < NCOLS && !ret; k++) {
			if (col[k] < 0)
				continue;
			ret = pq_reader__read(pr, g, col[k], &v[k], why, sizeof(why));
			if (ret)
				seterr(err, errlen, "%s: %s", path, why);
			else if (v[k].n != v[C_TS].n) {
				seterr(err, errlen, "%s: columns of row group %d "
				       "differ in length", path, g);
				ret = -EINVAL;
			}
		}
		if (!ret && rank_col >= 0) {
			if ((ret = pq_reader__read(pr, g, rank_col, &rank, why,
						   sizeof(why))))
				seterr(err, errlen, "%s: %s", path, why);
			else if (rank.n != v[C_TS].n) {
				seterr(err, errlen, "%s: columns of row group %d "
				       "differ in length", path, g);
				ret = -EINVAL;
			}
			rs.col = &rank;
		}
		if (!ret && (ret = add_rows(r, t, v, v[C_TS].n, &rs)))
			seterr(err, errlen, "%s: out of memory", path);
		rs.col = NULL;
	}
	if (!ret)
		r->nfiles[t]++;
out:
	pq_reader__close(pr);
	return ret;
}

struct runload *runload__open(const char *path, unsigned want, char *err,
			      size_t errlen)
{
	struct runload *r = runload__new(path);
	struct stat st;
	bool any = false;

	if (!r) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	if (stat(path, &st)) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (load_file(r, path, -1, err, errlen))
			goto fail;
		return r;
	}
	for (int t = 0; t < RL_NTABLES; t++) {
		glob_t g;
		size_t n;

		if (!(n = runload__glob(path, t, &g)))
			continue;
		any = true;
		for (size_t i = 0; i < n; i++) {
			if (!(want & RL_WANT(t)))
				break;
			if (load_file(r, g.gl_pathv[i], t, err, errlen)) {
				globfree(&g);
				goto fail;
			}
		}
		globfree(&g);
	}
	/* A recording that flushed no row has its run.json all the same. */
	if (!any && !recfiles__has_run(path)) {
		seterr(err, errlen, "%s: no metrics, spans or logs Parquet files "
		       "here (is it an mlprobe recording?)", path);
		goto fail;
	}
	return r;
fail:
	runload__free(r);
	return NULL;
}

void runload__free(struct runload *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nstrs; i++)
		free(r->strs[i]);
	free(r->strs);
	free(r->hash);
	free(r->spans);
	free(r->metrics);
	free(r->logs);
	free(r);
}

/* A counting sort by name id, then a sort of each group. */
double runload__span_time(const struct rl_span *s, enum rl_time t)
{
	/* Runnable time is what a busy neighbour adds: leave it out. */
	if (t == RL_TIME_OWN && s->has_time && s->runq <= s->dur)
		return (double)(s->dur - s->runq);
	return (double)s->dur;
}

int runload__group_spans(const struct runload *r, long skip, enum rl_time t,
			 struct rl_groups *g)
{
	size_t *fill;

	g->nids = r->nstrs;
	g->start = calloc(g->nids + 1, sizeof(*g->start));
	g->vals = malloc((r->nspans ? r->nspans : 1) * sizeof(*g->vals));
	fill = calloc(g->nids + 1, sizeof(*fill));
	if (!g->start || !g->vals || !fill) {
		free(fill);
		return -ENOMEM;
	}
	for (size_t i = 0; i < r->nspans; i++)
		if (!skip || r->spans[i].step >= skip)
			g->start[r->spans[i].name + 1]++;
	for (size_t id = 0; id < g->nids; id++)
		g->start[id + 1] += g->start[id];
	for (size_t i = 0; i < r->nspans; i++) {
		const struct rl_span *s = &r->spans[i];

		if (!skip || s->step >= skip)
			g->vals[g->start[s->name] + fill[s->name]++] =
				runload__span_time(s, t);
	}
	free(fill);
	for (size_t id = 0; id < g->nids; id++)
		stats__sort(g->vals + g->start[id], g->start[id + 1] - g->start[id]);
	return 0;
}

void runload__groups_free(struct rl_groups *g)
{
	free(g->vals);
	free(g->start);
}
