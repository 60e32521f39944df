/* SPDX-License-Identifier: MIT */
/*
 * prom.h - the Prometheus endpoint: GET /metrics in the text exposition
 * format (0.0.4), served by libmicrohttpd on its own thread from snapshots
 * of the live state (live.h).
 *
 *   mlprobe_metric{name,rank,host}          gauge: last value of a metric
 *   mlprobe_metric_step{name,rank,host}     gauge: its step
 *   mlprobe_span_seconds{name,rank,host}    histogram (live_bucket_le)
 *   mlprobe_events_total{kind,host}         counter: probe hits
 *   mlprobe_dropped_total{kind,host}        counter: records lost
 *   mlprobe_steps_total{host}               counter: MLPROBE_STEP hits
 *   mlprobe_alerts_total{rule,host}         counter: alert firings
 *   mlprobe_untracked_names_total{kind,host} counter: names past the bound
 * rank is "" for a process without one.
 */
#ifndef MLPROBE_PROM_H
#define MLPROBE_PROM_H

#include <stddef.h>

struct live;
struct prom;

/* Parses ADDR:PORT ("127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464",
 * ":9464" or "9464": loopback), binds and starts serving.  The server's
 * thread starts with every signal blocked.  NULL with a one-line reason in
 * err on failure (a bad address, the port in use). */
struct prom *prom__start(const char *addr, struct live *l, char *err,
			 size_t errlen);
/* The port it listens on (useful with port 0). */
int prom__port(const struct prom *p);
/* "http://HOST:PORT/metrics" with the port it listens on. */
void prom__url(const struct prom *p, char *buf, size_t len);
/* Scrapes served so far. */
unsigned long prom__scrapes(const struct prom *p);
/* Stops the server (waits for a request in progress) and frees. */
void prom__stop(struct prom *p);
/* The exposition text of a snapshot; malloc'd, NULL on ENOMEM. */
struct live_snap;
char *prom_format(const struct live_snap *s, size_t *len);

#endif
