// SPDX-License-Identifier: MIT
/* test_spawn.c - unit tests of user/common/spawn.c: command lines split
 * without a shell, the PATH search of execvp, a child's state. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "common/spawn.h"

static void write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static void test_split(void **state)
{
	char **av, err[128];

	(void)state;
	assert_int_equal(spawn_split("cp  'a b' \"c\\\"d\" e\\ f {}",
				     "the upload command",
				     &av, err, sizeof(err)), 0);
	assert_string_equal(av[0], "cp");
	assert_string_equal(av[1], "a b");
	assert_string_equal(av[2], "c\"d");
	assert_string_equal(av[3], "e f");
	assert_string_equal(av[4], "{}");
	assert_null(av[5]);
	free(av);
	assert_int_equal(spawn_split("cp 'x {}", "the upload command", &av, err,
				     sizeof(err)), -EINVAL);
	assert_null(av);
	assert_string_equal(err, "unterminated ' quote in the upload command");
	assert_int_equal(spawn_split(" \t ", "the --on-alert command", &av, err,
				     sizeof(err)), -EINVAL);
	assert_string_equal(err, "the --on-alert command is empty");
}

static void test_resolve_cmd(void **state)
{
	char dir[] = "/tmp/mlprobe-test-path-XXXXXX", out[PATH_MAX], file[PATH_MAX];
	char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/noexec", dir);
	write_file(file, "x", 1);	/* mode 0600: not executable */
	snprintf(file, sizeof(file), "%s/tool", dir);
	write_file(file, "x", 1);
	assert_int_equal(chmod(file, 0700), 0);

	setenv("PATH", dir, 1);
	assert_int_equal(spawn_resolve("tool", out, sizeof(out)), 0);
	assert_string_equal(out, file);
	assert_int_equal(spawn_resolve("noexec", out, sizeof(out)), -EACCES);
	assert_int_equal(spawn_resolve("absent", out, sizeof(out)), -ENOENT);
	/* Later entries are searched after a miss or a non-executable. */
	snprintf(out, sizeof(out), "/nonexistent:%s", dir);
	setenv("PATH", out, 1);
	assert_int_equal(spawn_resolve("tool", out, sizeof(out)), 0);
	assert_string_equal(out, file);
	/* With a '/', no search. */
	assert_int_equal(spawn_resolve("./tool", out, sizeof(out)), -ENOENT);
	assert_int_equal(spawn_resolve(file, out, sizeof(out)), 0);
	assert_string_equal(out, file);
	assert_int_equal(spawn_resolve("", out, sizeof(out)), -ENOENT);
	/* Too small a buffer is not found, never a cut path. */
	assert_int_equal(spawn_resolve(file, out, 8), -ENOENT);

	if (old)
		setenv("PATH", old, 1);
	else
		unsetenv("PATH");
	free(old);
	unlink(file);
	snprintf(file, sizeof(file), "%s/noexec", dir);
	unlink(file);
	rmdir(dir);
}

/* The child's state: its own process group, no blocked signal, SIGPIPE
 * default, stdin from /dev/null. */
static void test_child_reset(void **state)
{
	int p[2], status;
	char buf[64] = "";
	pid_t pid;
	sigset_t all;

	(void)state;
	assert_int_equal(pipe(p), 0);
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	signal(SIGPIPE, SIG_IGN);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sigset_t cur;
		struct stat a, b;
		int ok;

		spawn_child_reset();
		sigprocmask(SIG_SETMASK, NULL, &cur);
		ok = getpgid(0) == getpid() && !sigismember(&cur, SIGTERM) &&
		     signal(SIGPIPE, SIG_DFL) == SIG_DFL && !fstat(0, &a) &&
		     !stat("/dev/null", &b) && a.st_rdev == b.st_rdev;
		write(p[1], ok ? "ok" : "no", 2);
		_exit(0);
	}
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
	assert_int_equal(read(p[0], buf, sizeof(buf) - 1), 2);
	close(p[0]);
	waitpid(pid, &status, 0);
	assert_string_equal(buf, "ok");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_resolve_cmd),
		cmocka_unit_test(test_child_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
