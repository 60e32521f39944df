// SPDX-License-Identifier: MIT
/* sinks.c - the live sinks of record and top, built from one set of
 * options, and the counters tick that feeds them. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "alert.h"
#include "alert_cmd.h"
#include "live.h"
#include "common/log.h"
#include "prom.h"
#include "sinks.h"

enum { OPT_ALERT = 0x600, OPT_ALERT_FILE, OPT_ON_ALERT, OPT_ALERT_INTERVAL,
       OPT_PROMETHEUS };

static const struct argp_option live_opts[] = {
	{ "alert", OPT_ALERT, "RULE", 0, "Alert when RULE fires: 'loss > 5', "
		"'grad_norm > 100 for 3 steps', 'nan(loss)' (NaN or Inf; "
		"nan(*): any metric), 'stall 60s', 'drops'.  Repeatable", 0 },
	{ "alert-file", OPT_ALERT_FILE, "FILE", 0, "Rules, one a line ('#' "
		"starts a comment)", 0 },
	{ "on-alert", OPT_ON_ALERT, "CMD", 0, "Run CMD for each firing "
		"(exec'd without a shell; the alert in MLPROBE_ALERT_* "
		"variables), at most once per rule per --on-alert-interval", 0 },
	{ "on-alert-interval", OPT_ALERT_INTERVAL, "SEC", 0, "At most one "
		"--on-alert command per rule this often (default 5)", 0 },
	{ "prometheus", OPT_PROMETHEUS, "ADDR:PORT", 0, "Serve the live metrics, "
		"span histograms, event, drop and alert counters at "
		"http://ADDR:PORT/metrics (ADDR defaults to 127.0.0.1)", 0 },
	{},
};

static int add_rule(struct livecfg *c, const char *text, const char *origin)
{
	struct rule_error e;
	struct rule *r = realloc(c->rules, (c->nrules + 1) * sizeof(*r));

	if (!r) {
		pr_err("out of memory");
		return -ENOMEM;
	}
	c->rules = r;
	if (rule_parse(text, &r[c->nrules], &e)) {
		rule_print_error(origin, text, &e);
		return -EINVAL;
	}
	c->nrules++;
	return 0;
}

static int read_rule_file(struct livecfg *c, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, origin[4200];
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, ret = 0;
	struct stat st;

	if (!f) {
		pr_err("--alert-file %s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		pr_err("--alert-file %s: %s (give a file of rules, one a line)",
		       path, strerror(EISDIR));
		fclose(f);
		return -EISDIR;
	}
	while (!ret && (n = getline(&line, &cap, f)) >= 0) {
		char *p = line;

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		p += strspn(p, " \t");
		if (!*p || *p == '#')
			continue;
		snprintf(origin, sizeof(origin), "%s:%d", path, lineno);
		ret = add_rule(c, line, origin);
	}
	if (!ret && ferror(f)) {
		ret = -errno;
		pr_err("--alert-file %s: %s", path, strerror(errno));
	}
	free(line);
	fclose(f);
	if (!ret && !c->nrules) {
		pr_err("--alert-file %s: no rules in the file", path);
		ret = -EINVAL;
	}
	return ret;
}

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	struct livecfg *c = st->input;
	char err[512], *end;

	switch (key) {
	case OPT_ALERT:
		if (c->nrule_args == (int)(sizeof(c->rule_args) / sizeof(c->rule_args[0])))
			argp_failure(st, 2, 0, "at most 64 --alert options (use "
				     "--alert-file)");
		c->rule_args[c->nrule_args++] = arg;
		break;
	case OPT_ALERT_FILE:
		c->alert_file = arg;
		break;
	case OPT_ON_ALERT:
		c->on_alert = arg;
		break;
	case OPT_ALERT_INTERVAL:
		errno = 0;
		c->cmd_interval_s = strtod(arg, &end);
		if (errno || *end || !(c->cmd_interval_s >= 0.001 &&
				       c->cmd_interval_s <= 86400))
			argp_failure(st, 2, 0, "invalid --on-alert-interval '%s' "
				     "(0.001 to 86400 s)", arg);
		break;
	case OPT_PROMETHEUS:
		c->prom_addr = arg;
		break;
	case ARGP_KEY_END:
		/* Before anything is attached: a broken rule or a missing
		 * command stops here. */
		for (int i = 0; i < c->nrule_args; i++)
			if (add_rule(c, c->rule_args[i], "--alert"))
				exit(2);
		if (c->alert_file && read_rule_file(c, c->alert_file))
			exit(2);
		if (c->on_alert && !c->nrules)
			argp_failure(st, 2, 0, "--on-alert needs a rule (--alert "
				     "or --alert-file)");
		if (c->on_alert &&
		    alert_cmd_resolve(c->on_alert, &c->cmd_argv, &c->cmd_path,
				       err, sizeof(err)))
			argp_failure(st, 2, 0, "%s", err);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp livecfg_argp = { live_opts, parse_opt, NULL, NULL, NULL, NULL,
				   NULL };

