// SPDX-License-Identifier: MIT
/*
 * Column chunk encoding for the Parquet writer: statistics, dictionary,
 * page splitting, levels, values, compression, ColumnChunk metadata.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pq_writer_int.h"

struct chunk_stats {
	bool has_minmax;
	uint8_t min[8], max[8];		/* fixed-width types */
	const uint8_t *smin, *smax;	/* strings: point into vals */
	uint32_t smin_len, smax_len;
	size_t len;			/* bytes of min/max (fixed) */
};

static uint32_t rd_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static int str_cmp(const uint8_t *a, uint32_t an, const uint8_t *b,
		   uint32_t bn)
{
	int r = memcmp(a, b, an < bn ? an : bn);

	return r ? r : (an > bn) - (an < bn);
}

/* min/max by the TypeDefinedOrder of each type (spec: "Statistics"). */
static void compute_stats(const struct pq_col *c, struct chunk_stats *st)
{
	const uint8_t *p = c->vals.p, *s;
	size_t off = 0;
	int64_t imin = INT64_MAX, imax = INT64_MIN, iv;
	double dmin = INFINITY, dmax = -INFINITY, dv;
	bool any = false;
	uint32_t n;

	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < c->nvals; i++) {
		switch (c->type) {
		case PQ_BOOL:
			iv = p[i];
			goto ints;
		case PQ_INT32: {
			int32_t v32;

			memcpy(&v32, p + 4 * i, 4);
			iv = v32;
			goto ints;
		}
		case PQ_INT64:
		case PQ_TIMESTAMP_NS:
			memcpy(&iv, p + 8 * i, 8);
ints:
			imin = iv < imin ? iv : imin;
			imax = iv > imax ? iv : imax;
			any = true;
			break;
		case PQ_DOUBLE:
			memcpy(&dv, p + 8 * i, 8);
			if (isnan(dv))
				break;	/* NaN never goes into min/max */
			dmin = dv < dmin ? dv : dmin;
			dmax = dv > dmax ? dv : dmax;
			any = true;
			break;
		case PQ_STRING:
			n = rd_u32(p + off);
			s = p + off + 4;
			off += 4 + (size_t)n;
			if (!any || str_cmp(s, n, st->smin, st->smin_len) < 0) {
				st->smin = s;
				st->smin_len = n;
			}
			if (!any || str_cmp(s, n, st->smax, st->smax_len) > 0) {
				st->smax = s;
				st->smax_len = n;
			}
			any = true;
			break;
		}
	}
	if (!any)
		return;
	st->has_minmax = true;
	switch (c->type) {
	case PQ_BOOL:
		st->min[0] = (uint8_t)imin;
		st->max[0] = (uint8_t)imax;
		st->len = 1;
		break;
	case PQ_INT32: {
		int32_t a = (int32_t)imin, b = (int32_t)imax;

		memcpy(st->min, &a, 4);
		memcpy(st->max, &b, 4);
		st->len = 4;
		break;
	}
	case PQ_INT64:
	case PQ_TIMESTAMP_NS:
		memcpy(st->min, &imin, 8);
		memcpy(st->max, &imax, 8);
		st->len = 8;
		break;
	case PQ_DOUBLE:
		/* a zero min is written -0.0 and a zero max +0.0 (spec) */
		if (dmin == 0.0)
			dmin = -0.0;
		if (dmax == 0.0)
			dmax = 0.0;
		memcpy(st->min, &dmin, 8);
		memcpy(st->max, &dmax, 8);
		st->len = 8;
		break;
	case PQ_STRING:
		if (st->smin_len > PQ_STAT_STR_MAX ||
		    st->smax_len > PQ_STAT_STR_MAX)
			st->has_minmax = false;
		break;
	}
}

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

/*
 * Builds the dictionary of a string column: idx[i] is the entry of the
 * i-th value; ent[k] the vals offset of entry k.  Returns 0, 1 when the
 * dictionary would be too large (caller falls back to PLAIN), or -ENOMEM.
 */
