/* funcs_lib: a program that calls a shared library's function, for
 * `record --func libfxlib.so:fxlib_work`.
 *   funcs_lib [N [wait]]
 * Runs N steps (default 100), each MLPROBE_STEP(i) then fxlib_work(i).
 * "wait" works as in funcs.c: print "ready", wait for a line on stdin.
 * Ends with "calls fxlib_work=N" and "checksum S".  Linked with
 * libfxlib.so from its own folder (rpath $ORIGIN). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mlprobe.h"

extern long fxlib_calls;
int fxlib_work(int x);

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 100;
	unsigned long sum = 0;

	if (argc > 2 && !strcmp(argv[2], "wait")) {
		char line[64];

		printf("ready\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			clearerr(stdin);
	}
	for (long i = 0; i < n; i++) {
		MLPROBE_STEP(i);
		sum = sum * 31 + fxlib_work((int)i);
	}
	printf("calls fxlib_work=%ld\n", fxlib_calls);
	printf("checksum %lu\n", sum);
	return 0;
}
