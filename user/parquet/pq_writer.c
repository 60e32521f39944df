// SPDX-License-Identifier: MIT
/*
 * Parquet writer for flat tables: rows are buffered column-wise, and each
 * flush appends one row group plus a complete footer (see pq_writer.h and
 * README.md for why).
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pq_encode.h"
#include "pq_format.h"
#include "pq_writer.h"
#include "pq_writer_int.h"
#include "thrift.h"

#define PQ_DEFAULT_PAGE_BYTES	(1u << 20)
#define PQ_DEFAULT_GZIP_LEVEL	6

static int resolve_encoding(enum pq_type t, enum pq_encoding e)
{
	switch (e) {
	case PQ_ENC_DEFAULT:
		return t == PQ_STRING ? PQ_ENC_DICT : PQ_ENC_PLAIN;
	case PQ_ENC_PLAIN:
		return e;
	case PQ_ENC_DICT:
		return t == PQ_STRING ? (int)e : -EINVAL;
	case PQ_ENC_DELTA:
		return (t == PQ_INT32 || t == PQ_INT64 ||
			t == PQ_TIMESTAMP_NS) ? (int)e : -EINVAL;
	case PQ_ENC_BYTE_STREAM_SPLIT:
		return t == PQ_DOUBLE ? (int)e : -EINVAL;
	}
	return -EINVAL;
}

struct pq_writer *pq_writer__new(const char *path, const struct pq_column *cols,
				 int ncols, const struct pq_writer_opts *opts)
{
	struct pq_writer *w = NULL;
	int err = -EINVAL, enc;

	if (!path || !cols || ncols <= 0 || ncols > 4096 || !opts ||
	    opts->sz < sizeof(*opts) || !opts->created_by ||
	    opts->gzip_level < -1 || opts->gzip_level > 9 ||
	    opts->max_dead_pct < 0)
		goto cleanup;
	err = -ENOMEM;
	w = calloc(1, sizeof(*w));
	if (!w)
		goto cleanup;
	w->fd = -1;
	w->ncols = ncols;
	w->codec = opts->gzip_level < 0 ? CODEC_UNCOMPRESSED : CODEC_GZIP;
	w->gzip_level = opts->gzip_level ? opts->gzip_level
					 : PQ_DEFAULT_GZIP_LEVEL;
	w->page_bytes = opts->page_bytes ? opts->page_bytes
					 : PQ_DEFAULT_PAGE_BYTES;
	w->max_dead_pct = opts->max_dead_pct;
	thrift_enc__init(&w->te);
	w->path = strdup(path);
	w->created_by = strdup(opts->created_by);
	w->cols = calloc((size_t)ncols, sizeof(*w->cols));
	w->nullable = calloc((size_t)ncols, sizeof(*w->nullable));
	if (!w->path || !w->created_by || !w->cols || !w->nullable)
		goto cleanup;
	for (int i = 0; i < ncols; i++) {
		err = -EINVAL;
		if (!cols[i].name || !cols[i].name[0] ||
		    (unsigned)cols[i].type > PQ_TIMESTAMP_NS)
			goto cleanup;
		for (int j = 0; j < i; j++)
			if (!strcmp(cols[i].name, cols[j].name))
				goto cleanup;
		enc = resolve_encoding(cols[i].type, cols[i].encoding);
		if (enc < 0)
			goto cleanup;
		err = -ENOMEM;
		w->cols[i].name = strdup(cols[i].name);
		if (!w->cols[i].name)
			goto cleanup;
		w->cols[i].type = cols[i].type;
		w->cols[i].nullable = cols[i].nullable;
		w->nreq += !cols[i].nullable;
		if (cols[i].nullable)
			w->nullable[w->nnullable++] = i;
		w->cols[i].enc = (enum pq_encoding)enc;
	}
	if (w->codec == CODEC_GZIP) {
		err = -ENOMEM;
		if (deflateInit2(&w->zs, w->gzip_level, Z_DEFLATED, 15 + 16, 8,
				 Z_DEFAULT_STRATEGY) != Z_OK)
			goto cleanup;
		w->zinit = true;
	}
	err = 0;
cleanup:
	if (err) {
		if (w) {
			w->fd = -1;
			pq_writer__close(w);	/* frees; no file yet */
		}
		errno = -err;
		return NULL;
	}
	return w;
}

/* Common checks for a setter; returns the column or NULL (*err set). */
static struct pq_col *col_for_set(struct pq_writer *w, int col, int *err)
{
	struct pq_col *c;

