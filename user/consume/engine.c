// SPDX-License-Identifier: MIT
/*
 * engine.c - one thread, one epoll.  The ring buffer's own epoll fd is
 * nested in ours; the BPF side only wakes it above the fill mark, so the
 * timerfd drives the steady-state drain.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <bpf/libbpf.h>
#include "engine.h"
#include "common/log.h"

#define MAX_PIDS 64
/* Copies of the first stop signal that arrive within this of it are the
 * same request (engine.h): coreutils timeout's two kill()s come
 * microseconds apart, a scheduler slice or two on a busy machine; a person
 * who presses Ctrl-C again to abort takes longer than this. */
#define SIG_BURST_MS 250
/* One drain in the run loop gives way after this long, so that the timer
 * (flushes, rules, the target's exit) and the signals are served even when
 * the producers outpace us: ring_buffer__consume() returns only once the
 * ring is empty, which a fast enough trainer (or a slow consumer: one
 * under the sanitizers) never lets happen.  The clock is read every
 * SLICE_CHECK records. */
#define SLICE_NS (20 * 1000000ull)
#define SLICE_CHECK 256

enum { TAG_RING, TAG_TIMER, TAG_SIGNAL, TAG_PID };

struct engine {
	struct engine_opts o;
	struct ring_buffer *rb;
	int epfd, tfd, sfd;
	int pidfds[MAX_PIDS];
	int npids, nexited;
	uint64_t records;
	uint64_t slice_end;	/* run loop's drain: give way then; 0: none */
	bool more;		/* the last slice gave way: the ring holds more */
	sigset_t oldmask;
	int req_signo;		/* the request to stop taken; 0: none yet */
	int stash;		/* a signal read while settling, to return */
	uint32_t stash_pid;	/* who sent it */
	uint32_t sig_pid;	/* who sent the last signal taken */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct engine *e = ctx;

	e->records++;
	decoder__feed(e->o.dec, data, size);
	/* libbpf has consumed this record; a negative return stops it there
	 * (Debian 12's libbpf has no ring_buffer__consume_n). */
	if (e->slice_end && e->records % SLICE_CHECK == 0 &&
	    now_ns() >= e->slice_end)
		return -EAGAIN;
	return 0;
}

