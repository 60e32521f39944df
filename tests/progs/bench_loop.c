/* bench_loop: the probe cost, measured from inside the producer.
 *   bench_loop metric|span|nop N
 * Prints "ns_per_event X" for N probe sites executed back to back (a span
 * pair counts as one event).  Run it bare, under `mlprobe record`, and under
 * `mlprobe record --bench-floor` (an empty BPF program) to get the ratios
 * that scripts/bench.sh reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mlprobe.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "metric";
	long n = argc > 2 ? atol(argv[2]) : 1000000;
	double t0, t1, x = 0.5;

	t0 = now();
	if (!strcmp(mode, "metric")) {
		for (long i = 0; i < n; i++) {
			MLPROBE_METRIC("loss", i, x);
			x += 1e-9;
		}
	} else if (!strcmp(mode, "span")) {
		for (long i = 0; i < n; i++) {
			MLPROBE_SPAN_BEGIN("fwd");
			MLPROBE_SPAN_END("fwd");
		}
	} else {
		for (long i = 0; i < n; i++) {
			__asm__ __volatile__("" ::: "memory");
			x += 1e-9;
		}
	}
	t1 = now();
	printf("ns_per_event %.1f\n", (t1 - t0) / n);
	return x < 0;
}
