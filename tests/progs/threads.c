/* threads: T threads emit N metrics each as fast as they can.
 *   threads T N
 * Metric "t" has step = thread index * N + i and value = i, so the test can
 * check that every (thread, i) arrived exactly once, or count the gaps. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "mlprobe.h"

static long n;

static void *run(void *arg)
{
	long t = (long)arg;

	for (long i = 0; i < n; i++)
		MLPROBE_METRIC("t", t * n + i, (double)i);
	return NULL;
}

int main(int argc, char **argv)
{
	int nt = argc > 1 ? atoi(argv[1]) : 8;
	pthread_t th[64];

	n = argc > 2 ? atol(argv[2]) : 10000;
	if (nt < 1 || nt > 64)
		return 2;
	for (long t = 0; t < nt; t++)
		pthread_create(&th[t], NULL, run, (void *)t);
	for (int t = 0; t < nt; t++)
		pthread_join(th[t], NULL);
	printf("emitted %ld\n", nt * n);
	return 0;
}
