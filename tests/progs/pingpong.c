/* pingpong: what a context switch and a wakeup cost, for make bench.
 *   pingpong ROUNDS [quiet]
 * Two threads pinned to one CPU pass a byte back and forth through two
 * pipes: every round trip is two wakeups and two context switches.  Each
 * thread first fires one metric probe, so under `mlprobe record` both are
 * recorded threads whose time is accounted at every switch; with "quiet"
 * they fire none and are threads mlprobe does not know.  Prints
 * "ns_per_round N", the median of 9 blocks of ROUNDS/9 round trips. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "mlprobe.h"

static int ab[2], ba[2];
static long rounds;
static int quiet;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *echo(void *arg)
{
	char c;

	(void)arg;
	if (!quiet)
		MLPROBE_METRIC("pong", 0, 0.0);
	for (;;) {
		if (read(ab[0], &c, 1) != 1 || c == 'q')
			break;
		if (write(ba[1], &c, 1) != 1)
			break;
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	double block[9];
	long per;
	cpu_set_t one;
	pthread_t t;
	char c = 'p';

	rounds = argc > 1 ? atol(argv[1]) : 90000;
	quiet = argc > 2 && !strcmp(argv[2], "quiet");
	per = rounds / 9 > 0 ? rounds / 9 : 1;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);
	if (pipe(ab) || pipe(ba) || pthread_create(&t, NULL, echo, NULL))
		return 1;
	if (!quiet)
		MLPROBE_METRIC("ping", 0, 0.0);
	for (int b = 0; b < 9; b++) {
		double t0 = now_ns();

		for (long i = 0; i < per; i++)
			if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1)
				return 1;
		block[b] = (now_ns() - t0) / per;
	}
	c = 'q';
	if (write(ab[1], &c, 1) != 1)
		return 1;
	pthread_join(t, NULL);
	qsort(block, 9, sizeof(block[0]), cmp);
	printf("ns_per_round %.1f\n", block[4]);
	return 0;
}
