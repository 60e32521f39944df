// SPDX-License-Identifier: MIT
/*
 * Unit tests for the Parquet writer and its encoders.
 *
 * Run with PQ_OUT_DIR=dir (or "gen DIR" as arguments) it instead writes
 * the files that tests/e2e/test_parquet_duckdb.sh reads back with DuckDB:
 * for each X.parquet, X.jsonl holds the expected rows in the format of
 * tests/duckdb/query.mjs.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "pq_decode.h"
#include "pq_encode.h"
#include "pq_reader.h"
#include "pq_writer.h"

static char tmpdir[] = "/tmp/pq_writer_test.XXXXXX";

static void path_in(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", tmpdir, name);
	unlink(buf);
}

static const struct pq_writer_opts *opts(size_t page_bytes, int level)
{
	static struct pq_writer_opts o;

	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.created_by = "mlprobe version test (build unit)";
	o.page_bytes = page_bytes;
	o.gzip_level = level;
	return &o;
}

static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* ---- encoders ---- */

static void test_bitpack_spec_example(void **s)
{
	/* parquet-format Encodings.md: 0..7 with bit width 3 */
	uint64_t v[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	struct pq_buf b = { 0 };
	const uint8_t want[3] = { 0x88, 0xc6, 0xfa };

	(void)s;
	pq_enc__bitpack(&b, v, 8, 3);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.p, want, 3);
	pq_buf__free(&b);
}

static void test_rle_hybrid_roundtrip(void **s)
{
	struct pq_buf b = { 0 };
	uint32_t v[3000], back[3000];
	size_t used;

	(void)s;
	/* a pure run: header (8 << 1), then one byte */
	for (int i = 0; i < 8; i++)
		v[i] = 1;
	pq_enc__rle_hybrid(&b, v, 8, 1);
	assert_int_equal(b.len, 2);
	assert_int_equal(b.p[0], 16);
	assert_int_equal(b.p[1], 1);
	assert_int_equal(pq_dec__rle_hybrid(b.p, 1, 1, back, 8, NULL),
			 -EINVAL);
	/* more values than the stream holds */
	assert_int_equal(pq_dec__rle_hybrid(b.p, 2, 1, back, 9, NULL),
			 -EINVAL);
	for (int bw = 1; bw <= 32; bw++) {
		size_t n = 1 + rnd() % 3000;

		for (size_t i = 0; i < n; i++) {
			uint32_t x = (uint32_t)rnd();

			if (bw < 32)
				x &= (1u << bw) - 1;
			/* mix literal stretches and long runs */
			v[i] = (i / 37) % 2 && i ? v[i - 1] : x;
		}
		b.len = 0;
		pq_enc__rle_hybrid(&b, v, n, bw);
		assert_int_equal(b.err, 0);
		assert_int_equal(pq_dec__rle_hybrid(b.p, b.len, bw, back, n,
						    &used), 0);
		assert_int_equal(used, b.len);
		assert_memory_equal(v, back, n * sizeof(*v));
		/* one byte short: an exact-size copy, so ASan sees any
		 * over-read; it fails, or the byte was only padding */
		if (b.len > 1) {
			uint8_t *cut = malloc(b.len - 1);

			memcpy(cut, b.p, b.len - 1);
			if (!pq_dec__rle_hybrid(cut, b.len - 1, bw, back, n,
						NULL))
				assert_memory_equal(v, back, n * sizeof(*v));
			free(cut);
		}
	}
	pq_buf__free(&b);
}

static void test_delta_roundtrip(void **s)
{
	int64_t v[1000], back[1000];
	struct pq_buf b = { 0 };
	size_t sizes[] = { 0, 1, 2, 127, 128, 129, 1000 };

	(void)s;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];

		for (size_t i = 0; i < n; i++)
			v[i] = i % 5 == 0 ? (int64_t)rnd() :
			       i % 7 == 1 ? INT64_MIN : i % 7 == 2 ? INT64_MAX
			       : (int64_t)(i * 1000) - 7;
		b.len = 0;
		pq_enc__delta(&b, v, n);
		assert_int_equal(b.err, 0);
		assert_int_equal(pq_dec__delta(b.p, b.len, back, n), 0);
		assert_memory_equal(v, back, n * sizeof(*v));
		/* a wrong count is an error */
		assert_int_not_equal(pq_dec__delta(b.p, b.len, back, n + 1), 0);
	}
	/* monotone timestamps pack small */
	for (size_t i = 0; i < 1000; i++)
		v[i] = 1700000000000000000LL + (int64_t)i * 1000;
	b.len = 0;
	pq_enc__delta(&b, v, 1000);
	assert_true(b.len < 100);
	pq_buf__free(&b);
}

