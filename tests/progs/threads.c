/* threads: T threads emit N metrics each as fast as they can.
 *   threads T N
 *   threads T SECs        (e.g. "threads 2 10s": each thread emits for SEC
 *                          seconds; used by `make bench` for the drop rows)
 * Metric "t" has step = thread index * N + i and value = i, so the test can
 * check that every (thread, i) arrived exactly once, or count the gaps.  In
 * the timed mode the step is thread index << 40 | i.  Prints "emitted X",
 * the number of probe sites executed in all. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mlprobe.h"

static long n;
static atomic_int stop;
static long counts[64];

static void *run(void *arg)
{
	long t = (long)arg;

	for (long i = 0; i < n; i++)
		MLPROBE_METRIC("t", t * n + i, (double)i);
	return NULL;
}

static void *run_timed(void *arg)
{
	long t = (long)arg, i = 0;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		MLPROBE_METRIC("t", (t << 40) | i, (double)i);
		i++;
	}
	counts[t] = i;
	return NULL;
}

int main(int argc, char **argv)
{
	int nt = argc > 1 ? atoi(argv[1]) : 8;
	const char *arg = argc > 2 ? argv[2] : "10000";
	int timed = arg[0] && arg[strlen(arg) - 1] == 's';
	pthread_t th[64];
	long total = 0;

	n = atol(arg);
	if (nt < 1 || nt > 64 || n < 0)
		return 2;
	for (long t = 0; t < nt; t++)
		pthread_create(&th[t], NULL, timed ? run_timed : run, (void *)t);
	if (timed) {
		struct timespec d = { .tv_sec = n };

		while (nanosleep(&d, &d))
			;
		atomic_store(&stop, 1);
	}
	for (int t = 0; t < nt; t++)
		pthread_join(th[t], NULL);
	if (timed)
		for (int t = 0; t < nt; t++)
			total += counts[t];
	else
		total = nt * n;
	printf("emitted %ld\n", total);
	return 0;
}
