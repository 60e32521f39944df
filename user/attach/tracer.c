// SPDX-License-Identifier: MIT
/*
 * tracer.c - load mlprobe.bpf.c and attach it with libbpf's USDT support,
 * which parses the notes, resolves the argument specs and raises the
 * semaphore through the kernel's uprobe reference counter.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <linux/membarrier.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "common/log.h"
#include "tracer.h"
#include "usdt_notes.h"
#include "mlprobe.skel.h"

#define MAX_LINKS 4096

struct tracer {
	struct mlprobe *skel;
	bool bare;
	bool batch;
	struct bpf_link *links[MAX_LINKS];
	int nlinks;
	char *desc[MAX_LINKS];
	int ndesc;
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG && mp_verbosity < 2)
		return 0;
	if (level == LIBBPF_INFO && mp_verbosity < 1)
		return 0;
	if (level == LIBBPF_WARN && mp_verbosity < 1)
		return 0;	/* failures are reported by us, in one line */
	return vfprintf(stderr, fmt, ap);
}

static const char *const kind_names[MP_K_MAX] = {
	[MP_K_METRIC] = "metric",	  [MP_K_SPAN_BEGIN] = "span_begin",
	[MP_K_SPAN_END] = "span_end", [MP_K_LOG] = "log",
	[MP_K_STEP] = "step",	  [MP_K_NAME] = "name",
	[MP_K_PROC] = "process",
};

static const char *const stat_names[MP_S_MAX] = {
	[MP_S_HITS] = "hits",		[MP_S_DROP_RING] = "dropped_ring_full",
	[MP_S_DROP_NAME] = "dropped_name",	[MP_S_UNMATCHED] = "unmatched",
	[MP_S_DEPTH] = "too_deep",	[MP_S_TRUNCATED] = "truncated",
	[MP_S_FAULT] = "unreadable",	[MP_S_HELD] = "held_lost",
};

const char *tracer_kind_name(enum mp_kind k)
{
	return k < MP_K_MAX ? kind_names[k] : "?";
}

const char *tracer_stat_name(enum mp_stat s)
{
	return s < MP_S_MAX ? stat_names[s] : "?";
}

uint64_t tracer_emitted(const struct mp_counters *c, enum mp_kind k)
{
	const __u64 *v = c->v[k];

	/* A name is counted only when its record is submitted. */
	if (k == MP_K_NAME || k == MP_K_PROC)
		return v[MP_S_HITS];
	return v[MP_S_HITS] - v[MP_S_DROP_RING] - v[MP_S_DROP_NAME] -
	       v[MP_S_UNMATCHED] - v[MP_S_DEPTH] - v[MP_S_HELD];
}

