// SPDX-License-Identifier: MIT
/* runmeta.c - run.json, written whole or not at all. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include "sinks/alert.h"
#include "common/json.h"
#include "runmeta.h"
#include "attach/tracer.h"
#include "common/version.h"

static void jstr(FILE *f, const char *s)
{
	json_str(f, s, strlen(s));
}

static void write_counters(FILE *f, const struct runmeta *m)
{
	const struct account *a = m->acct;

	fputs(",\n  \"events\": {", f);
	for (int k = 0; k < MP_K_MAX; k++) {
		fprintf(f, "%s\n    ", k ? "," : "");
		jstr(f, tracer_kind_name(k));
		fputs(": {", f);
		for (int s = 0; s < MP_S_MAX; s++)
			fprintf(f, "%s\"%s\": %llu", s ? ", " : "",
				tracer_stat_name(s),
				(unsigned long long)m->counters->v[k][s]);
		fputc('}', f);
	}
	fputs("\n  },\n  \"tables\": {", f);
	for (int t = 0; a && t < ROW_TABLES; t++) {
		const struct account_table *r = &a->t[t];

		fprintf(f, "%s\n    \"%s\": {\"hits\": %llu, \"emitted\": %llu, "
			   "\"delivered\": %llu, \"written\": %llu, "
			   "\"lost_kernel\": %llu, \"lost_io\": %llu, "
			   "\"unmatched\": %llu, \"dropped\": %llu, "
			   "\"dropped_ring_full\": %llu, \"dropped_name\": %llu, "
			   "\"dropped_held\": %llu, \"dropped_io\": %llu, \"truncated\": %llu, \"ok\": %s}",
			t ? "," : "", r->table, (unsigned long long)r->hits,
			(unsigned long long)r->emitted,
			(unsigned long long)r->delivered,
			(unsigned long long)r->written,
			(unsigned long long)r->lost_kernel,
			(unsigned long long)r->lost_io,
			(unsigned long long)r->unmatched,
			(unsigned long long)(r->lost_kernel + r->lost_io),
			(unsigned long long)r->lost_ring,
			(unsigned long long)r->lost_name,
			(unsigned long long)r->lost_held,
			(unsigned long long)r->lost_io,
			(unsigned long long)r->truncated, r->ok ? "true" : "false");
	}
	if (a)
		fprintf(f, ",\n    \"names\": {\"emitted\": %llu, \"delivered\": %llu}",
			(unsigned long long)a->names_emitted,
			(unsigned long long)a->names_delivered);
	fprintf(f, "\n  },\n  \"accounting_ok\": %s", a && a->ok ? "true" : "false");
	fprintf(f, ",\n  \"consumer_cpu_s\": %.6f", m->cpu_s);
	fputs(",\n  \"drops_per_cpu\": [", f);
	for (int c = 0; m->percpu && c < m->ncpus; c++) {
		unsigned long long d = 0;

		for (int k = 0; k < MP_K_MAX; k++)
			d += m->percpu[c].v[k][MP_S_DROP_RING] +
			     m->percpu[c].v[k][MP_S_DROP_NAME];
		fprintf(f, "%s%llu", c ? ", " : "", d);
	}
	fputc(']', f);
	if (m->dec)
		fprintf(f, ",\n  \"decoder\": {\"names\": %llu, \"malformed\": %llu, "
			   "\"unknown_names\": %llu, \"sink_errors\": %llu}",
			(unsigned long long)m->dec->names,
			(unsigned long long)m->dec->malformed,
			(unsigned long long)m->dec->unknown_names,
			(unsigned long long)m->dec->sink_errors);
}

/* One entry of "files", its path relative to the run's directory
 * (rank=N/... when partitioned); i: entries before it. */
static void put_file(FILE *f, const char *dir, const char *path, uint64_t rows,
		     uint64_t bytes, int i)
{
	size_t dl = strlen(dir);

	if (!strncmp(path, dir, dl) && path[dl] == '/')
		path += dl + 1;
	fputs(i ? ",\n    " : "\n    ", f);
	fputs("{\"file\": ", f);
	jstr(f, path);
	fprintf(f, ", \"rows\": %llu, \"bytes\": %llu}", (unsigned long long)rows,
		(unsigned long long)bytes);
}

