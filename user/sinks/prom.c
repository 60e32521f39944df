// SPDX-License-Identifier: MIT
/* prom.c - /metrics over libmicrohttpd (see prom.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <math.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include "live.h"
#include "prom.h"

struct prom {
	struct MHD_Daemon *d;
	struct live *live;
	struct live_snap snap;	/* only the server's one thread uses it */
	int fd, port;
	unsigned long scrapes;
	char host[256];		/* as given, or 127.0.0.1 */
};

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		if (b->oom)
			return;
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0,
			      fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->p && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 65536;
		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);

		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
}

/* A label value: backslash, double quote and newline escaped. */
static void put_label(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			put(b, "\\%c", *s);
		else if (*s == '\n')
			put(b, "\\n");
		else
			put(b, "%c", *s);
	}
}

static void put_value(struct buf *b, double v)
{
	if (isnan(v))
		put(b, "NaN\n");
	else if (isinf(v))
		put(b, v > 0 ? "+Inf\n" : "-Inf\n");
	else
		put(b, "%.17g\n", v);
}

/* {name="..",rank="..",host="..": a process without a rank is rank="-1",
 * as in the rank=-1 directory of --partition. */
static void put_series(struct buf *b, const char *metric, const char *name,
		       int32_t rank, const char *host)
{
	put(b, "%s{name=\"", metric);
	put_label(b, name);
	put(b, "\",rank=\"%d\",host=\"", rank >= 0 ? (int)rank : -1);
	put_label(b, host);
	put(b, "\"");
}

static const char *const kinds[ROW_TABLES] = { "metric", "span", "log" };