static uint64_t boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int tracer__open(const struct tracer_opts *opts, struct tracer **out,
		 char *err, size_t errlen)
{
	size_t ring = opts && opts->ring_bytes ? opts->ring_bytes : 16u << 20;
	struct tracer *t;
	int ret;

	*out = NULL;
	libbpf_set_print(libbpf_print);
	if (ring < 4096 || (ring & (ring - 1))) {
		snprintf(err, errlen, "ring size %zu is not a power of two >= 4096",
			 ring);
		return -EINVAL;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(err, errlen,
			 "this kernel has no BTF (/sys/kernel/btf/vmlinux): "
			 "use a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return -ENOTSUP;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->bare = opts && opts->bare;
	t->batch = opts && opts->batch;
	t->skel = mlprobe__open();
	if (!t->skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open BPF object: %s", strerror(-ret));
		goto fail;
	}
	bpf_map__set_max_entries(t->skel->maps.rb, ring);
	t->skel->rodata->wakeup_bytes =
		opts && opts->wakeup_bytes ? opts->wakeup_bytes : ring / 4;
	if (opts) {
		t->skel->rodata->filter = opts->filter;
		t->skel->rodata->follow_forks = opts->follow_forks;
		t->skel->rodata->exec_ino = opts->exec_ino;
		/* The kernel's dev_t is major << 20 | minor. */
		t->skel->rodata->exec_dev = (uint32_t)(major(opts->exec_dev) << 20 |
						       minor(opts->exec_dev));
		/* --func ids, then the spans the BPF side makes. */
		t->skel->rodata->own_id_base = opts->nfunc_ids + 1;
		t->skel->data->next_name_id = opts->nfunc_ids + 1 + MP_OWN_MAX;
	}

	/* Programs that read strings may fault pages in (see the BPF side). */
	bpf_program__set_flags(t->skel->progs.mp_metric, BPF_F_SLEEPABLE);
	bpf_program__set_flags(t->skel->progs.mp_span_begin, BPF_F_SLEEPABLE);
	bpf_program__set_flags(t->skel->progs.mp_span_end, BPF_F_SLEEPABLE);
	bpf_program__set_flags(t->skel->progs.mp_log, BPF_F_SLEEPABLE);
	bpf_program__set_flags(t->skel->progs.mp_ubatch, BPF_F_SLEEPABLE);
	/* --batch: records a trainer wrote before now are not ours. */
	t->skel->rodata->start_ns = boot_ns();
	ret = mlprobe__load(t->skel);
	if (ret) {
		if (ret == -EPERM || ret == -EACCES)
			snprintf(err, errlen,
				 "permission denied loading BPF programs: run as "
				 "root");
		else
			snprintf(err, errlen,
				 "cannot load BPF programs: %s (run with -vv for "
				 "the verifier log)", strerror(-ret));
		goto fail;
	}
	/* Exit/exec/fork hooks keep per-process state from going stale. */
	ret = mlprobe__attach(t->skel);
	if (ret) {
		snprintf(err, errlen, "cannot attach process hooks: %s",
			 strerror(-ret));
		goto fail;
	}

	*out = t;
	return 0;
fail:
	tracer__free(t);
	return ret;
}

static int add_desc(struct tracer *t, const char *path, const char *probe,
		    int sites)
{
	char buf[4200];

	if (t->ndesc >= MAX_LINKS)
		return -E2BIG;
	snprintf(buf, sizeof(buf), "%s:%s:%d", path, probe, sites);
	t->desc[t->ndesc] = strdup(buf);
	if (!t->desc[t->ndesc])
		return -ENOMEM;
	t->ndesc++;
	return 0;
}

int tracer__attach(struct tracer *t, pid_t pid, const char *path, char *err,
		   size_t errlen)
{
	/* step first, so records from the other probes carry the step as
	 * soon as they are attached; span_begin before span_end. */
	static const char *const probes[] = { "step", "metric", "span_begin",
					      "span_end", "log", "batch" };
	struct bpf_program *progs[] = {
		t->skel->progs.mp_step,
		t->bare ? t->skel->progs.mp_bare : t->skel->progs.mp_metric,
		t->skel->progs.mp_span_begin,
		t->skel->progs.mp_span_end,
		t->skel->progs.mp_log,
		t->skel->progs.mp_ubatch,
	};
	enum { NPROBES = sizeof(probes) / sizeof(probes[0]) };
	struct usdt_file f = { 0 };
	int counts[NPROBES] = { 0 };
	int ret, total = 0;

	ret = usdt_file__read(path, "mlprobe", &f, err, errlen);
	if (ret)
		return ret;
	for (int i = 0; i < f.nsites; i++)
		for (int p = 0; p < NPROBES; p++)
			if (!strcmp(f.sites[i].name, probes[p]))
				counts[p]++;
	/* --batch only: the trainer batches while the batch probe is
	 * attached.  The batch probe goes last, once the others can take
	 * what a trainer sends one by one. */
	if (!t->batch)
		counts[NPROBES - 1] = 0;
	for (int p = 0; p < NPROBES; p++) {
		struct bpf_link *l;

		if (!counts[p])
			continue;
		if (t->nlinks >= MAX_LINKS) {
			snprintf(err, errlen, "too many attachments");
			ret = -E2BIG;
			goto out;
		}
		l = bpf_program__attach_usdt(progs[p], pid, path, "mlprobe",
					     probes[p], NULL);
		if (!l) {
			ret = -errno;
			if (ret == -ESRCH)
				snprintf(err, errlen, "no process with PID %d", pid);
			else
				snprintf(err, errlen, "cannot attach to %s:%s in %s: %s",
					 "mlprobe", probes[p], path, strerror(-ret));
			goto out;
		}
		t->links[t->nlinks++] = l;
		total += counts[p];
		ret = add_desc(t, path, probes[p], counts[p]);
		if (ret)
			goto out;
	}
	ret = total;
out:
	usdt_file__free(&f);
	return ret;
}

int tracer__attach_gc(struct tracer *t, pid_t pid, const char *path, char *err,
		      size_t errlen)
{
	static const char *const probes[] = { "gc__start", "gc__done" };
	struct bpf_program *progs[] = { t->skel->progs.mp_gc_start,
					t->skel->progs.mp_gc_done };
	struct usdt_file f = { 0 };
	int counts[2] = { 0 }, ret;

	ret = usdt_file__read(path, "python", &f, err, errlen);
	if (ret)
		return ret;
	for (int i = 0; i < f.nsites; i++)
		for (int p = 0; p < 2; p++)
			counts[p] += !strcmp(f.sites[i].name, probes[p]);
	usdt_file__free(&f);
	/* Both or neither: a start without its done would leave spans open. */
	if (!counts[0] || !counts[1])
		return 0;
	for (int p = 0; p < 2; p++) {
		struct bpf_link *l;

		if (t->nlinks >= MAX_LINKS) {
			snprintf(err, errlen, "too many attachments");
			return -E2BIG;
		}
		l = bpf_program__attach_usdt(progs[p], pid, path, "python",
					     probes[p], NULL);
		if (!l) {
			ret = -errno;
			snprintf(err, errlen, "cannot attach to python:%s in %s: %s",
				 probes[p], path, strerror(-ret));
			return ret;
		}
		t->links[t->nlinks++] = l;
		if ((ret = add_desc(t, path, probes[p], counts[p])))
			return ret;
	}
	return counts[0] + counts[1];
}

int tracer__track(struct tracer *t, pid_t pid)
{
	__u32 k = pid, one = 1;

	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.tracked), &k, &one,
				BPF_ANY))
		return -errno;
	return 0;
}

