// SPDX-License-Identifier: MIT
/*
 * Column chunk encoding for the Parquet writer: the dictionary, built as
 * values arrive; pages, encoded and compressed as soon as they fill;
 * statistics; the ColumnChunk metadata at flush.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pq_writer_int.h"

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

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

static bool dict_eq(const struct pq_dict *d, uint32_t e, const void *s,
		    uint32_t len)
{
	const uint8_t *p = d->ents.p + d->off[e];

	return rd_u32(p) == len && !memcmp(p + 4, s, len);
}

static int dict_grow(struct pq_dict *d)
{
	size_t cap = d->cap ? d->cap * 2 : 64;
	uint32_t *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (uint32_t e = 0; e < d->n; e++) {
		const uint8_t *p = d->ents.p + d->off[e];
		size_t s = hash_bytes(p + 4, rd_u32(p)) & (cap - 1);

		while (slots[s])
			s = (s + 1) & (cap - 1);
		slots[s] = e + 1;
	}
	free(d->slots);
	d->slots = slots;
	d->cap = cap;
	return 0;
}

int pq_chunk__dict_add(struct pq_col *c, const void *s, uint32_t len,
		       uint32_t *idx)
{
	struct pq_dict *d = &c->dict;
	size_t slot;

	/* Rows of one process repeat their context: try the last first. */
	if (d->last && dict_eq(d, d->last - 1, s, len)) {
		*idx = d->last - 1;
		return 0;
	}
	if (2 * ((size_t)d->n + 1) > d->cap && dict_grow(d))
		return -ENOMEM;
	slot = hash_bytes(s, len) & (d->cap - 1);
	for (; d->slots[slot]; slot = (slot + 1) & (d->cap - 1))
		if (dict_eq(d, d->slots[slot] - 1, s, len)) {
			*idx = d->slots[slot] - 1;
			d->last = *idx + 1;
			return 0;
		}
	if (d->n >= PQ_DICT_MAX_ENTRIES ||
	    d->ents.len + 4 + (size_t)len > PQ_DICT_MAX_BYTES)
		return 1;
	if (d->n == d->ncap) {
		uint32_t ncap = d->ncap ? d->ncap * 2 : 64;
		uint32_t *off = realloc(d->off, ncap * sizeof(*off));
		uint8_t *used;

		if (!off)
			return -ENOMEM;
		d->off = off;
		used = realloc(d->used, ncap);
		if (!used)
			return -ENOMEM;
		d->used = used;
		d->ncap = ncap;
	}
	if (pq_buf__reserve(&d->ents, 4 + (size_t)len)) {
		d->ents.err = 0;
		return -ENOMEM;
	}
	d->off[d->n] = (uint32_t)d->ents.len;
	d->used[d->n] = 0;
	pq_buf__u32le(&d->ents, len);
	pq_buf__put(&d->ents, s, len);
	d->slots[slot] = d->n + 1;
	*idx = d->n++;
	d->last = *idx + 1;
	return 0;
}

/* Keeps a copy of a new string min or max; on ENOMEM the statistics are
 * left out (has_minmax false for good: a bound must never be wrong). */
static void str_bound(struct pq_col *c, const uint8_t *s, uint32_t n)
{
	bool first = !c->has_minmax;

	if (c->smin.err)
		return;
	if (first || str_cmp(s, n, c->smin.p, (uint32_t)c->smin.len) < 0) {
		c->smin.len = 0;
		pq_buf__put(&c->smin, s, n);
		if (!n)
			pq_buf__reserve(&c->smin, 1);
	}
	if (first || str_cmp(s, n, c->smax.p, (uint32_t)c->smax.len) > 0) {
		c->smax.len = 0;
		pq_buf__put(&c->smax, s, n);
		if (!n)
			pq_buf__reserve(&c->smax, 1);
	}
	if (c->smax.err)
		c->smin.err = c->smax.err;
	c->has_minmax = !c->smin.err;
}

/* Merges the statistics of n values (PLAIN layout, or dictionary entry
 * numbers) into c's, by the TypeDefinedOrder of each type. */