static void test_bss_and_bools(void **s)
{
	double d[5] = { 1.5, -0.0, NAN, 1e300, -3 }, back[5];
	uint8_t bits[10] = { 1, 0, 1, 1, 0, 0, 0, 1, 1, 0 };
	struct pq_buf b = { 0 };

	(void)s;
	pq_enc__bss(&b, d, 5, 8);
	assert_int_equal(b.len, 40);
	assert_int_equal(pq_dec__bss(b.p, b.len, 8, back, 5), 0);
	assert_memory_equal(d, back, sizeof(d));
	b.len = 0;
	pq_enc__bools(&b, bits, 10);
	assert_int_equal(b.len, 2);
	assert_int_equal(b.p[0], 0x8d);
	assert_int_equal(b.p[1], 0x01);
	pq_buf__free(&b);
}

static void test_gzip_framing(void **s)
{
	z_stream zs = { 0 };
	struct pq_buf b = { 0 };
	char in[5000], out[5000];
	uLongf outlen = sizeof(out);
	z_stream is = { 0 };

	(void)s;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (char)(i % 17);
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8,
				      Z_DEFAULT_STRATEGY), Z_OK);
	assert_int_equal(pq_enc__gzip(&zs, in, sizeof(in), &b), 0);
	/* RFC 1952: ID1 ID2 CM=8 */
	assert_int_equal(b.p[0], 0x1f);
	assert_int_equal(b.p[1], 0x8b);
	assert_int_equal(b.p[2], 8);
	assert_int_equal(inflateInit2(&is, 16 + 15), Z_OK);	/* gzip only */
	is.next_in = b.p;
	is.avail_in = (uInt)b.len;
	is.next_out = (Bytef *)out;
	is.avail_out = (uInt)outlen;
	assert_int_equal(inflate(&is, Z_FINISH), Z_STREAM_END);
	assert_int_equal(is.total_out, sizeof(in));
	assert_memory_equal(in, out, sizeof(in));
	inflateEnd(&is);
	deflateEnd(&zs);
	pq_buf__free(&b);
}

/* ---- API contract ---- */

static const struct pq_column two_cols[] = {
	{ "id", PQ_INT64, false, PQ_ENC_DEFAULT },
	{ "name", PQ_STRING, true, PQ_ENC_DEFAULT },
};

static void test_new_rejects_bad_args(void **s)
{
	char p[256];
	struct pq_column bad[2] = { { "a", PQ_BOOL, false, PQ_ENC_DELTA },
				    { "b", PQ_INT32, false, 0 } };
	struct pq_column dup[2] = { { "a", PQ_BOOL, false, 0 },
				    { "a", PQ_INT32, false, 0 } };
	struct pq_writer_opts o = *opts(0, 0);

	(void)s;
	path_in(p, sizeof(p), "bad.parquet");
	errno = 0;
	assert_null(pq_writer__new(p, bad, 2, &o));
	assert_int_equal(errno, EINVAL);
	assert_null(pq_writer__new(p, dup, 2, &o));
	assert_null(pq_writer__new(p, two_cols, 0, &o));
	o.created_by = NULL;
	assert_null(pq_writer__new(p, two_cols, 2, &o));
	o = *opts(0, 10);
	assert_null(pq_writer__new(p, two_cols, 2, &o));
	o = *opts(0, 0);
	o.sz = 4;
	assert_null(pq_writer__new(p, two_cols, 2, &o));
	assert_int_equal(pq_writer__close(NULL), 0);
}

