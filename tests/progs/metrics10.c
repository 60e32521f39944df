/* metrics10: the data set of the "bytes on disk per metric event" row of
 * `make bench`, as issue 4 defines it: 10 names, increasing steps (each
 * step logs the 10 names once), smooth values.
 *   metrics10 N [f32|f64]
 * Emits N metric events at full speed.  f32 (the default) computes the
 * values in float, as a trainer gets them from a float32 tensor; f64 in
 * double, where every mantissa bit varies.  tests/bench/sinkbench.c makes
 * the same values without BPF. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mlprobe.h"

static const char *const names[10] = {
	"loss", "lr", "grad_norm", "tokens_per_s", "acc", "ppl",
	"mem_gb", "step_time", "val_loss", "throughput",
};

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	int f64 = argc > 2 && !strcmp(argv[2], "f64");

	for (long i = 0; i < n; i++) {
		long step = i / 10;
		int k = (int)(i % 10);
		double v;

		if (f64) {
			v = (k + 1) * exp(-step / 50000.0) + 0.01 * sin(step / 10.0);
		} else {
			float s = (float)step;

			v = (float)(k + 1) * expf(-s / 50000.0f) +
			    0.01f * sinf(s / 10.0f);
		}
		MLPROBE_METRIC(names[k], step, v);
	}
	printf("emitted %ld\n", n);
	return 0;
}
