/* counter: a steady "trainer" for attach tests.
 *   counter STEPS SLEEP_US [HOLD_MS]
 * Each step: MLPROBE_STEP(i), a span "step" around METRIC("i", i, i * 0.5),
 * and a log every 100 steps.  Prints its PID first, then one line per 1000
 * steps and a final checksum, so a test can compare the output of runs
 * with and without mlprobe (attached, detached, killed).  HOLD_MS: stay
 * that long after the checksum before exiting. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "mlprobe.h"

int main(int argc, char **argv)
{
	long steps = argc > 1 ? atol(argv[1]) : 1000;
	long sleep_us = argc > 2 ? atol(argv[2]) : 0;
	unsigned long long sum = 0;
	struct timespec ts = { 0, sleep_us * 1000 };

	printf("pid %d\n", getpid());
	fflush(stdout);
	for (long i = 0; i < steps; i++) {
		MLPROBE_STEP(i);
		MLPROBE_SPAN_BEGIN("step");
		MLPROBE_METRIC("i", i, i * 0.5);
		sum = sum * 31 + (unsigned long long)i;
		MLPROBE_SPAN_END("step");
		if (i % 100 == 0)
			MLPROBE_LOG(MLPROBE_INFO, "hundred");
		if (i % 1000 == 999) {
			printf("step %ld\n", i + 1);
			fflush(stdout);
		}
		if (sleep_us)
			nanosleep(&ts, NULL);
	}
	printf("done sum=%llu\n", sum);
	fflush(stdout);
	if (argc > 3) {
		long ms = atol(argv[3]);
		struct timespec hold = { ms / 1000, ms % 1000 * 1000000L };

		nanosleep(&hold, NULL);
	}
	return 0;
}
