/* trainer: a fake training loop for the live view, alert and Prometheus
 * tests.
 *   trainer STEPS STEP_US [nan STEP] [stall STEP SECONDS] [grad STEP N] [flap]
 *           [linger SECONDS] [gate]
 * Each step: MLPROBE_STEP, a "forward" span (about a third of STEP_US of
 * sleep) and a "backward" span (two thirds), then the metrics "loss"
 * (1000 / (step + 1)) and "grad_norm" (1.0).  With nan, loss is NaN at
 * that step (once); with stall, the loop sleeps SECONDS before that step
 * (no probe fires meanwhile); with grad, grad_norm is 500 for N steps from
 * that step on; with flap, grad_norm is 500 at every odd step; with linger,
 * it sleeps SECONDS after printing the last loss, before it exits; with
 * gate, it reads a line from stdin before its first step.  Prints its PID first, the last loss and "done" at the end,
 * so a test knows the values to look for. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "mlprobe.h"

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts))
		;
}

int main(int argc, char **argv)
{
	long steps = argc > 1 ? atol(argv[1]) : 100;
	long step_us = argc > 2 ? atol(argv[2]) : 10000;
	long nan_at = -1, stall_at = -1, stall_s = 0, grad_at = -1, grad_n = 0;
	int flap = 0;
	long linger = 0;
	int gate = 0;
	double loss = 0;

	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "flap")) {
			flap = 1;
		} else if (!strcmp(argv[i], "gate")) {
			gate = 1;
		} else if (!strcmp(argv[i], "linger") && i + 1 < argc) {
			linger = atol(argv[++i]);
		} else if (!strcmp(argv[i], "nan") && i + 1 < argc) {
			nan_at = atol(argv[++i]);
		} else if (!strcmp(argv[i], "stall") && i + 2 < argc) {
			stall_at = atol(argv[++i]);
			stall_s = atol(argv[++i]);
		} else if (!strcmp(argv[i], "grad") && i + 2 < argc) {
			grad_at = atol(argv[++i]);
			grad_n = atol(argv[++i]);
		} else {
			fprintf(stderr, "trainer: bad argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (steps <= 0 || step_us < 0) {
		fprintf(stderr, "usage: trainer STEPS STEP_US [nan STEP] "
			"[stall STEP SECONDS] [grad STEP N] [flap] [linger S]\n");
		return 2;
	}
	printf("pid %d\n", getpid());
	fflush(stdout);
	if (gate) {
		char line[64];

		if (!fgets(line, sizeof(line), stdin))
			return 2;
	}
	for (long s = 0; s < steps; s++) {
		if (s == stall_at)
			sleep_us(stall_s * 1000000);
		MLPROBE_STEP(s);
		MLPROBE_SPAN_BEGIN("forward");
		sleep_us(step_us / 3);
		MLPROBE_SPAN_END("forward");
		MLPROBE_SPAN_BEGIN("backward");
		sleep_us(step_us - step_us / 3);
		MLPROBE_SPAN_END("backward");
		loss = s == nan_at ? NAN : 1000.0 / (double)(s + 1);
		MLPROBE_METRIC("loss", s, loss);
		MLPROBE_METRIC("grad_norm", s,
			       (s >= grad_at && s < grad_at + grad_n) ||
				       (flap && s % 2) ? 500.0 : 1.0);
	}
	printf("last loss %.17g\n", loss);
	fflush(stdout);
	sleep_us(linger * 1000000);
	printf("done\n");
	return 0;
}