static void page_stats(struct pq_col *c, const uint8_t *p, size_t n,
		       bool dict)
{
	int64_t imin = c->imin, imax = c->imax, iv;
	double dmin = c->dmin, dmax = c->dmax, dv;
	bool any = c->has_minmax;
	size_t off = 0;
	uint32_t k;

	if (c->type == PQ_STRING) {
		for (size_t i = 0; i < n; i++) {
			if (dict) {
				k = rd_u32(p + 4 * i);
				if (c->dict.used[k])
					continue;
				c->dict.used[k] = 1;
				off = c->dict.off[k];
				str_bound(c, c->dict.ents.p + off + 4,
					  rd_u32(c->dict.ents.p + off));
			} else {
				uint32_t len = rd_u32(p + off);

				str_bound(c, p + off + 4, len);
				off += 4 + (size_t)len;
			}
		}
		return;
	}
	for (size_t i = 0; i < n; i++) {
		switch (c->type) {
		case PQ_BOOL:
			iv = p[i];
			break;
		case PQ_INT32: {
			int32_t v32;

			memcpy(&v32, p + 4 * i, 4);
			iv = v32;
			break;
		}
		case PQ_DOUBLE:
			memcpy(&dv, p + 8 * i, 8);
			if (isnan(dv))
				continue;	/* NaN never goes into min/max */
			if (!any) {
				dmin = dmax = dv;
				any = true;
			}
			dmin = dv < dmin ? dv : dmin;
			dmax = dv > dmax ? dv : dmax;
			continue;
		default:
			memcpy(&iv, p + 8 * i, 8);
			break;
		}
		if (!any) {
			imin = imax = iv;
			any = true;
		}
		imin = iv < imin ? iv : imin;
		imax = iv > imax ? iv : imax;
	}
	c->has_minmax = any;
	c->imin = imin;
	c->imax = imax;
	c->dmin = dmin;
	c->dmax = dmax;
}

/*
 * Compresses the n bytes at raw (when gzip) and appends page header + body
 * to dst.  dph: a DataPageHeader when true, else a DictionaryPageHeader.
 * *unc and *comp get header + body, uncompressed and as stored.
 */
static int emit_page(struct pq_writer *w, struct pq_buf *dst, bool dph,
		     const uint8_t *raw, size_t n, uint32_t nvalues,
		     int encoding, uint64_t *unc, uint64_t *comp)
{
	const uint8_t *body = raw;
	size_t blen = n;
	struct thrift_enc *e = &w->te;
	int err;

	if (n > INT32_MAX)
		return -E2BIG;
	if (w->codec == CODEC_GZIP) {
		w->zpage.len = 0;
		err = pq_enc__gzip(&w->zs, raw, n, &w->zpage);
		if (err)
			return err;
		if (w->zpage.len > INT32_MAX)
			return -E2BIG;
		body = w->zpage.p;
		blen = w->zpage.len;
	}
	thrift_enc__reset(e);
	thrift_enc__struct_begin(e);
	thrift_enc__field_i32(e, 1, dph ? PAGE_DATA : PAGE_DICTIONARY);
	thrift_enc__field_i32(e, 2, (int32_t)n);
	thrift_enc__field_i32(e, 3, (int32_t)blen);
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
	if (pq_buf__reserve(dst, e->len + blen)) {
		dst->err = 0;
		return -ENOMEM;
	}
	pq_buf__put(dst, e->buf, e->len);
	pq_buf__put(dst, body, blen);
	*unc = e->len + n;
	*comp = e->len + blen;
	return 0;
}

