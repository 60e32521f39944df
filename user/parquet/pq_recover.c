// SPDX-License-Identifier: MIT
/*
 * pq_recover.c - repair a Parquet file whose last append was torn (see
 * pq_recover.h).  The reader validates every candidate: a state is kept
 * only when pq_reader opens it and decodes each of its row groups.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "pq_format.h"
#include "pq_reader.h"
#include "pq_reader_int.h"
#include "pq_recover.h"
#include "pq_writer_int.h"
#include "thrift.h"

#define ERR(...) pq_rd__err(err, errlen, __VA_ARGS__)

/* Bounds for a hostile tail: pages walked, and column splits tried. */
#define MAX_PAGES	(1u << 20)
#define MAX_SPLITS	256

struct page {
	uint64_t off, end;	/* header start, end of the page body */
	int type, nv, enc, def_enc;
	uint32_t hdr, unc, comp;
	bool gzip;		/* body starts with the gzip magic */
};

const char *pq_recover__action_name(enum pq_recover_action a)
{
	switch (a) {
	case PQ_RECOVER_INTACT: return "intact";
	case PQ_RECOVER_TRUNCATED: return "truncated";
	case PQ_RECOVER_REBUILT: return "rebuilt";
	case PQ_RECOVER_EMPTY: return "emptied";
	}
	return "?";
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Decodes every column of row groups [from, nrg) of r. */
static int decode_all(struct pq_reader *r, int from, char *err, size_t errlen)
{
	struct pq_values v;
	char why[256];

	for (int g = from; g < pq_reader__nrowgroups(r); g++)
		for (int c = 0; c < pq_reader__ncols(r); c++)
			if (pq_reader__read(r, g, c, &v, why, sizeof(why))) {
				ERR("row group %d does not decode: %s", g, why);
				return -EBADMSG;
			}
	return 0;
}

/* "<footer><len>PAR1" appended to nothing: the tail bytes for a footer. */
static uint8_t *footer_tail(const uint8_t *f, size_t flen, bool magic_first,
			    size_t *out_len)
{
	size_t n = flen + 8 + (magic_first ? 4 : 0);
	uint8_t *t = malloc(n), *p = t;

	if (!t)
		return NULL;
	if (magic_first) {
		memcpy(p, PQ_MAGIC, 4);
		p += 4;
	}
	memcpy(p, f, flen);
	put_le32(p + flen, (uint32_t)flen);
	memcpy(p + flen + 4, PQ_MAGIC, 4);
	*out_len = n;
	return t;
}

/* The FileMetaData of a schema with no row groups, for a file whose every
 * footer was lost. */
static int schema_footer(const struct pq_recover_opts *o, void **f, size_t *flen)
{
	struct pq_writer_opts wo = {
		.sz = sizeof(wo),
		.created_by = o->created_by ? o->created_by : "mlprobe recover",
	};
	struct pq_writer *w = pq_writer__new("(recover)", o->cols, o->ncols, &wo);
	int ret;

	if (!w)
		return -errno;
	ret = pq_writer__footer(w, f, flen);
	pq_writer__close(w);	/* no rows: creates nothing */
	return ret;
}

/* Page headers from off on, while they parse and their bodies are whole. */
static int walk_pages(const uint8_t *buf, size_t len, uint64_t off,
		      struct page **out, size_t *np)
{
	struct page *p = NULL;
	size_t n = 0, cap = 0;
	struct pq_page_hdr h;

	while (off < len && n < MAX_PAGES) {
		if (pq_meta__page_header(buf + off, len - off, &h) ||
		    h.unc < 0 || h.comp < 0 || h.num_values < 0 ||
		    (uint64_t)h.comp > len - off - h.hdr_len ||
		    (h.type != PAGE_DATA && h.type != PAGE_DICTIONARY &&
		     h.type != PAGE_DATA_V2))
			break;
		if (n == cap) {
			struct page *np2;

			cap = cap ? cap * 2 : 64;
			np2 = realloc(p, cap * sizeof(*p));
			if (!np2) {
				free(p);
				return -ENOMEM;
			}
			p = np2;
		}
		p[n] = (struct page){
			.off = off,
			.end = off + h.hdr_len + (uint64_t)h.comp,
			.type = h.type,
			.nv = h.num_values,
			.enc = h.encoding,
			.def_enc = h.def_encoding,
			.hdr = (uint32_t)h.hdr_len,
			.unc = (uint32_t)h.unc,
			.comp = (uint32_t)h.comp,
		};
		p[n].gzip = h.comp >= 2 && buf[off + h.hdr_len] == 0x1f &&
			    buf[off + h.hdr_len + 1] == 0x8b;
		off = p[n].end;
		n++;
	}
	*out = p;
	*np = n;
	return 0;
}

/*
 * Splits pages into ncols column chunks of nrows values each, where column
 * 0 ends after page j0 - 1.  A chunk is an optional dictionary page, then
 * data pages.  starts[c] is the first page of column c; starts[ncols] the
 * page after the row group.  Returns the row count, or 0 if no split.
 */
static int64_t split(const struct page *p, size_t np, size_t j0, int ncols,
		     size_t *starts)
{
	int64_t n = 0, sum;
	size_t i = 0;

	for (int c = 0; c < ncols; c++) {
		starts[c] = i;
		if (i < np && p[i].type == PAGE_DICTIONARY)
			i++;
		sum = 0;
		while (i < np && p[i].type != PAGE_DICTIONARY &&
		       (c ? sum < n : i < j0)) {
			sum += p[i].nv;
			i++;
		}
		if (c == 0)
			n = sum;
		if (sum <= 0 || sum != n || (c == 0 && i != j0))
			return 0;
	}
	starts[ncols] = i;
	return n;
}

/* The RowGroup struct for pages split by starts[], rows n. */
static int encode_rg(struct thrift_enc *e, const struct pq_reader *r,
		     const struct page *p, const size_t *starts, int64_t n,
		     int ordinal)
{
	int ncols = r->ncols;
	uint64_t tot_unc = 0, tot_comp = 0;

	thrift_enc__struct_begin(e);
	thrift_enc__field_list(e, 1, THRIFT_STRUCT, (uint32_t)ncols);
	for (int c = 0; c < ncols; c++) {
		const struct rd_col *col = &r->cols[c];
		bool used[ENC_MAX + 1] = { false };
		uint64_t unc = 0, comp = 0, data_off = 0, dict_off = 0;
		uint32_t nenc = 0;
		int codec;

		for (size_t i = starts[c]; i < starts[c + 1]; i++) {
			unc += p[i].hdr + (uint64_t)p[i].unc;
			comp += p[i].hdr + (uint64_t)p[i].comp;
			if (p[i].type == PAGE_DICTIONARY)
				dict_off = p[i].off;
			else if (!data_off)
				data_off = p[i].off;
			if (p[i].enc >= 0 && p[i].enc <= ENC_MAX)
				used[p[i].enc] = true;
			if (col->pub.nullable && p[i].type == PAGE_DATA &&
			    p[i].def_enc >= 0 && p[i].def_enc <= ENC_MAX)
				used[p[i].def_enc] = true;
		}
		/* The codec of the column's earlier chunks; with none, what the
		 * bytes say (gzip members start with 1f 8b). */
		if (r->nrg > 0)
			codec = r->rgs[0].chunks[c].codec;
		else
			codec = p[starts[c]].gzip ? CODEC_GZIP : CODEC_UNCOMPRESSED;
		thrift_enc__struct_begin(e);		/* ColumnChunk */
		thrift_enc__field_i64(e, 2, (int64_t)p[starts[c]].off);
		thrift_enc__field_struct(e, 3);		/* ColumnMetaData */
		thrift_enc__field_i32(e, 1, col->ptype);
		for (int k = 0; k <= ENC_MAX; k++)
			nenc += used[k];
		thrift_enc__field_list(e, 2, THRIFT_I32, nenc);
		for (int k = 0; k <= ENC_MAX; k++)
			if (used[k])
				thrift_enc__i32(e, k);
		thrift_enc__field_list(e, 3, THRIFT_BINARY, 1);
		thrift_enc__bin(e, col->name, strlen(col->name));
		thrift_enc__field_i32(e, 4, codec);
		thrift_enc__field_i64(e, 5, n);
		thrift_enc__field_i64(e, 6, (int64_t)unc);
		thrift_enc__field_i64(e, 7, (int64_t)comp);
		thrift_enc__field_i64(e, 9, (int64_t)data_off);
		if (dict_off)
			thrift_enc__field_i64(e, 11, (int64_t)dict_off);
		/* No statistics: they are optional, and we would have to
		 * decode to compute them. */
		thrift_enc__struct_end(e);
		thrift_enc__struct_end(e);
		tot_unc += unc;
		tot_comp += comp;
	}
	thrift_enc__field_i64(e, 2, (int64_t)tot_unc);
	thrift_enc__field_i64(e, 3, n);
	thrift_enc__field_i64(e, 5, (int64_t)p[starts[0]].off);
	thrift_enc__field_i64(e, 6, (int64_t)tot_comp);
	thrift_enc__field_i16(e, 7, (int16_t)ordinal);
	thrift_enc__struct_end(e);
	return e->err;
}

/*
 * The base footer f with one more row group (rg) and nrows rows: fields are
 * copied as they are, except num_rows (3) and row_groups (4).
 */
static int extend_footer(const uint8_t *f, size_t flen, const uint8_t *rg,
			 size_t rglen, int64_t nrows, struct thrift_enc *e)
{
	struct thrift_dec d;
	int16_t last = 0, fid;
	uint8_t t, et;
	uint32_t n;
	int ret;

	thrift_dec__init(&d, f, flen);
	thrift_dec__struct_enter(&d);
	thrift_enc__struct_begin(e);
	while ((ret = thrift_dec__field(&d, &last, &fid, &t)) > 0) {
		size_t vs = thrift_dec__pos(&d), es;

		if (fid == 3) {
			thrift_dec__skip(&d, t);
			thrift_enc__field_i64(e, 3, nrows);
		} else if (fid == 4 && t == THRIFT_LIST) {
			if (thrift_dec__list(&d, &et, &n) || et != THRIFT_STRUCT)
				return -EINVAL;
			es = thrift_dec__pos(&d);
			for (uint32_t i = 0; i < n && !d.err; i++)
				thrift_dec__skip(&d, THRIFT_STRUCT);
			thrift_enc__field_list(e, 4, THRIFT_STRUCT, n + 1);
			thrift_enc__raw(e, f + es, thrift_dec__pos(&d) - es);
			thrift_enc__raw(e, rg, rglen);
		} else {
			thrift_dec__skip(&d, t);
			thrift_enc__field_begin(e, fid, t);
			thrift_enc__raw(e, f + vs, thrift_dec__pos(&d) - vs);
		}
		if (d.err)
			return d.err;
	}
	thrift_dec__struct_leave(&d);
	thrift_enc__struct_end(e);
	if (ret < 0 || d.err)
		return -EINVAL;
	return e->err;
}

/*
 * Tries to keep the row group whose pages start at data_off, after the
 * valid state described by base (footer f).  On success fills plan.
 * Returns 0 (plan filled), 1 (no complete row group), or -errno.
 */
static int try_rebuild(const uint8_t *buf, size_t len, uint64_t data_off,
		       struct pq_reader *base, const uint8_t *f, size_t flen,
		       struct pq_recover_plan *plan)
{
	struct page *p = NULL;
	size_t np = 0, *starts = NULL, tries = 0;
	uint8_t *work = NULL;
	size_t work_cap = 0;
	int ncols = base->ncols, ret;

	ret = walk_pages(buf, len, data_off, &p, &np);
	if (ret)
		return ret;
	ret = 1;
	if (np < (size_t)ncols)
		goto cleanup;
	starts = calloc((size_t)ncols + 1, sizeof(*starts));
	if (!starts) {
		ret = -ENOMEM;
		goto cleanup;
	}
	for (size_t j0 = 1; j0 <= np && tries < MAX_SPLITS; j0++) {
		struct thrift_enc rg, fm;
		struct pq_reader *r;
		uint64_t rg_end;
		size_t tlen, need;
		uint8_t *tail;
		int64_t n = split(p, np, j0, ncols, starts);
		int ok;

		if (!n)
			continue;
		tries++;
		rg_end = p[starts[ncols] - 1].end;
		thrift_enc__init(&rg);
		thrift_enc__init(&fm);
		ret = encode_rg(&rg, base, p, starts, n, base->nrg);
		if (!ret)
			ret = extend_footer(f, flen, rg.buf, rg.len,
					    base->nrows + n, &fm);
		thrift_enc__free(&rg);
		tail = ret ? NULL : footer_tail(fm.buf, fm.len, false, &tlen);
		thrift_enc__free(&fm);
		if (ret == -EINVAL) {
			ret = 1;
			continue;
		}
		if (!ret && !tail)
			ret = -ENOMEM;
		if (ret)
			goto cleanup;
		/* The candidate image: the bytes up to the row group, then
		 * the new footer.  Kept only if the reader decodes it. */
		need = (size_t)rg_end + tlen;
		if (need > work_cap) {
			uint8_t *nw = realloc(work, need);

			if (!nw) {
				free(tail);
				ret = -ENOMEM;
				goto cleanup;
			}
			if (!work)
				memcpy(nw, buf, (size_t)data_off);
			work = nw;
			work_cap = need;
		}
		memcpy(work + data_off, buf + data_off, (size_t)(rg_end - data_off));
		memcpy(work + rg_end, tail, tlen);
		r = pq_reader__open_mem(work, need, NULL, 0);
		ok = r && pq_reader__nrowgroups(r) == base->nrg + 1 &&
		     !decode_all(r, base->nrg, NULL, 0);
		pq_reader__close(r);
		if (!ok) {
			free(tail);
			ret = 1;
			continue;
		}
		plan->keep = rg_end;
		plan->tail = tail;
		plan->tail_len = tlen;
		plan->res.action = PQ_RECOVER_REBUILT;
		plan->res.rows = base->nrows + n;
		plan->res.row_groups = base->nrg + 1;
		plan->res.rows_rebuilt = n;
		ret = 0;
		goto cleanup;
	}
	ret = 1;
cleanup:
	free(p);
	free(starts);
	free(work);
	return ret;
}

/* The largest e <= len, e >= 12, where buf[e - 4, e) is the magic; 0 if
 * none.  memrchr finds the candidates: a footer search that compared four
 * bytes at every offset was most of what a fuzzer's input cost. */
static uint64_t magic_end(const uint8_t *buf, uint64_t len)
{
	const uint8_t *p;

	while (len >= 12 && (p = memrchr(buf + 3, PQ_MAGIC[3], len - 3))) {
		len = (uint64_t)(p - buf) + 1;
		if (len < 12)
			return 0;
		if (!memcmp(p - 3, PQ_MAGIC, 4))
			return len;
		len--;
	}
	return 0;
}

int pq_recover__plan(const uint8_t *buf, size_t len,
		     const struct pq_recover_opts *o, struct pq_recover_plan *plan,
		     char *err, size_t errlen)
{
	struct pq_reader *r = NULL;
	uint8_t *schema_img = NULL;
	void *sf = NULL;
	size_t sflen = 0, imglen;
	const uint8_t *f;
	size_t flen;
	uint64_t valid = 0;
	int ret;

	memset(plan, 0, sizeof(*plan));
	plan->res.old_bytes = len;
	if (!o || o->sz < sizeof(*o)) {
		ERR("bad options");
		return -EINVAL;
	}
	/* The last state whose footer parses and whose rows all decode. */
	for (uint64_t e = magic_end(buf, len); e; e = magic_end(buf, e - 1)) {
		char why[256];

		r = pq_reader__open_mem(buf, (size_t)e, NULL, 0);
		if (!r)
			continue;
		ret = decode_all(r, 0, why, sizeof(why));
		if (!ret) {
			valid = e;
			break;
		}
		pq_reader__close(r);
		r = NULL;
		if (e == len) {
			/* A whole file that does not decode is damage that a
			 * crash does not explain: leave it to a person. */
			ERR("%s; the file ends in a valid footer, so this is "
			    "not a torn write: left as is", why);
			return -EBADMSG;
		}
	}
	if (r && valid == len) {
		plan->keep = len;
		plan->res.action = PQ_RECOVER_INTACT;
		plan->res.rows = r->nrows;
		plan->res.row_groups = r->nrg;
		goto done;
	}
	if (r) {
		f = buf + r->data_end;
		flen = (size_t)(valid - 8 - r->data_end);
	} else {
		/* No footer survived: the caller's schema stands in. */
		if (!o->cols) {
			ERR(len >= 4 && !memcmp(buf, PQ_MAGIC, 4) ?
			    "no valid footer left and no schema to rebuild one" :
			    "not a Parquet file (bad magic)");
			return -EINVAL;
		}
		if (len >= 4 ? memcmp(buf, PQ_MAGIC, 4) != 0
			     : memcmp(buf, PQ_MAGIC, len) != 0) {
			ERR("not a Parquet file (bad magic)");
			return -EINVAL;
		}
		ret = schema_footer(o, &sf, &sflen);
		if (ret) {
			ERR("cannot build a footer for the schema: %s",
			    strerror(-ret));
			return ret;
		}
		schema_img = footer_tail(sf, sflen, true, &imglen);
		if (!schema_img) {
			free(sf);
			ERR("out of memory");
			return -ENOMEM;
		}
		r = pq_reader__open_mem(schema_img, imglen, err, errlen);
		if (!r) {
			ret = -EINVAL;
			goto cleanup;
		}
		f = sf;
		flen = sflen;
		valid = len >= 4 ? 4 : 0;
	}
	ret = valid >= 4 ? try_rebuild(buf, len, valid, r, f, flen, plan) : 1;
	if (ret < 0) {
		ERR("out of memory");
		goto cleanup;
	}
	if (ret == 1) {
		plan->res.rows = r->nrows;
		plan->res.row_groups = r->nrg;
		if (schema_img) {
			/* Nothing complete: a valid empty table. */
			plan->keep = 0;
			plan->tail = schema_img;
			plan->tail_len = imglen;
			schema_img = NULL;
			plan->res.action = PQ_RECOVER_EMPTY;
		} else {
			plan->keep = valid;
			plan->res.action = PQ_RECOVER_TRUNCATED;
		}
	}
done:
	plan->res.new_bytes = plan->keep + plan->tail_len;
	ret = 0;
cleanup:
	pq_reader__close(r);
	free(schema_img);
	free(sf);
	return ret;
}

static int pread_full(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = pread(fd, p + got, n - got, (off_t)got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return -EIO;
		got += (size_t)k;
	}
	return 0;
}

int pq_recover__file(const char *path, const struct pq_recover_opts *o,
		     struct pq_recover_result *res, char *err, size_t errlen)
{
	struct pq_recover_plan plan = { 0 };
	uint8_t *buf = NULL;
	struct stat st;
	int fd, ret;

	/* Read only until a repair is due: an intact file needs no write
	 * access (a recording of root's, read by another user). */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
		ERR("%s", strerror(errno));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		ERR("not a regular file");
		goto cleanup;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		ret = -ENOMEM;
		ERR("out of memory for %lld bytes", (long long)st.st_size);
		goto cleanup;
	}
	ret = pread_full(fd, buf, (size_t)st.st_size);
	if (ret) {
		ERR("read error: %s", strerror(-ret));
		goto cleanup;
	}
	ret = pq_recover__plan(buf, (size_t)st.st_size, o, &plan, err, errlen);
	if (ret)
		goto cleanup;
	*res = plan.res;
	if (o->dry_run || plan.res.action == PQ_RECOVER_INTACT)
		goto cleanup;
	close(fd);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		ERR("torn, and cannot be opened to repair it: %s%s",
		    strerror(errno), errno == EACCES ?
		    " (run recover as the owner of the files)" : "");
		goto cleanup;
	}
	/* Cut first, then append: every step leaves a file that this
	 * function repairs again (the kept bytes are never rewritten). */
	if (ftruncate(fd, (off_t)plan.keep)) {
		ret = -errno;
		ERR("cannot truncate: %s", strerror(errno));
		goto cleanup;
	}
	for (size_t off = 0; off < plan.tail_len;) {
		ssize_t k = pwrite(fd, plan.tail + off, plan.tail_len - off,
				   (off_t)(plan.keep + off));

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			ret = k < 0 ? -errno : -EIO;
			ERR("cannot write the new footer: %s", strerror(-ret));
			goto cleanup;
		}
		off += (size_t)k;
	}
	if (fsync(fd)) {
		ret = -errno;
		ERR("fsync: %s", strerror(errno));
	}
cleanup:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(plan.tail);
	return ret;
}
