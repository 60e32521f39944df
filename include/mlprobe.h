/* SPDX-License-Identifier: MIT */
/*
 * mlprobe.h - static probes for ML training programs.
 *
 * Header only: include it, nothing to link, no daemon.  Each macro compiles
 * to a test of a semaphore (two instructions) and, behind it, a one-byte nop
 * plus the moves that put its arguments in registers.
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
 * These five probes share one semaphore, mlprobe_semaphore, which the kernel raises
 * while any probe site of this module is attached.  Each site tests it
 * first (two instructions while nothing is attached: compare in memory,
 * branch not taken), and its arguments are computed behind the test.
 *
 * Batching (`mlprobe record --batch`).  One more probe, mlprobe:batch,
 * has a semaphore of its own, mlprobe_batch_semaphore.  While a tracer has
 * it attached, metric, span_begin, span_end and step no longer trap one by
 * one: each appends a 32-byte record (CLOCK_BOOTTIME from the vDSO, the
 * kind, the three arguments) to a buffer of the thread, and the thread
 * fires one batch probe when the buffer is full, at each step, and at a
 * record written MLPROBE_BATCH_AGE_NS or more after the oldest it holds
 * (a thread that stops writing holds its last records until it writes
 * again or ends); also when the thread ends (a pthread key's destructor)
 * and when the process exits (a forked child empties its copy: those
 * records are the parent's).  Logs still trap one by one.  While the batch
 * probe is attached, a tracer that attaches only the five probes above
 * (bpftrace, perf, an mlprobe without --batch) sees no metric, span or step
 * of this process.  A name that is not a string literal written in the
 * call sends the batch at once (MLPROBE_NAME_STABLE below).
 *   batch       arg0 the buffer (struct mlprobe__buf *), arg1 records in it
 *               (uint64, at most MLPROBE_BATCH_CAP), arg2 the sequence
 *               number of its first record (uint64: records the thread
 *               sent before)
 *   record      tk: CLOCK_BOOTTIME ns in bits 0..59, the kind in bits 60..63
 *               (0 metric, 1 span_begin, 2 span_end, 3 step); a, b, c: the
 *               probe's arguments as above (unused ones 0)
 * The buffer is one per thread and process (a weak TLS symbol of default
 * visibility, versioned by its layout), so a span begun in one module and
 * ended in another stays in order; a module built with MLPROBE_NO_BATCH,
 * or an older header, traps at once and may overtake records still held.
 * Not async-signal-safe while batching: a probe in a signal handler may
 * overwrite or repeat a record of the code it interrupted.  Needs
 * pthreads (in libc since glibc 2.34; older: link with -pthread).
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
 * Define MLPROBE_DISABLE before including to compile every probe out, or
 * MLPROBE_NO_BATCH to leave the batch path out (every event traps).
 * Safe across fork(): the semaphores are the kernel's, and the batch buffer
 * is emptied in the child (its records are the parent's to send).
 */
#ifndef MLPROBE_H
#define MLPROBE_H

#define MLPROBE_DEBUG 0
#define MLPROBE_INFO  1
#define MLPROBE_WARN  2
#define MLPROBE_ERROR 3

#if !defined(MLPROBE_DISABLE) && (defined(__x86_64__) || defined(__aarch64__)) && \
	(defined(__GNUC__) || defined(__clang__))

#ifndef MLPROBE_NO_BATCH
#include <pthread.h>
#include <time.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif
#if !defined(MLPROBE_NO_BATCH) && !defined(__cplusplus) && \
	!defined(__USE_POSIX199309)
/* Strict ISO C (-std=c11, no feature macros): <time.h> leaves it out. */
extern int clock_gettime(int, struct timespec *);
#endif
#define MLPROBE__BOOTTIME 7	/* CLOCK_BOOTTIME on Linux */
/* One per module (executable or shared object): weak merges the copies of
 * every translation unit, hidden keeps each .so's copy its own. */
__attribute__((weak, used, visibility("hidden"), section(".probes")))
volatile unsigned short mlprobe_semaphore;
__attribute__((weak, used, visibility("hidden"), section(".probes")))
volatile unsigned short mlprobe_batch_semaphore;
#ifndef MLPROBE_NO_BATCH

