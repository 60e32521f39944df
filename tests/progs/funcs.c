/* funcs: plain functions with known call counts, for `record --func`.
 *   funcs [N [wait]]
 * Runs N steps (default 100).  Each step: MLPROBE_STEP(i), fx_mid(), which
 * calls fx_leaf() twice, and fx_rec(3), which recurses 3 calls deep.  So N
 * steps make N fx_mid, 2N fx_leaf and 3N fx_rec calls.
 * With "wait" it prints "ready" and waits for a line on stdin (or its end)
 * before the loop, so that a test can attach with -p first.
 * Ends with "calls fx_leaf=A fx_mid=B fx_rec=C", counted by the functions
 * themselves, and "checksum S", which uses every result so that no call
 * can be optimized out.  The Makefile also builds it with -no-pie as
 * funcs_nopie. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mlprobe.h"

/* Each call in the source must stay a call to the named symbol: GCC's
 * noipa also rules out clones (fx_rec.constprop.0) that callers would use
 * instead. */
#ifdef __clang__
#define FX_FUNC __attribute__((noinline, used))
#else
#define FX_FUNC __attribute__((noipa, used))
#endif

long fx_calls_leaf, fx_calls_mid, fx_calls_rec;

FX_FUNC int fx_leaf(void)
{
	__asm__ volatile("" ::: "memory");
	return (int)(++fx_calls_leaf & 0xff);
}

FX_FUNC int fx_mid(void)
{
	int a, b;

	fx_calls_mid++;
	a = fx_leaf();
	__asm__ volatile("" : "+r"(a) :: "memory");
	b = fx_leaf();
	/* Keeps the second call from becoming a jump (a tail call). */
	__asm__ volatile("" : "+r"(b) :: "memory");
	return a * 3 + b;
}

/* n calls deep.  The barrier after the recursive call keeps GCC from
 * turning the recursion into a loop. */
FX_FUNC int fx_rec(int n)
{
	int r;

	fx_calls_rec++;
	r = n <= 1 ? 1 : fx_rec(n - 1) * 2 + n;
	__asm__ volatile("" : "+r"(r) :: "memory");
	return r;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 100;
	unsigned long sum = 0;

	if (argc > 2 && !strcmp(argv[2], "wait")) {
		char line[64];

		printf("ready\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			clearerr(stdin);	/* end of input: go on */
	}
	for (long i = 0; i < n; i++) {
		MLPROBE_STEP(i);
		sum = sum * 31 + fx_mid();
		sum = sum * 31 + fx_rec(3);
	}
	printf("calls fx_leaf=%ld fx_mid=%ld fx_rec=%ld\n", fx_calls_leaf,
	       fx_calls_mid, fx_calls_rec);
	printf("checksum %lu\n", sum);
	return 0;
}
