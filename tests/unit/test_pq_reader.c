// SPDX-License-Identifier: MIT
/*
 * Unit tests for the Parquet reader: files from DuckDB (gzip with v1
 * pages; v2 pages with DELTA/BYTE_STREAM_SPLIT), and hostile input, which
 * must give a one-line reason, never a crash.  Run from the repository
 * root (fixtures live in tests/fuzz/corpus/pq_reader/).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "pq_reader.h"
#include "pq_writer.h"

#define CORPUS "tests/fuzz/corpus/pq_reader/"

static uint8_t *slurp(const char *p, size_t *n)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(p, O_RDONLY);

	if (fd < 0)
		fail_msg("%s: %s (run from the repository root)", p,
			 strerror(errno));
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*n = (size_t)st.st_size;
	return buf;
}

/*
 * duckdb_gzip.parquet was written by DuckDB 1.5 with
 *   COPY (SELECT i::BIGINT id, (i*1.5)::DOUBLE d,
 *         CASE WHEN i%3=0 THEN NULL ELSE 'v' || (i%5) END s, i%2=0 b,
 *         (i*7)::INTEGER i32, TIMESTAMP '2024-01-01' + INTERVAL (i) SECOND ts,
 *         i::FLOAT f FROM range(40) t(i)) TO .. (FORMAT parquet, CODEC 'gzip')
 * and duckdb_v2_uncompressed.parquet likewise (first five columns) with
 * CODEC 'uncompressed', PARQUET_VERSION v2, and duckdb_snappy.parquet
 * with all seven and no options: DuckDB's default codec, SNAPPY.
 */
