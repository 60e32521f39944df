/* SPDX-License-Identifier: MIT */
/*
 * top_ui.h - the live terminal view (ncurses) of the live state (live.h):
 * per metric last, min, max, step, rate and a sparkline of the last values;
 * per span count, p50, p99, share of the wall time and where its time went
 * (on CPU, runnable, I/O, blocked, over the last second); events per second,
 * drops, the last alert and the last log line.
 *
 * Draws on the engine's ticks, at most 10 times a second, with erase() and
 * refresh() (ncurses sends only what changed: no flicker, fine over ssh).
 * Fits 80x24 and uses more room when there is more.  'q' asks to stop.
 *
 * While the view is up, a terminal stderr is kept in a file and printed
 * when the view ends, so no message (of mlprobe, or of a command it runs)
 * scribbles over the screen, and none is lost.
 */
#ifndef MLPROBE_TOP_UI_H
#define MLPROBE_TOP_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "consume/rows.h"

struct live;
struct topui;

/* "PID 4242 (train)" into buf: name's last path component, or the
 * process's comm when name is NULL; name alone when pid <= 0. */
void topui_title(char *buf, size_t len, pid_t pid, const char *name);
/* Takes over the terminal (stdin and stdout must be one) and captures a
 * terminal stderr.  what: the command ("top", "record"); title: what is
 * watched (topui_title).  NULL with errno (ENOTTY) when there is no usable
 * terminal. */
struct topui *topui__new(struct live *l, const char *what, const char *title);
/* The sink: its tick redraws (at most every 100 ms) and reads keys.  The
 * first 'q' raises SIGINT, which the engine takes as a request to stop;
 * later ones only after topui__rearm. */
struct sink topui__sink(struct topui *u);
/* How many 'q' presses raised SIGINT (0: the signals came from elsewhere). */
unsigned topui__quits(const struct topui *u);
/* The next 'q' raises SIGINT again (a second stage of stopping). */
void topui__rearm(struct topui *u);
/* Shows msg in the status line and redraws at once. */
void topui__status(struct topui *u, const char *msg);
/* Keeps showing the final state until 'q' (or check() returns true, polled
 * every 100 ms), whether or not armed. */
void topui__wait_quit(struct topui *u, bool (*check)(void *ctx), void *ctx);
/* Redraws now. */
void topui__draw(struct topui *u);
/* Gives the terminal back, then prints what stderr got meanwhile.  NULL
 * is fine. */
void topui__free(struct topui *u);

#endif
