// SPDX-License-Identifier: MIT
/*
 * Parquet footer (FileMetaData) parsing and validation for the reader.
 * The footer is untrusted: the Thrift decoder bounds every read, and
 * every count is checked before it sizes an allocation.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pq_format.h"
#include "pq_reader_int.h"
#include "thrift.h"

void pq_rd__err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *pq_rd__encoding_name(int enc)
{
	static const char *const names[] = {
		"PLAIN", "GROUP_VAR_INT", "PLAIN_DICTIONARY", "RLE",
		"BIT_PACKED", "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY",
		"DELTA_BYTE_ARRAY", "RLE_DICTIONARY", "BYTE_STREAM_SPLIT",
	};

	return enc >= 0 && enc <= ENC_MAX ? names[enc] : "unknown";
}

const char *pq_rd__codec_name(int codec)
{
	static const char *const names[] = {
		"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4",
		"ZSTD", "LZ4_RAW",
	};

	return codec >= 0 && codec <= CODEC_LZ4_RAW ? names[codec]
						    : "unknown";
}

struct schema_el {
	int ptype;		/* -1 when absent (group) */
	int rep;		/* -1 when absent */
	int64_t nchildren;	/* -1 when absent */
	int conv;		/* -1 when absent */
	int ts_unit;		/* 0 none, 1 millis, 2 micros, 3 nanos */
	const uint8_t *name;
	uint32_t name_len;
};

/* Field loop helpers: each parser reads its fields, skips the rest. */
#define FIELDS(d)							\
	int16_t last_ = 0, fid_;					\
	uint8_t t_;							\
	if (thrift_dec__struct_enter(d))				\
		return (d)->err;					\
	while (thrift_dec__field(d, &last_, &fid_, &t_) > 0)
#define END_FIELDS(d)							\
	thrift_dec__struct_leave(d);					\
	return (d)->err

static void rd_i32(struct thrift_dec *d, uint8_t t, int *v)
{
	int32_t x;

	if (t != THRIFT_I32 && t != THRIFT_I16 && t != THRIFT_BYTE) {
		thrift_dec__skip(d, t);
		return;
	}
	if (t == THRIFT_BYTE) {		/* byte is raw, not a varint */
		thrift_dec__skip(d, t);
		return;
	}
	if (!thrift_dec__i32(d, &x))
		*v = x;
}

static void rd_i64(struct thrift_dec *d, uint8_t t, int64_t *v)
{
	int64_t x;

	if (t != THRIFT_I64 && t != THRIFT_I32 && t != THRIFT_I16) {
		thrift_dec__skip(d, t);
		return;
	}
	if (!thrift_dec__i64(d, &x))
		*v = x;
}

static int parse_time_unit(struct thrift_dec *d, int *unit)
{
	FIELDS(d) {
		if (fid_ >= 1 && fid_ <= 3 && t_ == THRIFT_STRUCT)
			*unit = fid_;
		thrift_dec__skip(d, t_);
	}
	END_FIELDS(d);
}

static int parse_timestamp(struct thrift_dec *d, int *unit)
{
	FIELDS(d) {
		if (fid_ == 2 && t_ == THRIFT_STRUCT)
			parse_time_unit(d, unit);
		else
			thrift_dec__skip(d, t_);
	}
	END_FIELDS(d);
}

static int parse_logical(struct thrift_dec *d, struct schema_el *el)
{
	FIELDS(d) {
		if (fid_ == 8 && t_ == THRIFT_STRUCT)
			parse_timestamp(d, &el->ts_unit);
		else
			thrift_dec__skip(d, t_);
	}
	END_FIELDS(d);
}

static int parse_schema_el(struct thrift_dec *d, struct schema_el *el)
{
	int64_t nc = -1;

	el->ptype = el->rep = el->conv = -1;
	el->nchildren = -1;
	el->ts_unit = 0;
	el->name = NULL;
	el->name_len = 0;
	FIELDS(d) {
		switch (fid_) {
		case 1: rd_i32(d, t_, &el->ptype); break;
		case 3: rd_i32(d, t_, &el->rep); break;
		case 4:
			if (t_ == THRIFT_BINARY)
				thrift_dec__bin(d, &el->name, &el->name_len);
			else
				thrift_dec__skip(d, t_);
			break;
		case 5: rd_i64(d, t_, &nc); el->nchildren = nc; break;
		case 6: rd_i32(d, t_, &el->conv); break;
		case 10:
			if (t_ == THRIFT_STRUCT)
				parse_logical(d, el);
			else
				thrift_dec__skip(d, t_);
			break;
		default: thrift_dec__skip(d, t_); break;
		}
	}
	END_FIELDS(d);
}