#define MLPROBE_BATCH_CAP 64			/* records per batch */
#ifndef MLPROBE_BATCH_AGE_NS
#define MLPROBE_BATCH_AGE_NS 100000000ULL	/* 100 ms */
#endif
#define MLPROBE__TS_MASK ((1ULL << 60) - 1)
enum { MLPROBE__METRIC, MLPROBE__SPAN_BEGIN, MLPROBE__SPAN_END, MLPROBE__STEP,
       MLPROBE__NOW = 8 /* flag: send the batch now */ };

/* A name the tracer may read later, when the batch goes: a string literal
 * written in the macro's call.  Any other name (a buffer that snprintf
 * fills, a pointer that may be freed) sends the batch at once, while its
 * text is still there, so names stay right at the cost of a trap.  Define
 * MLPROBE_NAME_STABLE(name) before including to vouch for your own names
 * (interned strings that live as long as the process). */
#ifndef MLPROBE_NAME_STABLE
#define MLPROBE_NAME_STABLE(name) __builtin_constant_p(name)
#endif
#define _MLPROBE_KIND(kind, name) ((kind) | (MLPROBE_NAME_STABLE(name) ? 0 : MLPROBE__NOW))

struct mlprobe__rec {
	unsigned long long tk;		/* ts | kind << 60 */
	unsigned long long a, b, c;
};

struct mlprobe__buf {
	unsigned long long seq;		/* sequence number of r[0] */
	unsigned int n;			/* records in r */
	unsigned int state;		/* 1: this thread's exit hook is set */
	struct mlprobe__rec r[MLPROBE_BATCH_CAP];
};

/* The thread's buffer: one per process (weak, default visibility even under
 * -fvisibility=hidden: every module binds to the first definition it
 * finds), named by its layout. */
#define _MLPROBE_SHARED __attribute__((weak, visibility("default")))
_MLPROBE_SHARED __thread struct mlprobe__buf mlprobe__tls_v1;
_MLPROBE_SHARED pthread_key_t mlprobe__key_v1;
_MLPROBE_SHARED pthread_once_t mlprobe__once_v1 = PTHREAD_ONCE_INIT;
#endif /* !MLPROBE_NO_BATCH */
#ifdef __cplusplus
}
#endif

/* The note: pc, link-time base (for prelink correction), semaphore address,
 * provider, probe name and argument spec.  The arg spec names the registers
 * the compiler chose, e.g. "8@%rdi -8@%rsi 8@%rax". */
/* The probe instruction (label 990, the note's pc). */
#if defined(__x86_64__) && defined(MLPROBE_NOP5)
#define _MLPROBE_INSN                                                          \
	"lea -128(%%rsp),%%rsp\n"                                             \
	"990:\t.byte 0x0f,0x1f,0x44,0x00,0x00\n"                               \
	"\tlea 128(%%rsp),%%rsp\n"
#else
#define _MLPROBE_INSN "990:\tnop\n"
#endif

/* What guards a site: two instructions while nothing is attached (x86-64:
 * compare the semaphore in memory, branch not taken to the probe; a plain
 * C test would load it into a register first, three).  The block behind
 * the branch appends to the batch while mlprobe:batch is attached, else
 * runs the probe.  The labels are local to the block. */
#if defined(__x86_64__)
#define _MLPROBE_ON(body)                                                      \
	do {                                                                   \
		__label__ _mlp_on, _mlp_off;                                   \
		__asm__ goto("cmpw $0, %0\n\tjne %l[_mlp_on]"                  \
			     : : "m"(mlprobe_semaphore) : "cc" : _mlp_on);     \
		goto _mlp_off;                                                 \
	_mlp_on:                                                               \
		body                                                           \
	_mlp_off:;                                                             \
	} while (0)
#else
#define _MLPROBE_ON(body)                                                      \
	do {                                                                   \
		if (__builtin_expect(mlprobe_semaphore != 0, 0)) {             \
			body                                                   \
		}                                                              \
	} while (0)
