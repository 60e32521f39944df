/* churn: waves of threads that start while others are inside a probe.
 *   churn W T N
 * W waves; each starts T threads that each emit N iterations of
 * span "c" { metric "m" } plus a log every 64th, then joins them.  A new
 * thread preempts a running one (wakeup preemption) and, with more threads
 * than CPUs, time slices end anywhere: both land in the middle of probe
 * programs, which is what test_preempt needs.  Metric "m" has a step that
 * no other event shares: ((wave * T) + thread) * N + i.
 * Prints "emitted M" (metrics; spans are the same count, logs M / 64). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "mlprobe.h"

static long nthreads, n;

struct arg {
	long base;
};

static void *run(void *p)
{
	long base = ((struct arg *)p)->base;

	for (long i = 0; i < n; i++) {
		MLPROBE_SPAN_BEGIN("c");
		MLPROBE_METRIC("m", base + i, (double)i);
		MLPROBE_SPAN_END("c");
		if (i % 64 == 0)
			MLPROBE_LOG(MLPROBE_INFO, "churn");
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long waves = argc > 1 ? atol(argv[1]) : 20;
	pthread_t th[64];
	struct arg a[64];

	nthreads = argc > 2 ? atol(argv[2]) : 8;
	n = argc > 3 ? atol(argv[3]) : 2000;
	if (waves < 1 || nthreads < 1 || nthreads > 64 || n < 1)
		return 2;
	for (long w = 0; w < waves; w++) {
		for (long t = 0; t < nthreads; t++) {
			a[t].base = (w * nthreads + t) * n;
			pthread_create(&th[t], NULL, run, &a[t]);
		}
		for (long t = 0; t < nthreads; t++)
			pthread_join(th[t], NULL);
	}
	printf("emitted %ld\n", waves * nthreads * n);
	return 0;
}