static void write_body(FILE *f, const struct runmeta *m)
{
	struct utsname u;
	char host[256] = "";
	int nf = 0;

	uname(&u);
	gethostname(host, sizeof(host) - 1);
	fputs("{\n  \"mlprobe\": ", f);
	jstr(f, mlprobe_created_by);
	fputs(",\n  \"mode\": ", f);
	jstr(f, m->mode);
	fputs(",\n  \"command\": [", f);
	for (int i = 0; i < m->argc; i++) {
		fputs(i ? ", " : "", f);
		jstr(f, m->argv[i]);
	}
	fputs("],\n  \"pids\": [", f);
	for (int i = 0; i < m->npids; i++)
		fprintf(f, "%s%d", i ? ", " : "", (int)m->pids[i]);
	fputs("],\n  \"host\": ", f);
	jstr(f, m->host ? m->host : host);
	fputs(",\n  \"run\": ", f);
	jstr(f, m->run ? m->run : "");
	fputs(",\n  \"kernel\": ", f);
	jstr(f, u.release);
	fprintf(f, ",\n  \"start_ns\": %lld,\n  \"end_ns\": %lld",
		(long long)m->start_ns, (long long)m->end_ns);
	if (m->exit_status >= 0) {
		if (WIFEXITED(m->exit_status))
			fprintf(f, ",\n  \"exit_code\": %d", WEXITSTATUS(m->exit_status));
		else if (WIFSIGNALED(m->exit_status))
			fprintf(f, ",\n  \"exit_signal\": %d", WTERMSIG(m->exit_status));
	}
	fputs(",\n  \"probes\": [", f);
	for (int i = 0; i < m->nattached; i++) {
		fputs(i ? ",\n    " : "\n    ", f);
		jstr(f, m->attached[i]);
	}
	fputs("\n  ]", f);
	fputs(",\n  \"functions\": [", f);
	for (int i = 0; i < m->nfuncs; i++) {
		fputs(i ? ",\n    " : "\n    ", f);
		jstr(f, m->funcs[i]);
	}
	fputs(m->nfuncs ? "\n  ]" : "]", f);
	if (m->counters)
		write_counters(f, m);
	if (m->alerts) {
		const struct alerts_stats *as = alerts__stats(m->alerts);

		fprintf(f, ",\n  \"alerts\": {\"fired\": %llu, \"written\": %llu, "
			   "\"lost\": %llu}", (unsigned long long)as->fired,
			(unsigned long long)as->written, (unsigned long long)as->lost);
	}
	if (m->command_log) {
		fputs(",\n  \"command_log\": ", f);
		jstr(f, m->command_log);
	}
	fputs(",\n  \"files\": [", f);
	for (int i = 0; m->sink && i < pqsink__nfiles(m->sink); i++) {
		const struct pqsink_file *pf = pqsink__file(m->sink, i);

		put_file(f, m->dir, pf->path, pf->rows, pf->bytes, nf++);
	}
	for (int i = 0; m->alerts && i < alerts__nfiles(m->alerts); i++) {
		const struct alerts_file *af = alerts__file(m->alerts, i);
		struct stat st;

		put_file(f, m->dir, af->path, af->rows,
			 stat(af->path, &st) ? 0 : (uint64_t)st.st_size, nf++);
	}
	fputs("\n  ]\n}\n", f);
}

int runmeta__write(const struct runmeta *m)
{
	char tmp[4200], path[4200];
	FILE *f;
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/run.json", m->dir);
	snprintf(tmp, sizeof(tmp), "%s/.run.json.tmp", m->dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		goto fail;
	}
	write_body(f, m);
	if (fflush(f) || fsync(fileno(f)))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (ret)
		goto fail;
	if (rename(tmp, path)) {
		ret = -errno;
		goto fail;
	}
	fd = open(m->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
fail:
	unlink(tmp);
	return ret;
}
