// SPDX-License-Identifier: MIT
/*
 * Unit tests for pq_recover: a file written by pq_writer over several
 * flushes is cut at every byte offset (what a kill during a flush can
 * leave), and recovery must give a valid file that keeps exactly the
 * complete row groups, with the values intact.
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
#include "pq_recover.h"
#include "pq_writer.h"

static char tmpdir[] = "/tmp/pq_recover_test.XXXXXX";

static const struct pq_column cols[] = {
	{ "ts", PQ_TIMESTAMP_NS, false, PQ_ENC_DELTA },
	{ "name", PQ_STRING, false, PQ_ENC_DEFAULT },
	{ "step", PQ_INT64, true, PQ_ENC_DELTA },
	{ "value", PQ_DOUBLE, false, PQ_ENC_BYTE_STREAM_SPLIT },
};
#define NCOLS 4
#define FLUSHES 4

/* A file of FLUSHES row groups; sizes[k] is its length after flush k + 1,
 * rg_end[k] where row group k's pages end (its footer follows). */
struct image {
	uint8_t *buf;
	size_t len;
	size_t sizes[FLUSHES], rg_end[FLUSHES];
	int64_t rows[FLUSHES];	/* rows after flush k + 1 */
};

static void put_row(struct pq_writer *w, int64_t i)
{
	char name[32];

	snprintf(name, sizeof(name), "m%lld", (long long)(i % 7));
	assert_int_equal(pq_writer__set_i64(w, 0, 1700000000000000000 + i * 1000), 0);
	assert_int_equal(pq_writer__set_str(w, 1, name, strlen(name)), 0);
	if (i % 5)
		assert_int_equal(pq_writer__set_i64(w, 2, i), 0);
	assert_int_equal(pq_writer__set_double(w, 3, i * 0.25), 0);
	assert_int_equal(pq_writer__end_row(w), 0);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* page_bytes small makes chunks of several pages; gzip -1 uncompressed. */
static void make_image(struct image *im, const char *name, size_t page_bytes,
		       int gzip_level)
{
	struct pq_writer_opts o = {
		.sz = sizeof(o),
		.created_by = "mlprobe version test (build unit)",
		.page_bytes = page_bytes,
		.gzip_level = gzip_level,
	};
	char path[256];
	struct pq_writer *w;
	int64_t row = 0;
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
	w = pq_writer__new(path, cols, NCOLS, &o);
	assert_non_null(w);
	for (int k = 0; k < FLUSHES; k++) {
		for (int i = 0; i < 40 + 30 * k; i++)
			put_row(w, row++);
		assert_int_equal(pq_writer__flush(w), 0);
		im->sizes[k] = pq_writer__file_bytes(w);
		im->rows[k] = row;
	}
	assert_int_equal(pq_writer__close(w), 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	im->len = (size_t)st.st_size;
	assert_int_equal(im->len, im->sizes[FLUSHES - 1]);
	im->buf = malloc(im->len + 4096);
	assert_non_null(im->buf);
	assert_int_equal(read(fd, im->buf, im->len), (ssize_t)im->len);
	close(fd);
	for (int k = 0; k < FLUSHES; k++)
		im->rg_end[k] = im->sizes[k] - 8 - le32(im->buf + im->sizes[k] - 8);
}

/* Applies plan to buf[0..len) and checks the result: a valid file with
 * want rows whose values are the first want rows written. */
static void check_plan(const struct image *im, const struct pq_recover_plan *p,
		       int64_t want, size_t cut)
{
	uint8_t *out = malloc(p->keep + p->tail_len + 1);
	struct pq_reader *r;
	struct pq_values v;
	char err[256];
	int64_t row = 0;

	assert_non_null(out);
	memcpy(out, im->buf, p->keep);
	if (p->tail_len)
		memcpy(out + p->keep, p->tail, p->tail_len);
	r = pq_reader__open_mem(out, p->keep + p->tail_len, err, sizeof(err));
	if (!r)
		fail_msg("cut %zu: recovered file does not open: %s", cut, err);
	if (pq_reader__nrows(r) != want)
		fail_msg("cut %zu: %lld rows, want %lld", cut,
			 (long long)pq_reader__nrows(r), (long long)want);
	assert_int_equal(p->res.rows, want);
	for (int g = 0; g < pq_reader__nrowgroups(r); g++) {
		size_t n = 0;

		for (int c = 0; c < NCOLS; c++) {
			if (pq_reader__read(r, g, c, &v, err, sizeof(err)))
				fail_msg("cut %zu: row group %d column %d: %s",
					 cut, g, c, err);
			n = v.n;
			for (size_t i = 0; i < v.n; i++) {
				int64_t id = row + (int64_t)i;
				char name[32];

				switch (c) {
				case 0:
					assert_int_equal(v.i64[i], 1700000000000000000 + id * 1000);
					break;
				case 1:
					snprintf(name, sizeof(name), "m%lld", (long long)(id % 7));
					assert_string_equal(v.str[i], name);
					break;
				case 2:
					assert_int_equal(v.isnull && v.isnull[i], id % 5 == 0);
					if (id % 5)
						assert_int_equal(v.i64[i], id);
					break;
				case 3:
					assert_true(v.f64[i] == id * 0.25);
					break;
				}
			}
		}
		row += (int64_t)n;
	}
	assert_int_equal(row, want);
	pq_reader__close(r);
	free(out);
}

/* Rows a cut at `cut` must keep: every row group whose pages are whole. */
static int64_t rows_kept(const struct image *im, size_t cut)
{
	int64_t want = 0;

	for (int k = 0; k < FLUSHES; k++)
		if (cut >= im->rg_end[k])
			want = im->rows[k];
	return want;
}

static void every_cut(size_t page_bytes, int level, bool with_schema)
{
	struct pq_recover_opts o = { .sz = sizeof(o) };
	struct image im;
	int rebuilt = 0, truncated = 0;

	if (with_schema) {
		o.cols = cols;
		o.ncols = NCOLS;
	}
	make_image(&im, "cuts.parquet", page_bytes, level);
	for (size_t cut = 0; cut <= im.len; cut++) {
		struct pq_recover_plan p;
		char err[256] = "";
		int ret = pq_recover__plan(im.buf, cut, &o, &p, err, sizeof(err));
		int64_t want = rows_kept(&im, cut);

		if (!with_schema && cut < im.sizes[0]) {
			/* No footer survived, nothing to rebuild one from. */
			if (ret != -EINVAL)
				fail_msg("cut %zu: ret %d, want -EINVAL", cut, ret);
			assert_true(strlen(err) > 0);
			continue;
		}
		if (ret)
			fail_msg("cut %zu: %s", cut, err);
		check_plan(&im, &p, want, cut);
		if (cut == im.len)
			assert_int_equal(p.res.action, PQ_RECOVER_INTACT);
		rebuilt += p.res.action == PQ_RECOVER_REBUILT;
		truncated += p.res.action == PQ_RECOVER_TRUNCATED;
		free(p.tail);
	}
	/* Both repairs really happened along the way. */
	assert_true(rebuilt > 0);
	assert_true(truncated > 0);
	free(im.buf);
}

static void test_every_cut_gzip(void **s)
{
	(void)s;
	every_cut(0, 1, true);
}

static void test_every_cut_multipage_uncompressed(void **s)
{
	(void)s;
	/* 64-byte pages: every chunk is several pages, so the split of the
	 * torn row group into columns is really searched. */
	every_cut(64, -1, true);
}

static void test_every_cut_without_schema(void **s)
{
	(void)s;
	every_cut(128, 1, false);
}

/* Garbage after a valid file (a torn write that did not even reach a
 * page header): cut back exactly. */
static void test_garbage_tail(void **s)
{
	struct pq_recover_opts o = { .sz = sizeof(o) };
	struct pq_recover_plan p;
	struct image im;
	char err[256];

	(void)s;
	make_image(&im, "garbage.parquet", 0, 1);
	for (size_t i = 0; i < 4096; i++)
		im.buf[im.len + i] = (uint8_t)(i * 131 + 7);
	assert_int_equal(pq_recover__plan(im.buf, im.len + 4096, &o, &p, err,
					  sizeof(err)), 0);
	assert_int_equal(p.res.action, PQ_RECOVER_TRUNCATED);
	assert_int_equal(p.keep, im.len);
	assert_int_equal(p.tail_len, 0);
	free(im.buf);
}

/* A whole file whose footer is fine but whose data is damaged is not a
 * crash tail: recover refuses and changes nothing. */
static void test_damage_is_not_repaired(void **s)
{
	struct pq_recover_opts o = { .sz = sizeof(o) };
	struct pq_recover_result res;
	struct image im;
	char path[256], err[256] = "";
	struct stat st;
	int fd;

	(void)s;
	make_image(&im, "damaged.parquet", 0, 1);
	/* Inside the first row group's first page body. */
	im.buf[im.rg_end[0] / 2] ^= 0xff;
	snprintf(path, sizeof(path), "%s/damaged.parquet", tmpdir);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, im.buf, im.len), (ssize_t)im.len);
	close(fd);
	assert_int_equal(pq_recover__file(path, &o, &res, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "not a torn write"));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal((size_t)st.st_size, im.len);
	free(im.buf);
}