static int parse_col_meta(struct thrift_dec *d, struct rd_chunk *c)
{
	c->has_meta = true;
	FIELDS(d) {
		switch (fid_) {
		case 1: rd_i32(d, t_, &c->ptype); break;
		case 4: rd_i32(d, t_, &c->codec); break;
		case 5: rd_i64(d, t_, &c->num_values); break;
		case 7: rd_i64(d, t_, &c->total_comp); break;
		case 9: rd_i64(d, t_, &c->data_off); break;
		case 11: rd_i64(d, t_, &c->dict_off); break;
		default: thrift_dec__skip(d, t_); break;
		}
	}
	END_FIELDS(d);
}

static int parse_chunk(struct thrift_dec *d, struct rd_chunk *c)
{
	c->ptype = c->codec = -1;
	c->num_values = c->data_off = c->dict_off = c->total_comp = -1;
	FIELDS(d) {
		if (fid_ == 1 && t_ == THRIFT_BINARY) {
			c->external = true;
			thrift_dec__skip(d, t_);
		} else if (fid_ == 3 && t_ == THRIFT_STRUCT) {
			parse_col_meta(d, c);
		} else {
			thrift_dec__skip(d, t_);
		}
	}
	END_FIELDS(d);
}

static int parse_rg(struct thrift_dec *d, struct rd_rg *rg)
{
	uint8_t et;
	uint32_t n;

	rg->nrows = -1;
	FIELDS(d) {
		if (fid_ == 1 && t_ == THRIFT_LIST && !rg->chunks) {
			if (thrift_dec__list(d, &et, &n))
				break;
			if (et != THRIFT_STRUCT || n > PQ_MAX_COLS) {
				d->err = -EINVAL;
				break;
			}
			rg->chunks = calloc(n ? n : 1, sizeof(*rg->chunks));
			if (!rg->chunks) {
				d->err = -ENOMEM;
				break;
			}
			rg->nchunks = n;
			for (uint32_t i = 0; i < n && !d->err; i++)
				parse_chunk(d, &rg->chunks[i]);
		} else if (fid_ == 3) {
			rd_i64(d, t_, &rg->nrows);
		} else {
			thrift_dec__skip(d, t_);
		}
	}
	END_FIELDS(d);
}

struct fmd {
	struct schema_el *els;
	uint32_t nels;
	int64_t num_rows;
	const uint8_t *created_by;
	uint32_t created_by_len;
};

static int parse_fmd(struct thrift_dec *d, struct pq_reader *r, struct fmd *m)
{
	uint8_t et;
	uint32_t n;

	m->num_rows = -1;
	FIELDS(d) {
		if (fid_ == 2 && t_ == THRIFT_LIST && !m->els) {
			if (thrift_dec__list(d, &et, &n))
				break;
			if (et != THRIFT_STRUCT) {
				d->err = -EINVAL;
				break;
			}
			m->els = calloc(n ? n : 1, sizeof(*m->els));
			if (!m->els) {
				d->err = -ENOMEM;
				break;
			}
			m->nels = n;
			for (uint32_t i = 0; i < n && !d->err; i++)
				parse_schema_el(d, &m->els[i]);
		} else if (fid_ == 4 && t_ == THRIFT_LIST && !r->rgs) {
			if (thrift_dec__list(d, &et, &n))
				break;
			if (et != THRIFT_STRUCT || n > INT32_MAX) {
				d->err = -EINVAL;
				break;
			}
			r->rgs = calloc(n ? n : 1, sizeof(*r->rgs));
			if (!r->rgs) {
				d->err = -ENOMEM;
				break;
			}
			r->nrg = (int)n;
			for (uint32_t i = 0; i < n && !d->err; i++)
				parse_rg(d, &r->rgs[i]);
		} else if (fid_ == 3) {
			rd_i64(d, t_, &m->num_rows);
		} else if (fid_ == 6 && t_ == THRIFT_BINARY) {
			thrift_dec__bin(d, &m->created_by, &m->created_by_len);
		} else {
			thrift_dec__skip(d, t_);
		}
	}
	END_FIELDS(d);
}

