// SPDX-License-Identifier: MIT
/* top_ui.c - the ncurses live view (see top_ui.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curses.h>
#include "live.h"
#include "common/log.h"
#include "common/termtext.h"
#include "top_ui.h"

#define DRAW_NS 100000000ull	/* at most 10 frames a second */
#define RATE_NS 1000000000ull	/* rates over about a second */

struct topui {
	struct live *live;
	SCREEN *scr;
	struct live_snap snap;
	char what[16], title[128], status[200];
	bool armed, utf8;
	unsigned quits;		/* q presses that raised SIGINT */
	int saved_err, captured;	/* stderr while the view is up */
	uint64_t start, next_draw, frames;
	/* rates: counts at the start of the window, and the last rates */
	uint64_t win_start, win_events;
	uint64_t prev_m[LIVE_MAX_METRICS], prev_s[LIVE_MAX_SPANS];
	double rate_m[LIVE_MAX_METRICS], share_s[LIVE_MAX_SPANS], ev_rate;
	/* where each span's time went over the window: its parts' sums at
	 * the start, and their shares (< 0: none ended yet) */
	uint64_t prev_p[LIVE_MAX_SPANS][LIVE_PARTS];
	double share_p[LIVE_MAX_SPANS][LIVE_PARTS];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void fmt_num(char *b, size_t n, double v)
{
	double a = fabs(v);

	if (isnan(v))
		snprintf(b, n, "nan");
	else if (isinf(v))
		snprintf(b, n, v > 0 ? "inf" : "-inf");
	else if (a != 0 && (a >= 1e6 || a < 1e-3))
		snprintf(b, n, "%.3e", v);
	else
		snprintf(b, n, "%.5g", v);
}

static void fmt_dur(char *b, size_t n, uint64_t ns)
{
	if (ns < 1000)
		snprintf(b, n, "%lluns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(b, n, "%.3gus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(b, n, "%.3gms", ns / 1e6);
	else
		snprintf(b, n, "%.3gs", ns / 1e9);
}

/* name[rank] in w columns, control bytes escaped and a cut marked with
 * "…" (termtext), padded with spaces. */
static void fmt_name(char *b, size_t n, const char *name, int32_t rank, int w)
{
	char full[LIVE_NAME_MAX + 16];

	if (rank >= 0)
		snprintf(full, sizeof(full), "%s[%d]", name, (int)rank);
	else
		snprintf(full, sizeof(full), "%s", name);
	termtext__fmt(b, n, full, strlen(full), w, true);
}

static void sparkline(struct topui *u, const struct live_metric *m, int w)
{
	static const char *const blocks[] = { "\u2581", "\u2582", "\u2583", "\u2584",
					      "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char ascii[] = "_.-:=+*#";
	int n = (int)m->nring < w ? (int)m->nring : w;
	const double *v = m->ring + m->nring - n;
	double lo = INFINITY, hi = -INFINITY;

	for (int i = 0; i < n; i++)
		if (isfinite(v[i])) {
			lo = v[i] < lo ? v[i] : lo;
			hi = v[i] > hi ? v[i] : hi;
		}
	for (int i = 0; i < n; i++) {
		int k = 3;

		if (!isfinite(v[i])) {
			addch('!');
			continue;
		}
		if (hi > lo)
			k = (int)lround((v[i] - lo) / (hi - lo) * 7);
		if (u->utf8)
			addstr(blocks[k]);
		else
			addch(ascii[k]);
	}
}

static void update_rates(struct topui *u, uint64_t now)
{
	const struct live_snap *s = &u->snap;
	double dt = (now - u->win_start) / 1e9;
	uint64_t ev = 0;

	for (int t = 0; t < ROW_TABLES; t++)
		ev += s->events[t];
	if (now - u->win_start < RATE_NS)
		return;
	for (int i = 0; i < s->nmetrics; i++) {
		u->rate_m[i] = (s->metrics[i].count - u->prev_m[i]) / dt;
		u->prev_m[i] = s->metrics[i].count;
	}
	for (int i = 0; i < s->nspans; i++) {
		const struct live_span *sp = &s->spans[i];
		uint64_t parts = 0;

		u->share_s[i] = (sp->total_ns - u->prev_s[i]) / 1e9 / dt;
		u->prev_s[i] = sp->total_ns;
		/* No span of this name ended in the window (a long step):
		 * the last shares stand. */
		for (int k = 0; k < LIVE_PARTS; k++)
			parts += sp->part_ns[k] - u->prev_p[i][k];
		for (int k = 0; k < LIVE_PARTS && parts; k++) {
			u->share_p[i][k] = (double)(sp->part_ns[k] - u->prev_p[i][k]) /
					   (double)parts;
			u->prev_p[i][k] = sp->part_ns[k];
		}
	}
	u->ev_rate = (ev - u->win_events) / dt;
	u->win_events = ev;
	u->win_start = now;
}

void topui__draw(struct topui *u)
{
	const struct live_snap *s = &u->snap;
	uint64_t now = mono_ns(), drops = 0, events = 0;
	int avail, ms, ss, y = 0, spark;
	char a[32], b[32], c[32], name[termtext__max(LIVE_NAME_MAX + 16, 16)];
	char line[termtext__max(300, 512)];

	if (live__snapshot(u->live, &u->snap))
		return;
	update_rates(u, now);
	for (int t = 0; t < ROW_TABLES; t++) {
		drops += s->dropped[t];
		events += s->events[t];
	}
	erase();
	attron(A_REVERSE);
	mvprintw(y++, 0, "%-*s", COLS, "");
	mvprintw(0, 0, " mlprobe %s  %.30s  %.0fs  %.0f ev/s  drops %llu%s",
		 u->what, u->title, (now - u->start) / 1e9, u->ev_rate,
		 (unsigned long long)drops, drops ? " (!)" : "");
	attroff(A_REVERSE);

	/* Rows: metrics first, spans get at least half of what is left when
	 * they need it. */
	avail = LINES - 7;
	if (avail < 2)
		avail = 2;
	ss = s->nspans < avail / 2 ? s->nspans : avail / 2;
	ms = s->nmetrics < avail - ss ? s->nmetrics : avail - ss;
	ss = s->nspans < avail - ms ? s->nspans : avail - ms;
	spark = COLS - 68;
	if (spark > LIVE_RING)
		spark = LIVE_RING;

	attron(A_BOLD);
	mvprintw(y++, 0, " %-16s %10s %10s %10s %8s %7s %s", "METRIC", "LAST", "MIN",
		 "MAX", "STEP", "RATE/s", spark >= 6 ? "RECENT" : "");
	attroff(A_BOLD);
	for (int i = 0; i < ms; i++, y++) {
		const struct live_metric *m = &s->metrics[i];

		if (i == ms - 1 && ms < s->nmetrics) {
			mvprintw(y, 0, " ... %d more metrics", s->nmetrics - ms + 1);
			y++;
			break;
		}
		fmt_name(name, sizeof(name), m->name, m->rank, 16);
		fmt_num(a, sizeof(a), m->last);
		fmt_num(b, sizeof(b), m->min);
		fmt_num(c, sizeof(c), m->max);
		mvprintw(y, 0, " %s %10s %10s %10s %8lld %7.1f ", name, a, b, c,
			 (long long)m->step, u->rate_m[i]);
		if (spark > 0)
			sparkline(u, m, spark);
	}
	if (!s->nmetrics)
		mvprintw(y++, 0, " (no metric yet)");
	y++;
	attron(A_BOLD);
	mvprintw(y++, 0, " %-16s %10s %10s %10s %8s %4s %4s %4s %4s", "SPAN",
		 "COUNT", "P50", "P99", "TIME%", "CPU", "RUNQ", "IO", "WAIT");
	attroff(A_BOLD);
	for (int i = 0; i < ss; i++, y++) {
		const struct live_span *sp = &s->spans[i];

		if (i == ss - 1 && ss < s->nspans) {
			mvprintw(y, 0, " ... %d more spans", s->nspans - ss + 1);
			y++;
			break;
		}
		fmt_name(name, sizeof(name), sp->name, sp->rank, 16);
		fmt_dur(a, sizeof(a), sp->p50_ns);
		fmt_dur(b, sizeof(b), sp->p99_ns);
		mvprintw(y, 0, " %s %10llu %10s %10s %7.1f%%", name,
			 (unsigned long long)sp->count, a, b, 100 * u->share_s[i]);
		/* where its time went over the last second or so */
		for (int k = 0; k < LIVE_PARTS; k++) {
			if (u->share_p[i][k] < 0)
				addstr("    -");
			else
				printw(" %3.0f%%", 100 * u->share_p[i][k]);
		}
	}
	if (!s->nspans)
		mvprintw(y++, 0, " (no span yet)");
	if (s->last_alert[0]) {
		termtext__fmt(line, sizeof(line), s->last_alert,
			      strlen(s->last_alert), COLS - 8, false);
		attron(A_BOLD);
		mvprintw(LINES - 3, 0, " ALERT %s", line);
		attroff(A_BOLD);
	}
	if (s->last_log[0]) {
		termtext__fmt(line, sizeof(line), s->last_log,
			      strlen(s->last_log), COLS - 6, false);
		mvprintw(LINES - 2, 0, " log %s", line);
	}
	attron(A_REVERSE);
	mvprintw(LINES - 1, 0, "%-*s", COLS - 1, "");
	mvprintw(LINES - 1, 0, " %.*s", COLS - 2, u->status[0] ? u->status :
		 "q: quit");
	attroff(A_REVERSE);
	refresh();
	u->frames++;
}

static void read_keys(struct topui *u)
{
	int ch;

	while ((ch = getch()) != ERR) {
		if ((ch == 'q' || ch == 'Q') && u->armed) {
			u->armed = false;
			u->quits++;
			/* The engine reads SIGINT from its signalfd: stop. */
			kill(getpid(), SIGINT);
		}
	}
}

static int on_tick(void *ctx, uint64_t now)
{
	struct topui *u = ctx;

	read_keys(u);
	/* Frame slots every 100 ms: a tick that comes a little early (the
	 * drain before it took a while) still gets its frame, and over any
	 * stretch of time there are at most 10 frames a second. */
	if (now < u->next_draw)
		return 0;
	u->next_draw = now - u->next_draw > DRAW_NS ? now + DRAW_NS
						     : u->next_draw + DRAW_NS;
	topui__draw(u);
	return 0;
}

/* While the view is up, what mlprobe (or a command it runs) writes to a
 * terminal stderr goes to an unlinked file instead of across the screen;
 * topui__free prints it after the view, in order.  A file, not a pipe:
 * a writer never waits on it. */
static void capture_stderr(struct topui *u)
{
	const char *dir = getenv("TMPDIR");
	char tmpl[4200];

	u->saved_err = u->captured = -1;
	if (!isatty(2))
		return;
	if (!dir || !*dir)
		dir = "/tmp";
	u->captured = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (u->captured < 0) {
		snprintf(tmpl, sizeof(tmpl), "%.4000s/mlprobe-stderr-XXXXXX", dir);
		u->captured = mkostemp(tmpl, O_CLOEXEC);
		if (u->captured >= 0)
			unlink(tmpl);
	}
	fflush(stderr);
	if (u->captured < 0 ||
	    (u->saved_err = fcntl(2, F_DUPFD_CLOEXEC, 3)) < 0 ||
	    dup2(u->captured, 2) < 0) {
		/* Then it scribbles, but nothing is lost. */
		if (u->saved_err >= 0)
			close(u->saved_err);
		if (u->captured >= 0)
			close(u->captured);
		u->saved_err = u->captured = -1;
	}
}

static void release_stderr(struct topui *u)
{
	char buf[8192];
	ssize_t n;

	if (u->captured < 0)
		return;
	fflush(stderr);
	dup2(u->saved_err, 2);
	close(u->saved_err);
	if (lseek(u->captured, 0, SEEK_SET) == 0)
		while ((n = read(u->captured, buf, sizeof(buf))) > 0)
			if (write(2, buf, n) != n)
				break;
	close(u->captured);
	u->saved_err = u->captured = -1;
}

void topui_title(char *buf, size_t len, pid_t pid, const char *name)
{
	char path[64], comm[64] = "";
	const char *base;
	FILE *f;

	if (!name) {
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		if ((f = fopen(path, "r"))) {
			if (fgets(comm, sizeof(comm), f))
				comm[strcspn(comm, "\n")] = 0;
			fclose(f);
		}
		name = comm;
	}
	base = strrchr(name, '/');
	base = base ? base + 1 : name;
	if (pid > 0)
		snprintf(buf, len, "PID %d (%.30s)", (int)pid, base);
	else
		snprintf(buf, len, "%.40s", base);
}

struct topui *topui__new(struct live *l, const char *what, const char *title)
{
	struct topui *u;

	if (!isatty(0) || !isatty(1)) {
		errno = ENOTTY;
		return NULL;
	}
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	/* Only the character set, for ncurses and the sparkline: LC_ALL
	 * would also switch LC_NUMERIC, and a "0,5" would then break
	 * run.json, the Prometheus text and the alerts' messages. */
	setlocale(LC_CTYPE, "");
	u->utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	u->scr = newterm(NULL, stdout, stdin);
	if (!u->scr) {
		free(u);
		errno = ENOTTY;
		return NULL;
	}
	capture_stderr(u);
	u->armed = true;
	snprintf(u->what, sizeof(u->what), "%s", what);
	cbreak();
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	curs_set(0);
	u->live = l;
	snprintf(u->title, sizeof(u->title), "%s", title);
	u->start = u->win_start = mono_ns();
	for (int i = 0; i < LIVE_MAX_SPANS; i++)
		for (int k = 0; k < LIVE_PARTS; k++)
			u->share_p[i][k] = -1;
	u->next_draw = u->start + DRAW_NS;
	topui__draw(u);
	return u;
}

struct sink topui__sink(struct topui *u)
{
	return (struct sink){ .name = "top", .ctx = u, .tick = on_tick };
}

unsigned topui__quits(const struct topui *u)
{
	return u ? u->quits : 0;
}

void topui__rearm(struct topui *u)
{
	u->armed = true;
}

void topui__status(struct topui *u, const char *msg)
{
	snprintf(u->status, sizeof(u->status), "%s", msg);
	topui__draw(u);
}

void topui__wait_quit(struct topui *u, bool (*check)(void *ctx), void *ctx)
{
	nodelay(stdscr, FALSE);
	timeout(100);
	while (!(check && check(ctx))) {
		uint64_t now;
		int ch = getch();

		if (ch == 'q' || ch == 'Q')
			break;
		/* Keys other than q (or a terminal that is gone, where getch
		 * returns at once) must not draw more than 10 frames a second
		 * nor spin. */
		now = mono_ns();
		if (now < u->next_draw) {
			if (ch == ERR)
				usleep((u->next_draw - now) / 1000);
			continue;
		}
		u->next_draw = now + DRAW_NS;
		topui__draw(u);
	}
}

void topui__free(struct topui *u)
{
	double secs;

	if (!u)
		return;
	endwin();
	delscreen(u->scr);
	release_stderr(u);
	secs = (mono_ns() - u->start) / 1e9;
	pr_verbose("top: %llu frames in %.1f s (%.1f a second)",
		   (unsigned long long)u->frames, secs, secs > 0 ? u->frames / secs : 0);
	live_snap_free(&u->snap);
	free(u);
}
