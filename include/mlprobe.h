/* SPDX-License-Identifier: MIT */
/*
 * mlprobe.h - static probes for ML training programs.
 *
 * Header only: include it, nothing to link, no daemon.  Each macro compiles
 * to a one-byte nop plus the moves that put its arguments in registers.
 * When `mlprobe record` (or bpftrace, or any USDT tool) attaches, the kernel
 * turns the nop into a breakpoint and an eBPF program copies the arguments.
 *
 *   MLPROBE_STEP(step);                      current step of this process
 *   MLPROBE_METRIC("loss", step, loss);      const char *, int64, double
 *   MLPROBE_SPAN_BEGIN("forward");           spans nest per thread
 *   MLPROBE_SPAN_END("forward");
 *   MLPROBE_LOG(MLPROBE_INFO, "checkpoint saved");
 *   if (MLPROBE_ENABLED()) { costly argument work }
 *
 * USDT ABI (provider "mlprobe"); every argument is an 8-byte register:
 *   metric      arg0 name (char *), arg1 step (int64), arg2 value (the IEEE-754
 *               bit pattern of a double, as uint64)
 *   span_begin  arg0 name (char *)
 *   span_end    arg0 name (char *)
 *   log         arg0 level (int64: 0 debug, 1 info, 2 warn, 3 error),
 *               arg1 message (char *)
 *   step        arg0 step (int64)
 * All probes share one semaphore, mlprobe_semaphore, which the kernel raises
 * while any probe site of this module is attached.
 *
 * MLPROBE_NOP5 (x86-64, opt-in): each site becomes `lea -128(%rsp),%rsp;
 * nop5; lea 128(%rsp),%rsp` behind a test of the semaphore.  Kernel 6.18
 * turns a uprobe on a five-byte nop into a call through a trampoline
 * instead of a breakpoint trap; that call pushes below %rsp, into the red
 * zone where a leaf function keeps its locals, so the site steps below the
 * red zone first (lea leaves the flags alone; every argument is a
 * register, never %rsp-relative).  tests/progs/redzone.c proves it: a leaf
 * function's live red-zone words all survive this site and are lost across
 * a plain nop5.  The semaphore test (asm goto: compare in memory, branch
 * not taken) keeps the unattached cost at two instructions.  It is not the
 * default because on the machines we measure (KVM guests, retpolines) the
 * trampoline's system call costs as much as the trap, and the BPF program
 * runs slower behind it: an attached metric cost 20% more (docs/bpf.md).
 * Build with -DMLPROBE_NOP5 where `make bench` says it pays.
 *
 * The note section is written here rather than taken from systemtap's
 * <sys/sdt.h>, so the header has no dependency beyond the compiler.  Its
 * layout is the one readelf -n, libbpf, bpftrace and perf expect.
 *
 * Each site clobbers "memory": the tracer reads the strings behind the
 * pointers, so the compiler must not drop or delay a store to a name buffer
 * (snprintf into a reused buffer, strcpy into a heap block) past the probe.
 *
 * Define MLPROBE_DISABLE before including to compile every probe out.
 * Safe across fork(): the header keeps no state but the semaphore, which the
 * kernel owns.
 */
#ifndef MLPROBE_H
#define MLPROBE_H

#define MLPROBE_DEBUG 0
#define MLPROBE_INFO  1
#define MLPROBE_WARN  2
#define MLPROBE_ERROR 3

#if !defined(MLPROBE_DISABLE) && (defined(__x86_64__) || defined(__aarch64__)) && \
	(defined(__GNUC__) || defined(__clang__))

#ifdef __cplusplus
extern "C" {
#endif
/* One per module (executable or shared object): weak merges the copies of
 * every translation unit, hidden keeps each .so's copy its own. */
__attribute__((weak, used, visibility("hidden"), section(".probes")))
volatile unsigned short mlprobe_semaphore;
#ifdef __cplusplus
}
#endif

/* The note: pc, link-time base (for prelink correction), semaphore address,
 * provider, probe name and argument spec.  The arg spec names the registers
 * the compiler chose, e.g. "8@%rdi -8@%rsi 8@%rax". */
/* The probe instruction (label 990, the note's pc) and what guards it. */
#if defined(__x86_64__) && defined(MLPROBE_NOP5)
#define _MLPROBE_INSN                                                          \
	"lea -128(%%rsp),%%rsp\n"                                             \
	"990:\t.byte 0x0f,0x1f,0x44,0x00,0x00\n"                               \
	"\tlea 128(%%rsp),%%rsp\n"
/* Two instructions while nothing is attached: compare the semaphore in
 * memory, branch (not taken) to the probe.  A plain C test would load it
 * into a register first (three).  Opens a block that _MLPROBE_END closes;
 * the labels are local to it. */
#define _MLPROBE_BEGIN                                                         \
	do {                                                                   \
		__label__ _mlp_on, _mlp_off;                                   \
		__asm__ goto("cmpw $0, %0\n\tjne %l[_mlp_on]"                  \
			     : : "m"(mlprobe_semaphore) : "cc" : _mlp_on);     \
		goto _mlp_off;                                                 \
	_mlp_on:
#define _MLPROBE_END                                                           \
	_mlp_off:;                                                             \
	} while (0)