/* Maps a leaf to a pq_type; returns -ENOTSUP with a reason when it can't. */
static int map_column(const struct schema_el *el, struct rd_col *c, char *err,
		      size_t errlen)
{
	c->ptype = el->ptype;
	c->ts_mul = 0;
	switch (el->ptype) {
	case PT_BOOLEAN: c->pub.type = PQ_BOOL; break;
	case PT_INT32: c->pub.type = PQ_INT32; break;
	case PT_INT64:
		c->pub.type = PQ_INT64;
		if (el->ts_unit || el->conv == CT_TIMESTAMP_MILLIS ||
		    el->conv == CT_TIMESTAMP_MICROS) {
			c->pub.type = PQ_TIMESTAMP_NS;
			c->ts_mul = el->ts_unit == 3 ? 1 :
				    el->ts_unit == 2 ? 1000 :
				    el->ts_unit == 1 ? 1000000 :
				    el->conv == CT_TIMESTAMP_MICROS ? 1000 :
				    1000000;
		}
		break;
	case PT_FLOAT:
	case PT_DOUBLE: c->pub.type = PQ_DOUBLE; break;
	case PT_BYTE_ARRAY: c->pub.type = PQ_STRING; break;
	case PT_INT96:
		pq_rd__err(err, errlen, "unsupported type INT96 in column %s",
			   c->name);
		return -ENOTSUP;
	case PT_FIXED:
		pq_rd__err(err, errlen,
			   "unsupported type FIXED_LEN_BYTE_ARRAY in column %s",
			   c->name);
		return -ENOTSUP;
	default:
		pq_rd__err(err, errlen, "corrupt metadata: column %s has "
			   "physical type %d", c->name, el->ptype);
		return -EINVAL;
	}
	return 0;
}

int pq_meta__parse(struct pq_reader *r, const uint8_t *footer, size_t len,
		   uint64_t foff, char *err, size_t errlen)
{
	struct thrift_dec d;
	struct fmd m = { 0 };
	int64_t sum = 0;
	int ret = -EINVAL;

	thrift_dec__init(&d, footer, len);
	parse_fmd(&d, r, &m);
	if (d.err) {
		ret = d.err;
		if (ret == -ENOMEM)
			pq_rd__err(err, errlen, "out of memory reading metadata");
		else
			pq_rd__err(err, errlen, "corrupt metadata at byte %llu",
				   (unsigned long long)(foff +
							thrift_dec__pos(&d)));
		goto cleanup;
	}
	ret = -EINVAL;
	if (!m.els || m.nels < 1 || m.num_rows < 0 || !r->rgs) {
		pq_rd__err(err, errlen, "corrupt metadata: missing schema, "
			   "row count or row groups");
		goto cleanup;
	}
	if (m.nels < 2 || m.els[0].nchildren != (int64_t)m.nels - 1) {
		pq_rd__err(err, errlen, "unsupported schema: nested or empty "
			   "(only flat tables are read)");
		ret = -ENOTSUP;
		goto cleanup;
	}
	if (m.nels - 1 > PQ_MAX_COLS) {
		pq_rd__err(err, errlen, "corrupt metadata: too many columns");
		goto cleanup;
	}
	r->ncols = (int)(m.nels - 1);
	r->cols = calloc((size_t)r->ncols, sizeof(*r->cols));
	r->outs = calloc((size_t)r->ncols, sizeof(*r->outs));
	r->created_by = strndup(m.created_by ? (const char *)m.created_by : "",
				m.created_by_len);
	if (!r->cols || !r->outs || !r->created_by) {
		ret = -ENOMEM;
		pq_rd__err(err, errlen, "out of memory reading metadata");
		goto cleanup;
	}
	for (int i = 0; i < r->ncols; i++) {
		const struct schema_el *el = &m.els[i + 1];
		struct rd_col *c = &r->cols[i];

		c->name = strndup(el->name ? (const char *)el->name : "",
				  el->name_len);
		if (!c->name) {
			ret = -ENOMEM;
			pq_rd__err(err, errlen, "out of memory");
			goto cleanup;
		}
		c->pub.name = c->name;
		if (el->nchildren > 0 || el->ptype < 0) {
			pq_rd__err(err, errlen, "unsupported schema: column "
				   "%s is a group (nested)", c->name);
			ret = -ENOTSUP;
			goto cleanup;
		}
		if (el->rep == REP_REPEATED) {
			pq_rd__err(err, errlen, "unsupported schema: column "
				   "%s is repeated", c->name);
			ret = -ENOTSUP;
			goto cleanup;
		}
		c->pub.nullable = el->rep != REP_REQUIRED;
		ret = map_column(el, c, err, errlen);
		if (ret)
			goto cleanup;
	}
	ret = -EINVAL;
	for (int g = 0; g < r->nrg; g++) {
		struct rd_rg *rg = &r->rgs[g];

		if (rg->nrows < 0 || rg->nchunks != (uint32_t)r->ncols ||
		    __builtin_add_overflow(sum, rg->nrows, &sum)) {
			pq_rd__err(err, errlen, "corrupt metadata: row group "
				   "%d has a bad row or column count", g);
			goto cleanup;
		}
		for (int i = 0; i < r->ncols; i++) {
			struct rd_chunk *c = &rg->chunks[i];

			if (c->external) {
				pq_rd__err(err, errlen, "unsupported: column "
					   "chunk in an external file");
				ret = -ENOTSUP;
				goto cleanup;
			}
			if (!c->has_meta || c->ptype != r->cols[i].ptype ||
			    c->num_values < 0 || c->data_off < 4 ||
			    c->total_comp <= 0 ||
			    (uint64_t)c->total_comp > r->data_end) {
				pq_rd__err(err, errlen, "corrupt metadata: "
					   "row group %d column %s", g,
					   r->cols[i].name);
				goto cleanup;
			}
		}
	}
	if (sum != m.num_rows) {
		pq_rd__err(err, errlen, "corrupt metadata: row groups hold "
			   "%lld rows, footer says %lld", (long long)sum,
			   (long long)m.num_rows);
		goto cleanup;
	}
	r->nrows = m.num_rows;
	ret = 0;
cleanup:
	free(m.els);
	return ret;
}