	*err = -EINVAL;
	if (!w || col < 0 || col >= w->ncols)
		return NULL;
	c = &w->cols[col];
	if (c->set)
		return NULL;
	*err = 0;
	return c;
}

/* ok_type: col is a column of a type that takes n bytes of v.  Inlined,
 * so that the copy is one move of a known size. */
static inline __attribute__((always_inline)) int set_fixed(struct pq_writer *w, int col, const void *v, size_t n,
		     bool ok_type)
{
	struct pq_col *c;
	int err;

	if (!ok_type)
		return -EINVAL;
	c = &w->cols[col];
	if (c->set)
		return -EINVAL;
	if (c->vals.cap - c->vals.len < n && pq_buf__reserve(&c->vals, n)) {
		err = c->vals.err;
		c->vals.err = 0;	/* a later row may succeed */
		return err;
	}
	c->row_mark = c->vals.len;
	memcpy(c->vals.p + c->vals.len, v, n);
	c->vals.len += n;
	c->set = true;
	w->row_req += !c->nullable;
	return 0;
}

static bool col_is(struct pq_writer *w, int col, enum pq_type t)
{
	return w && col >= 0 && col < w->ncols && w->cols[col].type == t;
}

int pq_writer__set_i64(struct pq_writer *w, int col, int64_t v)
{
	int32_t v32;

	if (col_is(w, col, PQ_INT32)) {
		if (v < INT32_MIN || v > INT32_MAX)
			return -ERANGE;
		v32 = (int32_t)v;
		return set_fixed(w, col, &v32, 4, true);
	}
	return set_fixed(w, col, &v, 8, col_is(w, col, PQ_INT64) ||
			 col_is(w, col, PQ_TIMESTAMP_NS));
}

int pq_writer__set_i32(struct pq_writer *w, int col, int32_t v)
{
	if (col_is(w, col, PQ_INT32))
		return set_fixed(w, col, &v, 4, true);
	return pq_writer__set_i64(w, col, v);
}

int pq_writer__set_double(struct pq_writer *w, int col, double v)
{
	return set_fixed(w, col, &v, 8, col_is(w, col, PQ_DOUBLE));
}

int pq_writer__set_bool(struct pq_writer *w, int col, bool v)
{
	uint8_t b = v;

	return set_fixed(w, col, &b, 1, col_is(w, col, PQ_BOOL));
}

int pq_writer__set_str(struct pq_writer *w, int col, const char *s, size_t len)
{
	struct pq_col *c;
	uint32_t idx;
	int err;

	if (!col_is(w, col, PQ_STRING) || (!s && len))
		return -EINVAL;
	if (len > INT32_MAX)
		return -E2BIG;
	c = col_for_set(w, col, &err);
	if (!c)
		return err;
	if (c->enc == PQ_ENC_DICT && !c->plain) {
		err = pq_chunk__dict_add(c, s, (uint32_t)len, &idx);
		if (err < 0)
			return err;
		if (!err)
			return set_fixed(w, col, &idx, 4, true);
		/* Dictionary full: the pages so far keep it, the rest of the
		 * chunk is PLAIN (the next chunk tries again). */
		err = pq_chunk__page(w, c);
		if (err)
			return err;
		c->plain = true;
	}
	c->row_mark = c->vals.len;
	pq_buf__u32le(&c->vals, (uint32_t)len);
	pq_buf__put(&c->vals, s, len);
	if (c->vals.err) {
		err = c->vals.err;
		c->vals.err = 0;
		c->vals.len = c->row_mark;
		return err;
	}
	c->set = true;
	w->row_req += !c->nullable;
	return 0;
}

int pq_writer__end_row(struct pq_writer *w)
{
	struct pq_col *c;
	int err = 0;

	if (!w)
		return -EINVAL;
	if (w->row_req != w->nreq)
		err = -EINVAL;	/* a required column was not set */
	for (int i = 0; i < w->nnullable && !err; i++) {
		c = &w->cols[w->nullable[i]];
		/* reserve now so the commit loop below cannot fail */
		if (c->defs.len == c->defs.cap && pq_buf__reserve(&c->defs, 1)) {
			c->defs.err = 0;
			err = -ENOMEM;
		}
	}
	w->row_req = 0;
	for (int i = 0; i < w->ncols; i++) {
		c = &w->cols[i];
		if (err) {
			if (c->set)
				c->vals.len = c->row_mark;	/* roll back */
			c->set = false;
			continue;
		}
		if (c->nullable)
			c->defs.p[c->defs.len++] = c->set;
		c->page_nvals += c->set;
		c->set = false;
	}
	if (err)
		return err;
	/* Every 64 rows, full pages are encoded: a page is "about"
	 * page_bytes.  One that fails (ENOMEM) stays raw and is tried
	 * again. */
	if (!(++w->nrows & 63))
		for (int i = 0; i < w->ncols; i++) {
			c = &w->cols[i];
			if (c->vals.len + c->defs.len >= w->page_bytes ||
			    w->nrows - c->page_start >= PQ_PAGE_ROWS_MAX)
				pq_chunk__page(w, c);
		}
	return 0;
}

