// SPDX-License-Identifier: MIT
/*
 * Parquet reader: open + footer validation, then per (row group, column)
 * page decoding.  All input is untrusted; see pq_reader.h.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <snappy-c.h>
#include <zlib.h>

#include "pq_decode.h"
#include "pq_format.h"
#include "pq_reader_int.h"
#include "thrift.h"

#define ERR(...) pq_rd__err(err, errlen, __VA_ARGS__)

/* Grows *buf to hold n bytes, bounded by the caller. */
static int grow(void *bufp, size_t *cap, size_t n)
{
	void **buf = bufp, *nb;

	if (n <= *cap)
		return 0;
	nb = realloc(*buf, n);
	if (!nb)
		return -ENOMEM;
	*buf = nb;
	*cap = n;
	return 0;
}

static int pread_all(int fd, uint8_t *p, size_t n, uint64_t off)
{
	ssize_t k;

	while (n) {
		k = pread(fd, p, n, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return -EIO;	/* file shrank under us */
		p += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

/* Bytes [off, off + n) of the file; valid until the next call. */
static int get_bytes(struct pq_reader *r, uint64_t off, size_t n,
		     const uint8_t **p)
{
	int ret;

	assert(off <= r->size && n <= r->size - off);
	if (r->mem) {
		*p = r->mem + off;
		return 0;
	}
	ret = grow(&r->chunkbuf, &r->chunkbuf_cap, n ? n : 1);
	if (!ret)
		ret = pread_all(r->fd, r->chunkbuf, n, off);
	*p = r->chunkbuf;
	return ret;
}

static struct pq_reader *open_common(struct pq_reader *r, char *err,
				     size_t errlen)
{
	const uint8_t *tail, *footer;
	uint8_t tailbuf[8];
	uint8_t *owned = NULL;
	uint32_t flen;
	int ret = -EINVAL;

	if (r->size < 12) {
		ERR(r->size >= 4 ? "truncated file (%llu bytes)"
				 : "not a Parquet file (%llu bytes)",
		    (unsigned long long)r->size);
		goto cleanup;
	}
	if (r->mem) {
		tail = r->mem + r->size - 8;
		if (memcmp(r->mem, PQ_MAGIC, 4)) {
			ERR("not a Parquet file (bad magic)");
			goto cleanup;
		}
	} else {
		uint8_t head[4];

		ret = pread_all(r->fd, head, 4, 0);
		if (!ret)
			ret = pread_all(r->fd, tailbuf, 8, r->size - 8);
		if (ret) {
			ERR("read error: %s", strerror(-ret));
			goto cleanup;
		}
		ret = -EINVAL;
		if (memcmp(head, PQ_MAGIC, 4)) {
			ERR("not a Parquet file (bad magic)");
			goto cleanup;
		}
		tail = tailbuf;
	}
	if (memcmp(tail + 4, PQ_MAGIC, 4)) {
		ERR("truncated footer (no trailing magic; an unfinished "
		    "write?)");
		goto cleanup;
	}
	flen = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 |
	       (uint32_t)tail[2] << 16 | (uint32_t)tail[3] << 24;
	if (flen == 0 || flen > r->size - 12) {
		ERR("truncated footer (length %u in a %llu-byte file)", flen,
		    (unsigned long long)r->size);
		goto cleanup;
	}
	r->data_end = r->size - 8 - flen;
	if (r->mem) {
		footer = r->mem + r->data_end;
	} else {
		owned = malloc(flen);
		if (!owned) {
			ret = -ENOMEM;
			ERR("out of memory for a %u-byte footer", flen);
			goto cleanup;
		}
		ret = pread_all(r->fd, owned, flen, r->data_end);
		if (ret) {
			ERR("read error: %s", strerror(-ret));
			goto cleanup;
		}
		footer = owned;
	}
	/* Values and string bytes per read scale with the file. */
	r->max_values = r->size * 64 > (1u << 20) ? r->size * 64 : (1u << 20);
	if (r->max_values > (1u << 28))
		r->max_values = 1u << 28;
	r->max_out_bytes = r->size * 256 > (64u << 20) ? r->size * 256
						       : (64u << 20);
	if (r->max_out_bytes > (2ull << 30))
		r->max_out_bytes = 2ull << 30;
	ret = pq_meta__parse(r, footer, flen, r->data_end, err, errlen);
cleanup:
	free(owned);
	if (ret) {
		pq_reader__close(r);
		return NULL;
	}
	return r;
}

struct pq_reader *pq_reader__open_mem(const void *buf, size_t len, char *err,
				      size_t errlen)
{
	struct pq_reader *r;

	if (!buf && len) {
		ERR("no buffer");
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		ERR("out of memory");
		return NULL;
	}
	r->fd = -1;
	r->mem = buf ? buf : (const uint8_t *)"";
	r->size = len;
	return open_common(r, err, errlen);
}

struct pq_reader *pq_reader__open(const char *path, char *err, size_t errlen)
{
	struct pq_reader *r;
	struct stat st;

	r = calloc(1, sizeof(*r));
	if (!r) {
		ERR("out of memory");
		return NULL;
	}
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0 || fstat(r->fd, &st) < 0) {
		ERR("%s: %s", path, strerror(errno));
		pq_reader__close(r);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		ERR("%s: not a regular file", path);
		pq_reader__close(r);
		return NULL;
	}
	r->size = (uint64_t)st.st_size;
	return open_common(r, err, errlen);
}

int pq_reader__ncols(const struct pq_reader *r)
{
	return r ? r->ncols : 0;
}

const struct pq_reader_column *pq_reader__col(const struct pq_reader *r, int i)
{
	return r && i >= 0 && i < r->ncols ? &r->cols[i].pub : NULL;
}

int pq_reader__col_index(const struct pq_reader *r, const char *name)
{
	for (int i = 0; r && name && i < r->ncols; i++)
		if (!strcmp(r->cols[i].name, name))
			return i;
	return -1;
}

int64_t pq_reader__nrows(const struct pq_reader *r)
{
	return r ? r->nrows : 0;
}

int pq_reader__nrowgroups(const struct pq_reader *r)
{
	return r ? r->nrg : 0;
}

const char *pq_reader__created_by(const struct pq_reader *r)
{
	return r && r->created_by ? r->created_by : "";
}

/* ---- pages and values ---- */

struct dict {
	uint32_t n;
	int64_t *i64;
	double *f64;
	const uint8_t **sp;
	uint32_t *sl;
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Inflates gzip (or zlib) members from in into exactly outlen bytes. */
static int inflate_page(const uint8_t *in, size_t inlen, uint8_t *out,
			size_t outlen)
{
	z_stream zs;
	int zr, ret = -EINVAL;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 32) != Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)inlen;
	zs.next_out = out;
	zs.avail_out = (uInt)outlen;
	for (;;) {
		zr = inflate(&zs, Z_FINISH);
		if (zr != Z_STREAM_END)
			goto cleanup;
		if (!zs.avail_in || !zs.avail_out)
			break;
		if (inflateReset(&zs) != Z_OK)	/* next gzip member */
			goto cleanup;
	}
	ret = zs.avail_out ? -EINVAL : 0;
cleanup:
	inflateEnd(&zs);
	return ret;
}

/* A SNAPPY page (raw snappy, no framing, as Parquet writes it) that must
 * come out as exactly outlen bytes. */
static int unsnappy_page(const uint8_t *in, size_t inlen, uint8_t *out,
			 size_t outlen)
{
	size_t n;

	if (snappy_uncompressed_length((const char *)in, inlen, &n) !=
	    SNAPPY_OK || n != outlen)
		return -EINVAL;
	if (!outlen)
		return 0;
	if (snappy_uncompress((const char *)in, inlen, (char *)out, &n) !=
	    SNAPPY_OK || n != outlen)
		return -EINVAL;
	return 0;
}

/* Decompresses a page of codec (GZIP or SNAPPY) into r->pagebuf. */
static int decompress_page(struct pq_reader *r, int codec, const uint8_t *in,
			   size_t inlen, size_t outlen)
{
	int ret = grow(&r->pagebuf, &r->pagebuf_cap, outlen ? outlen : 1);

	if (ret)
		return ret;
	return codec == CODEC_GZIP ? inflate_page(in, inlen, r->pagebuf, outlen)
				   : unsnappy_page(in, inlen, r->pagebuf, outlen);
}

/* String copy into the arena; bounded by r->max_out_bytes. */
static int put_str(struct pq_reader *r, struct rd_out *o, size_t i,
		   const uint8_t *s, uint32_t n)
{
	size_t need = o->arena_len + n + 1, cap;

	if (need > r->max_out_bytes)
		return -EFBIG;
	if (need > o->arena_cap) {
		cap = o->arena_cap ? o->arena_cap : 4096;
		while (cap < need)
			cap *= 2;
		if (grow(&o->arena, &o->arena_cap, cap))
			return -ENOMEM;
	}
	memcpy(o->arena + o->arena_len, s, n);
	o->arena[o->arena_len + n] = 0;
	o->str_off[i] = o->arena_len;
	o->str_len[i] = n;
	o->arena_len = need;
	return 0;
}

/* Stores value k (of a dictionary, or a decoded int) at compact slot i. */
static int put_dict(struct pq_reader *r, const struct rd_col *c,
		    struct rd_out *o, size_t i, const struct dict *dc,
		    uint32_t k)
{
	if (k >= dc->n)
		return -EINVAL;
	if (c->pub.type == PQ_STRING)
		return put_str(r, o, i, dc->sp[k], dc->sl[k]);
	if (c->pub.type == PQ_DOUBLE)
		o->f64[i] = dc->f64[k];
	else
		o->i64[i] = dc->i64[k];
	return 0;
}

/*
 * Decodes nn values of encoding enc from p[0..len) into compact slots
 * [base, base + nn) of o.  As a dictionary page: into dc (base unused).
 */
static int decode_values(struct pq_reader *r, const struct rd_col *c,
			 struct rd_out *o, int enc, const uint8_t *p,
			 size_t len, size_t base, size_t nn, struct dict *dc,
			 const struct dict *dict)
{
	size_t w = c->ptype == PT_INT32 || c->ptype == PT_FLOAT ? 4 :
		   c->ptype == PT_BOOLEAN ? 0 : 8, pos = 0;
	uint32_t *idx = NULL, n;
	int64_t *wide = NULL;
	uint8_t raw[8];
	int ret = -EINVAL;

	if (enc == ENC_PLAIN && c->ptype == PT_BYTE_ARRAY) {
		for (size_t i = 0; i < nn; i++) {
			if (len - pos < 4 || (n = le32(p + pos)) > len - pos - 4)
				goto cleanup;
			if (dc) {
				dc->sp[i] = p + pos + 4;
				dc->sl[i] = n;
			} else if ((ret = put_str(r, o, base + i, p + pos + 4,
						  n))) {
				goto cleanup;
			}
			ret = -EINVAL;
			pos += 4 + (size_t)n;
		}
	} else if (enc == ENC_PLAIN && !w) {
		if (nn > len * 8)
			goto cleanup;
		for (size_t i = 0; i < nn; i++)
			*(dc ? &dc->i64[i] : &o->i64[base + i]) =
				(p[i / 8] >> (i % 8)) & 1;
	} else if (enc == ENC_PLAIN || enc == ENC_BYTE_STREAM_SPLIT) {
		if (nn > len / w)
			goto cleanup;
		for (size_t i = 0; i < nn; i++) {
			if (enc == ENC_PLAIN)
				memcpy(raw, p + i * w, w);
			else
				for (size_t k = 0; k < w; k++)
					raw[k] = p[k * nn + i];
			int64_t *iv = dc ? dc->i64 + i : NULL;
			double *dv = dc ? dc->f64 + i : NULL;

			if (!dc && c->pub.type == PQ_DOUBLE)
				dv = o->f64 + base + i;
			else if (!dc)
				iv = o->i64 + base + i;
			if (c->ptype == PT_INT32) {
				int32_t v;

				memcpy(&v, raw, 4);
				*iv = v;
			} else if (c->ptype == PT_INT64) {
				memcpy(iv, raw, 8);
			} else if (c->ptype == PT_FLOAT) {
				float v;

				memcpy(&v, raw, 4);
				*dv = v;
			} else {
				memcpy(dv, raw, 8);
			}
		}
		if (enc == ENC_BYTE_STREAM_SPLIT && nn * w != len)
			goto cleanup;
	} else if ((enc == ENC_RLE_DICTIONARY || enc == ENC_PLAIN_DICTIONARY)
		   && !dc) {
		/* An empty dictionary is fine for a page of nulls only (a
		 * chunk of nulls has one). */
		if (!dict || (!dict->n && nn)) {
			ret = -EINVAL;
			goto cleanup;
		}
		if (nn) {
			idx = malloc(nn * sizeof(*idx));
			if (!idx) {
				ret = -ENOMEM;
				goto cleanup;
			}
			if (len < 1 || pq_dec__rle_hybrid(p + 1, len - 1, p[0],
							  idx, nn, NULL))
				goto cleanup;
		}
		for (size_t i = 0; i < nn; i++)
			if ((ret = put_dict(r, c, o, base + i, dict, idx[i])))
				goto cleanup;
	} else if (enc == ENC_RLE && !w && !dc) {
		/* v2 booleans: 4-byte length, then hybrid of width 1 */
		if (nn) {
			idx = malloc(nn * sizeof(*idx));
			if (!idx) {
				ret = -ENOMEM;
				goto cleanup;
			}
			if (len < 4 || le32(p) > len - 4 ||
			    pq_dec__rle_hybrid(p + 4, le32(p), 1, idx, nn,
					       NULL))
				goto cleanup;
		}
		for (size_t i = 0; i < nn; i++)
			o->i64[base + i] = idx[i];
	} else if (enc == ENC_DELTA_BINARY_PACKED &&
		   (c->ptype == PT_INT32 || c->ptype == PT_INT64) && !dc) {
		wide = malloc((nn ? nn : 1) * sizeof(*wide));
		if (!wide) {
			ret = -ENOMEM;
			goto cleanup;
		}
		if (pq_dec__delta(p, len, wide, nn))
			goto cleanup;
		for (size_t i = 0; i < nn; i++)
			o->i64[base + i] = c->ptype == PT_INT32 ?
				(int32_t)(uint32_t)wide[i] : wide[i];
	} else {
		ret = -ENOTSUP;
		goto cleanup;
	}
	ret = 0;
cleanup:
	free(idx);
	free(wide);
	return ret;
}

/* Spreads the nn compact values of a page over its nv rows. */
static void scatter(const struct rd_col *c, struct rd_out *o, size_t base,
		    size_t nv, size_t nn)
{
	size_t k = nn;

	for (size_t i = nv; i-- > 0;) {
		size_t at = base + i;

		if (o->isnull[at]) {
			if (c->pub.type == PQ_STRING)
				o->str_off[at] = SIZE_MAX;
			else if (c->pub.type == PQ_DOUBLE)
				o->f64[at] = 0;
			else
				o->i64[at] = 0;
			continue;
		}
		assert(k > 0);
		k--;
		if (c->pub.type == PQ_STRING) {
			o->str_off[at] = o->str_off[base + k];
			o->str_len[at] = o->str_len[base + k];
		} else if (c->pub.type == PQ_DOUBLE) {
			o->f64[at] = o->f64[base + k];
		} else {
			o->i64[at] = o->i64[base + k];
		}
	}
}

static int alloc_out(struct rd_out *o, const struct rd_col *c, size_t n)
{
	size_t m = n ? n : 1;

	o->arena_len = 0;
	if (m <= o->cap)
		return 0;
	free(o->isnull); free(o->i64); free(o->f64); free(o->str);
	free(o->str_len); free(o->str_off);
	memset(o, 0, offsetof(struct rd_out, arena));
	o->isnull = calloc(m, sizeof(*o->isnull));
	if (c->pub.type == PQ_STRING) {
		o->str = calloc(m, sizeof(*o->str));
		o->str_len = calloc(m, sizeof(*o->str_len));
		o->str_off = calloc(m, sizeof(*o->str_off));
		if (!o->str || !o->str_len || !o->str_off)
			return -ENOMEM;
	} else if (c->pub.type == PQ_DOUBLE) {
		if (!(o->f64 = calloc(m, sizeof(*o->f64))))
			return -ENOMEM;
	} else if (!(o->i64 = calloc(m, sizeof(*o->i64)))) {
		return -ENOMEM;
	}
	if (!o->isnull)
		return -ENOMEM;
	o->cap = m;
	return 0;
}

/* One column chunk being read: what the page steps below share. */
struct chunk_rd {
	struct pq_reader *r;
	const struct rd_chunk *ch;
	const struct rd_col *c;
	struct rd_out *o;
	struct dict dict;
	uint32_t *lv;		/* definition levels of a page */
	size_t n, got;		/* values in the chunk, read so far */
	bool anynull;
	char *err;
	size_t errlen;
};

/* A page's values, uncompressed (into pagebuf when they were not). */
static int page_bytes(struct chunk_rd *k, const struct pq_page_hdr *h,
		      const uint8_t *pg, const uint8_t **vals, size_t *vlen)
{
	struct pq_reader *r = k->r;
	const struct rd_col *c = k->c;
	char *err = k->err;
	size_t errlen = k->errlen, unc = (size_t)h->unc;
	int codec = k->ch->codec, ret;
	bool packed = codec != CODEC_UNCOMPRESSED;

	/* deflate expands at most 1032 times, snappy 64 (a 2-byte copy of
	 * up to 64 bytes, a generous bound) */
	if (h->unc > (int64_t)PQ_MAX_PAGE_BYTES ||
	    (codec == CODEC_GZIP &&
	     (uint64_t)unc > (uint64_t)h->comp * 1032 + 1024) ||
	    (codec == CODEC_SNAPPY &&
	     (uint64_t)unc > (uint64_t)h->comp * 64 + 1024)) {
		ERR("page in column %s claims %d bytes uncompressed", c->name,
		    h->unc);
		return -EFBIG;
	}
	*vals = pg;
	*vlen = (size_t)h->comp;
	if (h->type == PAGE_DATA_V2) {
		if (h->def_len < 0 || h->rep_len < 0 ||
		    (uint64_t)h->def_len + (uint64_t)h->rep_len > (uint64_t)h->comp ||
		    (uint64_t)h->def_len + (uint64_t)h->rep_len > unc) {
			ERR("corrupt v2 page in column %s", c->name);
			return -EINVAL;
		}
		*vals = pg + h->rep_len + h->def_len;
		*vlen = (size_t)h->comp - (size_t)(h->rep_len + h->def_len);
		unc -= (size_t)(h->rep_len + h->def_len);
		packed &= h->v2_compressed;
		if (!packed)
			return 0;
	} else if (!packed) {
		if (unc != (size_t)h->comp) {
			ERR("corrupt page sizes in column %s", c->name);
			return -EINVAL;
		}
		return 0;
	}
	if ((ret = decompress_page(r, codec, *vals, *vlen, unc))) {
		ERR("column %s: bad %s data (%s)", c->name,
		    pq_rd__codec_name(codec), strerror(-ret));
		return ret;
	}
	*vals = r->pagebuf;
	*vlen = unc;
	return 0;
}

/* A dictionary page: its values, kept for the data pages after it. */
static int dict_page(struct chunk_rd *k, const struct pq_page_hdr *h,
		     const uint8_t *vals, size_t vlen, size_t nv)
{
	struct pq_reader *r = k->r;
	struct dict *d = &k->dict;
	char *err = k->err;
	size_t errlen = k->errlen, m = nv ? nv : 1;

	if (d->n || nv == SIZE_MAX ||
	    nv > (k->c->ptype == PT_BOOLEAN ? vlen * 8 : vlen / 4) ||
	    (h->encoding != ENC_PLAIN && h->encoding != ENC_PLAIN_DICTIONARY)) {
		ERR("corrupt dictionary page in column %s", k->c->name);
		return -EINVAL;
	}
	/* keep the dictionary bytes: pagebuf gets reused */
	if (grow(&r->dictbuf, &r->dictbuf_cap, vlen ? vlen : 1) ||
	    !(d->i64 = calloc(m, sizeof(*d->i64))) ||
	    !(d->f64 = calloc(m, sizeof(*d->f64))) ||
	    !(d->sp = calloc(m, sizeof(*d->sp))) ||
	    !(d->sl = calloc(m, sizeof(*d->sl)))) {
		ERR("column %s: out of memory", k->c->name);
		return -ENOMEM;
	}
	memcpy(r->dictbuf, vals, vlen);
	if (decode_values(r, k->c, k->o, ENC_PLAIN, r->dictbuf, vlen, 0, nv, d,
			  NULL)) {
		ERR("corrupt dictionary page in column %s", k->c->name);
		return -EINVAL;
	}
	d->n = (uint32_t)nv;
	return 0;
}

/* A data page: its definition levels (nullable columns), then its
 * values, decoded into the chunk's output from k->got on. */
static int data_page(struct chunk_rd *k, const struct pq_page_hdr *h,
		     const uint8_t *pg, const uint8_t *vals, size_t vlen,
		     size_t nv)
{
	const struct rd_col *c = k->c;
	char *err = k->err;
	size_t errlen = k->errlen, nn = nv;
	int ret;

	if (nv > k->n - k->got) {
		ERR("column %s: pages hold more than %zu values", c->name, k->n);
		return -EINVAL;
	}
	if (c->pub.nullable) {
		const uint8_t *lp = vals;
		size_t ll;

		if (h->type == PAGE_DATA_V2) {
			lp = pg + h->rep_len;
			ll = (size_t)h->def_len;
		} else {
			if (h->def_encoding != ENC_RLE || vlen < 4 ||
			    le32(vals) > vlen - 4) {
				ERR("unsupported or corrupt definition levels "
				    "in column %s", c->name);
				return -EINVAL;
			}
			ll = le32(vals);
			lp = vals + 4;
			vals += 4 + ll;
			vlen -= 4 + ll;
		}
		if (pq_dec__rle_hybrid(lp, ll, 1, k->lv, nv, NULL)) {
			ERR("corrupt definition levels in column %s", c->name);
			return -EINVAL;
		}
		nn = 0;
		for (size_t i = 0; i < nv; i++) {
			k->o->isnull[k->got + i] = !k->lv[i];
			nn += k->lv[i];
			k->anynull |= !k->lv[i];
		}
	}
	ret = decode_values(k->r, c, k->o, h->encoding, vals, vlen, k->got, nn,
			    NULL, &k->dict);
	if (ret == -ENOTSUP)
		ERR("unsupported encoding %s in column %s",
		    pq_rd__encoding_name(h->encoding), c->name);
	else if (ret == -EFBIG)
		ERR("column %s: more than %llu string bytes", c->name,
		    (unsigned long long)k->r->max_out_bytes);
	else if (ret)
		ERR("corrupt %s data in column %s",
		    pq_rd__encoding_name(h->encoding), c->name);
	if (ret)
		return ret;
	if (nn != nv)
		scatter(c, k->o, k->got, nv, nn);
	k->got += nv;
	return 0;
}

/* The pages of a chunk, one by one, until it holds its n values. */
static int read_pages(struct chunk_rd *k, const uint8_t *chunk, uint64_t start,
		      size_t len)
{
	const struct rd_col *c = k->c;
	char *err = k->err;
	size_t errlen = k->errlen, pos = 0, nv, vlen;
	const uint8_t *pg, *vals;
	struct pq_page_hdr h;
	int ret;

	while (k->got < k->n) {
		if (pos >= len) {
			ERR("column %s: chunk ends after %zu of %zu values",
			    c->name, k->got, k->n);
			return -EINVAL;
		}
		if (pq_meta__page_header(chunk + pos, len - pos, &h) ||
		    h.unc < 0 || h.comp < 0 ||
		    (uint64_t)h.comp > len - pos - h.hdr_len) {
			ERR("corrupt page header at byte %llu",
			    (unsigned long long)(start + pos));
			return -EINVAL;
		}
		pg = chunk + pos + h.hdr_len;
		pos += h.hdr_len + (size_t)h.comp;
		if (h.type == PAGE_INDEX)
			continue;
		if (h.type != PAGE_DATA && h.type != PAGE_DICTIONARY &&
		    h.type != PAGE_DATA_V2) {
			ERR("corrupt page type %d in column %s", h.type, c->name);
			return -EINVAL;
		}
		nv = h.num_values < 0 ? SIZE_MAX : (size_t)h.num_values;
		if ((ret = page_bytes(k, &h, pg, &vals, &vlen)) ||
		    (ret = h.type == PAGE_DICTIONARY ?
			   dict_page(k, &h, vals, vlen, nv) :
			   data_page(k, &h, pg, vals, vlen, nv)))
			return ret;
	}
	return 0;
}

/* Strings point into the arena; timestamps in ns. */
static int finish_values(struct chunk_rd *k, struct pq_values *out)
{
	struct rd_out *o = k->o;
	char *err = k->err;
	size_t errlen = k->errlen;

	for (size_t i = 0; k->c->pub.type == PQ_STRING && i < k->n; i++) {
		o->str[i] = o->str_off[i] == SIZE_MAX ? (char *)"" :
			    o->arena + o->str_off[i];
		if (o->str_off[i] == SIZE_MAX)
			o->str_len[i] = 0;
	}
	for (size_t i = 0; k->c->ts_mul > 1 && i < k->n; i++) {
		if (__builtin_mul_overflow(o->i64[i], k->c->ts_mul, &o->i64[i])) {
			ERR("column %s: timestamp out of range", k->c->name);
			return -ERANGE;
		}
	}
	out->n = k->n;
	out->isnull = k->anynull ? o->isnull : NULL;
	out->i64 = o->i64;
	out->f64 = o->f64;
	out->str = (const char *const *)o->str;
	out->str_len = o->str_len;
	return 0;
}

int pq_reader__read(struct pq_reader *r, int rowgroup, int col,
		    struct pq_values *out, char *err, size_t errlen)
{
	struct chunk_rd k = { .r = r, .err = err, .errlen = errlen };
	const uint8_t *chunk;
	uint64_t start, len;
	int ret = -EINVAL;

	if (!r || !out || rowgroup < 0 || rowgroup >= r->nrg || col < 0 ||
	    col >= r->ncols) {
		ERR("no row group %d column %d", rowgroup, col);
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	k.ch = &r->rgs[rowgroup].chunks[col];
	k.c = &r->cols[col];
	k.o = &r->outs[col];
	k.n = (size_t)r->rgs[rowgroup].nrows;
	if (k.ch->codec != CODEC_UNCOMPRESSED && k.ch->codec != CODEC_GZIP &&
	    k.ch->codec != CODEC_SNAPPY) {
		ERR("unsupported codec %s in column %s",
		    pq_rd__codec_name(k.ch->codec), k.c->name);
		return -ENOTSUP;
	}
	start = k.ch->dict_off > 0 && k.ch->dict_off < k.ch->data_off ?
		(uint64_t)k.ch->dict_off : (uint64_t)k.ch->data_off;
	len = (uint64_t)k.ch->total_comp;
	if (start < 4 || start > r->data_end || len > r->data_end - start ||
	    (uint64_t)k.ch->num_values != k.n) {
		ERR("corrupt metadata: column %s chunk out of bounds", k.c->name);
		return -EINVAL;
	}
	if (k.n > r->max_values) {
		ERR("row group %d too large to read (%zu rows)", rowgroup, k.n);
		return -EFBIG;
	}
	ret = get_bytes(r, start, (size_t)len, &chunk);
	if (!ret)
		ret = alloc_out(k.o, k.c, k.n);
	if (!ret && !(k.lv = malloc((k.n ? k.n : 1) * sizeof(*k.lv))))
		ret = -ENOMEM;
	if (ret) {
		ERR("column %s: %s", k.c->name, strerror(-ret));
		goto cleanup;
	}
	memset(k.o->isnull, 0, k.n * sizeof(*k.o->isnull));
	if (!(ret = read_pages(&k, chunk, start, (size_t)len)))
		ret = finish_values(&k, out);
cleanup:
	free(k.lv);
	free(k.dict.i64);
	free(k.dict.f64);
	free(k.dict.sp);
	free(k.dict.sl);
	return ret;
}

void pq_reader__close(struct pq_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	for (int i = 0; r->cols && i < r->ncols; i++)
		free(r->cols[i].name);
	for (int i = 0; r->outs && i < r->ncols; i++) {
		struct rd_out *o = &r->outs[i];

		free(o->isnull);
		free(o->i64);
		free(o->f64);
		free(o->str);
		free(o->str_len);
		free(o->str_off);
		free(o->arena);
	}
	for (int g = 0; r->rgs && g < r->nrg; g++)
		free(r->rgs[g].chunks);
	free(r->rgs);
	free(r->cols);
	free(r->outs);
	free(r->created_by);
	free(r->chunkbuf);
	free(r->pagebuf);
	free(r->dictbuf);
	free(r);
}
