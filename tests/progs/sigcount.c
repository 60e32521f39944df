/* sigcount: a trainer that saves a "checkpoint" when interrupted.  The first
 * SIGINT starts a 0.5 s save; it prints how many SIGINTs arrived in all, so
 * a test can check that Ctrl-C under `mlprobe record --` reaches it once. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include "mlprobe.h"

static volatile sig_atomic_t hits;

static void on_int(int sig)
{
	(void)sig;
	hits++;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_int };
	struct timespec ms = { 0, 1000000 };

	sigaction(SIGINT, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	for (long i = 0; !hits; i++) {
		MLPROBE_METRIC("tick", i, 1.0);
		nanosleep(&ms, NULL);
	}
	for (int i = 0; i < 500; i++)	/* the checkpoint save */
		nanosleep(&ms, NULL);
	printf("sigints %d\n", (int)hits);
	return 0;
}
