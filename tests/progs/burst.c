/* burst: a few records written back to back (so they wait in the thread's
 * batch, see docs/bpf.md), then the thread goes quiet.
 *   burst sleep N SECS   N metrics and a span, then sleep SECS (the thread
 *                        leaves its CPU: the batch must go then)
 *   burst spin N SECS [PIDFILE]
 *                        the same, then spin SECS without a system call
 *                        (the batch may stay held until recording stops);
 *                        with PIDFILE, SIGINT to the process it names
 *                        right after the records (the recorder stops while
 *                        the batch is still held)
 * Waits until a tracer is attached (and 300 ms more, for every probe; with
 * PIDFILE, until the file names a process: the test writes it once the
 * recorder says it is recording, as 300 ms may not be enough beside a busy
 * core), and prints "burst done" after the records. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "mlprobe.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	int spin = argc > 1 && !strcmp(argv[1], "spin");
	int n = argc > 2 ? atoi(argv[2]) : 5;
	double secs = argc > 3 ? atof(argv[3]) : 5, t;
	volatile unsigned long x = 0;
	int pid = 0;

	while (!MLPROBE_ENABLED())
		usleep(1000);
	usleep(300000);
	while (argc > 4 && pid <= 0) {
		FILE *f = fopen(argv[4], "r");

		if (!f || fscanf(f, "%d", &pid) != 1)
			usleep(10000);
		if (f)
			fclose(f);
	}
	for (int i = 0; i < n; i++)
		MLPROBE_METRIC("burst", i, i * 0.5);
	MLPROBE_SPAN_BEGIN("quiet");
	MLPROBE_SPAN_END("quiet");
	if (pid > 0 && kill(pid, SIGINT))
		return 2;
	printf("burst done\n");
	fflush(stdout);
	t = now();
	if (spin) {
		/* clock_gettime is a vDSO call: no system call, no switch. */
		while (now() - t < secs)
			for (int i = 0; i < 100000; i++)
				x += i;
	} else {
		sleep((unsigned)secs);
	}
	return x == 1;
}