static void check_duckdb_file(const char *path, int ncols)
{
	char err[256], want[8];
	struct pq_reader *r;
	struct pq_values v;
	int c;

	r = pq_reader__open(path, err, sizeof(err));
	if (!r)
		fail_msg("%s: %s", path, err);
	assert_int_equal(pq_reader__ncols(r), ncols);
	assert_int_equal(pq_reader__nrows(r), 40);
	assert_int_equal(pq_reader__nrowgroups(r), 1);
	assert_non_null(strstr(pq_reader__created_by(r), "DuckDB"));
	assert_int_equal(pq_reader__col_index(r, "nope"), -1);
	assert_null(pq_reader__col(r, ncols));

	c = pq_reader__col_index(r, "id");
	assert_int_equal(pq_reader__col(r, c)->type, PQ_INT64);
	assert_int_equal(pq_reader__read(r, 0, c, &v, err, sizeof(err)), 0);
	for (int i = 0; i < 40; i++)
		assert_int_equal(v.i64[i], i);
	c = pq_reader__col_index(r, "d");
	assert_int_equal(pq_reader__read(r, 0, c, &v, err, sizeof(err)), 0);
	for (int i = 0; i < 40; i++)
		assert_true(v.f64[i] == i * 1.5);
	c = pq_reader__col_index(r, "s");
	assert_int_equal(pq_reader__col(r, c)->type, PQ_STRING);
	assert_int_equal(pq_reader__read(r, 0, c, &v, err, sizeof(err)), 0);
	assert_non_null(v.isnull);
	for (int i = 0; i < 40; i++) {
		assert_int_equal(v.isnull[i], i % 3 == 0);
		if (i % 3 == 0)
			continue;
		snprintf(want, sizeof(want), "v%d", i % 5);
		assert_string_equal(v.str[i], want);
		assert_int_equal(v.str_len[i], 2);
	}
	c = pq_reader__col_index(r, "b");
	assert_int_equal(pq_reader__col(r, c)->type, PQ_BOOL);
	assert_int_equal(pq_reader__read(r, 0, c, &v, err, sizeof(err)), 0);
	for (int i = 0; i < 40; i++)
		assert_int_equal(v.i64[i], i % 2 == 0);
	c = pq_reader__col_index(r, "i32");
	assert_int_equal(pq_reader__col(r, c)->type, PQ_INT32);
	assert_int_equal(pq_reader__read(r, 0, c, &v, err, sizeof(err)), 0);
	for (int i = 0; i < 40; i++)
		assert_int_equal(v.i64[i], i * 7);
	if (ncols > 5) {
		c = pq_reader__col_index(r, "ts");	/* micros -> ns */
		assert_int_equal(pq_reader__col(r, c)->type, PQ_TIMESTAMP_NS);
		assert_int_equal(pq_reader__read(r, 0, c, &v, err,
						 sizeof(err)), 0);
		for (int i = 0; i < 40; i++)
			assert_true(v.i64[i] == 1704067200000000000LL +
				    i * 1000000000LL);
		c = pq_reader__col_index(r, "f");	/* FLOAT -> double */
		assert_int_equal(pq_reader__read(r, 0, c, &v, err,
						 sizeof(err)), 0);
		for (int i = 0; i < 40; i++)
			assert_true(v.f64[i] == i);
	}
	assert_int_equal(pq_reader__read(r, 1, 0, &v, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(pq_reader__read(r, 0, -1, &v, err, sizeof(err)),
			 -EINVAL);
	pq_reader__close(r);
}

static void test_duckdb_gzip_v1(void **s)
{
	(void)s;
	check_duckdb_file(CORPUS "duckdb_gzip.parquet", 7);
}

static void test_duckdb_snappy(void **s)
{
	(void)s;
	check_duckdb_file(CORPUS "duckdb_snappy.parquet", 7);
}

static void test_duckdb_v2_delta_bss(void **s)
{
	(void)s;
	check_duckdb_file(CORPUS "duckdb_v2_uncompressed.parquet", 5);
}

static void expect_open_error(const void *buf, size_t n, const char *want)
{
	char err[256] = "";

	assert_null(pq_reader__open_mem(buf, n, err, sizeof(err)));
	if (!strstr(err, want))
		fail_msg("error '%s' lacks '%s'", err, want);
}

static void test_open_errors(void **s)
{
	char err[256] = "";
	uint8_t *buf;
	size_t n;

	(void)s;
	expect_open_error("", 0, "not a Parquet file");
	expect_open_error("PAR1xxxxxxxxxxxxPAR1", 20, "truncated footer");
	expect_open_error("GIF89a..........PAR1", 20, "bad magic");
	expect_open_error("PAR1\x04\0\0\0PAR1", 12, "truncated footer");
	buf = slurp(CORPUS "stats.parquet", &n);
	/* cut anywhere: the magic or footer check catches it */
	expect_open_error(buf, n - 1, "truncated footer");
	/* footer bytes zeroed: corrupt metadata with a byte offset */
	memset(buf + n - 8 - 40, 0xee, 32);
	expect_open_error(buf, n, "corrupt metadata");
	free(buf);
	assert_null(pq_reader__open("/nonexistent/x.parquet", err,
				    sizeof(err)));
	assert_non_null(strstr(err, "No such file"));
	assert_null(pq_reader__open("/", err, sizeof(err)));
	assert_non_null(strstr(err, "not a regular file"));
	pq_reader__close(NULL);
}

/* Reads everything; returns how many reads failed (never crashes). */
static int read_all(const uint8_t *buf, size_t n, bool *opened)
{
	char err[256];
	struct pq_reader *r;
	struct pq_values v;
	int fails = 0;

	err[0] = 0;
	r = pq_reader__open_mem(buf, n, err, sizeof(err));
	*opened = r != NULL;
	if (!r) {
		assert_true(err[0] != 0 && !strchr(err, '\n'));
		return 1;
	}
	for (int g = 0; g < pq_reader__nrowgroups(r); g++)
		for (int c = 0; c < pq_reader__ncols(r); c++) {
			err[0] = 0;
			if (pq_reader__read(r, g, c, &v, err, sizeof(err))) {
				assert_true(err[0] != 0);
				fails++;
			}
		}
	pq_reader__close(r);
	return fails;
}

static void test_mutations_never_crash(void **s)
{
	static const char *const files[] = {
		CORPUS "mlprobe_uncompressed.parquet",
		CORPUS "mlprobe_gzip_all_types.parquet",
		CORPUS "duckdb_gzip.parquet",
		CORPUS "duckdb_snappy.parquet",
		CORPUS "duckdb_v2_uncompressed.parquet",
	};
	uint64_t x = 42;
	int failed_reads = 0, failed_opens = 0;
	bool opened;

	(void)s;
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		size_t n;
		uint8_t *orig = slurp(files[f], &n), *b = malloc(n);

		assert_int_equal(read_all(orig, n, &opened), 0);
		/* every byte of the file, one at a time, set to junk */
		for (size_t i = 0; i < n; i++) {
			memcpy(b, orig, n);
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			b[i] ^= (uint8_t)((x >> 56) | 1);
			failed_reads += read_all(b, n, &opened);
			failed_opens += !opened;
		}
		free(b);
		free(orig);
	}
	/* the corruptions were noticed, not silently accepted */
	assert_true(failed_opens > 0);
	assert_true(failed_reads > failed_opens);
}

static void test_uncompressed_page_must_match(void **s)
{
	uint8_t *buf;
	size_t n;
	bool opened;

	(void)s;
	/* our uncompressed file: first page header's sizes after "PAR1" */
	buf = slurp(CORPUS "mlprobe_uncompressed.parquet", &n);
	/* PageHeader field 2 (uncompressed size) varint: bump it */
	assert_int_equal(buf[4], 0x15);			/* 1: i32 type */
	assert_int_equal(buf[6], 0x15);			/* 2: i32 unc */
	buf[7] += 2;
	assert_true(read_all(buf, n, &opened) > 0);
	assert_true(opened);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duckdb_gzip_v1),
		cmocka_unit_test(test_duckdb_snappy),
		cmocka_unit_test(test_duckdb_v2_delta_bss),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_mutations_never_crash),
		cmocka_unit_test(test_uncompressed_page_must_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
