/* SPDX-License-Identifier: MIT */
/*
 * thrift: the Thrift compact protocol, just what Parquet metadata needs.
 *
 * The encoder appends to a growable buffer and keeps a sticky error, so a
 * caller can emit a whole struct and check once at the end.
 *
 * The decoder reads untrusted bytes: every read is bounds-checked, nesting
 * is limited to THRIFT_MAX_DEPTH, collection sizes are capped by the bytes
 * left, and the first error sticks (later reads fail without touching
 * memory).
 */
#ifndef MLPROBE_THRIFT_H
#define MLPROBE_THRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Compact protocol type ids (as they appear on the wire). */
enum thrift_type {
	THRIFT_STOP = 0,
	THRIFT_TRUE = 1,	/* BOOLEAN_TRUE; in lists, "bool" */
	THRIFT_FALSE = 2,
	THRIFT_BYTE = 3,
	THRIFT_I16 = 4,
	THRIFT_I32 = 5,
	THRIFT_I64 = 6,
	THRIFT_DOUBLE = 7,
	THRIFT_BINARY = 8,
	THRIFT_LIST = 9,
	THRIFT_SET = 10,
	THRIFT_MAP = 11,
	THRIFT_STRUCT = 12,
};

#define THRIFT_MAX_DEPTH 32

/* ---- encoder ---- */

struct thrift_enc {
	uint8_t *buf;
	size_t len, cap;
	int err;			/* first error (-ENOMEM, -E2BIG), sticky */
	int depth;
	int16_t last_fid[THRIFT_MAX_DEPTH];
};

/* Starts an empty encoder; no allocation until the first byte. */
void thrift_enc__init(struct thrift_enc *e);
/* Frees the buffer; the encoder can be re-initialised afterwards. */
void thrift_enc__free(struct thrift_enc *e);
/* Drops the content but keeps the buffer (for reuse). */
void thrift_enc__reset(struct thrift_enc *e);
/* Appends raw bytes (e.g. a struct encoded earlier by another encoder). */
void thrift_enc__raw(struct thrift_enc *e, const void *p, size_t n);

/* Begins a top-level struct, or a struct that is a list element. */
void thrift_enc__struct_begin(struct thrift_enc *e);
/* Begins a struct-valued field. */
void thrift_enc__field_struct(struct thrift_enc *e, int16_t fid);
/* Writes the stop byte and pops one nesting level. */
void thrift_enc__struct_end(struct thrift_enc *e);

void thrift_enc__field_bool(struct thrift_enc *e, int16_t fid, bool v);
void thrift_enc__field_i16(struct thrift_enc *e, int16_t fid, int16_t v);
void thrift_enc__field_i32(struct thrift_enc *e, int16_t fid, int32_t v);
void thrift_enc__field_i64(struct thrift_enc *e, int16_t fid, int64_t v);
void thrift_enc__field_double(struct thrift_enc *e, int16_t fid, double v);
void thrift_enc__field_bin(struct thrift_enc *e, int16_t fid, const void *p,
			   size_t n);
void thrift_enc__field_str(struct thrift_enc *e, int16_t fid, const char *s);
/* Begins a list field of n elements of elem_type; then write n elements. */
void thrift_enc__field_list(struct thrift_enc *e, int16_t fid,
			    enum thrift_type elem_type, uint32_t n);

/* A field header alone; the caller appends the value's bytes with _raw (to
 * copy a field out of decoded bytes).  For a boolean field the value is the
 * type: THRIFT_TRUE or THRIFT_FALSE, and nothing follows. */
void thrift_enc__field_begin(struct thrift_enc *e, int16_t fid,
			     enum thrift_type type);

/* Bare values, for list elements. */
void thrift_enc__i32(struct thrift_enc *e, int32_t v);
void thrift_enc__i64(struct thrift_enc *e, int64_t v);
void thrift_enc__bin(struct thrift_enc *e, const void *p, size_t n);
/* A bare list header (for a list that is itself a list element). */
void thrift_enc__list(struct thrift_enc *e, enum thrift_type elem_type,
		      uint32_t n);

/* ---- decoder ---- */

struct thrift_dec {
	const uint8_t *start, *p, *end;
	int err;			/* first error (-EINVAL), sticky */
	int depth;
};

/* Decodes from [buf, buf + len); buf must outlive the decoder. */
void thrift_dec__init(struct thrift_dec *d, const void *buf, size_t len);
/* Byte offset of the cursor from the start of the buffer. */
size_t thrift_dec__pos(const struct thrift_dec *d);

/*
 * Struct field iteration:
 *	int16_t last = 0, fid; uint8_t type;
 *	thrift_dec__struct_enter(d);
 *	while (thrift_dec__field(d, &last, &fid, &type) > 0) {
 *		switch (fid) { ... default: thrift_dec__skip(d, type); }
 *	}
 *	thrift_dec__struct_leave(d);
 * __field returns 1 for a field, 0 at the stop byte, <0 on error.
 * For boolean fields the value is in the type: THRIFT_TRUE/THRIFT_FALSE.
 */
int thrift_dec__struct_enter(struct thrift_dec *d);
void thrift_dec__struct_leave(struct thrift_dec *d);
int thrift_dec__field(struct thrift_dec *d, int16_t *last_fid, int16_t *fid,
		      uint8_t *type);

int thrift_dec__i32(struct thrift_dec *d, int32_t *v);	/* also I16/BYTE */
int thrift_dec__i64(struct thrift_dec *d, int64_t *v);
int thrift_dec__double(struct thrift_dec *d, double *v);
/* Points *p into the buffer (no copy). */
int thrift_dec__bin(struct thrift_dec *d, const uint8_t **p, uint32_t *n);
/* Reads a list/set header; *n is capped by the bytes left. */
int thrift_dec__list(struct thrift_dec *d, uint8_t *elem_type, uint32_t *n);
/* Skips one value of the given wire type (bounded recursion). */
int thrift_dec__skip(struct thrift_dec *d, uint8_t type);

#endif /* MLPROBE_THRIFT_H */
