/* forker: DataLoader-style workers.  The parent forks W workers while
 * probes are attached; each worker and the parent emit N metrics and print
 * a checksum.  A probe site copied into a child by fork() must not crash it
 * or change its output, attached or not.
 *   forker W N */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "mlprobe.h"

static unsigned long long work(long id, long n)
{
	unsigned long long sum = 0;

	for (long i = 0; i < n; i++) {
		MLPROBE_STEP(i);
		MLPROBE_SPAN_BEGIN("load");
		MLPROBE_METRIC("w", i, (double)id);
		sum = sum * 31 + (unsigned long long)(i ^ id);
		MLPROBE_SPAN_END("load");
	}
	return sum;
}

int main(int argc, char **argv)
{
	int w = argc > 1 ? atoi(argv[1]) : 4;
	long n = argc > 2 ? atol(argv[2]) : 10000;
	int bad = 0;

	for (long id = 1; id <= w; id++) {
		pid_t pid = fork();

		if (pid == 0) {
			printf("worker %ld sum=%llu\n", id, work(id, n));
			return 0;
		}
		if (pid < 0)
			return 1;
	}
	printf("parent sum=%llu\n", work(0, n));
	fflush(stdout);
	for (int i = 0; i < w; i++) {
		int st;

		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
	}
	printf("workers failed %d\n", bad);
	return bad != 0;
}
