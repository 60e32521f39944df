/* libfxlib.so: a shared library for `record --func LIB:SYM` and the symbol
 * tests.  Exports fxlib_work (a plain function), a function under the name
 * a C++ compiler gives `int fxlib::cxx(int)`, and an IFUNC.  funcs_lib is
 * a program linked with it. */
#ifdef __clang__
#define FX_FUNC __attribute__((noinline, used))
#else
#define FX_FUNC __attribute__((noipa, used))
#endif

long fxlib_calls;

FX_FUNC int fxlib_work(int x)
{
	fxlib_calls++;
	__asm__ volatile("" ::: "memory");
	return x * 7 + 3;
}

/* The mangled name, without a C++ compiler. */
int fxlib_cxx(int x) __asm__("_ZN5fxlib3cxxEi");
FX_FUNC int fxlib_cxx(int x)
{
	return x - 1;
}

/* fxlib_pick is an IFUNC: its symbol is the resolver, which the dynamic
 * loader calls to choose the implementation. */
typedef int pick_fn(int);

static FX_FUNC int fxlib_pick_impl(int x)
{
	return x + 2;
}

static __attribute__((used)) pick_fn *fxlib_pick_resolver(void)
{
	return fxlib_pick_impl;
}

int fxlib_pick(int x) __attribute__((ifunc("fxlib_pick_resolver")));
