// SPDX-License-Identifier: MIT
/* cmd_list.c - `mlprobe list`: the USDT probes of a binary or a process. */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cmds.h"
#include "common/json.h"
#include "common/log.h"
#include "attach/usdt_notes.h"
#include "common/spawn.h"

#define WIDTH 80	/* console output fits in 80 columns */
#define PROBE_COL 24	/* probe column, widened up to PROBE_COL_MAX */
#define PROBE_COL_MAX 44

static const char doc[] =
	"List the USDT probes of a binary, or of a running process and the\n"
	"libraries it has loaded.\n"
	"\n"
	"Prints one line per probe: provider:name, its number of sites and the\n"
	"argument spec of its first site, grouped by file.  A FILE without a '/'\n"
	"that does not exist is looked up in $PATH.\n"
	"\n"
	"Exit status: 0; 1 when there are no probes to list or the file or\n"
	"process cannot be read; 2 for bad arguments.\n"
	"\n"
	"EXAMPLES:\n"
	"  mlprobe list ./build/examples/train\n"
	"  mlprobe list -p 4242 --all-providers\n"
	"  mlprobe list --format json --sites ./train | jq '.files[0].probes'\n";

enum { OPT_ALL = 1000, OPT_FORMAT };

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "List the probes of this running process", 0 },
	{ "all-providers", OPT_ALL, NULL, 0, "Also list non-mlprobe USDT probes "
					     "(libstdcxx, python, ...)", 0 },
	{ "format", OPT_FORMAT, "FMT", 0, "text (default) or json", 0 },
	{ "sites", 's', NULL, 0, "Also list every site: address, semaphore and "
				 "argument spec", 0 },
	{ "verbose", 'v', NULL, 0, "More messages (-vv: debug)", 0 },
	{},
};

struct args {
	const char *file;
	pid_t pid;
	bool all, json, sites;
};

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	struct args *a = st->input;
	char *end;
	long v;

	switch (key) {
	case 'p':
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || end == arg || *end || v <= 0 || v > INT_MAX)
			argp_error(st, "invalid PID '%s'", arg);
		a->pid = (pid_t)v;
		break;
	case OPT_ALL:
		a->all = true;
		break;
	case OPT_FORMAT:
		if (!strcmp(arg, "json"))
			a->json = true;
		else if (!strcmp(arg, "text"))
			a->json = false;
		else
			argp_error(st, "invalid format '%s' (text or json)", arg);
		break;
	case 's':
		a->sites = true;
		break;
	case 'v':
		mp_verbosity++;
		break;
	case ARGP_KEY_ARG:
		if (a->file)
			argp_error(st, "give one FILE");
		a->file = arg;
		break;
	case ARGP_KEY_END:
		if (!a->file && !a->pid)
			argp_error(st, "give a FILE or -p PID");
		if (a->file && a->pid)
			argp_error(st, "give a FILE or -p PID, not both");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* Sites of one file, ordered by provider, name, then note order, so that
 * the sites of one probe are adjacent and the first is the first note. */
static int cmp_site(const void *pa, const void *pb)
{
	const struct usdt_site *a = *(const struct usdt_site *const *)pa;
	const struct usdt_site *b = *(const struct usdt_site *const *)pb;
	int c = strcmp(a->provider, b->provider);

	if (!c)
		c = strcmp(a->name, b->name);
	if (!c)
		c = (a > b) - (a < b);
	return c;
}

static bool same_probe(const struct usdt_site *a, const struct usdt_site *b)
{
	return !strcmp(a->provider, b->provider) && !strcmp(a->name, b->name);
}

/* Prints s in at most width columns, cutting its start ("...tail") or its
 * end ("head...") when it is longer. */
static void put_fit(const char *s, int width, bool cut_start)
{
	int len = (int)strlen(s);

	if (len <= width)
		fputs(s, stdout);
	else if (width < 4)
		printf("%.*s", width, s);
	else if (cut_start)
		printf("...%s", s + len - (width - 3));
	else
		printf("%.*s...", width - 3, s);
}