int pq_chunk__page(struct pq_writer *w, struct pq_col *c)
{
	size_t rows = w->nrows - c->page_start, nv = c->page_nvals;
	size_t width = pq_type_width(c->type), lenpos, vlen;
	bool dict = c->enc == PQ_ENC_DICT && !c->plain;
	uint64_t unc, comp;
	uint32_t max_idx = 0;
	int page_enc, err;

	if (!rows)
		return 0;
	/* A row in progress has its value after the committed ones. */
	vlen = c->set ? c->row_mark : c->vals.len;
	w->page.len = 0;
	w->page.err = 0;
	if (c->nullable) {
		uint32_t *lv, l;

		if (pq_buf__reserve(&w->u32, rows * 4)) {
			w->u32.err = 0;
			return -ENOMEM;
		}
		lv = (uint32_t *)(void *)w->u32.p;
		for (size_t r = 0; r < rows; r++)
			lv[r] = c->defs.p[r];
		lenpos = w->page.len;
		pq_buf__u32le(&w->page, 0);
		pq_enc__rle_hybrid(&w->page, lv, rows, 1);
		if (!w->page.err) {
			l = (uint32_t)(w->page.len - lenpos - 4);
			memcpy(w->page.p + lenpos, &l, 4);
		}
	}
	if (dict) {
		uint8_t bwb;

		page_enc = ENC_RLE_DICTIONARY;
		/* the page's own width: entries come in order of first use */
		for (size_t i = 0; i < nv; i++) {
			uint32_t k = rd_u32(c->vals.p + 4 * i);

			max_idx = k > max_idx ? k : max_idx;
		}
		bwb = (uint8_t)pq_enc__bit_width(max_idx);
		pq_buf__put(&w->page, &bwb, 1);
		pq_enc__rle_hybrid(&w->page, (const uint32_t *)(void *)c->vals.p,
				   nv, bwb);
	} else if (c->enc == PQ_ENC_DELTA) {
		int64_t *wide;

		page_enc = ENC_DELTA_BINARY_PACKED;
		if (pq_buf__reserve(&w->wide, (nv ? nv : 1) * 8)) {
			w->wide.err = 0;
			return -ENOMEM;
		}
		wide = (int64_t *)(void *)w->wide.p;
		for (size_t i = 0; i < nv; i++) {
			int32_t v32;

			if (width == 4) {
				memcpy(&v32, c->vals.p + 4 * i, 4);
				wide[i] = v32;
			} else {
				memcpy(&wide[i], c->vals.p + 8 * i, 8);
			}
		}
		pq_enc__delta(&w->page, wide, nv);
	} else if (c->enc == PQ_ENC_BYTE_STREAM_SPLIT) {
		page_enc = ENC_BYTE_STREAM_SPLIT;
		pq_enc__bss(&w->page, c->vals.p, nv, width);
	} else {
		page_enc = ENC_PLAIN;
		if (c->type == PQ_BOOL)
			pq_enc__bools(&w->page, c->vals.p, nv);
		else
			pq_buf__put(&w->page, c->vals.p, vlen);
	}
	if (w->page.err)
		return w->page.err;
	err = emit_page(w, &c->chunk, true, w->page.p, w->page.len,
			(uint32_t)rows, page_enc, &unc, &comp);
	if (err)
		return err;
	page_stats(c, c->vals.p, nv, dict);
	c->chunk_unc += unc;
	c->encs |= 1u << page_enc;
	if (c->nullable)
		c->encs |= 1u << ENC_RLE;
	if (c->vals.len > vlen)
		memmove(c->vals.p, c->vals.p + vlen, c->vals.len - vlen);
	c->vals.len -= vlen;
	c->row_mark = 0;
	c->defs.len = 0;
	c->page_start = w->nrows;
	c->nvals += nv;
	c->page_nvals = 0;
	return 0;
}

