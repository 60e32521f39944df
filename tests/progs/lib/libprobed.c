/* libprobed.so: a library with mlprobe probes, loaded by dlopener with
 * dlopen() after mlprobe has attached.  probed_run(n, us) emits metric
 * "lib" (step i, value i) n times, sleeping us microseconds between. */
#include <unistd.h>
#include "mlprobe.h"

int probed_run(long n, long us)
{
	for (long i = 0; i < n; i++) {
		MLPROBE_STEP(i);
		MLPROBE_METRIC("lib", i, (double)i);
		if (us)
			usleep(us);
	}
	return 0;
}