static void print_text(const struct usdt_file *f,
		       const struct usdt_site *const *sorted, bool sites)
{
	int nprobes = 0, col = PROBE_COL;
	char head[96];

	/* Widen the probe column to the longest name, within reason. */
	for (int i = 0; i < f->nsites; i++) {
		int len = (int)(strlen(sorted[i]->provider) + 1 +
				strlen(sorted[i]->name));

		if (len > col)
			col = len < PROBE_COL_MAX ? len : PROBE_COL_MAX;
		if (!i || !same_probe(sorted[i - 1], sorted[i]))
			nprobes++;
	}
	snprintf(head, sizeof(head), "  (%d probe%s, %d site%s)", nprobes,
		 nprobes == 1 ? "" : "s", f->nsites, f->nsites == 1 ? "" : "s");
	put_fit(f->display, WIDTH - (int)strlen(head), true);
	printf("%s\n", head);
	printf("  %-*s %5s%s\n", col, "PROBE", "SITES",
	       sites ? "" : "  ARGS (FIRST SITE)");

	for (int i = 0, j; i < f->nsites; i = j) {
		const struct usdt_site *s = sorted[i];
		char probe[80];
		int used;

		for (j = i + 1; j < f->nsites && same_probe(s, sorted[j]); j++)
			;
		snprintf(probe, sizeof(probe), "%s:%s", s->provider, s->name);
		used = printf("  %-*s %5d", col, probe, j - i);
		if (!sites) {
			used += printf("  ");
			put_fit(s->args, WIDTH - used, false);
			putchar('\n');
			continue;
		}
		putchar('\n');
		for (int k = i; k < j; k++) {
			used = printf("    pc %#llx  semaphore %#llx  ",
				      (unsigned long long)sorted[k]->pc,
				      (unsigned long long)sorted[k]->sema_addr);
			put_fit(sorted[k]->args, WIDTH - used, false);
			putchar('\n');
		}
	}
}

static void print_json(const struct usdt_file *f,
		       const struct usdt_site *const *sorted, bool sites)
{
	printf("{\"path\": ");
	json_str(stdout, f->path, strlen(f->path));
	printf(", \"file\": ");
	json_str(stdout, f->display, strlen(f->display));
	printf(", \"probes\": [");
	for (int i = 0, j; i < f->nsites; i = j) {
		const struct usdt_site *s = sorted[i];

		for (j = i + 1; j < f->nsites && same_probe(s, sorted[j]); j++)
			;
		printf("%s\n    {\"provider\": ", i ? "," : "");
		json_str(stdout, s->provider, strlen(s->provider));
		printf(", \"name\": ");
		json_str(stdout, s->name, strlen(s->name));
		printf(", \"nsites\": %d, \"args\": ", j - i);
		json_str(stdout, s->args, strlen(s->args));
		if (sites) {
			printf(", \"sites\": [");
			for (int k = i; k < j; k++) {
				printf("%s{\"pc\": \"%#llx\", \"semaphore\": "
				       "\"%#llx\", \"args\": ", k > i ? ", " : "",
				       (unsigned long long)sorted[k]->pc,
				       (unsigned long long)sorted[k]->sema_addr);
				json_str(stdout, sorted[k]->args,
					 strlen(sorted[k]->args));
				putchar('}');
			}
			putchar(']');
		}
		putchar('}');
	}
	printf("]}");
}

