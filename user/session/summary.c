// SPDX-License-Identifier: MIT
/* summary.c - what `record` prints when it ends. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "common/log.h"
#include "summary.h"

/* Fewer events than this: the CPU time per million is not shown. */
#define SUMMARY_MIN_EVENTS 100000

static void file_row(const char *dir, const char *path, uint64_t rows,
		     uint64_t bytes)
{
	size_t dl = strlen(dir);
	const char *rel = !strncmp(path, dir, dl) && path[dl] == '/' ?
				  path + dl + 1 : path;

	fprintf(stderr, "  %-22s %10llu rows %10llu bytes\n", rel,
		(unsigned long long)rows, (unsigned long long)bytes);
}

void record_summary(const char *dir, const struct account *acct,
		    const struct mp_counters *c, struct pqsink *ps,
		    const struct alerts *al, double secs, double cpu_s, int npids)
{
	unsigned long long total = 0, events = 0;

	fprintf(stderr, "mlprobe: recorded %.1f s to %s", secs, dir);
	if (npids > 1)
		fprintf(stderr, " from %d processes", npids);
	fputc('\n', stderr);
	fprintf(stderr, "  %-8s %12s %12s %12s %10s\n", "kind", "events",
		"written", "dropped", "unmatched");
	for (int i = 0; i < ROW_TABLES; i++) {
		const struct account_table *t = &acct->t[i];

		events += t->hits;
		fprintf(stderr, "  %-8s %12llu %12llu %12llu %10llu\n", t->kind,
			(unsigned long long)t->hits, (unsigned long long)t->written,
			(unsigned long long)(t->lost_kernel + t->lost_io),
			(unsigned long long)t->unmatched);
	}
	fprintf(stderr, "  %-8s %12llu\n", "step",
		(unsigned long long)c->v[MP_K_STEP][MP_S_HITS]);
	for (int i = 0; i < ROW_TABLES; i++) {
		const struct account_table *t = &acct->t[i];

		if (t->lost_kernel + t->lost_io + t->truncated)
			fprintf(stderr, "  %s: dropped %llu ring full, %llu name "
				"not sent, %llu held by the trainer, %llu disk; "
				"%llu written cut short\n",
				t->kind, (unsigned long long)t->lost_ring,
				(unsigned long long)t->lost_name,
				(unsigned long long)t->lost_held,
				(unsigned long long)t->lost_io,
				(unsigned long long)t->truncated);
	}
	for (int i = 0; i < pqsink__nfiles(ps); i++) {
		const struct pqsink_file *f = pqsink__file(ps, i);

		total += f->bytes;
		file_row(dir, f->path, f->rows, f->bytes);
	}
	/* The alerts files are closed by now: their size is final. */
	for (int i = 0; i < alerts__nfiles(al); i++) {
		const struct alerts_file *f = alerts__file(al, i);
		struct stat st;
		uint64_t bytes = stat(f->path, &st) ? 0 : (uint64_t)st.st_size;

		total += bytes;
		file_row(dir, f->path, f->rows, bytes);
	}
	fprintf(stderr, "  %d files, %llu bytes\n",
		pqsink__nfiles(ps) + alerts__nfiles(al), total);
	/* Per million events only where the events, not the start and the
	 * end, make the CPU time. */
	if (cpu_s >= 0 && events >= SUMMARY_MIN_EVENTS)
		fprintf(stderr, "  consumer CPU %.3f s, %.3f s per million events\n",
			cpu_s, cpu_s * 1e6 / events);
	else if (cpu_s >= 0)
		fprintf(stderr, "  consumer CPU %.3f s\n", cpu_s);
}

/* One loud line naming every table whose books do not balance. */
void record_mismatch(const struct account *acct, const char *dir)
{
	char buf[512];
	int n = 0;

	for (int i = 0; i < ROW_TABLES; i++) {
		const struct account_table *t = &acct->t[i];

		if (t->ok || n >= (int)sizeof(buf) - 1)
			continue;
		n += snprintf(buf + n, sizeof(buf) - n,
			      "%s%s: emitted %llu, delivered %llu, written %llu + "
			      "lost %llu", n ? "; " : "", t->table,
			      (unsigned long long)t->emitted,
			      (unsigned long long)t->delivered,
			      (unsigned long long)t->written,
			      (unsigned long long)t->lost_io);
	}
	if (acct->names_emitted != acct->names_delivered && n < (int)sizeof(buf) - 1)
		n += snprintf(buf + n, sizeof(buf) - n, "%snames: emitted %llu, "
			      "delivered %llu", n ? "; " : "",
			      (unsigned long long)acct->names_emitted,
			      (unsigned long long)acct->names_delivered);
	pr_err("ACCOUNTING MISMATCH (%s); see %s/run.json", buf, dir);
}