void livecfg_free(struct livecfg *c)
{
	free(c->rules);
	free(c->cmd_argv);
	free(c->cmd_path);
	c->rules = NULL;
	c->cmd_argv = NULL;
	c->cmd_path = NULL;
}

struct livesinks {
	struct livesinks_opts o;
	struct alerts *al;
	struct live *live;
	struct prom *prom;
};

/* Joins the alerts to the live state: firings are counted there. */
static void on_fire(void *ctx, const struct alert_fire *f)
{
	live__alert(ctx, f->rule->text, f->msg);
}

int livesinks__new(const struct livesinks_opts *o, struct livesinks **out)
{
	struct livesinks *ls = calloc(1, sizeof(*ls));
	const struct livecfg *c = o->cfg;
	int ret;

	*out = NULL;
	if (!ls)
		return -ENOMEM;
	ls->o = *o;
	if (o->want_live || c->prom_addr) {
		ls->live = live__new(o->host);
		if (!ls->live) {
			pr_err("out of memory");
			livesinks__free(ls);
			return -ENOMEM;
		}
	}
	if (c->prom_addr) {
		char err[512], url[300];
		const char *pp;

		ls->prom = prom__start(c->prom_addr, ls->live, err, sizeof(err));
		if (!ls->prom) {
			pr_err("%s", err);
			livesinks__free(ls);
			return -EINVAL;
		}
		prom__url(ls->prom, url, sizeof(url));
		/* Port 0 asks for any free port: say which one it is. */
		pp = strrchr(c->prom_addr, ':');
		pp = pp ? pp + 1 : c->prom_addr;
		if (*pp && !pp[strspn(pp, "0")])
			pr_err("serving %s", url);
		else
			pr_verbose("serving %s", url);
	}
	if (c->nrules) {
		struct alerts_opts ao = {
			.sz = sizeof(ao), .rules = c->rules, .nrules = c->nrules,
			.dir = o->dir, .created_by = o->created_by,
			.host = o->host, .run = o->run,
			.cmd_argv = c->cmd_argv, .cmd_path = c->cmd_path,
			.cmd_interval_ns = (uint64_t)(c->cmd_interval_s * 1e9),
			.quiet = o->quiet_alerts,
			.on_fire = ls->live ? on_fire : NULL, .on_fire_ctx = ls->live,
		};

		if ((ret = alerts__new(&ao, &ls->al))) {
			pr_err("cannot set up the alerts: %s", strerror(-ret));
			livesinks__free(ls);
			return ret;
		}
	}
	*out = ls;
	return 0;
}

int livesinks__sinks(struct livesinks *ls, struct sink *sinks, int max)
{
	int n = 0;

	if (ls->live && n < max)
		sinks[n++] = live__sink(ls->live);
	if (ls->al && n < max)
		sinks[n++] = alerts__sink(ls->al);
	return n;
}

struct live *livesinks__live(struct livesinks *ls)
{
	return ls->live;
}

struct alerts *livesinks__alerts(struct livesinks *ls)
{
	return ls ? ls->al : NULL;
}

unsigned long long livesinks__fired(const struct livesinks *ls)
{
	return ls && ls->al ? alerts__stats(ls->al)->fired : 0;
}

void livesinks__summary(const struct livesinks *ls, const char *dir)
{
	const struct alerts_stats *s;
	size_t dl = dir ? strlen(dir) : 0;

	if (ls && ls->prom) {
		char url[300];

		prom__url(ls->prom, url, sizeof(url));
		fprintf(stderr, "  prometheus: %lu scrapes of %s\n",
			prom__scrapes(ls->prom), url);
	}
	if (!ls || !ls->al)
		return;
	s = alerts__stats(ls->al);
	fprintf(stderr, "  alerts: %llu fired", (unsigned long long)s->fired);
	for (int i = 0; i < alerts__nfiles(ls->al); i++) {
		const char *f = alerts__file(ls->al, i)->path;

		fprintf(stderr, "%s%s", i ? ", " : ", in ",
			dl && !strncmp(f, dir, dl) && f[dl] == '/' ? f + dl + 1 : f);
	}
	if (s->lost)
		fprintf(stderr, " (%llu not written)", (unsigned long long)s->lost);
	fputc('\n', stderr);
	if (ls->o.cfg->cmd_argv)
		fprintf(stderr, "  --on-alert: %llu started, %llu skipped (rate "
			"limit), %llu failed\n",
			(unsigned long long)s->cmd_started,
			(unsigned long long)s->cmd_skipped,
			(unsigned long long)s->cmd_failed);
}

void livesinks__free(struct livesinks *ls)
{
	if (!ls)
		return;
	/* The server's thread reads the live state: stop it first. */
	prom__stop(ls->prom);
	alerts__free(ls->al);
	live__free(ls->live);
	free(ls);
}