static int build_dict(const struct pq_col *c, uint32_t *idx, uint32_t **entp,
		      uint32_t *nentp, size_t *dict_bytes)
{
	size_t cap = 16, off = 0, bytes = 0;
	uint32_t *slots = NULL, *ent = NULL, nent = 0, n, e;
	uint64_t h;
	int ret = -ENOMEM;

	while (cap < 2 * (c->nvals < PQ_DICT_MAX_ENTRIES ? c->nvals
						       : PQ_DICT_MAX_ENTRIES))
		cap *= 2;
	slots = calloc(cap, sizeof(*slots));
	ent = malloc((c->nvals ? c->nvals : 1) * sizeof(*ent));
	if (!slots || !ent)
		goto cleanup;
	for (size_t i = 0; i < c->nvals; i++) {
		n = rd_u32(c->vals.p + off);
		h = hash_bytes(c->vals.p + off + 4, n);
		for (size_t s = h & (cap - 1);; s = (s + 1) & (cap - 1)) {
			if (!slots[s]) {
				if (nent >= PQ_DICT_MAX_ENTRIES ||
				    bytes + 4 + n > PQ_DICT_MAX_BYTES) {
					ret = 1;
					goto cleanup;
				}
				ent[nent] = (uint32_t)off;
				slots[s] = ++nent;
				bytes += 4 + (size_t)n;
				idx[i] = nent - 1;
				break;
			}
			e = slots[s] - 1;
			if (rd_u32(c->vals.p + ent[e]) == n &&
			    !memcmp(c->vals.p + ent[e] + 4,
				    c->vals.p + off + 4, n)) {
				idx[i] = e;
				break;
			}
		}
		off += 4 + (size_t)n;
	}
	*entp = ent;
	*nentp = nent;
	*dict_bytes = bytes;
	ent = NULL;
	ret = 0;
cleanup:
	free(slots);
	free(ent);
	return ret;
}

/*
 * Compresses w->page and appends header + page to w->out.
 * dph: DataPageHeader when true, else DictionaryPageHeader.
 */
static int emit_page(struct pq_writer *w, bool dph, uint32_t nvalues,
		     int encoding, uint64_t *unc, uint64_t *comp)
{
	const struct pq_buf *body = &w->page;
	struct thrift_enc *e = &w->te;
	int err;

	if (w->page.err)
		return w->page.err;
	if (w->page.len > INT32_MAX)
		return -E2BIG;
	if (w->codec == CODEC_GZIP) {
		w->zpage.len = 0;
		err = pq_enc__gzip(&w->zs, w->page.p, w->page.len, &w->zpage);
		if (err)
			return err;
		if (w->zpage.len > INT32_MAX)
			return -E2BIG;
		body = &w->zpage;
	}
	thrift_enc__reset(e);
	thrift_enc__struct_begin(e);
	thrift_enc__field_i32(e, 1, dph ? PAGE_DATA : PAGE_DICTIONARY);
	thrift_enc__field_i32(e, 2, (int32_t)w->page.len);
	thrift_enc__field_i32(e, 3, (int32_t)body->len);
	thrift_enc__field_struct(e, dph ? 5 : 7);
	thrift_enc__field_i32(e, 1, (int32_t)nvalues);
	thrift_enc__field_i32(e, 2, encoding);
	if (dph) {
		thrift_enc__field_i32(e, 3, ENC_RLE);	/* definition levels */
		thrift_enc__field_i32(e, 4, ENC_RLE);	/* repetition levels */
	}
	thrift_enc__struct_end(e);
	thrift_enc__struct_end(e);
	if (e->err)
		return e->err;
	pq_buf__put(&w->out, e->buf, e->len);
	pq_buf__put(&w->out, body->p, body->len);
	*unc += e->len + w->page.len;
	*comp += e->len + body->len;
	return w->out.err;
}

