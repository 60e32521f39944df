// SPDX-License-Identifier: MIT
/* test_forkexec.c - the commands mlprobe forks (launch, upload) make only
 * async-signal-safe calls between fork and exec: mlprobe may have another
 * thread (libmicrohttpd's for --prometheus) holding a lock at the fork.
 *
 * This binary replaces malloc and friends (glibc allows it: its own calls
 * come here too) and the PATH-searching exec functions.  After a fork, in
 * the child, any of them ends the child with status 86 and a line on its
 * stderr, so an allocation (setenv, snprintf's buffers, stdio) or a PATH
 * search between fork and exec fails the test every time, not only when a
 * thread happens to hold the lock.  Under ASan (SAN=1) the sanitizer owns
 * malloc: the checks run without the trap. */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "attach/launch.h"
#include "store/spool.h"

#define TRAPPED 86	/* a child's exit status after a forbidden call */

#if !defined(__SANITIZE_ADDRESS__)
static volatile sig_atomic_t in_child;

static void forked(void)
{
	in_child = 1;
}

static void trap(const char *what)
{
	static const char pre[] = "test_forkexec: called between fork and exec: ";

	if (!in_child)
		return;
	if (write(2, pre, sizeof(pre) - 1) < 0 ||
	    write(2, what, strlen(what)) < 0 || write(2, "\n", 1) < 0)
		_exit(TRAPPED);
	_exit(TRAPPED);
}

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

void *malloc(size_t n)
{
	trap("malloc");
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	trap("calloc");
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	trap("realloc");
	return __libc_realloc(p, n);
}

void free(void *p)
{
	trap("free");
	__libc_free(p);
}

/* Only children exec; a PATH search belongs before the fork. */
int execvp(const char *file, char *const argv[])
{
	(void)file, (void)argv;
	trap("execvp");
	errno = ENOSYS;
	return -1;
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
	(void)file, (void)argv, (void)envp;
	trap("execvpe");
	errno = ENOSYS;
	return -1;
}

static void arm(void)
{
	static bool done;

	if (!done)
		pthread_atfork(NULL, NULL, forked);
	done = true;
}
#else
static void arm(void)
{
}
#endif

static char tmp[64];

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	arm();
	snprintf(tmp, sizeof(tmp), "/tmp/mlprobe-forkexec.XXXXXX");
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(tmp, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
}

/* Python mode: the command's environment is mlprobe's, with
 * MLPROBE_ATTACH_WAIT set (once) to the command's own PID. */
static void launch_python(const char *path)
{
	char *argv[] = { "sh", "-c", "echo \"$MLPROBE_ATTACH_WAIT $FORKEXEC_MARK "
			 "$(env | grep -c ^MLPROBE_ATTACH_WAIT=)\"", NULL };
	char out[128], got[256], want[64];
	struct launch_opts o = { .sz = sizeof(o), .argv = argv, .path = path,
				 .python = true, .output = out };
	struct launch *l;
	int st;

	snprintf(out, sizeof(out), "%s/out", tmp);
	setenv("MLPROBE_ATTACH_WAIT", "stale", 1);
	setenv("FORKEXEC_MARK", "kept", 1);
	assert_int_equal(launch__new(&o, &l), 0);
	assert_int_equal(launch__go(l), 0);
	st = launch__reap(l, -1);
	slurp(out, got, sizeof(got));
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st))
		fail_msg("the command exited with %d: %s", WEXITSTATUS(st), got);
	snprintf(want, sizeof(want), "%d kept 1\n", (int)launch__pid(l));
	assert_string_equal(got, want);
	launch__free(l);
	unsetenv("MLPROBE_ATTACH_WAIT");
	unsetenv("FORKEXEC_MARK");
}

static void test_launch_python_path(void **state)
{
	(void)state;
	launch_python("/bin/sh");
}

static void test_launch_python_on_path(void **state)
{
	(void)state;
	launch_python(NULL);	/* "sh" found on PATH before the fork */
}

static void test_launch_not_found(void **state)
{
	char *argv[] = { "no-such-command-forkexec", NULL };
	struct launch_opts o = { .sz = sizeof(o), .argv = argv };
	struct launch *l = (void *)1;

	(void)state;
	assert_int_equal(launch__new(&o, &l), -ENOENT);
	assert_null(l);
}

/* Queues one file and ticks until it is sent or an attempt failed. */
static void upload_one(char **cmd, struct spool_stats *st, char *err, size_t len)
{
	struct spool_opts so = { .sz = sizeof(so), .dir = tmp, .argv = cmd,
				 .quiet = true };
	struct timespec ts = { 0, 10000000 };
	char file[128];
	struct spool *sp;
	FILE *f;

	snprintf(file, sizeof(file), "%s/metrics-0000.parquet", tmp);
	assert_non_null(f = fopen(file, "w"));
	fputs("PAR1", f);
	fclose(f);
	assert_int_equal(spool__open(&so, &sp), 0);
	assert_int_equal(spool__add(sp, file), 0);
	for (int i = 0; i < 500; i++) {
		spool__tick(sp, (uint64_t)i * 10000000ull);
		spool__stats(sp, st);
		if (st->sent || st->failures)
			break;
		nanosleep(&ts, NULL);
	}
	snprintf(err, len, "%s", spool__last_error(sp));
	spool__free(sp);
}

static void test_upload(void **state)
{
	char *cmd[] = { "true", NULL }, err[160];
	struct spool_stats st;

	(void)state;
	upload_one(cmd, &st, err, sizeof(err));
	if (st.failures)
		fail_msg("the upload failed: %s", err);
	assert_int_equal(st.sent, 1);
}

static void test_upload_not_found(void **state)
{
	char *cmd[] = { "no-such-command-forkexec", "{}", NULL }, err[160];
	char log[PATH_MAX], got[512];
	struct spool_stats st;

	(void)state;
	upload_one(cmd, &st, err, sizeof(err));
	assert_int_equal(st.failures, 1);
	assert_string_equal(err, "exit status 127");
	snprintf(log, sizeof(log), "%s/.spool/upload.log", tmp);
	slurp(log, got, sizeof(got));
	assert_string_equal(got, "mlprobe upload: cannot run no-such-command-forkexec: "
			    "No such file or directory\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_launch_python_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_launch_python_on_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_launch_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upload_not_found, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
