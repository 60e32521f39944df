/* spawner: a DataLoader-style parent for --children tests.
 *   spawner W N [DEPTH]
 * Prints "pid P" and waits for a line on stdin (so a test can attach
 * first), then forks W workers; each emits N metrics "w" (step i, value =
 * its worker number) inside spans "load", and, when DEPTH > 1, forks one
 * grandchild that does the same with worker number + 100.  The parent
 * emits N metrics "parent", waits for every worker and prints
 * "workers failed K". */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "mlprobe.h"

static void work(const char *name, long id, long n)
{
	for (long i = 0; i < n; i++) {
		MLPROBE_STEP(i);
		MLPROBE_SPAN_BEGIN("load");
		MLPROBE_METRIC(name, i, (double)id);
		MLPROBE_SPAN_END("load");
		if (i % 64 == 0)
			usleep(100);
	}
}

static int worker(long id, long n, int depth)
{
	pid_t g = -1;
	int st = 0;

	if (depth > 1) {
		g = fork();
		if (g == 0)
			_exit(worker(id + 100, n, depth - 1));
	}
	work("w", id, n);
	if (g > 0 && (waitpid(g, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)))
		return 1;
	return g < 0 && depth > 1;
}

int main(int argc, char **argv)
{
	int w = argc > 1 ? atoi(argv[1]) : 4;
	long n = argc > 2 ? atol(argv[2]) : 1000;
	int depth = argc > 3 ? atoi(argv[3]) : 1;
	char line[64];
	int bad = 0;

	printf("pid %d\n", getpid());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 2;
	for (long id = 1; id <= w; id++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(worker(id, n, depth));
		if (pid < 0)
			return 1;
	}
	work("parent", 0, n);
	for (int i = 0; i < w; i++) {
		int st;

		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
	}
	printf("workers failed %d\n", bad);
	return bad != 0;
}