/* Encodes one column chunk into w->out and its ColumnChunk into rg. */
int pq_chunk__encode(struct pq_writer *w, struct pq_col *c, uint64_t base,
		     struct thrift_enc *rg, uint64_t *rg_unc, uint64_t *rg_comp)
{
	struct chunk_stats st;
	uint32_t *u32 = NULL, *idx = NULL, *ent = NULL, nent = 0;
	int64_t *wide = NULL;
	size_t width = pq_type_width(c->type), dict_bytes = 0;
	size_t r0, r1, v0, v1, off0, off1, est, lenpos;
	uint64_t unc = 0, comp = 0, chunk_start, dict_off = 0, data_off = 0;
	int enc = c->enc, page_enc, bw = 1, err = -ENOMEM;
	bool used[ENC_MAX + 1] = { false };

	chunk_start = base + w->out.len;
	compute_stats(c, &st);
	u32 = malloc((w->nrows ? w->nrows : 1) * sizeof(*u32));
	if (!u32)
		goto cleanup;
	if (enc == PQ_ENC_DICT) {
		idx = malloc((c->nvals ? c->nvals : 1) * sizeof(*idx));
		if (!idx)
			goto cleanup;
		err = build_dict(c, idx, &ent, &nent, &dict_bytes);
		if (err < 0)
			goto cleanup;
		if (err > 0)
			enc = PQ_ENC_PLAIN;	/* too large: PLAIN chunk */
	}
	if (enc == PQ_ENC_DELTA) {
		wide = malloc((c->nvals ? c->nvals : 1) * sizeof(*wide));
		if (!wide)
			goto cleanup;
		for (size_t i = 0; i < c->nvals; i++) {
			int32_t v32;

			if (width == 4) {
				memcpy(&v32, c->vals.p + 4 * i, 4);
				wide[i] = v32;
			} else {
				memcpy(&wide[i], c->vals.p + 8 * i, 8);
			}
		}
	}
	page_enc = enc == PQ_ENC_DICT ? ENC_RLE_DICTIONARY :
		   enc == PQ_ENC_DELTA ? ENC_DELTA_BINARY_PACKED :
		   enc == PQ_ENC_BYTE_STREAM_SPLIT ? ENC_BYTE_STREAM_SPLIT :
		   ENC_PLAIN;
	if (enc == PQ_ENC_DICT) {
		w->page.len = 0;
		w->page.err = 0;
		if (pq_buf__reserve(&w->page, dict_bytes))
			goto cleanup;
		for (uint32_t k = 0; k < nent; k++)
			pq_buf__put(&w->page, c->vals.p + ent[k],
				    4 + (size_t)rd_u32(c->vals.p + ent[k]));
		dict_off = base + w->out.len;
		err = emit_page(w, false, nent, ENC_PLAIN, &unc, &comp);
		if (err)
			goto cleanup;
		used[ENC_PLAIN] = true;
		bw = pq_enc__bit_width(nent ? nent - 1 : 0);
	}
	data_off = base + w->out.len;
	used[page_enc] = true;
	if (c->nullable)
		used[ENC_RLE] = true;
	r0 = v0 = off0 = 0;
	while (r0 < w->nrows) {
		/* choose [r0, r1) so the page is about page_bytes */
		est = 0;
		r1 = r0;
		v1 = v0;
		off1 = off0;
		while (r1 < w->nrows && est < w->page_bytes) {
			if (!c->nullable || c->defs.p[r1]) {
				size_t sz = c->type == PQ_STRING ?
					4 + (size_t)rd_u32(c->vals.p + off1) :
					width;

				off1 += sz;
				est += enc == PQ_ENC_DICT ? 4 : sz;
				v1++;
			}
			est += c->nullable;	/* ~ a level, compressed */
			r1++;
		}
		w->page.len = 0;
		w->page.err = 0;
		if (c->nullable) {
			for (size_t r = r0; r < r1; r++)
				u32[r - r0] = c->defs.p[r];
			lenpos = w->page.len;
			pq_buf__u32le(&w->page, 0);
			pq_enc__rle_hybrid(&w->page, u32, r1 - r0, 1);
			if (!w->page.err) {
				uint32_t l = (uint32_t)(w->page.len - lenpos - 4);

				memcpy(w->page.p + lenpos, &l, 4);
			}
		}
		switch (enc) {
		case PQ_ENC_DICT: {
			uint8_t bwb = (uint8_t)bw;

			pq_buf__put(&w->page, &bwb, 1);
			pq_enc__rle_hybrid(&w->page, idx + v0, v1 - v0, bw);
			break;
		}
		case PQ_ENC_DELTA:
			pq_enc__delta(&w->page, wide + v0, v1 - v0);
			break;
		case PQ_ENC_BYTE_STREAM_SPLIT:
			pq_enc__bss(&w->page, c->vals.p + v0 * width, v1 - v0,
				    width);
			break;
		default:
			if (c->type == PQ_BOOL)
				pq_enc__bools(&w->page, c->vals.p + v0, v1 - v0);
			else if (c->type == PQ_STRING)
				pq_buf__put(&w->page, c->vals.p + off0,
					    off1 - off0);
			else
				pq_buf__put(&w->page, c->vals.p + v0 * width,
					    (v1 - v0) * width);
			break;
		}
		err = emit_page(w, true, (uint32_t)(r1 - r0), page_enc, &unc,
				&comp);
		if (err)
			goto cleanup;
		r0 = r1;
		v0 = v1;
		off0 = off1;
	}