static int add_fd(int epfd, int fd, uint64_t tag, uint32_t flags)
{
	struct epoll_event ev = { .events = EPOLLIN | flags, .data.u64 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* The signals the engine takes from its signalfd. */
static void stop_signals(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGHUP);
	sigaddset(mask, SIGCHLD);
}

int engine_block_signals(void)
{
	sigset_t mask;

	stop_signals(&mask);
	return sigprocmask(SIG_BLOCK, &mask, NULL) ? -errno : 0;
}

int engine__new(const struct engine_opts *opts, struct engine **out)
{
	struct itimerspec its = { 0 };
	struct engine *e;
	sigset_t mask;
	int ret;

	*out = NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->o = *opts;
	if (!e->o.tick_ms)
		e->o.tick_ms = 100;
	e->epfd = e->tfd = e->sfd = -1;

	stop_signals(&mask);
	if (sigprocmask(SIG_BLOCK, &mask, &e->oldmask)) {
		ret = -errno;
		goto fail;
	}
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	e->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	e->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (e->epfd < 0 || e->sfd < 0 || e->tfd < 0) {
		ret = -errno;
		goto fail;
	}
	its.it_interval.tv_sec = e->o.tick_ms / 1000;
	its.it_interval.tv_nsec = (e->o.tick_ms % 1000) * 1000000L;
	its.it_value = its.it_interval;
	if (timerfd_settime(e->tfd, 0, &its, NULL)) {
		ret = -errno;
		goto fail;
	}
	e->rb = ring_buffer__new(e->o.ring_map_fd, on_record, e, NULL);
	if (!e->rb) {
		ret = -errno;
		goto fail;
	}
	/* Edge-triggered: the ring's epoll fd is readable whenever the ring
	 * holds data, so level-triggered would have us drain after every few
	 * records.  We want the forced wakeups (ring past its fill mark) and
	 * the timer, nothing else. */
	if ((ret = add_fd(e->epfd, ring_buffer__epoll_fd(e->rb), TAG_RING,
			  EPOLLET)) ||
	    (ret = add_fd(e->epfd, e->tfd, TAG_TIMER, 0)) ||
	    (ret = add_fd(e->epfd, e->sfd, TAG_SIGNAL, 0)))
		goto fail;
	*out = e;
	return 0;
fail:
	engine__free(e);
	return ret;
}

int engine__watch_pid(struct engine *e, pid_t pid)
{
	int fd, ret;

	if (e->npids >= MAX_PIDS)
		return -E2BIG;
	fd = syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -errno;
	ret = add_fd(e->epfd, fd, TAG_PID | (uint64_t)e->npids << 8, 0);
	if (ret) {
		close(fd);
		return ret;
	}
	e->pidfds[e->npids++] = fd;
	return 0;
}

int engine__drain(struct engine *e)
{
	int n = ring_buffer__consume(e->rb);

	return n;
}

/* The run loop's drain: at most SLICE_NS of it.  The ring's fd is
 * edge-triggered, so what is left is remembered (more): the loop then
 * looks at its other fds without blocking and comes back to the ring. */
static void drain_slice(struct engine *e)
{
	e->slice_end = now_ns() + SLICE_NS;
	e->more = ring_buffer__consume(e->rb) == -EAGAIN;
	e->slice_end = 0;
}

/* After the first request to stop: waits up to SIG_BURST_MS for copies of
 * it and drops them, so that every signal read later is a new request.
 * (Judging a copy by when it is read would not do: the stop sequence can
 * go a second without reading, and a real second Ctrl-C would then look
 * like a copy.)  Another signal ends the wait and is kept for the next
 * take_signal.  One we sent ourselves (top's q) is never a copy. */
static void settle(struct engine *e)
{
	struct pollfd p = { .fd = e->sfd, .events = POLLIN };
	struct signalfd_siginfo si;
	uint64_t end = now_ns() + SIG_BURST_MS * 1000000ull, now;

	while ((now = now_ns()) < end) {
		if (read(e->sfd, &si, sizeof(si)) != sizeof(si)) {
			if (poll(&p, 1, (int)((end - now + 999999) / 1000000)) <= 0)
				return;
			continue;
		}
		if (si.ssi_signo == SIGCHLD)
			continue;	/* pidfds say who exited */
		if ((int)si.ssi_signo == e->req_signo &&
		    si.ssi_pid != (uint32_t)getpid()) {
			pr_debug("signal %d from PID %u: the same request to "
				 "stop", (int)si.ssi_signo, si.ssi_pid);
			continue;
		}
		e->stash = (int)si.ssi_signo;
		e->stash_pid = si.ssi_pid;
		return;
	}
}

/* The next signal that is a request: the stashed one, or one read from
 * the signalfd (the first request then settles).  0 when none. */
static int take_signal(struct engine *e)
{
	struct signalfd_siginfo si;
	int sig = e->stash;

	if (sig) {
		e->stash = 0;
		e->sig_pid = e->stash_pid;
		return sig;
	}
	for (;;) {
		if (read(e->sfd, &si, sizeof(si)) != sizeof(si))
			return 0;
		if (si.ssi_signo == SIGCHLD)
			continue;	/* pidfds say who exited */
		e->sig_pid = si.ssi_pid;
		if (!e->req_signo) {
			e->req_signo = (int)si.ssi_signo;
			settle(e);
		}
		return (int)si.ssi_signo;
	}
}

int engine__poll_signal(struct engine *e)
{
	return take_signal(e);
}

unsigned engine__signal_pid(const struct engine *e)
{
	return e->sig_pid;
}

uint64_t engine__records(const struct engine *e)
{
	return e->records;
}

static void tick(struct engine *e)
{
	struct row_counters c;
	struct timespec now;
	uint64_t ns;
	bool have;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (uint64_t)now.tv_sec * 1000000000ull + now.tv_nsec;
	/* One read of the counters per tick, never per event; every sink
	 * sees them before its tick (a rule sees this tick's counts). */
	have = e->o.read_counters && !e->o.read_counters(e->o.counters_ctx, &c);
	for (int i = 0; have && i < e->o.nsinks; i++) {
		const struct sink *s = &e->o.sinks[i];

		if (s->counters && (ret = s->counters(s->ctx, &c, ns)))
			pr_debug("sink %s: counters: %s", s->name, strerror(-ret));
	}
	for (int i = 0; i < e->o.nsinks; i++) {
		const struct sink *s = &e->o.sinks[i];

		if (s->tick && (ret = s->tick(s->ctx, ns)))
			pr_debug("sink %s: tick: %s", s->name, strerror(-ret));
	}
}

int engine__run(struct engine *e, int *signo)
{
	struct epoll_event evs[8];

	for (;;) {
		int n, sig;

		/* A signal stashed while the first request settled. */
		if (e->stash && (sig = take_signal(e))) {
			*signo = sig;
			return ENGINE_SIGNAL;
		}
		n = epoll_wait(e->epfd, evs, 8, e->more ? 0 : -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0 && e->more)
			drain_slice(e);
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;

			switch (tag & 0xff) {
			case TAG_RING:
				drain_slice(e);
				break;
			case TAG_TIMER: {
				uint64_t ticks;

				if (read(e->tfd, &ticks, sizeof(ticks)) < 0 &&
				    errno != EAGAIN)
					return -errno;
				drain_slice(e);
				tick(e);
				if (e->o.done && e->o.done(e->o.done_ctx))
					return ENGINE_TARGETS_EXITED;
				break;
			}
			case TAG_SIGNAL:
				if (!(sig = take_signal(e)))
					break;
				*signo = sig;
				return ENGINE_SIGNAL;
			case TAG_PID: {
				int idx = (int)(tag >> 8);

				epoll_ctl(e->epfd, EPOLL_CTL_DEL, e->pidfds[idx], NULL);
				if (++e->nexited == e->npids)
					return ENGINE_TARGETS_EXITED;
				break;
			}
			}
		}
	}
}

void engine__free(struct engine *e)
{
	if (!e)
		return;
	ring_buffer__free(e->rb);
	for (int i = 0; i < e->npids; i++)
		close(e->pidfds[i]);
	if (e->tfd >= 0)
		close(e->tfd);
	if (e->sfd >= 0)
		close(e->sfd);
	if (e->epfd >= 0)
		close(e->epfd);
	sigprocmask(SIG_SETMASK, &e->oldmask, NULL);
	free(e);
}
