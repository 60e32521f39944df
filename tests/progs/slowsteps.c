/* slowsteps: a trainer whose steps are slow for known reasons, so a test
 * can check that each reason shows in its column of the spans table and
 * that `mlprobe explain` names it.
 *   slowsteps [STEPS [DIR]]
 * Every step (MLPROBE_STEP(i)) runs a span "compute" of fixed arithmetic
 * (about 5 ms), pinned with the whole process to one CPU.  Some steps add
 * one cause, in a span of its own:
 *   step % 10 == 3: "data"   a 40 ms sleep                     -> wait
 *   step % 10 == 5: "save"   16 MiB written to DIR and fsynced -> io
 *   step % 10 == 7: a thread pinned to the same CPU spins through
 *                   "compute"                                  -> runq
 *   step % 10 == 9: "alloc"  64 MiB of fresh memory touched    -> faults
 *   slowsteps loader STEPS
 * A DataLoader's shape: a forked worker writes a batch into a pipe every
 * 30 ms; each step reads one in a span "data" (blocked: wait), then runs
 * "compute".  Prints "done" and a checksum. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "mlprobe.h"

static volatile double sink;
static atomic_int spin;

static double work(long iters, double x)
{
	for (long i = 0; i < iters; i++)
		x = 3.9 * x * (1.0 - x);
	return x;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };

	nanosleep(&ts, NULL);
}

static void *spinner(void *arg)
{
	double x = 0.3;

	(void)arg;
	for (;;) {
		while (!atomic_load(&spin))
			sleep_ms(1);
		if (atomic_load(&spin) < 0)
			break;
		x = work(10000, x);
	}
	sink = x;
	return NULL;
}

static void save(const char *dir)
{
	char path[4096];
	static char buf[1 << 20];
	int fd;

	snprintf(path, sizeof(path), "%s/slowsteps.dat", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(path);
		exit(1);
	}
	memset(buf, 'x', sizeof(buf));
	for (int i = 0; i < 16; i++)
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			exit(1);
	fsync(fd);
	close(fd);
	unlink(path);
}

static void alloc(void)
{
	size_t n = 64 << 20;
	char *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		exit(1);
	for (size_t i = 0; i < n; i += 4096)
		p[i] = 1;
	munmap(p, n);
}

static int loader(long steps)
{
	double x = 0.5;
	int p[2];
	pid_t w;

	if (pipe(p))
		return 1;
	w = fork();
	if (w == 0) {
		close(p[0]);
		for (long i = 0; i < steps; i++) {
			sleep_ms(30);
			if (write(p[1], &i, sizeof(i)) != sizeof(i))
				_exit(1);
		}
		_exit(0);
	}
	close(p[1]);
	for (long i = 0; i < steps; i++) {
		long got;

		MLPROBE_STEP(i);
		MLPROBE_SPAN_BEGIN("data");
		if (read(p[0], &got, sizeof(got)) != sizeof(got))
			return 1;
		MLPROBE_SPAN_END("data");
		MLPROBE_SPAN_BEGIN("compute");
		x = work(300000, x);
		MLPROBE_SPAN_END("compute");
	}
	waitpid(w, NULL, 0);
	printf("done %.6f\n", x);
	return 0;
}

int main(int argc, char **argv)
{
	long steps;
	const char *dir;
	cpu_set_t one;
	pthread_t t;
	double x = 0.5;

	if (argc > 1 && !strcmp(argv[1], "loader"))
		return loader(argc > 2 ? atol(argv[2]) : 20);
	steps = argc > 1 ? atol(argv[1]) : 40;
	dir = argc > 2 ? argv[2] : ".";
	/* One CPU for the process, so the spinner contends for it. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);
	if (pthread_create(&t, NULL, spinner, NULL))
		return 1;
	for (long i = 0; i < steps; i++) {
		MLPROBE_STEP(i);
		if (i % 10 == 7)
			atomic_store(&spin, 1);
		MLPROBE_SPAN_BEGIN("compute");
		x = work(1500000, x);
		MLPROBE_SPAN_END("compute");
		atomic_store(&spin, 0);
		if (i % 10 == 3) {
			MLPROBE_SPAN_BEGIN("data");
			sleep_ms(40);
			MLPROBE_SPAN_END("data");
		} else if (i % 10 == 5) {
			MLPROBE_SPAN_BEGIN("save");
			save(dir);
			MLPROBE_SPAN_END("save");
		} else if (i % 10 == 9) {
			MLPROBE_SPAN_BEGIN("alloc");
			alloc();
			MLPROBE_SPAN_END("alloc");
		}
	}
	MLPROBE_STEP(steps);
	atomic_store(&spin, -1);
	pthread_join(t, NULL);
	printf("done %.6f\n", x);
	return 0;
}
