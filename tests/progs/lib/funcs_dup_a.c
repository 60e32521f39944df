/* funcs_dup: two static functions named fx_dup, one in this translation
 * unit and one in funcs_dup_b.c, linked into one program, so that
 * `--func fx_dup` is ambiguous.
 *   funcs_dup [N]
 * Calls each fx_dup N times (default 10) and prints "checksum S". */
#include <stdio.h>
#include <stdlib.h>

#ifdef __clang__
#define FX_FUNC __attribute__((noinline, used))
#else
#define FX_FUNC __attribute__((noipa, used))
#endif

int fx_dup_b(int x);

static FX_FUNC int fx_dup(int x)
{
	__asm__ volatile("" ::: "memory");
	return x + 1;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10, sum = 0;

	for (long i = 0; i < n; i++)
		sum = sum * 31 + fx_dup((int)i) + fx_dup_b((int)i);
	printf("checksum %ld\n", sum);
	return 0;
}