	thrift_enc__struct_begin(rg);		/* ColumnChunk */
	thrift_enc__field_i64(rg, 2, (int64_t)chunk_start);
	thrift_enc__field_struct(rg, 3);	/* ColumnMetaData */
	thrift_enc__field_i32(rg, 1, pq_physical_type(c->type));
	{
		uint32_t nenc = 0;

		for (int k = 0; k <= ENC_MAX; k++)
			nenc += used[k];
		thrift_enc__field_list(rg, 2, THRIFT_I32, nenc);
		for (int k = 0; k <= ENC_MAX; k++)
			if (used[k])
				thrift_enc__i32(rg, k);
	}
	thrift_enc__field_list(rg, 3, THRIFT_BINARY, 1);
	thrift_enc__bin(rg, c->name, strlen(c->name));
	thrift_enc__field_i32(rg, 4, w->codec);
	thrift_enc__field_i64(rg, 5, (int64_t)w->nrows);
	thrift_enc__field_i64(rg, 6, (int64_t)unc);
	thrift_enc__field_i64(rg, 7, (int64_t)comp);
	thrift_enc__field_i64(rg, 9, (int64_t)data_off);
	if (dict_off)
		thrift_enc__field_i64(rg, 11, (int64_t)dict_off);
	thrift_enc__field_struct(rg, 12);	/* Statistics */
	thrift_enc__field_i64(rg, 3, (int64_t)(w->nrows - c->nvals));
	if (st.has_minmax && c->type == PQ_STRING) {
		thrift_enc__field_bin(rg, 5, st.smax, st.smax_len);
		thrift_enc__field_bin(rg, 6, st.smin, st.smin_len);
	} else if (st.has_minmax) {
		thrift_enc__field_bin(rg, 5, st.max, st.len);
		thrift_enc__field_bin(rg, 6, st.min, st.len);
	}
	thrift_enc__struct_end(rg);
	thrift_enc__struct_end(rg);
	thrift_enc__struct_end(rg);
	*rg_unc += unc;
	*rg_comp += comp;
	err = rg->err ? rg->err : w->out.err;
cleanup:
	free(u32);
	free(idx);
	free(ent);
	free(wide);
	return err;
}