/* Prints the probes of files[0..n), text or one JSON document. */
static int print_files(const struct usdt_file *files, int n,
		       const struct args *a)
{
	const struct usdt_site **sorted = NULL;
	int ret = 0, max = 0;

	for (int i = 0; i < n; i++)
		if (files[i].nsites > max)
			max = files[i].nsites;
	sorted = calloc(max ? max : 1, sizeof(*sorted));
	if (!sorted) {
		pr_err("out of memory");
		ret = -ENOMEM;
		goto cleanup;
	}
	if (a->json) {
		printf("{");
		if (a->pid)
			printf("\"pid\": %d, ", (int)a->pid);
		printf("\"files\": [");
	}
	for (int i = 0; i < n; i++) {
		const struct usdt_file *f = &files[i];

		for (int k = 0; k < f->nsites; k++)
			sorted[k] = &f->sites[k];
		qsort(sorted, f->nsites, sizeof(*sorted), cmp_site);
		if (a->json) {
			printf("%s\n  ", i ? "," : "");
			print_json(f, sorted, a->sites);
		} else {
			if (i)
				putchar('\n');
			print_text(f, sorted, a->sites);
		}
	}
	if (a->json)
		printf("\n]}\n");
	if (fflush(stdout) || ferror(stdout)) {
		pr_err("cannot write the listing: %s", strerror(errno));
		ret = -EIO;
	}
cleanup:
	free(sorted);
	return ret;
}

#define NO_PROBES_HINT \
	"(build with #include \"mlprobe.h\" and MLPROBE_* macros)"

static int list_file(const struct args *a)
{
	const char *provider = a->all ? NULL : "mlprobe";
	char err[256], path[PATH_MAX];
	struct usdt_file f = { 0 };
	struct stat st;
	int ret, rc = 1;

	/* `mlprobe list train` finds train in $PATH, as a shell would, unless
	 * a file of that name is right here. */
	snprintf(path, sizeof(path), "%s", a->file);
	if (!strchr(a->file, '/') && stat(a->file, &st) &&
	    spawn_resolve(a->file, path, sizeof(path)))
		snprintf(path, sizeof(path), "%s", a->file);

	ret = usdt_file__read(path, provider, &f, err, sizeof(err));
	if (ret) {
		pr_err("%s: %s", a->file, err);
		goto cleanup;
	}
	snprintf(f.display, sizeof(f.display), "%s", path);
	if (!f.nsites) {
		if (a->all)
			pr_err("%s: no USDT probes", a->file);
		else
			pr_err("%s: no mlprobe probes " NO_PROBES_HINT, a->file);
		goto cleanup;
	}
	if (!print_files(&f, 1, a))
		rc = 0;
cleanup:
	usdt_file__free(&f);
	return rc;
}

static int list_pid(const struct args *a)
{
	const char *provider = a->all ? NULL : "mlprobe";
	struct usdt_file *files = NULL;
	char err[512];
	int n, rc = 1;

	n = usdt_proc__scan(a->pid, provider, &files, err, sizeof(err));
	if (n == -ESRCH) {
		pr_err("no process with PID %d", (int)a->pid);
		goto cleanup;
	}
	if (n < 0) {
		pr_err("PID %d: %s", (int)a->pid, err);
		goto cleanup;
	}
	if (!n) {
		if (a->all)
			pr_err("PID %d: no USDT probes in its executable or "
			       "loaded libraries", (int)a->pid);
		else
			pr_err("PID %d: no mlprobe probes in its executable or "
			       "loaded libraries " NO_PROBES_HINT, (int)a->pid);
		goto cleanup;
	}
	if (!print_files(files, n, a))
		rc = 0;
cleanup:
	for (int i = 0; i < n; i++)
		usdt_file__free(&files[i]);
	free(files);
	return rc;
}

/* `mlprobe list`: returns the exit code, 0 when probes were listed, 1 when
 * there are none or the file or process cannot be read. */
int cmd_list(int argc, char **argv)
{
	static char prog[] = "mlprobe list";	/* for argp's usage lines */
	struct argp argp = { opts, parse_opt, "FILE\n-p PID", doc, 0, 0, 0 };
	struct args a = { 0 };
	char *argv0 = argv[0];
	error_t e;

	argv[0] = prog;
	e = argp_parse(&argp, argc, argv, 0, NULL, &a);
	argv[0] = argv0;
	if (e)
		return 2;
	return a.pid ? list_pid(&a) : list_file(&a);
}
