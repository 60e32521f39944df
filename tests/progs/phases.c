/* phases: a synthetic benchmark for `mlprobe compare` and `report`.
 *   phases [-t THREADS] [STEPS] [PHASE PCT]
 * Each step runs four spans in a row: "data" (sleeps 3 ms, like waiting on
 * a loader), "forward" (about 300 us of arithmetic), "backward" (sleeps
 * 1.5 ms) and "optimizer" (sleeps 1 ms), then logs the metric "loss".
 * A sleep overshoots by the timer's wakeup latency, 60 to 130 us on this
 * VM, and that moves by 30 us from run to run (shorter under CPU load):
 * 5% of a 0.5 ms sleep, so no phase is that short.
 * With PHASE PCT, that phase takes PCT percent longer (its sleep or its
 * amount of arithmetic scaled by 1 + PCT/100), so a test knows exactly
 * which span changed and by how much.  With -t, THREADS more threads run
 * "prefetch" spans (a 1 ms sleep around a nested "decode" span of about
 * 50 us of arithmetic) until the steps are done.  Prints a checksum at
 * the end. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mlprobe.h"

static double scale(const char *phase, const char *slow, double pct)
{
	return slow && !strcmp(phase, slow) ? 1.0 + pct / 100.0 : 1.0;
}

static void sleep_us(double us)
{
	struct timespec ts = { 0, (long)(us * 1000) };

	nanosleep(&ts, NULL);
}

/* Arithmetic the compiler cannot drop: a logistic map. */
static double work(long iters, double x)
{
	for (long i = 0; i < iters; i++)
		x = 3.9 * x * (1.0 - x);
	return x;
}

static atomic_bool done;
static volatile double sink;	/* keeps the threads' arithmetic */

static void *prefetch(void *arg)
{
	double x = 0.25;

	(void)arg;
	while (!atomic_load(&done)) {
		MLPROBE_SPAN_BEGIN("prefetch");
		sleep_us(1000);
		MLPROBE_SPAN_BEGIN("decode");
		x = work(30000, x);
		MLPROBE_SPAN_END("decode");
		MLPROBE_SPAN_END("prefetch");
	}
	sink = x;
	return NULL;
}

int main(int argc, char **argv)
{
	long threads = 0;
	pthread_t tids[16];

	if (argc > 2 && !strcmp(argv[1], "-t")) {
		threads = atol(argv[2]);
		argc -= 2;
		argv += 2;
	}
	long steps = argc > 1 ? atol(argv[1]) : 200;
	const char *slow = argc > 3 ? argv[2] : NULL;
	double pct = argc > 3 ? atof(argv[3]) : 0;
	double x = 0.5, sum = 0;

	if (steps <= 0 || (argc > 3 && pct < 0) || argc == 3 || threads < 0 ||
	    threads > 16) {
		fprintf(stderr, "usage: phases [-t THREADS] [STEPS] [PHASE PCT]\n");
		return 2;
	}
	/* Step 0 is set before the threads start, so every span they run
	 * carries a step, however late the scheduler runs this thread. */
	MLPROBE_STEP(0);
	for (long t = 0; t < threads; t++)
		if (pthread_create(&tids[t], NULL, prefetch, NULL)) {
			fprintf(stderr, "phases: cannot start a thread\n");
			return 1;
		}
	for (long i = 0; i < steps; i++) {
		MLPROBE_STEP(i);
		MLPROBE_SPAN_BEGIN("data");
		sleep_us(3000 * scale("data", slow, pct));
		MLPROBE_SPAN_END("data");
		MLPROBE_SPAN_BEGIN("forward");
		x = work((long)(180000 * scale("forward", slow, pct)), x);
		MLPROBE_SPAN_END("forward");
		MLPROBE_SPAN_BEGIN("backward");
		sleep_us(1500 * scale("backward", slow, pct));
		MLPROBE_SPAN_END("backward");
		MLPROBE_SPAN_BEGIN("optimizer");
		sleep_us(1000 * scale("optimizer", slow, pct));
		MLPROBE_SPAN_END("optimizer");
		MLPROBE_METRIC("loss", i, 1.0 / (1.0 + 0.01 * (double)i));
		sum += x;
	}
	atomic_store(&done, true);
	for (long t = 0; t < threads; t++)
		pthread_join(tids[t], NULL);
	printf("done %ld steps, checksum %.6f\n", steps, sum);
	return 0;
}
