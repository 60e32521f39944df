/* redzone: is the x86-64 probe site red-zone safe?
 *   redzone N
 * Built with -DMLPROBE_NOP5 (the opt-in x86-64 site).
 * Two leaf functions keep 8 live words in the red zone (below %rsp, where
 * a function that calls nothing may keep locals without moving %rsp)
 * across a probe site, N calls each:
 *   leaf_safe   the header's site: lea -128(%rsp),%rsp; nop5; lea 128(%rsp)
 *   leaf_plain  a plain nop5 site, the shape kernel 6.18's uprobe trampoline
 *               call writes below %rsp into
 * Prints "safe_lost A plain_lost B trampoline T": the words each lost, and
 * whether the kernel mapped its uprobe trampoline into this process (1: the
 * nop5 sites were turned into calls).  tests/e2e/test_redzone.sh runs it
 * attached and checks A == 0 and, with the trampoline, B > 0 (the test can
 * see a clobber). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* Sites without the batch path: its call would make the leaf functions
 * below non-leaf, and they would keep nothing in the red zone.  (A site
 * with it is safe for the same reason.) */
#define MLPROBE_NO_BATCH
#include "mlprobe.h"

#define WORDS 8

/* A leaf function: 8 words live across the site, in the red zone.  A
 * macro, so each use expands the site as _MLPROBE_INSN is defined there. */
#define LEAF(fn, name)                                                         \
	static __attribute__((noinline)) int fn(long seed)                     \
	{                                                                      \
		volatile long w[WORDS];                                        \
		int lost = 0;                                                  \
		for (int i = 0; i < WORDS; i++)                                \
			w[i] = seed * 31 + i;                                  \
		MLPROBE_METRIC(name, seed, 0.0);                               \
		for (int i = 0; i < WORDS; i++)                                \
			lost += w[i] != seed * 31 + i;                         \
		return lost;                                                   \
	}

LEAF(leaf_safe, "rz.safe")

#ifdef __x86_64__
/* The same site without the step below the red zone (the semaphore test
 * stays). */
#undef _MLPROBE_INSN
#define _MLPROBE_INSN "990:\t.byte 0x0f,0x1f,0x44,0x00,0x00\n"
#endif

LEAF(leaf_plain, "rz.plain")

static int trampoline(void)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		found |= strstr(line, "[uprobes-trampoline]") != NULL;
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	long safe = 0, plain = 0;

	for (long i = 0; i < n; i++) {
		safe += leaf_safe(i);
		plain += leaf_plain(i);
	}
	printf("safe_lost %ld plain_lost %ld trampoline %d\n", safe, plain,
	       trampoline());
	return 0;
}