#endif
/* MLPROBE_NO_BATCH: sites without the batch path (no call in them, so a
 * leaf function stays a leaf); record --batch then gets them per event. */
#ifdef MLPROBE_NO_BATCH
#define _MLPROBE_GUARD(put, site) _MLPROBE_ON(site;)
#else
#define _MLPROBE_GUARD(put, site)                                              \
	_MLPROBE_ON(if (mlprobe_batch_semaphore) put; else site;)
#endif

#define _MLPROBE_SITE(probe, argfmt, ...)                                      \
	_MLPROBE_SITE_SEM(probe, "mlprobe_semaphore", argfmt, __VA_ARGS__)
#define _MLPROBE_SITE_SEM(probe, sem, argfmt, ...)                             \
	__asm__ __volatile__(                                                  \
		_MLPROBE_INSN                                                  \
		"\t.pushsection .note.stapsdt,\"?\",\"note\"\n"                \
		"\t.balign 4\n"                                                \
		"\t.4byte 992f-991f,994f-993f,3\n"                             \
		"991:\t.asciz \"stapsdt\"\n"                                   \
		"992:\t.balign 4\n"                                            \
		"993:\t.8byte 990b\n"                                          \
		"\t.8byte _.stapsdt.base\n"                                    \
		"\t.8byte " sem "\n"                                           \
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

/* Batching (see the top of this file).  Static: each translation unit has
 * its own copy, with its own batch site; all of them share the module's
 * semaphores and the process's buffer. */
#ifndef MLPROBE_NO_BATCH
#ifdef __cplusplus
extern "C" {
#endif
/* Sends the thread's records: one batch probe hit.  A thread's first
 * sends none, to tell the tracer where its buffer is: what a thread holds
 * when it dies is then counted, not lost unseen. */
static __attribute__((noinline, unused)) void
mlprobe__send(struct mlprobe__buf *b)
{
	unsigned long long p = _MLPROBE_U64(b), n = b->n, q = b->seq;

	_MLPROBE_SITE_SEM("batch", "mlprobe_batch_semaphore",
			  "8@%[p] 8@%[n] 8@%[q]", [p] "r"(p), [n] "r"(n),
			  [q] "r"(q));
	b->seq = q + n;
	b->n = 0;
}

static __attribute__((unused)) void mlprobe__flush(struct mlprobe__buf *b)
{
	if (b->n)
		mlprobe__send(b);
}

static __attribute__((unused)) void mlprobe__thread_end(void *b)
{
	mlprobe__flush((struct mlprobe__buf *)b);
}

/* A forked child holds a copy of its parent's records: they are the
 * parent's to send.  It tells the tracer where its buffer is again, at its
 * first record: the child is a new task to it. */
static __attribute__((unused)) void mlprobe__fork_child(void)
{
	mlprobe__tls_v1.seq += mlprobe__tls_v1.n;
	mlprobe__tls_v1.n = 0;
	mlprobe__tls_v1.state = 0;
}

/* Set in the translation unit whose mlprobe__key_init ran: the key's
 * destructor is its code. */
static __attribute__((unused)) int mlprobe__key_mine;

static __attribute__((unused)) void mlprobe__key_init(void)
{
	if (pthread_key_create(&mlprobe__key_v1, mlprobe__thread_end) == 0) {
		mlprobe__key_mine = 1;
		pthread_atfork(0, 0, mlprobe__fork_child);
	}
}

/* exit() runs no key destructor for the thread that calls it.  Also run
 * when a module is unloaded (dlclose): the key must not outlive the code
 * of its destructor (pthread_atfork handlers are dropped with it by libc). */
static __attribute__((destructor, unused)) void mlprobe__exit(void)
{
	mlprobe__flush(&mlprobe__tls_v1);
	if (mlprobe__key_mine) {
		mlprobe__key_mine = 0;
		pthread_key_delete(mlprobe__key_v1);
	}
}

static __attribute__((noinline, unused)) void
mlprobe__put(unsigned long long kind, unsigned long long a,
	     unsigned long long b, unsigned long long c)
{
	struct mlprobe__buf *t = &mlprobe__tls_v1;
	struct mlprobe__rec *r;
	unsigned long long now;
	struct timespec ts;
	unsigned int n;

	clock_gettime(MLPROBE__BOOTTIME, &ts);
	now = (unsigned long long)ts.tv_sec * 1000000000ULL +
	      (unsigned long long)ts.tv_nsec;
	n = t->n;
	/* The thread tells the tracer where its buffer is (a batch of none)
	 * at its first record, and again at a record that finds its buffer
	 * empty for a second: a new recording may have begun since. */
	if (__builtin_expect(!t->state, 0)) {
		pthread_once(&mlprobe__once_v1, mlprobe__key_init);
		pthread_setspecific(mlprobe__key_v1, t);
		t->state = 1;
		mlprobe__send(t);
	} else if (n == 0 &&
		   now - (t->r[0].tk & MLPROBE__TS_MASK) > 1000000000ULL) {
		mlprobe__send(t);
	}
	if (n >= MLPROBE_BATCH_CAP) {	/* a flush was not seen: start over */
		t->seq += n;
		n = 0;
	}
	r = &t->r[n];
	r->tk = (now & MLPROBE__TS_MASK) | (kind & 7) << 60;
	r->a = a;
	r->b = b;
	r->c = c;
	t->n = n + 1;
	if (n + 1 == MLPROBE_BATCH_CAP || kind >= MLPROBE__STEP ||
	    now - (t->r[0].tk & MLPROBE__TS_MASK) > MLPROBE_BATCH_AGE_NS)
		mlprobe__flush(t);
}
#ifdef __cplusplus
}
#endif
#endif /* !MLPROBE_NO_BATCH */

#define MLPROBE_METRIC(name, step, value)                                      \
	do {                                                                   \
		unsigned long long _mlp_n = _MLPROBE_U64(name);                \
		long long _mlp_s = (long long)(step);                          \
		double _mlp_v = (double)(value);                               \
		unsigned long long _mlp_bits;                                  \
		__builtin_memcpy(&_mlp_bits, &_mlp_v, sizeof(_mlp_bits));      \
		_MLPROBE_GUARD(mlprobe__put(_MLPROBE_KIND(MLPROBE__METRIC,     \
							  name), _mlp_n,       \
					    (unsigned long long)_mlp_s,        \
					    _mlp_bits),                        \
			       _MLPROBE_SITE("metric", "8@%[n] -8@%[s] 8@%[v]", \
					     [n] "r"(_mlp_n), [s] "r"(_mlp_s), \
					     [v] "r"(_mlp_bits)));             \
	} while (0)

/* A probe with one argument of the given type. */
#define _MLPROBE_SITE1(kind, probe, spec, type, x)                             \
	do {                                                                   \
		type _mlp_x = (type)(x);                                       \
		_MLPROBE_GUARD(mlprobe__put(kind,                              \
					    (unsigned long long)_mlp_x, 0, 0), \
			       _MLPROBE_SITE(probe, spec, [a] "r"(_mlp_x)));   \
	} while (0)

#define MLPROBE_SPAN_BEGIN(name)                                               \
	_MLPROBE_SITE1(_MLPROBE_KIND(MLPROBE__SPAN_BEGIN, name), "span_begin", \
		       "8@%[a]", unsigned long long, _MLPROBE_U64(name))

#define MLPROBE_SPAN_END(name)                                                 \
	_MLPROBE_SITE1(_MLPROBE_KIND(MLPROBE__SPAN_END, name), "span_end",     \
		       "8@%[a]", unsigned long long, _MLPROBE_U64(name))

#define MLPROBE_STEP(step)                                                     \
	_MLPROBE_SITE1(MLPROBE__STEP, "step", "-8@%[a]", long long, step)

/* A log traps one by one, batching or not. */
#define MLPROBE_LOG(level, msg)                                                \
	do {                                                                   \
		long long _mlp_l = (long long)(level);                         \
		unsigned long long _mlp_m = _MLPROBE_U64(msg);                 \
		_MLPROBE_ON(_MLPROBE_SITE("log", "-8@%[l] 8@%[m]",             \
					  [l] "r"(_mlp_l), [m] "r"(_mlp_m));); \
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
