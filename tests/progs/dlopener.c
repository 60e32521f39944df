/* dlopener: loads a library with probes only when told, for the test that
 * mlprobe picks up libraries dlopen'ed after it attached.
 *   dlopener LIB N US
 * Prints "pid P", emits metric "main" once a millisecond until a line
 * arrives on stdin, then dlopen()s LIB, prints "loaded", and runs its
 * probed_run(N, US). */
#include <dlfcn.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "mlprobe.h"

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 1000;
	long us = argc > 3 ? atol(argv[3]) : 1000;
	struct pollfd p = { .fd = 0, .events = POLLIN };
	int (*run)(long, long);
	void *h;
	long i = 0;

	if (argc < 2)
		return 2;
	printf("pid %d\n", getpid());
	fflush(stdout);
	while (poll(&p, 1, 1) == 0)
		MLPROBE_METRIC("main", i++, 1.0);
	h = dlopen(argv[1], RTLD_NOW);
	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	*(void **)&run = dlsym(h, "probed_run");
	if (!run)
		return 1;
	printf("loaded\n");
	fflush(stdout);
	return run(n, us);
}