/* On disk: a cut inside the last footer keeps the last row group; a second
 * run finds the file intact; a cut file of zero bytes becomes an empty
 * valid table. */
static void test_file_in_place(void **s)
{
	struct pq_recover_opts o = { .sz = sizeof(o), .cols = cols,
				     .ncols = NCOLS };
	struct pq_recover_result res;
	struct pq_reader *r;
	struct image im;
	char path[256], err[256] = "";
	size_t cut;
	int fd;

	(void)s;
	make_image(&im, "inplace.parquet", 0, 1);
	snprintf(path, sizeof(path), "%s/inplace.parquet", tmpdir);
	cut = im.rg_end[FLUSHES - 1] + 5;
	assert_int_equal(truncate(path, (off_t)cut), 0);
	assert_null(pq_reader__open(path, err, sizeof(err)));
	o.dry_run = true;
	assert_int_equal(pq_recover__file(path, &o, &res, err, sizeof(err)), 0);
	assert_int_equal(res.action, PQ_RECOVER_REBUILT);
	r = pq_reader__open(path, err, sizeof(err));
	assert_null(r);		/* dry run changed nothing */
	o.dry_run = false;
	assert_int_equal(pq_recover__file(path, &o, &res, err, sizeof(err)), 0);
	assert_int_equal(res.action, PQ_RECOVER_REBUILT);
	assert_int_equal(res.rows, im.rows[FLUSHES - 1]);
	assert_int_equal(res.rows_rebuilt, im.rows[FLUSHES - 1] - im.rows[FLUSHES - 2]);
	r = pq_reader__open(path, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(pq_reader__nrows(r), im.rows[FLUSHES - 1]);
	pq_reader__close(r);
	assert_int_equal(pq_recover__file(path, &o, &res, err, sizeof(err)), 0);
	assert_int_equal(res.action, PQ_RECOVER_INTACT);

	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(pq_recover__file(path, &o, &res, err, sizeof(err)), 0);
	assert_int_equal(res.action, PQ_RECOVER_EMPTY);
	r = pq_reader__open(path, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(pq_reader__nrows(r), 0);
	assert_int_equal(pq_reader__ncols(r), NCOLS);
	pq_reader__close(r);
	free(im.buf);
}

static void test_not_parquet(void **s)
{
	struct pq_recover_opts o = { .sz = sizeof(o), .cols = cols,
				     .ncols = NCOLS };
	struct pq_recover_plan p;
	char err[256] = "";

	(void)s;
	assert_int_equal(pq_recover__plan((const uint8_t *)"hello, world", 12,
					  &o, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad magic"));
}

static int setup(void **s)
{
	(void)s;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **s)
{
	char cmd[300];

	(void)s;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_cut_gzip),
		cmocka_unit_test(test_every_cut_multipage_uncompressed),
		cmocka_unit_test(test_every_cut_without_schema),
		cmocka_unit_test(test_garbage_tail),
		cmocka_unit_test(test_damage_is_not_repaired),
		cmocka_unit_test(test_file_in_place),
		cmocka_unit_test(test_not_parquet),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
