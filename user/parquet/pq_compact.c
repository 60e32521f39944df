// SPDX-License-Identifier: MIT
/*
 * pq_compact: rewrites a file of pq_writer without its dead bytes (the
 * footers that earlier flushes left behind), and merges its small row
 * groups into large ones.  Why and when: README.md, "Dead bytes".
 *
 * The copy is built in a hidden temp file beside the file (".NAME.tmp"),
 * fsynced, and renamed over the file, then the directory is fsynced: the
 * name holds the old file or the new one, each complete, at every moment.
 * A kill during a compaction leaves the temp file, which `mlprobe recover`
 * removes; the file itself is untouched.
 */
#define _GNU_SOURCE	/* copy_file_range */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pq_reader.h"
#include "pq_writer_int.h"

/* ".NAME.tmp" beside path; malloc'd, or NULL. */
static char *tmp_path(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t dirlen = base ? (size_t)(base - path) + 1 : 0;
	char *t;

	base = base ? base + 1 : path;
	if (asprintf(&t, "%.*s.%s.tmp", (int)dirlen, path, base) < 0)
		return NULL;
	return t;
}

static int fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, err = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		err = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return err;
}

/* Copies the first n bytes of in to the start of out. */
static int copy_prefix(int in, int out, uint64_t n)
{
	loff_t ioff = 0, ooff = 0;
	char buf[1 << 16];

	while ((uint64_t)ioff < n) {
		ssize_t k = copy_file_range(in, &ioff, out, &ooff,
					    n - (uint64_t)ioff, 0);

		if (k > 0)
			continue;
		if (k == 0)
			return -EIO;	/* the file is shorter than its state */
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS &&
		    errno != EOPNOTSUPP)
			return -errno;
		break;	/* no copy_file_range here: copy by hand */
	}
	while ((uint64_t)ioff < n) {
		size_t want = n - (uint64_t)ioff < sizeof(buf) ?
			      (size_t)(n - (uint64_t)ioff) : sizeof(buf);
		ssize_t k = pread(in, buf, want, ioff);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		for (ssize_t done = 0; done < k;) {
			ssize_t o = pwrite(out, buf + done, (size_t)(k - done),
					   ooff);

			if (o < 0 && errno == EINTR)
				continue;
			if (o <= 0)
				return o < 0 ? -errno : -EIO;
			done += o;
			ooff += o;
		}
		ioff += k;
	}
	return 0;
}

/* Appends the rows of row group g of r to m, which has r's schema. */
static int copy_rows(struct pq_reader *r, int g, struct pq_writer *m)
{
	struct pq_values *v = calloc((size_t)m->ncols, sizeof(*v));
	char err[256];
	int ret = 0;

	if (!v)
		return -ENOMEM;
	for (int c = 0; c < m->ncols && !ret; c++) {
		ret = pq_reader__read(r, g, c, &v[c], err, sizeof(err));
		if (!ret && v[c].n != v[0].n)
			ret = -EINVAL;
	}
	for (size_t i = 0; !ret && i < v[0].n; i++) {
		for (int c = 0; c < m->ncols && !ret; c++) {
			const struct pq_values *x = &v[c];

			if (x->isnull && x->isnull[i])
				continue;
			switch (m->cols[c].type) {
			case PQ_BOOL:
				ret = pq_writer__set_bool(m, c, x->i64[i] != 0);
				break;
			case PQ_INT32:
			case PQ_INT64:
			case PQ_TIMESTAMP_NS:
				ret = pq_writer__set_i64(m, c, x->i64[i]);
				break;
			case PQ_DOUBLE:
				ret = pq_writer__set_double(m, c, x->f64[i]);
				break;
			case PQ_STRING:
				ret = pq_writer__set_str(m, c, x->str[i],
							 x->str_len[i]);
				break;
			}
		}
		if (!ret)
			ret = pq_writer__end_row(m);
	}
	free(v);
	return ret;
}

/* The footer alone, at the end of m's file (every row is in a row group
 * written without one). */
static int write_footer(struct pq_writer *m)
{
	void *buf;
	size_t len;
	uint8_t tail[8];
	int ret = pq_writer__footer(m, &buf, &len);
	uint64_t off = m->file_bytes;

	if (ret)
		return ret;
	ret = len > UINT32_MAX ? -E2BIG : 0;
	errno = 0;
	tail[0] = (uint8_t)len;
	tail[1] = (uint8_t)(len >> 8);
	tail[2] = (uint8_t)(len >> 16);
	tail[3] = (uint8_t)(len >> 24);
	memcpy(tail + 4, PQ_MAGIC, 4);
	if (!ret && (pwrite(m->fd, buf, len, (off_t)off) != (ssize_t)len ||
		     pwrite(m->fd, tail, 8, (off_t)(off + len)) != 8))
		ret = errno ? -errno : -EIO;
	free(buf);
	if (!ret) {
		m->file_bytes = off + len + 8;
		m->footer_bytes = len + 8;
	}
	return ret;
}

