/* bench_loop: the probe cost, measured from inside the producer.
 *   bench_loop metric|span|nop N
 * Prints "ns_per_event X" for N probe sites executed back to back (a span
 * pair counts as one event), then "block_p50 X": the median of the same
 * figure over blocks of 4096 events, which a noisy neighbour on the host
 * moves much less than the mean.  Run it bare, under `mlprobe record`, and
 * under `mlprobe record --bench-floor` (an empty BPF program) to get the
 * ratios that scripts/bench.sh reports.  The three loops do the same block
 * bookkeeping, so callgrind's difference between metric and nop is the
 * probe site alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mlprobe.h"

#define BLOCK 4096
#define MAX_BLOCKS (1 << 16)

static double blk[MAX_BLOCKS];
static long nb;
static double tb;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static inline void block_end(long i)
{
	if ((i & (BLOCK - 1)) == BLOCK - 1 && nb < MAX_BLOCKS) {
		double t = now();

		blk[nb++] = (t - tb) / BLOCK;
		tb = t;
	}
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "metric";
	long n = argc > 2 ? atol(argv[2]) : 1000000;
	double t0, t1, x = 0.5;

	t0 = tb = now();
	if (!strcmp(mode, "metric")) {
		for (long i = 0; i < n; i++) {
			MLPROBE_METRIC("loss", i, x);
			x += 1e-9;
			block_end(i);
		}
	} else if (!strcmp(mode, "span")) {
		for (long i = 0; i < n; i++) {
			MLPROBE_SPAN_BEGIN("fwd");
			MLPROBE_SPAN_END("fwd");
			block_end(i);
		}
	} else {
		for (long i = 0; i < n; i++) {
			__asm__ __volatile__("" ::: "memory");
			x += 1e-9;
			block_end(i);
		}
	}
	t1 = now();
	printf("ns_per_event %.1f\n", (t1 - t0) / n);
	if (nb) {
		qsort(blk, nb, sizeof(double), cmp);
		printf("block_p50 %.1f\n", blk[nb / 2]);
	}
	return x < 0;
}
