/* execname: one name pointer, two texts, across exec.
 *   execname [PROG ARGS...]
 * Emits metric NAME (step 0, and step 1 from a second thread, so the
 * thread that execs is not the only one that has seen it), prints its
 * address, then execs PROG.  Built twice (`execname` with "alpha",
 * `execname2` with "bravo") without PIE, so the two literals sit at the
 * same address: a per-thread name cache that outlived exec would give the
 * second image's name the first one's id.  Each image waits (up to 5 s)
 * for a tracer before its first probe. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include "mlprobe.h"

#ifndef NAME
#define NAME "alpha"
#endif

static void *other(void *arg)
{
	(void)arg;
	MLPROBE_METRIC(NAME, 1, 1.0);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	/* After exec, mlprobe attaches to the new image a few ms late. */
	for (int i = 0; i < 5000 && !MLPROBE_ENABLED(); i++)
		usleep(1000);
	/* The semaphore rises with the first probe attached (step); the
	 * others follow within milliseconds. */
	usleep(200000);
	MLPROBE_METRIC(NAME, 0, 0.0);
	if (pthread_create(&t, NULL, other, NULL) || pthread_join(t, NULL))
		return 1;
	printf("%s %p\n", NAME, (void *)NAME);
	fflush(stdout);
	if (argc > 1) {
		execv(argv[1], argv + 1);
		perror("execv");
		return 127;
	}
	return 0;
}