char *prom_format(const struct live_snap *s, size_t *len)
{
	struct buf b = { 0 };

	put(&b, "# HELP mlprobe_metric Last value of a trainer metric "
		"(MLPROBE_METRIC).\n# TYPE mlprobe_metric gauge\n");
	for (int i = 0; i < s->nmetrics; i++) {
		put_series(&b, "mlprobe_metric", s->metrics[i].name,
			   s->metrics[i].rank, s->host);
		put(&b, "} ");
		put_value(&b, s->metrics[i].last);
	}
	put(&b, "# HELP mlprobe_metric_step Step of the last value of a metric.\n"
		"# TYPE mlprobe_metric_step gauge\n");
	for (int i = 0; i < s->nmetrics; i++) {
		put_series(&b, "mlprobe_metric_step", s->metrics[i].name,
			   s->metrics[i].rank, s->host);
		put(&b, "} %lld\n", (long long)s->metrics[i].step);
	}
	put(&b, "# HELP mlprobe_span_seconds Duration of a span "
		"(MLPROBE_SPAN_BEGIN/END).\n# TYPE mlprobe_span_seconds histogram\n");
	for (int i = 0; i < s->nspans; i++) {
		const struct live_span *sp = &s->spans[i];

		for (int k = 0; k < LIVE_BUCKETS; k++) {
			put_series(&b, "mlprobe_span_seconds_bucket", sp->name,
				   sp->rank, s->host);
			put(&b, ",le=\"%g\"} %llu\n", live_bucket_le[k],
			    (unsigned long long)sp->le[k]);
		}
		put_series(&b, "mlprobe_span_seconds_bucket", sp->name, sp->rank,
			   s->host);
		put(&b, ",le=\"+Inf\"} %llu\n", (unsigned long long)sp->count);
		put_series(&b, "mlprobe_span_seconds_sum", sp->name, sp->rank, s->host);
		put(&b, "} %.9f\n", sp->total_ns / 1e9);
		put_series(&b, "mlprobe_span_seconds_count", sp->name, sp->rank,
			   s->host);
		put(&b, "} %llu\n", (unsigned long long)sp->count);
	}
	put(&b, "# HELP mlprobe_events_total Probe hits, per kind.\n"
		"# TYPE mlprobe_events_total counter\n");
	for (int t = 0; t < ROW_TABLES; t++) {
		put(&b, "mlprobe_events_total{kind=\"%s\",host=\"", kinds[t]);
		put_label(&b, s->host);
		put(&b, "\"} %llu\n", (unsigned long long)s->events[t]);
	}
	put(&b, "# HELP mlprobe_dropped_total Records lost (ring full, name not "
		"sent), per kind.\n# TYPE mlprobe_dropped_total counter\n");
	for (int t = 0; t < ROW_TABLES; t++) {
		put(&b, "mlprobe_dropped_total{kind=\"%s\",host=\"", kinds[t]);
		put_label(&b, s->host);
		put(&b, "\"} %llu\n", (unsigned long long)s->dropped[t]);
	}
	put(&b, "# HELP mlprobe_steps_total MLPROBE_STEP hits.\n"
		"# TYPE mlprobe_steps_total counter\nmlprobe_steps_total{host=\"");
	put_label(&b, s->host);
	put(&b, "\"} %llu\n", (unsigned long long)s->steps);
	put(&b, "# HELP mlprobe_alerts_total Alert firings, per rule.\n"
		"# TYPE mlprobe_alerts_total counter\n");
	for (int i = 0; i < s->nrules; i++) {
		put(&b, "mlprobe_alerts_total{rule=\"");
		put_label(&b, s->rules[i].rule);
		put(&b, "\",host=\"");
		put_label(&b, s->host);
		put(&b, "\"} %llu\n", (unsigned long long)s->rules[i].fired);
	}
	put(&b, "# HELP mlprobe_untracked_names_total Rows of names past the "
		"live view's bound (still recorded).\n"
		"# TYPE mlprobe_untracked_names_total counter\n");
	for (int t = 0; t < 2; t++) {
		put(&b, "mlprobe_untracked_names_total{kind=\"%s\",host=\"", kinds[t]);
		put_label(&b, s->host);
		put(&b, "\"} %llu\n", (unsigned long long)(t ? s->untracked_spans
							 : s->untracked_metrics));
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_len, void **con_cls)
{
	static const char notfound[] = "not found: try /metrics\n";
	struct prom *p = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned code = MHD_HTTP_OK;
	char *text = NULL;
	size_t len = 0;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)con_cls;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return MHD_NO;	/* closes the connection */
	if (!strcmp(url, "/metrics")) {
		if (live__snapshot(p->live, &p->snap) ||
		    !(text = prom_format(&p->snap, &len)))
			return MHD_NO;
		r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
		__atomic_fetch_add(&p->scrapes, 1, __ATOMIC_RELAXED);
	} else {
		code = MHD_HTTP_NOT_FOUND;
		r = MHD_create_response_from_buffer(sizeof(notfound) - 1,
						    (void *)notfound,
						    MHD_RESPMEM_PERSISTENT);
	}
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type",
				"text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

/* HOST:PORT, [V6]:PORT, :PORT or PORT into host and port strings. */
static int split_addr(const char *addr, char *host, size_t hl, char *port,
		      size_t pl)
{
	const char *colon;

	if (addr[0] == '[') {
		const char *e = strchr(addr, ']');

		if (!e || e[1] != ':' || (size_t)(e - addr - 1) >= hl)
			return -EINVAL;
		snprintf(host, hl, "%.*s", (int)(e - addr - 1), addr + 1);
		colon = e + 1;
	} else if ((colon = strrchr(addr, ':'))) {
		if ((size_t)(colon - addr) >= hl)
			return -EINVAL;
		snprintf(host, hl, "%.*s", (int)(colon - addr), addr);
	} else {
		host[0] = 0;
		colon = addr - 1;
	}
	if (!host[0])
		snprintf(host, hl, "127.0.0.1");
	if (!colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    atol(colon + 1) > 65535 || strlen(colon + 1) >= pl)
		return -EINVAL;
	snprintf(port, pl, "%s", colon + 1);
	return 0;
}

static int listen_on(const char *addr, int *port, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[256], ps[16];
	int fd = -1, one = 1, r;

	if (split_addr(addr, host, sizeof(host), ps, sizeof(ps))) {
		snprintf(err, errlen, "--prometheus '%s': expected ADDR:PORT, "
			 "e.g. 127.0.0.1:9464", addr);
		return -EINVAL;
	}
	if ((r = getaddrinfo(host, ps, &hints, &ai))) {
		snprintf(err, errlen, "--prometheus %s: %s", addr, gai_strerror(r));
		return -EINVAL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64) ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl)) {
		r = -errno;
		snprintf(err, errlen, "cannot listen on %s for --prometheus: %s%s",
			 addr, strerror(errno), errno == EADDRINUSE ?
			 " (another server has that port: pick another)" : "");
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return r;
	}
	freeaddrinfo(ai);
	*port = ntohs(ss.ss_family == AF_INET6 ?
			      ((struct sockaddr_in6 *)&ss)->sin6_port :
			      ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

struct prom *prom__start(const char *addr, struct live *l, char *err,
			 size_t errlen)
{
	struct prom *p = calloc(1, sizeof(*p));
	sigset_t all, old;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->live = l;
	p->fd = listen_on(addr, &p->port, err, errlen);
	if (p->fd < 0) {
		free(p);
		return NULL;
	}
	{
		char ps[16];

		split_addr(addr, p->host, sizeof(p->host), ps, sizeof(ps));
	}
	/* The server's thread must never take SIGINT or SIGTERM: the
	 * consumer reads them from its signalfd. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	p->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
				answer, p, MHD_OPTION_LISTEN_SOCKET, p->fd,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)32,
				MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!p->d) {
		snprintf(err, errlen, "cannot start the HTTP server for "
			 "--prometheus %s", addr);
		close(p->fd);
		free(p);
		return NULL;
	}
	return p;
}

int prom__port(const struct prom *p)
{
	return p->port;
}

void prom__url(const struct prom *p, char *buf, size_t len)
{
	bool v6 = strchr(p->host, ':') != NULL;

	snprintf(buf, len, "http://%s%s%s:%d/metrics", v6 ? "[" : "", p->host,
		 v6 ? "]" : "", p->port);
}

unsigned long prom__scrapes(const struct prom *p)
{
	return __atomic_load_n(&p->scrapes, __ATOMIC_RELAXED);
}

void prom__stop(struct prom *p)
{
	if (!p)
		return;
	MHD_stop_daemon(p->d);
	close(p->fd);
	live_snap_free(&p->snap);
	free(p);
}