#else
#define _MLPROBE_INSN "990:\tnop\n"
#define _MLPROBE_BEGIN do {
#define _MLPROBE_END } while (0)
#endif

#define _MLPROBE_SITE(probe, argfmt, ...)                                      \
	__asm__ __volatile__(                                                  \
		_MLPROBE_INSN                                                  \
		"\t.pushsection .note.stapsdt,\"?\",\"note\"\n"                \
		"\t.balign 4\n"                                                \
		"\t.4byte 992f-991f,994f-993f,3\n"                             \
		"991:\t.asciz \"stapsdt\"\n"                                   \
		"992:\t.balign 4\n"                                            \
		"993:\t.8byte 990b\n"                                          \
		"\t.8byte _.stapsdt.base\n"                                    \
		"\t.8byte mlprobe_semaphore\n"                                 \
		"\t.asciz \"mlprobe\"\n"                                       \
		"\t.asciz \"" probe "\"\n"                                     \
		"\t.asciz \"" argfmt "\"\n"                                    \
		"994:\t.balign 4\n"                                            \
		"\t.popsection\n"                                              \
		"\t.ifndef _.stapsdt.base\n"                                   \
		"\t.pushsection .stapsdt.base,\"aG\",\"progbits\","            \
		".stapsdt.base,comdat\n"                                       \
		"\t.weak _.stapsdt.base\n"                                     \
		"\t.hidden _.stapsdt.base\n"                                   \
		"_.stapsdt.base:\t.space 1\n"                                  \
		"\t.size _.stapsdt.base,1\n"                                   \
		"\t.popsection\n"                                              \
		"\t.endif\n"                                                   \
		: : __VA_ARGS__ : "memory")

#define _MLPROBE_U64(x) ((unsigned long long)(__UINTPTR_TYPE__)(x))

/* True while a tracer is attached to this module's probes: guard argument
 * work that costs more than the probe itself. */
#define MLPROBE_ENABLED() __builtin_expect(mlprobe_semaphore != 0, 0)

#define MLPROBE_METRIC(name, step, value)                                      \
	do {                                                                   \
		unsigned long long _mlp_n = _MLPROBE_U64(name);                \
		long long _mlp_s = (long long)(step);                          \
		double _mlp_v = (double)(value);                               \
		unsigned long long _mlp_bits;                                  \
		__builtin_memcpy(&_mlp_bits, &_mlp_v, sizeof(_mlp_bits));      \
		_MLPROBE_BEGIN                                                 \
		_MLPROBE_SITE("metric", "8@%[n] -8@%[s] 8@%[v]",               \
			      [n] "r"(_mlp_n), [s] "r"(_mlp_s),                \
			      [v] "r"(_mlp_bits));                             \
		_MLPROBE_END;                                                  \
	} while (0)

/* A probe with one argument of the given type. */
#define _MLPROBE_SITE1(probe, spec, type, x)                                   \
	do {                                                                   \
		type _mlp_x = (type)(x);                                       \
		_MLPROBE_BEGIN                                                 \
		_MLPROBE_SITE(probe, spec, [a] "r"(_mlp_x));                   \
		_MLPROBE_END;                                                  \
	} while (0)

#define MLPROBE_SPAN_BEGIN(name)                                               \
	_MLPROBE_SITE1("span_begin", "8@%[a]", unsigned long long,             \
		       _MLPROBE_U64(name))

#define MLPROBE_SPAN_END(name)                                                 \
	_MLPROBE_SITE1("span_end", "8@%[a]", unsigned long long,               \
		       _MLPROBE_U64(name))

#define MLPROBE_STEP(step) _MLPROBE_SITE1("step", "-8@%[a]", long long, step)

#define MLPROBE_LOG(level, msg)                                                \
	do {                                                                   \
		long long _mlp_l = (long long)(level);                         \
		unsigned long long _mlp_m = _MLPROBE_U64(msg);                 \
		_MLPROBE_BEGIN                                                 \
		_MLPROBE_SITE("log", "-8@%[l] 8@%[m]", [l] "r"(_mlp_l),         \
			      [m] "r"(_mlp_m));                                \
		_MLPROBE_END;                                                  \
	} while (0)

#else /* probes compiled out */

#define MLPROBE_ENABLED() 0
#define MLPROBE_METRIC(name, step, value) \
	do { (void)(name); (void)(step); (void)(value); } while (0)
#define MLPROBE_SPAN_BEGIN(name) do { (void)(name); } while (0)
#define MLPROBE_SPAN_END(name)   do { (void)(name); } while (0)
#define MLPROBE_STEP(step)       do { (void)(step); } while (0)
#define MLPROBE_LOG(level, msg)  do { (void)(level); (void)(msg); } while (0)

#endif
#endif /* MLPROBE_H */