size_t pq_writer__pending_rows(const struct pq_writer *w)
{
	return w ? w->nrows : 0;
}

size_t pq_writer__pending_bytes(const struct pq_writer *w)
{
	size_t n = 0;

	if (!w)
		return 0;
	for (int i = 0; i < w->ncols; i++) {
		const struct pq_col *c = &w->cols[i];

		n += c->defs.len + c->vals.len + c->chunk.len + c->dict.ents.len;
	}
	return n;
}

uint64_t pq_writer__file_bytes(const struct pq_writer *w)
{
	return w ? w->file_bytes : 0;
}

uint64_t pq_writer__rows_written(const struct pq_writer *w)
{
	return w ? w->rows_written : 0;
}

uint64_t pq_writer__dead_bytes(const struct pq_writer *w)
{
	return w ? w->dead_bytes : 0;
}

int pq_writer__row_groups(const struct pq_writer *w)
{
	return w ? w->nrg : 0;
}

int pq_writer__compactions(const struct pq_writer *w)
{
	return w ? w->compactions : 0;
}

/* Encodes the FileMetaData for every row group so far plus `rg` (when not
 * NULL). */
static void encode_footer(struct pq_writer *w, struct thrift_enc *e,
			  const struct pq_buf *rg, uint64_t nrows)
{
	thrift_enc__struct_begin(e);
	thrift_enc__field_i32(e, 1, 2);		/* version */
	thrift_enc__field_list(e, 2, THRIFT_STRUCT, (uint32_t)w->ncols + 1);
	thrift_enc__struct_begin(e);		/* root */
	thrift_enc__field_str(e, 4, "schema");
	thrift_enc__field_i32(e, 5, w->ncols);
	thrift_enc__struct_end(e);
	for (int i = 0; i < w->ncols; i++) {
		struct pq_col *c = &w->cols[i];

		thrift_enc__struct_begin(e);
		thrift_enc__field_i32(e, 1, pq_physical_type(c->type));
		thrift_enc__field_i32(e, 3, c->nullable ? REP_OPTIONAL
							: REP_REQUIRED);
		thrift_enc__field_str(e, 4, c->name);
		if (c->type == PQ_STRING)
			thrift_enc__field_i32(e, 6, CT_UTF8);
		if (c->type == PQ_STRING || c->type == PQ_TIMESTAMP_NS) {
			thrift_enc__field_struct(e, 10);	/* LogicalType */
			if (c->type == PQ_STRING) {
				thrift_enc__field_struct(e, 1);	/* STRING */
				thrift_enc__struct_end(e);
			} else {
				thrift_enc__field_struct(e, 8);	/* TIMESTAMP */
				thrift_enc__field_bool(e, 1, true);
				thrift_enc__field_struct(e, 2);	/* unit */
				thrift_enc__field_struct(e, 3);	/* NANOS */
				thrift_enc__struct_end(e);
				thrift_enc__struct_end(e);
				thrift_enc__struct_end(e);
			}
			thrift_enc__struct_end(e);
		}
		thrift_enc__struct_end(e);
	}
	thrift_enc__field_i64(e, 3, (int64_t)nrows);
	thrift_enc__field_list(e, 4, THRIFT_STRUCT, (uint32_t)w->nrg + !!rg);
	thrift_enc__raw(e, w->rgs.p, w->rgs.len);
	if (rg)
		thrift_enc__raw(e, rg->p, rg->len);
	thrift_enc__field_str(e, 6, w->created_by);
	thrift_enc__field_list(e, 7, THRIFT_STRUCT, (uint32_t)w->ncols);
	for (int i = 0; i < w->ncols; i++) {
		thrift_enc__struct_begin(e);		/* ColumnOrder */
		thrift_enc__field_struct(e, 1);		/* TYPE_ORDER */
		thrift_enc__struct_end(e);
		thrift_enc__struct_end(e);
	}
	thrift_enc__struct_end(e);
}

