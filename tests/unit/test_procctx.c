// SPDX-License-Identifier: MIT
/* test_procctx.c - rank variables, run ids, path-safe names, and the pid
 * table (including deletion with collisions). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "attach/procctx.h"

#define ENV(s) s, sizeof(s) - 1	/* a literal block, NULs included */

static void test_torchrun(void **state)
{
	struct row_proc p = { .ppid = 7 };

	(void)state;
	procctx_parse_env(ENV("PATH=/bin\0RANK=3\0LOCAL_RANK=1\0WORLD_SIZE=8\0"), &p);
	assert_int_equal(p.rank, 3);
	assert_int_equal(p.local_rank, 1);
	assert_int_equal(p.world_size, 8);
	assert_int_equal(p.ppid, 7);	/* left alone */
}

static void test_slurm_mpi_order(void **state)
{
	struct row_proc p;

	(void)state;
	procctx_parse_env(ENV("SLURM_PROCID=5\0SLURM_LOCALID=2\0SLURM_NTASKS=16\0"), &p);
	assert_int_equal(p.rank, 5);
	assert_int_equal(p.local_rank, 2);
	assert_int_equal(p.world_size, 16);
	procctx_parse_env(ENV("OMPI_COMM_WORLD_RANK=9\0OMPI_COMM_WORLD_SIZE=12\0"), &p);
	assert_int_equal(p.rank, 9);
	assert_int_equal(p.local_rank, -1);
	assert_int_equal(p.world_size, 12);
	/* RANK wins over the launcher-specific ones. */
	procctx_parse_env(ENV("SLURM_PROCID=5\0RANK=1\0"), &p);
	assert_int_equal(p.rank, 1);
}

static void test_bad_values(void **state)
{
	struct row_proc p;

	(void)state;
	procctx_parse_env(ENV("RANK=x1\0LOCAL_RANK=\0WORLD_SIZE=99999999999\0"), &p);
	assert_int_equal(p.rank, -1);
	assert_int_equal(p.local_rank, -1);
	assert_int_equal(p.world_size, -1);
	procctx_parse_env(ENV("RANK=-1\0RANKX=4\0XRANK=4\0"), &p);
	assert_int_equal(p.rank, -1);
	/* A block without a final NUL, and an empty one. */
	procctx_parse_env("RANK=12", 7, &p);
	assert_int_equal(p.rank, 12);
	procctx_parse_env("", 0, &p);
	assert_int_equal(p.rank, -1);
}

static void test_run_id(void **state)
{
	char id[64];

	(void)state;
	assert_int_equal(procctx_env_run_id(ENV("TORCHELASTIC_RUN_ID=t1\0MLPROBE_RUN_ID=m1\0"),
					    id, sizeof(id)), 0);
	assert_string_equal(id, "m1");
	assert_int_equal(procctx_env_run_id(ENV("TORCHELASTIC_RUN_ID=t1\0SLURM_JOB_ID=9\0"),
					    id, sizeof(id)), 0);
	assert_string_equal(id, "t1");
	assert_int_equal(procctx_env_run_id(ENV("TORCHELASTIC_RUN_ID=none\0SLURM_JOB_ID=9\0"),
					    id, sizeof(id)), 0);
	assert_string_equal(id, "slurm-9");
	assert_int_equal(procctx_env_run_id(ENV("HOME=/\0"), id, sizeof(id)), -ENOENT);
	procctx_run_id("given", getpid(), "h", id, sizeof(id));
	assert_string_equal(id, "given");
	procctx_run_id(NULL, 999999999, "hostx", id, sizeof(id));
	assert_int_equal(strlen(id), strlen("20261124T185824Z-hostx"));
	assert_string_equal(id + 16, "-hostx");
}

static void test_path_safe(void **state)
{
	char a[] = "run/../x y", b[] = "..", c[2] = "", d[] = "ok-1.2_3", e[1] = "";

	(void)state;
	procctx_path_safe(a, sizeof(a));
	assert_string_equal(a, "run_.._x_y");
	procctx_path_safe(b, sizeof(b));
	assert_string_equal(b, "_");
	procctx_path_safe(c, sizeof(c));
	assert_string_equal(c, "_");
	procctx_path_safe(d, sizeof(d));
	assert_string_equal(d, "ok-1.2_3");
	procctx_path_safe(e, sizeof(e));	/* no room: stays "", no overflow */
	assert_string_equal(e, "");
}

/* Many pids that collide in the table, forked, exited in a mixed order:
 * every remaining one must still be found with its own context. */
static void test_table(void **state)
{
	struct procctx *c = procctx__new();
	const struct row_proc *me;
	int n = 3000;

	(void)state;
	assert_non_null(c);
	me = procctx__get(c, getpid());
	assert_int_equal(me->ppid, getppid());
	for (int i = 1; i <= n; i++)
		procctx__fork(c, 4000000 + i * 64, getpid());
	for (int i = 1; i <= n; i += 3)
		procctx__exit(c, 4000000 + i * 64);
	for (int i = 1; i <= n; i++) {
		const struct row_proc *p = procctx__get(c, 4000000 + i * 64);

		/* An exited pid is unknown now (gone from /proc too). */
		assert_int_equal(p->ppid, i % 3 == 1 ? -1 : getpid());
	}
	/* A pid that never existed: every field unknown. */
	assert_int_equal(procctx__get(c, 2147483000)->rank, -1);
	procctx__free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_torchrun),
		cmocka_unit_test(test_slurm_mpi_order),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_run_id),
		cmocka_unit_test(test_path_safe),
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