static int attach_uprobe(struct tracer *t, struct bpf_program *prog, pid_t pid,
			 const char *path, uint64_t off, uint64_t cookie,
			 bool ret_probe, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .bpf_cookie = cookie,
		    .retprobe = ret_probe);
	struct bpf_link *l;
	int ret;

	if (t->nlinks >= MAX_LINKS) {
		snprintf(err, errlen, "too many attachments");
		return -E2BIG;
	}
	l = bpf_program__attach_uprobe_opts(prog, pid, path, off, &uo);
	if (!l) {
		ret = -errno;
		if (ret == -ESRCH)
			snprintf(err, errlen, "no process with PID %d", pid);
		else
			snprintf(err, errlen, "cannot attach a uprobe at offset "
				 "0x%llx of %s: %s", (unsigned long long)off, path,
				 strerror(-ret));
		return ret;
	}
	t->links[t->nlinks++] = l;
	return 0;
}

int tracer__attach_loader(struct tracer *t, pid_t pid, const char *path,
			  uint64_t off, char *err, size_t errlen)
{
	return attach_uprobe(t, t->skel->progs.mp_dl_state, pid, path, off, 0,
			     false, err, errlen);
}

int tracer__attach_func(struct tracer *t, pid_t pid, const char *path,
			uint64_t off, uint32_t name_id, char *err, size_t errlen)
{
	/* Return probe first: a call that is entered is then always seen
	 * returning, and one that is only seen returning is counted as
	 * unmatched. */
	int ret = attach_uprobe(t, t->skel->progs.mp_func_exit, pid, path, off,
				name_id, true, err, errlen);

	if (ret)
		return ret;
	return attach_uprobe(t, t->skel->progs.mp_func_entry, pid, path, off,
			     name_id, false, err, errlen);
}

int tracer__nattached(const struct tracer *t)
{
	return t->ndesc;
}

const char *tracer__attached_desc(const struct tracer *t, int i)
{
	return i >= 0 && i < t->ndesc ? t->desc[i] : NULL;
}

int tracer__ring_map_fd(const struct tracer *t)
{
	return bpf_map__fd(t->skel->maps.rb);
}

int tracer__counters(const struct tracer *t, struct mp_counters *sum,
		     struct mp_counters **percpu, int *ncpus)
{
	int n = libbpf_num_possible_cpus();
	struct mp_counters *v;
	__u32 zero = 0;
	int ret = 0;

	if (n <= 0)
		return n ? n : -EINVAL;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.counters), &zero, v)) {
		ret = -errno;
		free(v);
		return ret;
	}
	memset(sum, 0, sizeof(*sum));
	for (int c = 0; c < n; c++)
		for (int k = 0; k < MP_K_MAX; k++)
			for (int s = 0; s < MP_S_MAX; s++)
				sum->v[k][s] += v[c].v[k][s];
	if (percpu) {
		*percpu = v;
		*ncpus = n;
	} else {
		free(v);
	}
	return 0;
}

void tracer__stop(struct tracer *t)
{
	/* --batch: what a trainer writes from now on is not ours. */
	t->skel->bss->stop_ns = boot_ns();
	__sync_synchronize();
	t->skel->bss->stopped = 1;
	__sync_synchronize();
	/* Every CPU passes a full barrier before the batches are taken: a
	 * program then either sees "stopped" or is seen busy (mlprobe.bpf.c,
	 * Batching).  membarrier waits for an RCU grace period; where it is
	 * missing, a context switch on every CPU does the same in practice,
	 * and 20 ms gives every CPU a tick. */
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) < 0)
		usleep(20000);
	tracer__flush(t);
}

int tracer__flush(struct tracer *t)
{
	char buf[64];
	ssize_t n;
	int fd;

	if (!t->skel->links.mp_flush)
		return -ENOENT;
	fd = bpf_iter_create(bpf_link__fd(t->skel->links.mp_flush));
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		;
	close(fd);
	return n < 0 ? -errno : 0;
}

static void *destroy_link(void *l)
{
	bpf_link__destroy(l);
	return NULL;
}

void tracer__detach(struct tracer *t)
{
	pthread_t th[MAX_LINKS];
	bool started[MAX_LINKS];

	for (int i = 0; i < t->nlinks; i++)
		started[i] = !pthread_create(&th[i], NULL, destroy_link, t->links[i]);
	for (int i = 0; i < t->nlinks; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			bpf_link__destroy(t->links[i]);
	}
	t->nlinks = 0;
}

void tracer__free(struct tracer *t)
{
	if (!t)
		return;
	tracer__detach(t);
	for (int i = 0; i < t->ndesc; i++)
		free(t->desc[i]);
	mlprobe__destroy(t->skel);
	free(t);
}

uint32_t tracer_own_id(uint32_t nfunc_ids, enum mp_own_span k)
{
	return nfunc_ids + 1 + (uint32_t)k;
}
