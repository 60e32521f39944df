/* fixedwork: a benchmark whose one span does a fixed amount of work, for
 * the tests of `mlprobe compare` on a shared machine.
 *   fixedwork STEPS [PCT]
 * Each step (MLPROBE_STEP) runs a span "compute": arithmetic of a fixed
 * number of iterations (about 5 ms here), PCT percent more with PCT.  No
 * sleep, no I/O: only the CPU it gets decides its wall time.  Prints a
 * checksum. */
#include <stdio.h>
#include <stdlib.h>
#include "mlprobe.h"

int main(int argc, char **argv)
{
	long steps = argc > 1 ? atol(argv[1]) : 100;
	double pct = argc > 2 ? atof(argv[2]) : 0, x = 0.5;
	long iters = (long)(3000000 * (1 + pct / 100));

	for (long i = 0; i < steps; i++) {
		MLPROBE_STEP(i);
		MLPROBE_SPAN_BEGIN("compute");
		for (long k = 0; k < iters; k++)
			x = 3.9 * x * (1.0 - x);
		MLPROBE_SPAN_END("compute");
	}
	printf("done %.6f\n", x);
	return 0;
}
