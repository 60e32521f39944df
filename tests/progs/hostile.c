/* hostile: what a buggy or adversarial trainer can pass to the probes.
 *   hostile NAMES THREADS
 * - NAMES distinct metric names per thread (hashed interning path), each
 *   200 bytes long, so each is cut at 127 bytes; the first 8 bytes
 *   ("n0000042") keep them distinct;
 * - steps that go backwards, repeat, and hit INT64_MIN/MAX, through
 *   MLPROBE_STEP, metrics, spans and logs;
 * - names and messages at an unmapped page (munmap'd just before);
 * - NaN payloads, -0.0, a denormal.
 * Prints "emitted N" (metric events) at the end. */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "mlprobe.h"

static long names;

static void *run(void *arg)
{
	long t = (long)arg;
	char name[208];

	for (long i = 0; i < names; i++) {
		long j = t * names + i;
		int n = snprintf(name, sizeof(name), "n%07ld", j);

		memset(name + n, 'x', 200 - n);
		name[200] = 0;
		MLPROBE_METRIC(name, j, (double)j);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const int64_t steps[] = { 10, 5, 5, -3, INT64_MIN, INT64_MAX, 0 };
	union { uint64_t u; double d; } nan1 = { 0x7ff8000000000001ull },
		nan2 = { 0xfff0000000000abcull };
	int nt = argc > 2 ? atoi(argv[2]) : 1;
	pthread_t th[16];
	char *page;
	long emitted = 0;

	names = argc > 1 ? atol(argv[1]) : 1000;
	if (nt < 1 || nt > 16)
		return 2;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		MLPROBE_STEP(steps[i]);
		MLPROBE_SPAN_BEGIN("back");
		MLPROBE_METRIC("back", steps[i], (double)i);
		MLPROBE_LOG(MLPROBE_INFO, "step back");
		MLPROBE_SPAN_END("back");
		emitted++;
	}
	/* A name and a message on a page that is gone. */
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	strcpy(page, "gone");
	munmap(page, 4096);
	MLPROBE_METRIC(page, 100, 1.0);
	MLPROBE_LOG(MLPROBE_ERROR, page);
	MLPROBE_METRIC("nan.payload", 101, nan1.d);
	MLPROBE_METRIC("nan.payload", 102, nan2.d);
	MLPROBE_METRIC("negzero", 103, -0.0);
	MLPROBE_METRIC("denormal", 104, 4.9e-324);
	emitted += 5;
	for (long t = 0; t < nt; t++)
		pthread_create(&th[t], NULL, run, (void *)t);
	for (int t = 0; t < nt; t++)
		pthread_join(th[t], NULL);
	printf("emitted %ld\n", emitted + nt * names);
	return 0;
}