static int parse_dph(struct thrift_dec *d, struct pq_page_hdr *h)
{
	FIELDS(d) {
		switch (fid_) {
		case 1: rd_i32(d, t_, &h->num_values); break;
		case 2: rd_i32(d, t_, &h->encoding); break;
		case 3: rd_i32(d, t_, &h->def_encoding); break;
		default: thrift_dec__skip(d, t_); break;
		}
	}
	END_FIELDS(d);
}

static int parse_v2(struct thrift_dec *d, struct pq_page_hdr *h)
{
	FIELDS(d) {
		switch (fid_) {
		case 1: rd_i32(d, t_, &h->num_values); break;
		case 4: rd_i32(d, t_, &h->encoding); break;
		case 5: rd_i32(d, t_, &h->def_len); break;
		case 6: rd_i32(d, t_, &h->rep_len); break;
		case 7:
			if (t_ == THRIFT_TRUE || t_ == THRIFT_FALSE)
				h->v2_compressed = t_ == THRIFT_TRUE;
			else
				thrift_dec__skip(d, t_);
			break;
		default: thrift_dec__skip(d, t_); break;
		}
	}
	END_FIELDS(d);
}

int pq_meta__page_header(const uint8_t *p, size_t len, struct pq_page_hdr *h)
{
	struct thrift_dec dd, *d = &dd;

	memset(h, 0, sizeof(*h));
	h->type = h->unc = h->comp = h->num_values = h->encoding = -1;
	h->def_encoding = ENC_RLE;
	h->v2_compressed = true;
	thrift_dec__init(d, p, len);
	{
		FIELDS(d) {
			switch (fid_) {
			case 1: rd_i32(d, t_, &h->type); break;
			case 2: rd_i32(d, t_, &h->unc); break;
			case 3: rd_i32(d, t_, &h->comp); break;
			case 5:
			case 7:
			case 8:
				if (t_ != THRIFT_STRUCT) {
					thrift_dec__skip(d, t_);
				} else if (fid_ == 8) {
					parse_v2(d, h);
				} else {
					/* dictionary header: 1 num, 2 enc */
					parse_dph(d, h);
				}
				break;
			default: thrift_dec__skip(d, t_); break;
			}
		}
		thrift_dec__struct_leave(d);
	}
	if (d->err)
		return d->err;
	h->hdr_len = thrift_dec__pos(d);
	return 0;
}
