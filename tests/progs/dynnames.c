/* dynnames: T threads emit N metrics each, under K names built with snprintf
 * in a reused stack buffer (the hashed-interning path).
 *   dynnames T N K
 * Name "n<j>" always carries value j, so a test can check that no row got
 * another row's name. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "mlprobe.h"

static long n, k;

static void *run(void *arg)
{
	long t = (long)arg;
	char name[32];

	for (long i = 0; i < n; i++) {
		long j = (i * 7 + t) % k;

		snprintf(name, sizeof(name), "n%ld", j);
		MLPROBE_METRIC(name, t * n + i, (double)j);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int nt = argc > 1 ? atoi(argv[1]) : 4;
	pthread_t th[64];

	n = argc > 2 ? atol(argv[2]) : 10000;
	k = argc > 3 ? atol(argv[3]) : 100;
	if (nt < 1 || nt > 64 || k < 1)
		return 2;
	for (long t = 0; t < nt; t++)
		pthread_create(&th[t], NULL, run, (void *)t);
	for (int t = 0; t < nt; t++)
		pthread_join(th[t], NULL);
	printf("emitted %ld\n", nt * n);
	return 0;
}
