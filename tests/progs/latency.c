/* latency: one metric now and then, stamped with the wall clock, for the
 * "probe -> row visible in a flushed file" row of `make bench`.
 *   latency K PERIOD_MS
 * Emits K metrics "lat" with step = CLOCK_REALTIME in ns at the moment of
 * the probe and value = the sample index, PERIOD_MS apart (pick a period
 * that is no multiple of the flush interval, so the samples fall at every
 * phase of the flush timer), then waits two periods more so a poller can
 * see the last one before the recording ends. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "mlprobe.h"

static void sleep_ms(long ms)
{
	struct timespec d = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 };

	while (nanosleep(&d, &d))
		;
}

int main(int argc, char **argv)
{
	int k = argc > 1 ? atoi(argv[1]) : 5;
	long period = argc > 2 ? atol(argv[2]) : 1370;

	if (k < 1 || period < 1)
		return 2;
	for (int i = 0; i < k; i++) {
		struct timespec ts;

		sleep_ms(period);
		clock_gettime(CLOCK_REALTIME, &ts);
		MLPROBE_METRIC("lat", ts.tv_sec * 1000000000LL + ts.tv_nsec, i);
	}
	sleep_ms(2 * period);
	printf("emitted %d\n", k);
	return 0;
}