/* The row groups written so far are sealed: a later compaction keeps
 * them as they are. */
static void seal(struct pq_writer *m)
{
	m->sealed.end = m->file_bytes - m->footer_bytes;
	m->sealed.nrg = m->nrg;
	m->sealed.rgs_len = m->rgs.len;
	m->sealed.rows = m->rows_written;
	m->tail_max_rows = 0;
}

/* Builds the compacted copy of w's file in m (whose fd is the temp file). */
static int build(struct pq_writer *w, struct pq_writer *m)
{
	struct pq_reader *r = NULL;
	char err[256];
	int in, ret;

	in = open(w->path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	if (w->sealed.end) {
		ret = copy_prefix(in, m->fd, w->sealed.end);
		m->file_bytes = w->sealed.end;
	} else {
		errno = 0;
		ret = pwrite(m->fd, PQ_MAGIC, 4, 0) == 4 ? 0 :
		      errno ? -errno : -EIO;
		m->file_bytes = 4;
	}
	close(in);
	if (ret)
		return ret;
	pq_buf__put(&m->rgs, w->rgs.p, w->sealed.rgs_len);
	if (m->rgs.err)
		return m->rgs.err;
	m->nrg = w->sealed.nrg;
	m->rows_written = w->sealed.rows;
	m->sealed = w->sealed;

	r = pq_reader__open(w->path, err, sizeof(err));
	if (!r)
		return -EIO;
	ret = pq_reader__ncols(r) == m->ncols &&
	      pq_reader__nrowgroups(r) == w->nrg ? 0 : -EINVAL;
	for (int c = 0; c < m->ncols && !ret; c++) {
		const struct pq_reader_column *rc = pq_reader__col(r, c);

		if (strcmp(rc->name, m->cols[c].name) ||
		    rc->type != m->cols[c].type)
			ret = -EINVAL;
	}
	for (int g = w->sealed.nrg; g < w->nrg && !ret; g++) {
		ret = copy_rows(r, g, m);
		if (!ret && m->nrows >= PQ_SEAL_ROWS &&
		    !(ret = pq_writer__flush_rows(m, false)))
			seal(m);
	}
	pq_reader__close(r);
	if (ret)
		return ret;
	if (m->nrows)
		ret = pq_writer__flush_rows(m, true);
	else
		ret = write_footer(m);
	if (ret)
		return ret;
	if (m->rows_written != w->rows_written)
		return -EINVAL;
	/* m's last row group is the tail of the next compaction unless it is
	 * long enough to keep. */
	if (m->tail_max_rows >= PQ_SEAL_ROWS)
		seal(m);
	if (fsync(m->fd) < 0)
		return -errno;
	return 0;
}

int pq_compact__run(struct pq_writer *w)
{
	struct pq_writer_opts o = {
		.sz = sizeof(o),
		.created_by = w->created_by,
		.gzip_level = w->codec == CODEC_UNCOMPRESSED ? -1 : w->gzip_level,
		.page_bytes = w->page_bytes,
	};
	struct pq_column *cols = calloc((size_t)w->ncols, sizeof(*cols));
	struct pq_writer *m = NULL;
	struct pq_buf swap;
	char *tmp = tmp_path(w->path);
	int ret = -ENOMEM;

	assert(!w->nrows);
	if (!cols || !tmp)
		goto cleanup;
	for (int c = 0; c < w->ncols; c++)
		cols[c] = (struct pq_column){ w->cols[c].name, w->cols[c].type,
					      w->cols[c].nullable,
					      w->cols[c].enc };
	m = pq_writer__new(tmp, cols, w->ncols, &o);
	if (!m)
		goto cleanup;
	/* Ours by its name: a temp file left by a kill is replaced. */
	m->fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		     0644);
	if (m->fd < 0) {
		ret = -errno;
		goto cleanup;
	}
	ret = build(w, m);
	if (!ret && rename(tmp, w->path) < 0)
		ret = -errno;
	if (ret) {
		unlink(tmp);
		goto cleanup;
	}
	fsync_dir_of(w->path);	/* the file is valid either way */

	/* w goes on appending to the new file. */
	close(w->fd);
	w->fd = m->fd;
	m->fd = -1;
	w->file_bytes = m->file_bytes;
	swap = w->rgs;
	w->rgs = m->rgs;
	m->rgs = swap;
	w->nrg = m->nrg;
	w->dead_bytes = 0;
	w->footer_bytes = m->footer_bytes;
	w->sealed = m->sealed;
	w->tail_max_rows = m->tail_max_rows;
	w->compactions++;
cleanup:
	if (m && m->fd >= 0) {
		close(m->fd);
		m->fd = -1;
	}
	pq_writer__discard(m);	/* rows of a failed copy: close must not
				 * write them anywhere */
	pq_writer__close(m);
	free(cols);
	free(tmp);
	return ret;
}