static void test_setters_and_rollback(void **s)
{
	struct pq_column c[] = { { "i", PQ_INT32, false, 0 },
				 { "s", PQ_STRING, false, 0 },
				 { "b", PQ_BOOL, true, 0 } };
	char p[256], err[256];
	struct pq_writer *w;
	struct pq_reader *r;
	struct pq_values v;

	(void)s;
	path_in(p, sizeof(p), "rollback.parquet");
	w = pq_writer__new(p, c, 3, opts(0, 0));
	assert_non_null(w);
	assert_int_equal(pq_writer__set_i32(w, 3, 1), -EINVAL);
	assert_int_equal(pq_writer__set_double(w, 0, 1), -EINVAL);
	assert_int_equal(pq_writer__set_i64(w, 0, 1LL << 40), -ERANGE);
	assert_int_equal(pq_writer__set_i64(w, 0, 7), 0);
	assert_int_equal(pq_writer__set_i32(w, 0, 8), -EINVAL); /* twice */
	assert_int_equal(pq_writer__set_str(w, 1, "gone", 4), 0);
	/* required "s" set but "i" ... all set: a good row */
	assert_int_equal(pq_writer__end_row(w), 0);
	/* missing required column: the row is dropped entirely */
	assert_int_equal(pq_writer__set_str(w, 1, "dropped", 7), 0);
	assert_int_equal(pq_writer__set_bool(w, 2, true), 0);
	assert_int_equal(pq_writer__end_row(w), -EINVAL);
	assert_int_equal(pq_writer__pending_rows(w), 1);
	assert_int_equal(pq_writer__set_i32(w, 0, -9), 0);
	assert_int_equal(pq_writer__set_str(w, 1, "kept", 4), 0);
	assert_int_equal(pq_writer__end_row(w), 0);
	assert_int_equal(pq_writer__pending_rows(w), 2);
	assert_true(pq_writer__pending_bytes(w) >= 2 * 4 + 8 + 8);
	assert_int_equal(pq_writer__close(w), 0);

	r = pq_reader__open(p, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(pq_reader__nrows(r), 2);
	assert_int_equal(pq_reader__read(r, 0, 0, &v, err, sizeof(err)), 0);
	assert_int_equal(v.i64[0], 7);
	assert_int_equal(v.i64[1], -9);
	assert_int_equal(pq_reader__read(r, 0, 1, &v, err, sizeof(err)), 0);
	assert_string_equal(v.str[0], "gone");
	assert_string_equal(v.str[1], "kept");
	assert_int_equal(pq_reader__read(r, 0, 2, &v, err, sizeof(err)), 0);
	assert_non_null(v.isnull);
	assert_true(v.isnull[0] && v.isnull[1]);
	pq_reader__close(r);
}

static void add_row(struct pq_writer *w, int64_t id)
{
	char name[32];

	snprintf(name, sizeof(name), "n%lld", (long long)(id % 10));
	assert_int_equal(pq_writer__set_i64(w, 0, id), 0);
	if (id % 3)
		assert_int_equal(pq_writer__set_str(w, 1, name,
						    strlen(name)), 0);
	assert_int_equal(pq_writer__end_row(w), 0);
}

static uint8_t *slurp(const char *p, size_t *n)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(p, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*n = (size_t)st.st_size;
	return buf;
}

static void test_lazy_create_and_append_only(void **s)
{
	char p[256], err[256];
	struct pq_writer *w;
	uint8_t *prev = NULL, *cur;
	size_t prev_n = 0, cur_n;
	struct stat st;

	(void)s;
	path_in(p, sizeof(p), "append.parquet");
	w = pq_writer__new(p, two_cols, 2, opts(256, 0));
	assert_non_null(w);
	assert_int_equal(stat(p, &st), -1);	/* nothing on disk yet */
	assert_int_equal(pq_writer__flush(w), 0);	/* no rows: no-op */
	assert_int_equal(stat(p, &st), -1);
	assert_int_equal(pq_writer__file_bytes(w), 0);
	for (int f = 0; f < 5; f++) {
		struct pq_reader *r;

		for (int i = 0; i < 100 * f + 1; i++)
			add_row(w, f * 1000 + i);
		assert_int_equal(pq_writer__flush(w), 0);
		assert_int_equal(pq_writer__pending_rows(w), 0);
		cur = slurp(p, &cur_n);
		assert_int_equal(cur_n, pq_writer__file_bytes(w));
		/* the previous valid file is a prefix of this one */
		assert_true(cur_n > prev_n);
		if (prev)
			assert_memory_equal(prev, cur, prev_n);
		/* both the old prefix and the new file read back */
		r = pq_reader__open_mem(cur, cur_n, err, sizeof(err));
		assert_non_null(r);
		assert_int_equal(pq_reader__nrowgroups(r), f + 1);
		assert_int_equal(pq_reader__nrows(r),
				 (int64_t)pq_writer__rows_written(w));
		pq_reader__close(r);
		if (prev) {
			r = pq_reader__open_mem(prev, prev_n, err, sizeof(err));
			assert_non_null(r);
			assert_int_equal(pq_reader__nrowgroups(r), f);
			pq_reader__close(r);
		}
		free(prev);
		prev = cur;
		prev_n = cur_n;
	}
	free(prev);
	assert_int_equal(pq_writer__close(w), 0);
	/* O_EXCL: a second writer refuses to clobber the file */
	w = pq_writer__new(p, two_cols, 2, opts(0, 0));
	add_row(w, 1);
	assert_int_equal(pq_writer__flush(w), -EEXIST);
	assert_int_equal(pq_writer__close(w), -EEXIST);
}

static void test_write_failure_keeps_file_valid(void **s)
{
	char p[256], err[256];
	struct pq_writer *w;
	struct rlimit old, lim;
	uint64_t good;
	size_t n;
	uint8_t *buf;
	struct pq_reader *r;
	struct pq_values v;

	(void)s;
	path_in(p, sizeof(p), "efbig.parquet");
	w = pq_writer__new(p, two_cols, 2, opts(0, -1));
	assert_non_null(w);
	for (int i = 0; i < 10; i++)
		add_row(w, i);
	assert_int_equal(pq_writer__flush(w), 0);
	good = pq_writer__file_bytes(w);
	for (int i = 10; i < 5000; i++)
		add_row(w, i);
	/* a file size limit makes the next write fail part way (EFBIG) */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = good + 100;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(pq_writer__flush(w), -EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(pq_writer__file_bytes(w), good);
	assert_int_equal(pq_writer__pending_rows(w), 4990);
	buf = slurp(p, &n);
	assert_int_equal(n, good);	/* truncated back */
	r = pq_reader__open_mem(buf, n, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(pq_reader__nrows(r), 10);
	pq_reader__close(r);
	free(buf);
	/* the retry writes every buffered row */
	assert_int_equal(pq_writer__close(w), 0);
	r = pq_reader__open(p, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(pq_reader__nrows(r), 5000);
	assert_int_equal(pq_reader__read(r, 1, 0, &v, err, sizeof(err)), 0);
	assert_int_equal(v.n, 4990);
	assert_int_equal(v.i64[4989], 4999);
	pq_reader__close(r);
}

static void test_first_flush_failure_leaves_no_file(void **s)
{
	char p[256];
	struct pq_writer *w;
	struct rlimit old, lim;
	struct stat st;

	(void)s;
	path_in(p, sizeof(p), "first.parquet");
	w = pq_writer__new(p, two_cols, 2, opts(0, 0));
	add_row(w, 1);
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 10;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(pq_writer__flush(w), -EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(stat(p, &st), -1);	/* no half file left */
	assert_int_equal(pq_writer__close(w), 0);	/* retried: ok */
	assert_int_equal(stat(p, &st), 0);
}

/* Rows given up on (counted lost by the caller) are never written later:
 * a flush that fails, space comes back, close must not write them. */
static void test_discard_is_final(void **s)
{
	char p[256], err[128];
	struct pq_writer *w;
	struct pq_reader *r;

	(void)s;
	path_in(p, sizeof(p), "discard.parquet");
	w = pq_writer__new(p, two_cols, 2, opts(0, 0));
	add_row(w, 1);
	assert_int_equal(pq_writer__flush(w), 0);
	add_row(w, 2);
	add_row(w, 3);
	pq_writer__discard(w);
	assert_int_equal(pq_writer__pending_rows(w), 0);
	assert_int_equal(pq_writer__close(w), 0);
	r = pq_reader__open(p, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(pq_reader__nrows(r), 1);
	pq_reader__close(r);
}

static void test_dict_fallback_and_pages(void **s)
{
	char p[256], err[256], name[32];
	struct pq_writer *w;
	struct pq_reader *r;
	struct pq_values v;
	size_t plain_size, dict_size;

	(void)s;
	/* 70000 distinct strings: over the entry cap, PLAIN fallback */
	path_in(p, sizeof(p), "fallback.parquet");
	w = pq_writer__new(p, two_cols, 2, opts(4096, -1));
	for (int i = 0; i < 70000; i++) {
		snprintf(name, sizeof(name), "k%d", i);
		pq_writer__set_i64(w, 0, i);
		pq_writer__set_str(w, 1, name, strlen(name));
		assert_int_equal(pq_writer__end_row(w), 0);
	}
	assert_int_equal(pq_writer__flush(w), 0);
	plain_size = pq_writer__file_bytes(w);
	assert_int_equal(pq_writer__close(w), 0);
	r = pq_reader__open(p, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(pq_reader__read(r, 0, 1, &v, err, sizeof(err)), 0);
	assert_string_equal(v.str[69999], "k69999");
	assert_int_equal(v.str_len[12345], 6);
	pq_reader__close(r);
	/* 70000 rows of 10 distinct strings: dictionary, much smaller */
	path_in(p, sizeof(p), "dict.parquet");
	w = pq_writer__new(p, two_cols, 2, opts(4096, -1));
	for (int i = 0; i < 70000; i++) {
		snprintf(name, sizeof(name), "k%d", i % 10);
		pq_writer__set_i64(w, 0, i);
		pq_writer__set_str(w, 1, name, strlen(name));
		assert_int_equal(pq_writer__end_row(w), 0);
	}
	assert_int_equal(pq_writer__flush(w), 0);
	dict_size = pq_writer__file_bytes(w);
	assert_int_equal(pq_writer__close(w), 0);
	assert_true(dict_size < plain_size - 70000 * 4);
	r = pq_reader__open(p, err, sizeof(err));
	assert_int_equal(pq_reader__read(r, 0, 1, &v, err, sizeof(err)), 0);
	assert_string_equal(v.str[69999], "k9");
	pq_reader__close(r);
}

/* ---- generator for the DuckDB end-to-end test ---- */

static const struct pq_column all_cols[] = {
	{ "id", PQ_INT64, false, PQ_ENC_DEFAULT },
	{ "b", PQ_BOOL, true, PQ_ENC_DEFAULT },
	{ "i32", PQ_INT32, true, PQ_ENC_DEFAULT },
	{ "i64", PQ_INT64, false, PQ_ENC_DEFAULT },
	{ "d", PQ_DOUBLE, true, PQ_ENC_DEFAULT },
	{ "s", PQ_STRING, true, PQ_ENC_DEFAULT },
	{ "ts", PQ_TIMESTAMP_NS, false, PQ_ENC_DEFAULT },
	{ "dl", PQ_INT64, true, PQ_ENC_DELTA },
	{ "dts", PQ_TIMESTAMP_NS, true, PQ_ENC_DELTA },
	{ "di32", PQ_INT32, false, PQ_ENC_DELTA },
	{ "dbss", PQ_DOUBLE, true, PQ_ENC_BYTE_STREAM_SPLIT },
	{ "sp", PQ_STRING, true, PQ_ENC_PLAIN },
};
#define NALL ((int)(sizeof(all_cols) / sizeof(all_cols[0])))

struct gv {			/* one generated value */
	bool null;
	int64_t i;
	double d;
	char s[64];
	size_t slen;
};

static const char *const words[] = {
	"", "plain", "é漢字🙂", "quote\"back\\slash", "tab\there\nnl",
	"x", "ctrl\001", "loss", "grad_norm/layer.3",
};

/* The value of column c in row r: deterministic, covers edge cases. */
static void gen_value(int64_t r, int c, struct gv *v)
{
	memset(v, 0, sizeof(*v));
	switch (c) {
	case 0: v->i = r; break;
	case 1: v->null = r % 11 == 0; v->i = r % 3 == 0; break;
	case 2:
		v->null = r % 7 == 3;
		v->i = r % 1000 == 1 ? INT32_MIN : r % 1000 == 2 ? INT32_MAX :
		       (int64_t)((uint64_t)r * 2654435761u % 100000) - 50000;
		break;
	case 3:
		v->i = r % 997 == 5 ? INT64_MIN : r % 997 == 6 ? INT64_MAX :
		       r * r * 12345 - 7;
		break;
	case 4:
	case 10:
		v->null = r % 13 == 0;
		v->d = r % 101 == 1 ? NAN : r % 101 == 2 ? INFINITY :
		       r % 101 == 3 ? -INFINITY : r % 101 == 4 ? -0.0 :
		       r % 101 == 5 ? 5e-324 : sin((double)r) * 1e6;
		if (c == 10)
			v->d = -v->d;
		break;
	case 5:
	case 11:
		v->null = r % 17 == 0;
		if (c == 11 && r % 5 == 0)
			snprintf(v->s, sizeof(v->s), "u%lld", (long long)r);
		else
			snprintf(v->s, sizeof(v->s), "%s",
				 words[(r / 3) % 9]);
		v->slen = strlen(v->s);
		break;
	case 6:
		v->i = r % 500 == 7 ? -1234567891LL - r :
		       1700000000000000000LL + r * 1000003LL;
		break;
	case 7:
		v->null = r % 5 == 2;
		v->i = r % 300 == 0 ? INT64_MIN + r : r * 3 - (r % 4) * 100;
		break;
	case 8:
		v->null = r % 9 == 4;
		v->i = 1700000000000000000LL + r * 1000LL + (r % 3) * 7;
		break;
	case 9:
		v->i = r % 250 == 0 ? INT32_MIN : (int32_t)(r * 7 - 30000);
		break;
	case 12:	/* distinct strings, then few: dictionary fallback */
		v->null = r % 1000 == 999;
		if (r < 70000)
			snprintf(v->s, sizeof(v->s), "k%lld-ü", (long long)r);
		else
			snprintf(v->s, sizeof(v->s), "%s", words[r % 9]);
		v->slen = strlen(v->s);
		break;
	case 13: v->d = r == 0 ? 0.0 : r == 1 ? 2.0 : 1.0; break;
	case 14: v->d = r == 0 ? -3.0 : r == 1 ? -0.0 : -1.0; break;
	case 15: v->d = NAN; break;
	case 16:
		snprintf(v->s, sizeof(v->s), "%s", r == 0 ? "b" : r == 1 ?
			 "a" : "c");
		v->slen = 1;
		break;
	}
}

static int write_row(struct pq_writer *w, const struct pq_column *cols,
		     int ncols, const int *map, int64_t r)
{
	struct gv v;
	int err = 0;

	for (int c = 0; c < ncols && !err; c++) {
		gen_value(r, map ? map[c] : c, &v);
		if (v.null)
			continue;
		switch (cols[c].type) {
		case PQ_BOOL: err = pq_writer__set_bool(w, c, v.i); break;
		case PQ_INT32: err = pq_writer__set_i32(w, c, (int32_t)v.i);
			break;
		case PQ_INT64:
		case PQ_TIMESTAMP_NS: err = pq_writer__set_i64(w, c, v.i);
			break;
		case PQ_DOUBLE: err = pq_writer__set_double(w, c, v.d); break;
		case PQ_STRING: err = pq_writer__set_str(w, c, v.s, v.slen);
			break;
		}
	}
	return err ? err : pq_writer__end_row(w);
}

static void json_int(FILE *f, int64_t v)
{
	const int64_t safe = (1LL << 53) - 1;

	if (v >= -safe && v <= safe)
		fprintf(f, "%lld", (long long)v);
	else
		fprintf(f, "\"%lld\"", (long long)v);
}

static void json_str(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/*
 * DuckDB reads TIMESTAMP(NANOS, isAdjustedToUTC) as TIMESTAMPTZ, which
 * has microseconds: it truncates toward zero (seen with DuckDB 1.5).
 */
static int64_t ts_as_duckdb(int64_t ns)
{
	return ns / 1000 * 1000;
}

static void json_row(FILE *f, const struct pq_column *cols, int ncols,
		     const int *map, int64_t r)
{
	struct gv v;

	fputc('{', f);
	for (int c = 0; c < ncols; c++) {
		gen_value(r, map ? map[c] : c, &v);
		fprintf(f, "%s\"%s\":", c ? "," : "", cols[c].name);
		if (v.null) {
			fputs("null", f);
			continue;
		}
		switch (cols[c].type) {
		case PQ_BOOL: fputs(v.i ? "true" : "false", f); break;
		case PQ_INT32:
		case PQ_INT64: json_int(f, v.i); break;
		case PQ_TIMESTAMP_NS: json_int(f, ts_as_duckdb(v.i)); break;
		case PQ_DOUBLE:
			if (isnan(v.d))
				fputs("\"NaN\"", f);
			else if (isinf(v.d))
				fputs(v.d > 0 ? "\"Infinity\"" : "\"-Infinity\"",
				      f);
			else if (v.d == 0 && signbit(v.d))
				fputs("\"-0\"", f);
			else
				fprintf(f, "%.17g", v.d);
			break;
		case PQ_STRING: json_str(f, v.s, v.slen); break;
		}
	}
	fputs("}\n", f);
}

/* Writes dir/name.parquet in flushes of the given sizes + name.jsonl. */
static int gen_file(const char *dir, const char *name,
		    const struct pq_column *cols, int ncols, const int *map,
		    const struct pq_writer_opts *o, const int *flushes,
		    int nflush)
{
	char p[512];
	struct pq_writer *w;
	FILE *f;
	int64_t r = 0;
	int err = 0;

	snprintf(p, sizeof(p), "%s/%s.jsonl", dir, name);
	f = fopen(p, "w");
	if (!f)
		return -errno;
	snprintf(p, sizeof(p), "%s/%s.parquet", dir, name);
	unlink(p);
	w = pq_writer__new(p, cols, ncols, o);
	if (!w) {
		fclose(f);
		return -errno;
	}
	for (int k = 0; k < nflush && !err; k++) {
		for (int i = 0; i < flushes[k] && !err; i++, r++) {
			err = write_row(w, cols, ncols, map, r);
			json_row(f, cols, ncols, map, r);
		}
		if (!err)
			err = pq_writer__flush(w);
	}
	if (pq_writer__close(w) && !err)
		err = -EIO;
	if (fclose(f) && !err)
		err = -EIO;
	return err;
}

/* The flushes of the compacted file: a slow table (one to three rows a
 * flush) around two long row groups, which a compaction merges and
 * seals. */
static int compacted_flushes(int *fl)
{
	int n = 0;

	for (int i = 0; i < 200; i++)
		fl[n++] = 1 + i % 3;
	fl[n++] = 40000;
	fl[n++] = 40000;
	for (int i = 0; i < 200; i++)
		fl[n++] = 1 + i % 3;
	return n;
}

static int64_t compacted_rows(void)
{
	int fl[512], n = compacted_flushes(fl);
	int64_t rows = 0;

	for (int i = 0; i < n; i++)
		rows += fl[i];
	return rows;
}

static const struct pq_writer_opts *compact_opts(void);

static int generate(const char *dir)
{
	int cfl[512], ncfl = compacted_flushes(cfl);
	static const int all_fl[] = { 7000, 13000, 1, 2500 };
	static const int plain_fl[] = { 500, 700 };
	static const int fb_fl[] = { 70000, 1000 };
	static const struct pq_column fb_cols[] = {
		{ "id", PQ_INT64, false, 0 }, { "u", PQ_STRING, true, 0 },
	};
	static const int fb_map[] = { 0, 12 };
	static const int st_fl[] = { 3 };
	static const struct pq_column st_cols[] = {
		{ "id", PQ_INT64, false, 0 }, { "z", PQ_DOUBLE, false, 0 },
		{ "n", PQ_DOUBLE, false, 0 }, { "nan", PQ_DOUBLE, false, 0 },
		{ "s", PQ_STRING, false, 0 }, { "b", PQ_BOOL, true, 0 },
	};
	static const int st_map[] = { 0, 13, 14, 15, 16, 1 };
	int err;

	mkdir(dir, 0755);
	err = gen_file(dir, "all", all_cols, NALL, NULL, opts(4096, 0),
		       all_fl, 4);
	if (!err)
		err = gen_file(dir, "plain", all_cols, NALL, NULL, opts(0, -1),
			       plain_fl, 2);
	if (!err)
		err = gen_file(dir, "fallback", fb_cols, 2, fb_map,
			       opts(8192, 9), fb_fl, 2);
	if (!err)
		err = gen_file(dir, "stats", st_cols, 6, st_map, opts(0, 0),
			       st_fl, 1);
	/* rewritten without its dead footers, small row groups merged */
	if (!err)
		err = gen_file(dir, "compacted", all_cols, NALL, NULL,
			       compact_opts(), cfl, ncfl);
	if (err)
		fprintf(stderr, "generate: %s\n", strerror(-err));
	return err ? 1 : 0;
}

/* Every row of r is row 0, 1, ... of gen_value for all_cols, in order. */
static void check_all_rows(struct pq_reader *r, int64_t nrows)
{
	char err[256];
	struct pq_values v;
	struct gv g;
	int64_t base = 0;

	assert_int_equal(pq_reader__nrows(r), nrows);
	assert_int_equal(pq_reader__ncols(r), NALL);
	for (int rg = 0; rg < pq_reader__nrowgroups(r); rg++) {
		size_t n = 0;

		for (int c = 0; c < NALL; c++) {
			assert_int_equal(pq_reader__col(r, c)->type,
					 all_cols[c].type);
			if (pq_reader__read(r, rg, c, &v, err, sizeof(err)))
				fail_msg("row group %d column %d: %s", rg, c, err);
			n = v.n;
			for (size_t i = 0; i < v.n; i++) {
				gen_value(base + (int64_t)i, c, &g);
				assert_int_equal(v.isnull && v.isnull[i],
						 g.null);
				if (g.null)
					continue;
				if (v.str) {
					assert_int_equal(v.str_len[i], g.slen);
					assert_memory_equal(v.str[i], g.s,
							    g.slen + 1);
				} else if (v.f64) {
					assert_memory_equal(&v.f64[i], &g.d, 8);
				} else {
					assert_int_equal(v.i64[i], g.i);
				}
			}
		}
		base += (int64_t)n;
	}
	assert_int_equal(base, nrows);
}

static void check_file(const char *p, int64_t nrows)
{
	char err[256];
	struct pq_reader *r = pq_reader__open(p, err, sizeof(err));

	if (!r)
		fail_msg("%s: %s", p, err);
	check_all_rows(r, nrows);
	pq_reader__close(r);
}

/* The generated files read back through pq_reader, value by value. */
static void test_generate_e2e_files(void **s)
{
	char p[512], err[256];
	struct pq_reader *r;

	(void)s;
	assert_int_equal(generate(tmpdir), 0);
	snprintf(p, sizeof(p), "%s/all.parquet", tmpdir);
	r = pq_reader__open(p, err, sizeof(err));
	assert_non_null(r);
	assert_string_equal(pq_reader__created_by(r),
			    "mlprobe version test (build unit)");
	assert_int_equal(pq_reader__nrowgroups(r), 4);
	check_all_rows(r, 7000 + 13000 + 1 + 2500);
	pq_reader__close(r);
	snprintf(p, sizeof(p), "%s/compacted.parquet", tmpdir);
	check_file(p, compacted_rows());
}

static const struct pq_writer_opts *compact_opts(void)
{
	static struct pq_writer_opts o;

	o = *opts(0, 1);
	o.max_dead_pct = 50;
	return &o;
}

static uint64_t file_size(const char *p)
{
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	return (uint64_t)st.st_size;
}

/* n rows of all_cols from *row on, then a flush. */
static void rows_and_flush(struct pq_writer *w, int64_t *row, int n)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(write_row(w, all_cols, NALL, NULL, (*row)++), 0);
	assert_int_equal(pq_writer__flush(w), 0);
}

/*
 * A slow table: one to three rows a flush.  Append only, the footers left
 * behind grow with the square of the flushes; with max_dead_pct the file
 * stays within 1.5x its live bytes after every flush, every state reads
 * back whole, and the rows end up in few row groups.
 */
static void test_dead_bytes_bounded(void **s)
{
	char p[256], tmp[300];
	struct pq_writer *w, *old;
	struct stat st;
	int64_t row = 0, orow = 0;
	uint64_t dead, bytes;

	(void)s;
	path_in(p, sizeof(p), "slow.parquet");
	path_in(tmp, sizeof(tmp), "slow-append.parquet");
	w = pq_writer__new(p, all_cols, NALL, compact_opts());
	old = pq_writer__new(tmp, all_cols, NALL, opts(0, 1));
	assert_non_null(w);
	assert_non_null(old);
	for (int f = 0; f < 600; f++) {
		for (int i = 0; i <= f % 3; i++) {
			assert_int_equal(write_row(w, all_cols, NALL, NULL, row++), 0);
			assert_int_equal(write_row(old, all_cols, NALL, NULL,
						   orow++), 0);
		}
		assert_int_equal(pq_writer__flush(w), 0);
		assert_int_equal(pq_writer__flush(old), 0);
		bytes = pq_writer__file_bytes(w);
		dead = pq_writer__dead_bytes(w);
		assert_int_equal(file_size(p), bytes);
		assert_true(2 * dead <= bytes - dead);
		if (f % 37 == 0 || f == 599) {
			check_file(p, row);
		}
	}
	assert_true(pq_writer__compactions(w) > 10);
	assert_true(pq_writer__row_groups(w) < 40);
	/* the same flushes append only: mostly dead footers */
	assert_true(pq_writer__dead_bytes(old) >
		    10 * (pq_writer__file_bytes(old) -
			  pq_writer__dead_bytes(old)));
	assert_int_equal(pq_writer__close(old), 0);
	assert_int_equal(pq_writer__close(w), 0);
	snprintf(tmp, sizeof(tmp), "%s/.slow.parquet.tmp", tmpdir);
	assert_int_equal(stat(tmp, &st), -1);	/* no temp file left */
	check_file(p, row);
}

/*
 * Long row groups: two of 40000 rows merge into one that is sealed, and
 * the compactions after it copy it as it is and re-encode only the short
 * row groups that follow.  A row group too long to re-encode at once stops
 * compaction (the caller starts a new file instead).
 */
static void test_compaction_seals_long_row_groups(void **s)
{
	char p[256], err[256];
	struct pq_writer *w;
	struct pq_reader *r;
	int64_t row = 0;
	int before;

	(void)s;
	path_in(p, sizeof(p), "sealed.parquet");
	w = pq_writer__new(p, all_cols, NALL, compact_opts());
	assert_non_null(w);
	rows_and_flush(w, &row, 40000);
	rows_and_flush(w, &row, 40000);
	for (int f = 0; pq_writer__compactions(w) < 3; f++) {
		assert_true(f < 5000);
		rows_and_flush(w, &row, 1);
	}
	r = pq_reader__open(p, err, sizeof(err));
	assert_non_null(r);
	/* the sealed 80000 rows, then the merged short ones */
	assert_int_equal(pq_reader__nrowgroups(r), 2);
	check_all_rows(r, row);
	pq_reader__close(r);

	rows_and_flush(w, &row, 70000);
	before = pq_writer__compactions(w);
	for (int f = 0; f < 300; f++)
		rows_and_flush(w, &row, 1);
	assert_int_equal(pq_writer__compactions(w), before);
	assert_int_equal(pq_writer__close(w), 0);
	check_file(p, row);
}

/*
 * A compaction that cannot write its temp file (here a directory is in
 * its way) changes nothing: the file stays valid and appended to, and
 * the next try, once the dead bytes have doubled, works.  A stale temp
 * file (left by a kill) is replaced.
 */
static void test_compaction_failure_keeps_file(void **s)
{
	char p[256], tmp[300];
	struct pq_writer *w;
	int64_t row = 0;
	int fd;

	(void)s;
	path_in(p, sizeof(p), "cfail.parquet");
	snprintf(tmp, sizeof(tmp), "%s/.cfail.parquet.tmp", tmpdir);
	assert_int_equal(mkdir(tmp, 0755), 0);
	w = pq_writer__new(p, all_cols, NALL, compact_opts());
	for (int f = 0; f < 100; f++) {
		rows_and_flush(w, &row, 1);
		assert_int_equal(file_size(p), pq_writer__file_bytes(w));
	}
	assert_int_equal(pq_writer__compactions(w), 0);
	assert_true(pq_writer__dead_bytes(w) * 2 >
		    pq_writer__file_bytes(w) - pq_writer__dead_bytes(w));
	check_file(p, row);
	assert_int_equal(rmdir(tmp), 0);
	fd = open(tmp, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "garbage", 7), 7);
	close(fd);
	for (int f = 0; f < 400 && !pq_writer__compactions(w); f++)
		rows_and_flush(w, &row, 1);
	assert_int_equal(pq_writer__compactions(w), 1);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(pq_writer__close(w), 0);
	check_file(p, row);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bitpack_spec_example),
		cmocka_unit_test(test_rle_hybrid_roundtrip),
		cmocka_unit_test(test_delta_roundtrip),
		cmocka_unit_test(test_bss_and_bools),
		cmocka_unit_test(test_gzip_framing),
		cmocka_unit_test(test_new_rejects_bad_args),
		cmocka_unit_test(test_setters_and_rollback),
		cmocka_unit_test(test_lazy_create_and_append_only),
		cmocka_unit_test(test_write_failure_keeps_file_valid),
		cmocka_unit_test(test_first_flush_failure_leaves_no_file),
		cmocka_unit_test(test_discard_is_final),
		cmocka_unit_test(test_dict_fallback_and_pages),
		cmocka_unit_test(test_generate_e2e_files),
		cmocka_unit_test(test_dead_bytes_bounded),
		cmocka_unit_test(test_compaction_seals_long_row_groups),
		cmocka_unit_test(test_compaction_failure_keeps_file),
	};
	const char *dir = getenv("PQ_OUT_DIR");
	int ret;

	if (argc == 3 && !strcmp(argv[1], "gen"))
		dir = argv[2];
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	if (dir)
		ret = generate(dir);
	else
		ret = cmocka_run_group_tests(tests, NULL, NULL);
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd))
			ret = ret ? ret : 1;
	}
	return ret;
}
