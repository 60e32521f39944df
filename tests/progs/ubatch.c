/* ubatch: what `record --batch` delivers and counts when a trainer's
 * threads end, exec, fork or are killed with records still in their batch.
 *   ubatch threads T N   T threads, each N metrics "m" (step = t << 32 | i)
 *                        and N spans "s"; N not a multiple of the batch,
 *                        so every thread ends with a partial batch
 *   ubatch exit N        a thread writes N metrics "held" and blocks; main
 *                        writes N metrics "main" and calls exit(): the
 *                        thread's records die with it (counted)
 *   ubatch kill N        N metrics "k", then SIGKILL: the ones not yet sent
 *                        (N % 64) are counted
 *   ubatch exec N        N metrics "x", then execs /bin/true: likewise
 *   ubatch reexec N      N metrics "x", then execs itself as "after N":
 *                        N metrics "y" and exit (the new image batches)
 *   ubatch loop FILE     a metric "l" (step i) every 2 ms, for ever; writes
 *                        FILE once the first is written
 *   ubatch fork N        N metrics "p", fork; the child writes 3 metrics
 *                        "c" and exits; the parent exits: the child must
 *                        not send the parent's records again
 *   ubatch nap K         K spans "nap" around a 50 ms sleep, K spans "spin"
 *                        around 50 ms on CPU, one step each: the time split
 *                        of batched spans
 *   ubatch hold N FILE   waits for the batch probe, writes N metrics "h",
 *                        writes FILE, then sleeps: a recording stopped now
 *                        finds them held
 * Every mode waits for the batch probe to be attached first (its
 * semaphore), so that the records are batched; UBATCH_PER_EVENT=1 in the
 * environment: not (recorded without --batch). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "mlprobe.h"

static long n;

static void wait_batch(void)
{
	if (getenv("UBATCH_PER_EVENT"))	/* recorded without --batch */
		return;
	for (int i = 0; i < 3000 && !mlprobe_batch_semaphore; i++)
		usleep(10000);
	if (!mlprobe_batch_semaphore) {
		fprintf(stderr, "ubatch: the batch probe was not attached\n");
		exit(2);
	}
}

static void *run(void *arg)
{
	long t = (long)arg;

	for (long i = 0; i < n; i++) {
		MLPROBE_METRIC("m", t << 32 | i, (double)i);
		MLPROBE_SPAN_BEGIN("s");
		MLPROBE_SPAN_END("s");
	}
	return NULL;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int wrote;

static void *hold_and_block(void *arg)
{
	(void)arg;
	for (long i = 0; i < n; i++)
		MLPROBE_METRIC("held", i, 1.0);
	pthread_mutex_lock(&mu);
	wrote = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (;;)
		pause();
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	pthread_t th[64];
	int nt;

	if (argc < 3) {
		fprintf(stderr, "usage: ubatch MODE ARGS (see the source)\n");
		return 2;
	}
	wait_batch();
	if (!strcmp(mode, "threads") && argc > 3) {
		nt = atoi(argv[2]);
		n = atol(argv[3]);
		if (nt < 1 || nt > 64)
			return 2;
		for (long t = 0; t < nt; t++)
			pthread_create(&th[t], NULL, run, (void *)t);
		for (int t = 0; t < nt; t++)
			pthread_join(th[t], NULL);
		printf("emitted %ld\n", nt * n);
		return 0;
	}
	n = atol(argv[2]);
	if (!strcmp(mode, "exit")) {
		pthread_create(&th[0], NULL, hold_and_block, NULL);
		pthread_mutex_lock(&mu);
		while (!wrote)
			pthread_cond_wait(&cv, &mu);
		pthread_mutex_unlock(&mu);
		for (long i = 0; i < n; i++)
			MLPROBE_METRIC("main", i, 2.0);
		exit(0);
	}
	if (!strcmp(mode, "kill")) {
		for (long i = 0; i < n; i++)
			MLPROBE_METRIC("k", i, 3.0);
		raise(SIGKILL);
	}
	if (!strcmp(mode, "exec")) {
		for (long i = 0; i < n; i++)
			MLPROBE_METRIC("x", i, 4.0);
		execl("/bin/true", "true", (char *)NULL);
		return 1;
	}
	if (!strcmp(mode, "reexec")) {
		for (long i = 0; i < n; i++)
			MLPROBE_METRIC("x", i, 4.0);
		execl("/proc/self/exe", "ubatch", "after", argv[2], (char *)NULL);
		return 1;
	}
	if (!strcmp(mode, "after")) {
		for (long i = 0; i < n; i++)
			MLPROBE_METRIC("y", i, 4.5);
		return 0;
	}
	if (!strcmp(mode, "loop")) {
		struct timespec ms2 = { 0, 2 * 1000 * 1000 };

		for (long i = 0;; i++) {
			MLPROBE_METRIC("l", i, 8.0);
			if (i == 0) {
				FILE *f = fopen(argv[2], "w");

				if (f)
					fclose(f);
			}
			nanosleep(&ms2, NULL);
		}
	}
	if (!strcmp(mode, "fork")) {
		pid_t pid;

		for (long i = 0; i < n; i++)
			MLPROBE_METRIC("p", i, 5.0);
		pid = fork();
		if (pid == 0) {
			for (int i = 0; i < 3; i++)
				MLPROBE_METRIC("c", i, 6.0);
			exit(0);
		}
		waitpid(pid, NULL, 0);
		return 0;
	}
	if (!strcmp(mode, "nap")) {
		struct timespec nap = { 0, 50 * 1000 * 1000 };
		volatile double x = 0;

		for (long k = 0; k < n; k++) {
			double t0;

			MLPROBE_STEP(k);
			MLPROBE_SPAN_BEGIN("nap");
			nanosleep(&nap, NULL);
			MLPROBE_SPAN_END("nap");
			MLPROBE_SPAN_BEGIN("spin");
			for (t0 = now(); now() - t0 < 0.05;)
				x += 1;
			MLPROBE_SPAN_END("spin");
		}
		MLPROBE_STEP(n);
		return 0;
	}
	if (!strcmp(mode, "hold") && argc > 3) {
		FILE *f;

		for (long i = 0; i < n; i++)
			MLPROBE_METRIC("h", i, 7.0);
		f = fopen(argv[3], "w");
		if (!f)
			return 1;
		fprintf(f, "%ld\n", n);
		fclose(f);
		for (;;)
			pause();
	}
	fprintf(stderr, "ubatch: unknown mode '%s'\n", mode);
	return 2;
}
