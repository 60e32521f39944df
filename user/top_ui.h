/* SPDX-License-Identifier: MIT */
/*
 * top_ui.h - the live terminal view (ncurses) of the live state (live.h):
 * per metric last, min, max, step, rate and a sparkline of the last values;
 * per span count, p50, p99 and share of the wall time; events per second,
 * drops, the last alert and the last log line.
 *
 * Draws on the engine's ticks, at most 10 times a second, with erase() and
 * refresh() (ncurses sends only what changed: no flicker, fine over ssh).
 * Fits 80x24 and uses more room when there is more.  'q' asks to stop.
 */
#ifndef MLPROBE_TOP_UI_H
#define MLPROBE_TOP_UI_H

#include <stdbool.h>
#include "rows.h"

struct live;
struct topui;

/* Takes over the terminal (stdin and stdout must be one).  title: what is
 * watched, e.g. "PID 4242 (train)".  NULL with errno (ENOTTY) when there is
 * no usable terminal. */
struct topui *topui__new(struct live *l, const char *title);
/* The sink: its tick redraws (at most every 100 ms) and reads keys.  On
 * 'q' it raises SIGINT, which the engine takes as a request to stop. */
struct sink topui__sink(struct topui *u);
/* True once 'q' was pressed. */
bool topui__quit(const struct topui *u);
/* Shows msg in the status line and redraws at once. */
void topui__status(struct topui *u, const char *msg);
/* Keeps showing the final state until 'q' (or check() returns true, polled
 * every 100 ms). */
void topui__wait_quit(struct topui *u, bool (*check)(void *ctx), void *ctx);
/* Redraws now. */
void topui__draw(struct topui *u);
/* Gives the terminal back.  NULL is fine. */
void topui__free(struct topui *u);

#endif
