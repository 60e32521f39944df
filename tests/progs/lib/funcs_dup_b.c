/* funcs_dup: the second static fx_dup (see funcs_dup_a.c). */
#ifdef __clang__
#define FX_FUNC __attribute__((noinline, used))
#else
#define FX_FUNC __attribute__((noipa, used))
#endif

int fx_dup_b(int x);

static FX_FUNC int fx_dup(int x)
{
	__asm__ volatile("" ::: "memory");
	return x * 3;
}

FX_FUNC int fx_dup_b(int x)
{
	return fx_dup(x) + 1;
}