static int write_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
	ssize_t k;

	while (n) {
		k = pwrite(fd, p, n, (off_t)off);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			return -EIO;
		p += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

/* The file's pieces in order: the magic (first flush), then per column its
 * dictionary page (in w->out) and its data pages, then the footer (in
 * w->out).  Offsets into w->out, as it may move while it grows. */
static int write_row_group(struct pq_writer *w, uint64_t base, size_t magic,
			   const size_t *dict_at, const size_t *dict_len,
			   size_t footer_at)
{
	uint64_t off = base;
	int err;

	if ((err = write_all(w->fd, w->out.p, magic, off)))
		return err;
	off += magic;
	for (int i = 0; i < w->ncols; i++) {
		const struct pq_buf *ch = &w->cols[i].chunk;

		if ((err = write_all(w->fd, w->out.p + dict_at[i], dict_len[i], off)))
			return err;
		off += dict_len[i];
		if ((err = write_all(w->fd, ch->p, ch->len, off)))
			return err;
		off += ch->len;
	}
	return write_all(w->fd, w->out.p + footer_at, w->out.len - footer_at, off);
}

int pq_writer__flush_rows(struct pq_writer *w, bool footer)
{
	struct thrift_enc rg, fm;
	struct pq_buf rgb = { 0 };
	uint64_t base, pos, unc = 0, comp = 0;
	size_t magic, footer_at, *dict_at = NULL, *dict_len = NULL;
	bool created = false;
	int err = 0;

	if (!w)
		return -EINVAL;
	if (!w->nrows)
		return 0;
	for (int i = 0; i < w->ncols; i++)
		if (w->cols[i].set)
			return -EBUSY;	/* a row is in progress */
	thrift_enc__init(&rg);
	thrift_enc__init(&fm);
	dict_at = calloc((size_t)w->ncols, sizeof(*dict_at));
	dict_len = calloc((size_t)w->ncols, sizeof(*dict_len));
	if (!dict_at || !dict_len) {
		err = -ENOMEM;
		goto cleanup;
	}
	base = w->file_bytes;
	w->out.len = 0;
	w->out.err = 0;
	if (base == 0)
		pq_buf__put(&w->out, PQ_MAGIC, 4);
	magic = w->out.len;
	pos = base + magic;

	thrift_enc__struct_begin(&rg);
	thrift_enc__field_list(&rg, 1, THRIFT_STRUCT, (uint32_t)w->ncols);
	for (int i = 0; i < w->ncols; i++) {
		dict_at[i] = w->out.len;
		err = pq_chunk__finish(w, &w->cols[i], pos, &rg, &unc, &comp,
				       &dict_len[i]);
		if (err)
			goto cleanup;
		pos += dict_len[i] + w->cols[i].chunk.len;
	}
	thrift_enc__field_i64(&rg, 2, (int64_t)unc);
	thrift_enc__field_i64(&rg, 3, (int64_t)w->nrows);
	thrift_enc__field_i64(&rg, 5, (int64_t)(base + magic));
	thrift_enc__field_i64(&rg, 6, (int64_t)comp);
	thrift_enc__field_i16(&rg, 7, (int16_t)w->nrg);
	thrift_enc__struct_end(&rg);
	err = rg.err;
	if (err)
		goto cleanup;
	rgb.p = rg.buf;
	rgb.len = rg.len;
	footer_at = w->out.len;
	if (footer) {
		encode_footer(w, &fm, &rgb, w->rows_written + w->nrows);
		err = fm.err ? fm.err : w->out.err;
		if (err)
			goto cleanup;
		if (fm.len > UINT32_MAX) {
			err = -E2BIG;
			goto cleanup;
		}
		pq_buf__put(&w->out, fm.buf, fm.len);
		pq_buf__u32le(&w->out, (uint32_t)fm.len);
		pq_buf__put(&w->out, PQ_MAGIC, 4);
	}
	/* keep the row group for later footers before touching the disk */
	pq_buf__reserve(&w->rgs, rg.len);
	err = w->out.err ? w->out.err : w->rgs.err;
	if (err)
		goto cleanup;

	if (w->fd < 0) {
		w->fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			     0644);
		if (w->fd < 0) {
			err = -errno;
			goto cleanup;
		}
		created = true;
	}
	err = write_row_group(w, base, magic, dict_at, dict_len, footer_at);
	if (err) {
		/* Restore the previous valid state; best effort.  The pages
		 * stay encoded for the retry. */
		if (ftruncate(w->fd, (off_t)base) < 0) {
			/* nothing more we can do; err already says why */
		}
		if (created) {
			/* a 0-byte file is not Parquet: remove it */
			close(w->fd);
			w->fd = -1;
			unlink(w->path);
		}
		goto cleanup;
	}
	pq_buf__put(&w->rgs, rg.buf, rg.len);	/* reserved: cannot fail */
	assert(!w->rgs.err);
	w->nrg++;
	w->file_bytes = pos + (w->out.len - footer_at);
	/* The footer that ended the file is now in the middle of it. */
	w->dead_bytes += w->footer_bytes;
	w->footer_bytes = w->out.len - footer_at;
	if (w->nrows > w->tail_max_rows)
		w->tail_max_rows = w->nrows;
	w->rows_written += w->nrows;
	w->nrows = 0;
	for (int i = 0; i < w->ncols; i++)
		pq_chunk__reset(&w->cols[i]);
cleanup:
	w->out.err = 0;
	w->rgs.err = 0;
	free(dict_at);
	free(dict_len);
	thrift_enc__free(&rg);
	thrift_enc__free(&fm);
	return err;
}