int pq_chunk__finish(struct pq_writer *w, struct pq_col *c, uint64_t base,
		     struct thrift_enc *rg, uint64_t *rg_unc, uint64_t *rg_comp,
		     size_t *dict_len)
{
	uint64_t dunc = 0, dcomp = 0, unc, comp, data_off;
	bool has_dict;
	int err;

	*dict_len = 0;
	err = pq_chunk__page(w, c);
	if (err)
		return err;
	/* A chunk that went PLAIN still needs the dictionary of its first
	 * pages. */
	has_dict = c->encs & (1u << ENC_RLE_DICTIONARY);
	if (has_dict) {
		err = emit_page(w, &w->out, false, c->dict.ents.p, c->dict.ents.len,
				c->dict.n, ENC_PLAIN, &dunc, &dcomp);
		if (err)
			return err;
		*dict_len = (size_t)dcomp;
	}
	data_off = base + dcomp;
	unc = dunc + c->chunk_unc;
	comp = dcomp + c->chunk.len;

	thrift_enc__struct_begin(rg);		/* ColumnChunk */
	thrift_enc__field_i64(rg, 2, (int64_t)base);
	thrift_enc__field_struct(rg, 3);	/* ColumnMetaData */
	thrift_enc__field_i32(rg, 1, pq_physical_type(c->type));
	{
		uint32_t encs = c->encs | (has_dict ? 1u << ENC_PLAIN : 0), nenc = 0;

		for (int k = 0; k <= ENC_MAX; k++)
			nenc += !!(encs & (1u << k));
		thrift_enc__field_list(rg, 2, THRIFT_I32, nenc);
		for (int k = 0; k <= ENC_MAX; k++)
			if (encs & (1u << k))
				thrift_enc__i32(rg, k);
	}
	thrift_enc__field_list(rg, 3, THRIFT_BINARY, 1);
	thrift_enc__bin(rg, c->name, strlen(c->name));
	thrift_enc__field_i32(rg, 4, w->codec);
	thrift_enc__field_i64(rg, 5, (int64_t)w->nrows);
	thrift_enc__field_i64(rg, 6, (int64_t)unc);
	thrift_enc__field_i64(rg, 7, (int64_t)comp);
	thrift_enc__field_i64(rg, 9, (int64_t)data_off);
	if (has_dict)
		thrift_enc__field_i64(rg, 11, (int64_t)base);
	thrift_enc__field_struct(rg, 12);	/* Statistics */
	thrift_enc__field_i64(rg, 3, (int64_t)(w->nrows - c->nvals));
	if (c->has_minmax && c->type == PQ_STRING) {
		if (c->smin.len <= PQ_STAT_STR_MAX &&
		    c->smax.len <= PQ_STAT_STR_MAX) {
			thrift_enc__field_bin(rg, 5, c->smax.p, c->smax.len);
			thrift_enc__field_bin(rg, 6, c->smin.p, c->smin.len);
		}
	} else if (c->has_minmax) {
		uint8_t mn[8], mx[8];
		size_t len = pq_type_width(c->type);

		if (c->type == PQ_DOUBLE) {
			/* a zero min is written -0.0 and a zero max +0.0 */
			double a = c->dmin == 0.0 ? -0.0 : c->dmin;
			double b = c->dmax == 0.0 ? 0.0 : c->dmax;

			memcpy(mn, &a, 8);
			memcpy(mx, &b, 8);
		} else if (len == 8) {
			memcpy(mn, &c->imin, 8);
			memcpy(mx, &c->imax, 8);
		} else if (len == 4) {
			int32_t a = (int32_t)c->imin, b = (int32_t)c->imax;

			memcpy(mn, &a, 4);
			memcpy(mx, &b, 4);
		} else {
			mn[0] = (uint8_t)c->imin;
			mx[0] = (uint8_t)c->imax;
		}
		thrift_enc__field_bin(rg, 5, mx, len);
		thrift_enc__field_bin(rg, 6, mn, len);
	}
	thrift_enc__struct_end(rg);
	thrift_enc__struct_end(rg);
	thrift_enc__struct_end(rg);
	*rg_unc += unc;
	*rg_comp += comp;
	return rg->err ? rg->err : w->out.err;
}

void pq_chunk__reset(struct pq_col *c)
{
	struct pq_dict *d = &c->dict;

	assert(!c->defs.len);
	c->page_start = 0;
	c->chunk.len = 0;
	c->chunk_unc = 0;
	c->nvals = 0;
	c->encs = 0;
	c->has_minmax = false;
	c->smin.len = c->smax.len = 0;
	c->smin.err = c->smax.err = 0;
	c->plain = false;
	/* Each chunk has its own dictionary. */
	if (d->n) {
		memset(d->slots, 0, d->cap * sizeof(*d->slots));
		d->n = 0;
	}
	d->ents.len = 0;
	d->last = 0;
}

void pq_chunk__free(struct pq_col *c)
{
	pq_buf__free(&c->defs);
	pq_buf__free(&c->vals);
	pq_buf__free(&c->chunk);
	pq_buf__free(&c->smin);
	pq_buf__free(&c->smax);
	pq_buf__free(&c->dict.ents);
	free(c->dict.slots);
	free(c->dict.off);
	free(c->dict.used);
	memset(&c->dict, 0, sizeof(c->dict));
}
