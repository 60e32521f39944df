// SPDX-License-Identifier: MIT
/*
 * Thrift compact protocol encoder and hostile-input-safe decoder.
 * Wire format: https://github.com/apache/thrift/blob/master/doc/specs/
 * thrift-compact-protocol.md
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "thrift.h"
#include "varint.h"

/* ---- encoder ---- */

void thrift_enc__init(struct thrift_enc *e)
{
	memset(e, 0, sizeof(*e));
}

void thrift_enc__free(struct thrift_enc *e)
{
	free(e->buf);
	memset(e, 0, sizeof(*e));
}

void thrift_enc__reset(struct thrift_enc *e)
{
	e->len = 0;
	e->err = 0;
	e->depth = 0;
}

static bool enc_reserve(struct thrift_enc *e, size_t n)
{
	size_t cap;
	uint8_t *nb;

	if (e->err)
		return false;
	if (n <= e->cap - e->len)
		return true;
	if (n > SIZE_MAX / 2 - e->len) {
		e->err = -E2BIG;
		return false;
	}
	cap = e->cap ? e->cap : 256;
	while (cap - e->len < n)
		cap *= 2;
	nb = realloc(e->buf, cap);
	if (!nb) {
		e->err = -ENOMEM;
		return false;
	}
	e->buf = nb;
	e->cap = cap;
	return true;
}

void thrift_enc__raw(struct thrift_enc *e, const void *p, size_t n)
{
	if (!n || !enc_reserve(e, n))
		return;
	memcpy(e->buf + e->len, p, n);
	e->len += n;
}

static void enc_byte(struct thrift_enc *e, uint8_t b)
{
	thrift_enc__raw(e, &b, 1);
}

static void enc_varint(struct thrift_enc *e, uint64_t v)
{
	uint8_t tmp[ULEB128_MAX];

	thrift_enc__raw(e, tmp, uleb128_encode(tmp, v));
}

