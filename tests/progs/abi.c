// SPDX-License-Identifier: MIT
/*
 * abi.c - fires each mlprobe probe once with known arguments.
 *
 * tests/e2e/test_header_bpftrace.sh attaches bpftrace (an independent USDT
 * reader) and checks that it decodes exactly these values; the unit test of
 * user/attach/usdt_notes.c reads this binary's notes.  It also compiles as C++.
 *
 *   metric      "m", 7, 1.5      (1.5 is 0x3ff8000000000000)
 *   step        42
 *   span_begin  "s"
 *   span_end    "s"
 *   log         MLPROBE_WARN (2), "hello"
 *
 * With `--loop`, it repeats until killed, for tests that attach by PID.
 */
#include <string.h>
#include <unistd.h>
#include "mlprobe.h"

/*
 * A tracer reads a string argument with bpf_probe_read_user(), which cannot
 * fault a page in: a literal on a page of .rodata that the process has not
 * touched yet reads as empty.  Real trainers have touched their .rodata by
 * the time they log; this tiny program touches its literals itself, so the
 * test checks the header's ABI rather than the page cache.
 */
static void touch(const char *s)
{
	*(volatile const char *)s;
}

/* Not inlined, so that each probe has exactly one site with any compiler. */
__attribute__((noinline)) static void fire(void)
{
	MLPROBE_METRIC("m", 7, 1.5);
	MLPROBE_STEP(42);
	MLPROBE_SPAN_BEGIN("s");
	MLPROBE_SPAN_END("s");
	MLPROBE_LOG(MLPROBE_WARN, "hello");
}

int main(int argc, char **argv)
{
	touch("m");
	touch("s");
	touch("hello");
	if (argc > 1 && !strcmp(argv[1], "--loop")) {
		for (;;) {
			fire();
			usleep(10000);
		}
	}
	fire();
	return 0;
}
