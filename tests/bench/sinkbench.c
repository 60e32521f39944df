// SPDX-License-Identifier: MIT
/*
 * sinkbench: the consumer's decode + Parquet path without BPF, so that it
 * can be profiled (perf, callgrind) and sized in isolation.
 *   sinkbench DIR [N] [GZIP_LEVEL] [f32|f64]
 * Feeds N metric records (the data set of `make bench`, as
 * tests/progs/metrics10 makes it: 10 names, step +1 every 10 events, smooth
 * values computed in float, or in double with f64; one event per ~1 us
 * with random jitter) through decoder__feed
 * into the Parquet sink with record's options, ticking every 100 ms of the
 * records' own time.  Prints CPU seconds per million events, bytes on disk
 * per event and the peak RSS.  Not a test: `make bench` measures the real
 * pipeline.
 */
#include <errno.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include "consume/decoder.h"
#include "sinks/sink_parquet.h"
#include "wire.h"

static const char *const names[10] = {
	"loss", "lr", "grad_norm", "tokens_per_s", "acc", "ppl",
	"mem_gb", "step_time", "val_loss", "throughput",
};

/* The values of tests/progs/metrics10.c. */
static double metric_f32(int k, long step)
{
	float s = (float)step;

	return (float)(k + 1) * expf(-s / 50000.0f) + 0.01f * sinf(s / 10.0f);
}

static double metric_f64(int k, long step)
{
	return (k + 1) * exp(-step / 50000.0) + 0.01 * sin(step / 10.0);
}

static const struct row_proc ctx_proc = { 1000, -1, -1, -1 };

static const struct row_proc *proc(void *ctx, uint32_t pid)
{
	(void)ctx;
	(void)pid;
	return &ctx_proc;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv)
{
	struct pqsink_opts po = {
		.sz = sizeof(po), .created_by = "sinkbench", .gzip_level = 1,
		.host = "vm", .run = "20261124T224930Z-vm",
	};
	struct decoder_opts dopts = { .sz = sizeof(dopts), .proc = proc };
	long n = argc > 2 ? atol(argv[2]) : 2000000;
	uint64_t ts = 1000000000000ull, next_tick, rnd = 88172645463325252ull;
	bool f64 = argc > 4 && !strcmp(argv[4], "f64");
	struct mp_metric_rec m = { 0 };
	struct decoder *d;
	struct pqsink *ps;
	struct sink s;
	struct rusage ru;
	double c0, bytes = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: sinkbench DIR [N] [GZIP_LEVEL]\n");
		return 2;
	}
	po.dir = argv[1];
	if (argc > 3)
		po.gzip_level = atoi(argv[3]);
	if (pqsink__new(&po, &ps)) {
		perror("pqsink__new");
		return 1;
	}
	s = pqsink__sink(ps);
	d = decoder__new(&dopts, &s, 1);
	c0 = cpu_s();
	for (int i = 0; i < 10; i++) {
		struct mp_name_rec r = { .h = { .type = MP_REC_NAME, .pid = 4242,
						.tid = 4242, .ts = ts },
					 .id = (uint32_t)i + 1,
					 .len = (uint32_t)strlen(names[i]) };

		memcpy(r.name, names[i], r.len);
		decoder__feed(d, &r, sizeof(r));
	}
	m.h.type = MP_REC_METRIC;
	m.h.pid = m.h.tid = 4242;
	next_tick = ts + 100000000;
	for (long i = 0; i < n; i++) {
		long step = i / 10;
		int k = (int)(i % 10);
		double v = f64 ? metric_f64(k, step) : metric_f32(k, step);

		/* ~1 us apart with jitter, as a probe loop at full speed */
		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		ts += 900 + rnd % 256;
		m.h.ts = ts;
		m.h.cpu = (uint32_t)(i >> 20) & 1;
		m.name_id = (uint32_t)k + 1;
		m.step = step;
		memcpy(&m.value, &v, 8);
		decoder__feed(d, &m, sizeof(m));
		if (ts >= next_tick) {
			s.tick(s.ctx, ts);
			next_tick += 100000000;
		}
	}
	s.finish(s.ctx);
	double c = cpu_s() - c0;

	for (int i = 0; i < pqsink__nfiles(ps); i++)
		bytes += (double)pqsink__file(ps, i)->bytes;
	getrusage(RUSAGE_SELF, &ru);
	printf("cpu_s_per_million %.3f\nbytes_per_event %.3f\nmaxrss_mib %.1f\n",
	       c * 1e6 / n, bytes / n, ru.ru_maxrss / 1024.0);
	decoder__free(d);
	pqsink__free(ps);
	return 0;
}