static uint64_t zigzag64(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static void enc_field_hdr(struct thrift_enc *e, int16_t fid, uint8_t type)
{
	int16_t *last;

	if (e->depth <= 0 || e->depth > THRIFT_MAX_DEPTH) {
		if (!e->err)
			e->err = -EINVAL;
		return;
	}
	last = &e->last_fid[e->depth - 1];
	if (fid > *last && fid - *last <= 15) {
		enc_byte(e, (uint8_t)(((fid - *last) << 4) | type));
	} else {
		enc_byte(e, type);
		enc_varint(e, zigzag64(fid));
	}
	*last = fid;
}

static void enc_push(struct thrift_enc *e)
{
	if (e->depth >= THRIFT_MAX_DEPTH) {
		if (!e->err)
			e->err = -EINVAL;
		return;
	}
	e->last_fid[e->depth++] = 0;
}

void thrift_enc__struct_begin(struct thrift_enc *e)
{
	enc_push(e);
}

void thrift_enc__field_struct(struct thrift_enc *e, int16_t fid)
{
	enc_field_hdr(e, fid, THRIFT_STRUCT);
	enc_push(e);
}

void thrift_enc__struct_end(struct thrift_enc *e)
{
	enc_byte(e, THRIFT_STOP);
	if (e->depth > 0)
		e->depth--;
	else if (!e->err)
		e->err = -EINVAL;
}

void thrift_enc__field_begin(struct thrift_enc *e, int16_t fid,
			     enum thrift_type type)
{
	enc_field_hdr(e, fid, (uint8_t)type);
}

void thrift_enc__field_bool(struct thrift_enc *e, int16_t fid, bool v)
{
	enc_field_hdr(e, fid, v ? THRIFT_TRUE : THRIFT_FALSE);
}

void thrift_enc__field_i16(struct thrift_enc *e, int16_t fid, int16_t v)
{
	enc_field_hdr(e, fid, THRIFT_I16);
	enc_varint(e, zigzag64(v));
}

void thrift_enc__field_i32(struct thrift_enc *e, int16_t fid, int32_t v)
{
	enc_field_hdr(e, fid, THRIFT_I32);
	enc_varint(e, zigzag64(v));
}

void thrift_enc__field_i64(struct thrift_enc *e, int16_t fid, int64_t v)
{
	enc_field_hdr(e, fid, THRIFT_I64);
	enc_varint(e, zigzag64(v));
}

void thrift_enc__field_double(struct thrift_enc *e, int16_t fid, double v)
{
	uint64_t bits;
	uint8_t b[8];

	memcpy(&bits, &v, 8);
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(bits >> (8 * i));
	enc_field_hdr(e, fid, THRIFT_DOUBLE);
	thrift_enc__raw(e, b, 8);
}

void thrift_enc__field_bin(struct thrift_enc *e, int16_t fid, const void *p,
			   size_t n)
{
	enc_field_hdr(e, fid, THRIFT_BINARY);
	thrift_enc__bin(e, p, n);
}

void thrift_enc__field_str(struct thrift_enc *e, int16_t fid, const char *s)
{
	thrift_enc__field_bin(e, fid, s, strlen(s));
}

void thrift_enc__list(struct thrift_enc *e, enum thrift_type elem_type,
		      uint32_t n)
{
	if (n < 15) {
		enc_byte(e, (uint8_t)((n << 4) | elem_type));
	} else {
		enc_byte(e, (uint8_t)(0xf0 | elem_type));
		enc_varint(e, n);
	}
}

void thrift_enc__field_list(struct thrift_enc *e, int16_t fid,
			    enum thrift_type elem_type, uint32_t n)
{
	enc_field_hdr(e, fid, THRIFT_LIST);
	thrift_enc__list(e, elem_type, n);
}

void thrift_enc__i32(struct thrift_enc *e, int32_t v)
{
	enc_varint(e, zigzag64(v));
}

void thrift_enc__i64(struct thrift_enc *e, int64_t v)
{
	enc_varint(e, zigzag64(v));
}

void thrift_enc__bin(struct thrift_enc *e, const void *p, size_t n)
{
	/* Thrift binary lengths are i32 on the wire. */
	if (n > INT32_MAX) {
		if (!e->err)
			e->err = -E2BIG;
		return;
	}
	enc_varint(e, n);
	thrift_enc__raw(e, p, n);
}

/* ---- decoder ---- */

void thrift_dec__init(struct thrift_dec *d, const void *buf, size_t len)
{
	d->start = buf;
	d->p = buf;
	d->end = d->start + len;
	d->err = 0;
	d->depth = 0;
}

size_t thrift_dec__pos(const struct thrift_dec *d)
{
	return (size_t)(d->p - d->start);
}

static int dec_fail(struct thrift_dec *d)
{
	if (!d->err)
		d->err = -EINVAL;
	return d->err;
}

static int dec_byte(struct thrift_dec *d, uint8_t *b)
{
	if (d->err)
		return d->err;
	if (d->p >= d->end)
		return dec_fail(d);
	*b = *d->p++;
	return 0;
}

static int dec_varint(struct thrift_dec *d, uint64_t *v)
{
	uint64_t r = 0;
	uint8_t b;

	for (int shift = 0; shift < 64; shift += 7) {
		if (dec_byte(d, &b))
			return d->err;
		/* The 10th byte may carry only the top bit. */
		if (shift == 63 && (b & 0x7e))
			return dec_fail(d);
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return dec_fail(d);
}

static int64_t unzigzag64(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

int thrift_dec__struct_enter(struct thrift_dec *d)
{
	if (d->err)
		return d->err;
	if (d->depth >= THRIFT_MAX_DEPTH)
		return dec_fail(d);
	d->depth++;
	return 0;
}

void thrift_dec__struct_leave(struct thrift_dec *d)
{
	if (d->depth > 0)
		d->depth--;
}

int thrift_dec__field(struct thrift_dec *d, int16_t *last_fid, int16_t *fid,
		      uint8_t *type)
{
	uint8_t b;
	uint64_t v;
	int64_t id;

	if (dec_byte(d, &b))
		return d->err;
	if (b == THRIFT_STOP)
		return 0;
	*type = b & 0x0f;
	if (*type == THRIFT_STOP || *type > THRIFT_STRUCT)
		return dec_fail(d);
	if (b >> 4) {
		id = *last_fid + (b >> 4);
	} else {
		if (dec_varint(d, &v))
			return d->err;
		id = unzigzag64(v);
	}
	if (id < INT16_MIN || id > INT16_MAX)
		return dec_fail(d);
	*fid = (int16_t)id;
	*last_fid = *fid;
	return 1;
}

int thrift_dec__i64(struct thrift_dec *d, int64_t *v)
{
	uint64_t u;

	if (dec_varint(d, &u))
		return d->err;
	*v = unzigzag64(u);
	return 0;
}

int thrift_dec__i32(struct thrift_dec *d, int32_t *v)
{
	int64_t w = 0;

	if (thrift_dec__i64(d, &w))
		return d->err;
	if (w < INT32_MIN || w > INT32_MAX)
		return dec_fail(d);
	*v = (int32_t)w;
	return 0;
}

int thrift_dec__double(struct thrift_dec *d, double *v)
{
	uint64_t bits = 0;

	if (d->err)
		return d->err;
	if (d->end - d->p < 8)
		return dec_fail(d);
	for (int i = 0; i < 8; i++)
		bits |= (uint64_t)d->p[i] << (8 * i);
	d->p += 8;
	memcpy(v, &bits, 8);
	return 0;
}

int thrift_dec__bin(struct thrift_dec *d, const uint8_t **p, uint32_t *n)
{
	uint64_t len;

	if (dec_varint(d, &len))
		return d->err;
	if (len > (uint64_t)(d->end - d->p) || len > INT32_MAX)
		return dec_fail(d);
	*p = d->p;
	*n = (uint32_t)len;
	d->p += len;
	return 0;
}

int thrift_dec__list(struct thrift_dec *d, uint8_t *elem_type, uint32_t *n)
{
	uint8_t b;
	uint64_t sz;

	if (dec_byte(d, &b))
		return d->err;
	*elem_type = b & 0x0f;
	sz = b >> 4;
	if (sz == 15 && dec_varint(d, &sz))
		return d->err;
	if (*elem_type == THRIFT_STOP || *elem_type > THRIFT_STRUCT)
		return dec_fail(d);
	/* Every element takes at least one byte, so this bounds allocations. */
	if (sz > (uint64_t)(d->end - d->p))
		return dec_fail(d);
	*n = (uint32_t)sz;
	return 0;
}

/* An element of a list, set or map: a bool there takes one byte. */
static void skip_elem(struct thrift_dec *d, uint8_t t)
{
	uint8_t b;

	if (t == THRIFT_TRUE || t == THRIFT_FALSE)
		dec_byte(d, &b);
	else
		thrift_dec__skip(d, t);
}

int thrift_dec__skip(struct thrift_dec *d, uint8_t type)
{
	int16_t last = 0, fid;
	uint8_t t, kt, vt, b;
	uint32_t n, blen;
	uint64_t sz;
	const uint8_t *p;
	int64_t i64;
	double dbl;
	int ret;

	if (d->err)
		return d->err;
	switch (type) {
	case THRIFT_TRUE:
	case THRIFT_FALSE:
		return 0;	/* field bools live in the header */
	case THRIFT_BYTE:
		return dec_byte(d, &b);
	case THRIFT_I16:
	case THRIFT_I32:
	case THRIFT_I64:
		return thrift_dec__i64(d, &i64);
	case THRIFT_DOUBLE:
		return thrift_dec__double(d, &dbl);
	case THRIFT_BINARY:
		return thrift_dec__bin(d, &p, &blen);
	case THRIFT_LIST:
	case THRIFT_SET:
		if (thrift_dec__list(d, &t, &n) || thrift_dec__struct_enter(d))
			return d->err;
		for (uint32_t i = 0; i < n && !d->err; i++)
			skip_elem(d, t);
		thrift_dec__struct_leave(d);
		return d->err;
	case THRIFT_MAP:
		if (dec_varint(d, &sz))
			return d->err;
		if (sz == 0)
			return 0;
		if (sz > (uint64_t)(d->end - d->p) || dec_byte(d, &b))
			return dec_fail(d);
		kt = b >> 4;
		vt = b & 0x0f;
		if (kt == THRIFT_STOP || kt > THRIFT_STRUCT ||
		    vt == THRIFT_STOP || vt > THRIFT_STRUCT)
			return dec_fail(d);
		if (thrift_dec__struct_enter(d))
			return d->err;
		for (uint64_t i = 0; i < sz && !d->err; i++) {
			skip_elem(d, kt);
			skip_elem(d, vt);
		}
		thrift_dec__struct_leave(d);
		return d->err;
	case THRIFT_STRUCT:
		if (thrift_dec__struct_enter(d))
			return d->err;
		while ((ret = thrift_dec__field(d, &last, &fid, &t)) > 0)
			if (thrift_dec__skip(d, t))
				break;
		thrift_dec__struct_leave(d);
		return d->err;
	default:
		return dec_fail(d);
	}
}