/* Compacts when the dead bytes pass max_dead_pct of the live ones and the
 * tail can be re-encoded; a compaction that fails is tried again once the
 * dead bytes have doubled. */
static void maybe_compact(struct pq_writer *w)
{
	uint64_t live = w->file_bytes - w->dead_bytes;

	if (!w->max_dead_pct || w->dead_bytes < w->compact_after ||
	    w->dead_bytes * 100 <= live * (uint64_t)w->max_dead_pct ||
	    w->tail_max_rows > PQ_SEAL_ROWS)
		return;
	if (pq_compact__run(w))
		w->compact_after = w->dead_bytes * 2;
	else
		w->compact_after = 0;
}

int pq_writer__flush(struct pq_writer *w)
{
	int err;

	if (!w)
		return -EINVAL;
	if (!w->nrows)
		return 0;
	err = pq_writer__flush_rows(w, true);
	if (!err)
		maybe_compact(w);
	return err;
}

void pq_writer__discard(struct pq_writer *w)
{
	if (!w)
		return;
	w->nrows = 0;
	for (int i = 0; i < w->ncols; i++) {
		struct pq_col *c = &w->cols[i];

		c->defs.len = 0;
		c->vals.len = 0;
		c->page_nvals = 0;
		c->set = false;
		pq_chunk__reset(c);
	}
	w->row_req = 0;
}

int pq_writer__footer(struct pq_writer *w, void **buf, size_t *len)
{
	struct thrift_enc e;

	*buf = NULL;
	*len = 0;
	if (!w)
		return -EINVAL;
	thrift_enc__init(&e);
	encode_footer(w, &e, NULL, w->rows_written);
	if (e.err) {
		int err = e.err;

		thrift_enc__free(&e);
		return err;
	}
	*buf = e.buf;
	*len = e.len;
	return 0;
}

int pq_writer__close(struct pq_writer *w)
{
	int err = 0;

	if (!w)
		return 0;
	for (int i = 0; i < w->ncols; i++)	/* a row in progress is dropped */
		if (w->cols[i].set) {
			w->cols[i].vals.len = w->cols[i].row_mark;
			w->cols[i].set = false;
		}
	w->row_req = 0;
	if (w->nrows)
		err = pq_writer__flush(w);
	if (w->fd >= 0) {
		if (fsync(w->fd) < 0 && !err)
			err = -errno;
		if (close(w->fd) < 0 && !err)
			err = -errno;
	}
	if (w->zinit)
		deflateEnd(&w->zs);
	for (int i = 0; w->cols && i < w->ncols; i++) {
		free(w->cols[i].name);
		pq_chunk__free(&w->cols[i]);
	}
	free(w->cols);
	free(w->nullable);
	pq_buf__free(&w->rgs);
	pq_buf__free(&w->out);
	pq_buf__free(&w->page);
	pq_buf__free(&w->zpage);
	pq_buf__free(&w->u32);
	pq_buf__free(&w->wide);
	thrift_enc__free(&w->te);
	free(w->path);
	free(w->created_by);
	free(w);
	return err;
}
