// SPDX-License-Identifier: MIT
/*
 * cmd_recover.c - `mlprobe recover DIR`: after a crash (kill -9, power
 * loss, OOM kill) of `record`, make every Parquet file in DIR valid again,
 * keeping every complete row group.  The repair itself is pq_recover's;
 * this file finds the files, supplies each table's schema (for a file whose
 * first flush was torn) and reports.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cmds.h"
#include "common/log.h"
#include "parquet/pq_recover.h"
#include "store/rundir.h"
#include "store/spool.h"
#include "common/fsutil.h"
#include "common/version.h"
#include "store/tables.h"

static const char doc[] =
	"Repair the Parquet files of a recording after a crash.\n"
	"\n"
	"mlprobe appends a row group and a new footer at every flush, so a file\n"
	"is valid after each flush.  If record was killed in the middle of a\n"
	"flush, the file ends in a torn tail that readers reject.  recover cuts\n"
	"the tail back to the last valid footer, or, when the torn row group is\n"
	"complete, writes a new footer that keeps it.  Valid files are left as\n"
	"they are; a file damaged in a way a crash does not explain is reported\n"
	"and left alone.  If the recording uploads (record --upload-cmd), files\n"
	"that were still being written are queued for `mlprobe upload DIR`.\n"
	"A recording made with --partition is repaired as a whole: recover\n"
	"descends into its run=ID/host=H/rank=R folders.\n"
	"\n"
	"Exit status: 0 when every file is valid afterwards, 1 otherwise; 2 for\n"
	"bad arguments.\n"
	"\n"
	"EXAMPLES:\n"
	"  mlprobe recover runs/exp1\n"
	"  mlprobe recover --dry-run runs/exp1/metrics-0003.parquet\n";

static const struct argp_option opts[] = {
	{ "dry-run", 'n', NULL, 0, "Report what would be done; change nothing", 0 },
	{ "quiet", 'q', NULL, 0, "Print only problems", 0 },
	{ "verbose", 'v', NULL, 0, "More messages", 0 },
	{},
};

struct args {
	bool dry_run, quiet;
	char **paths;
	int npaths;
};

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	struct args *a = st->input;

	(void)arg;
	switch (key) {
	case 'n':
		a->dry_run = true;
		break;
	case 'q':
		a->quiet = true;
		break;
	case 'v':
		mp_verbosity++;
		break;
	case ARGP_KEY_ARGS:
		a->paths = st->argv + st->next;
		a->npaths = st->argc - st->next;
		break;
	case ARGP_KEY_NO_ARGS:
		argp_failure(st, 2, 0, "give a recording directory or Parquet files");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* The schema of a file of ours, from its name (tables.h).  0, or
 * -ENOENT. */
static int schema_of(const char *name, const struct pq_column **cols, int *ncols)
{
	return tables_of_file(name, cols, ncols) < 0 ? -ENOENT : 0;
}

struct tally {
	int files, intact, repaired, failed;
	long long rebuilt_rows;
	bool header;
	const char *folder;	/* to name before its first row; NULL: none */
};

/* Recovers one file; prints a row for it. */
static void recover_one(const struct args *a, const char *path,
			struct tally *t)
{
	struct pq_recover_opts o = { .sz = sizeof(o), .dry_run = a->dry_run,
		.created_by = mlprobe_created_by_recovered };
	struct pq_recover_result res;
	const char *base = strrchr(path, '/');
	char err[512];
	int ret;

	base = base ? base + 1 : path;
	/* Our own files: the table's schema stands in for a lost footer. */
	schema_of(path, &o.cols, &o.ncols);
	t->files++;
	ret = pq_recover__file(path, &o, &res, err, sizeof(err));
	if (ret) {
		pr_err("%s: %s", path, err);
		t->failed++;
		return;
	}
	if (res.action == PQ_RECOVER_INTACT)
		t->intact++;
	else
		t->repaired++;
	t->rebuilt_rows += res.rows_rebuilt;
	if (a->quiet || (res.action == PQ_RECOVER_INTACT && !mp_verbosity))
		return;
	if (!t->header) {
		printf("  %-24s %-10s %10s %6s %12s\n", "FILE", a->dry_run ?
		       "WOULD BE" : "ACTION", "ROWS", "GROUPS", "BYTES");
		t->header = true;
	}
	if (t->folder) {
		/* Partition folders hold files of the same names. */
		printf("  %s/\n", t->folder);
		t->folder = NULL;
	}
	printf("  %-24s %-10s %10lld %6d %12llu", base,
	       pq_recover__action_name(res.action), (long long)res.rows,
	       res.row_groups, (unsigned long long)res.new_bytes);
	if (res.new_bytes != res.old_bytes)
		printf("  (was %llu)", (unsigned long long)res.old_bytes);
	printf("\n");
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Files a recording writes: its Parquet files and run.json. */
static bool ours(const char *name)
{
	const struct pq_column *cols;
	int ncols;

	return !strcmp(name, "run.json") || !schema_of(name, &cols, &ncols);
}

/* ".NAME.tmp", the temp file of a rewrite of our file NAME. */
static bool stale_tmp(const char *name)
{
	size_t len = strlen(name);
	char inner[256];

	if (name[0] != '.' || len < 6 || len - 5 >= sizeof(inner) ||
	    strcmp(name + len - 4, ".tmp"))
		return false;
	memcpy(inner, name + 1, len - 5);
	inner[len - 5] = 0;
	return ours(inner) && strcmp(inner, "run.json");
}

/* Appends a copy of name to *v (*n of *cap used).  0, or -ENOMEM. */
static int push_name(char ***v, int *n, int *cap, const char *name)
{
	if (*n == *cap) {
		int c = *cap ? *cap * 2 : 32;
		char **nv = realloc(*v, c * sizeof(**v));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	if (!((*v)[*n] = strdup(name)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* A folder of a partitioned recording (record --partition):
 * DIR/run=ID/host=H (run.json, alerts files) and .../rank=R (the tables). */
static bool partition_folder(const struct dirent *de)
{
	return (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN) &&
	       (!strncmp(de->d_name, "run=", 4) ||
		!strncmp(de->d_name, "host=", 5) ||
		!strncmp(de->d_name, "rank=", 5));
}

#define PARTITION_DEPTH 3	/* run=, host=, rank= */

/* Every file of ours in dir, in name order, then the partition folders in
 * it (rel: dir's path below the DIR given, "" for DIR itself). */
static int recover_dir(const struct args *a, const char *dir, const char *rel,
		       int depth, struct tally *t)
{
	const struct pq_column *cols;
	struct dirent *de;
	char **names = NULL, **subs = NULL, path[PATH_MAX];
	int n = 0, cap = 0, nsub = 0, subcap = 0, ncols, lock, ret = 0;
	int files_before = t->files;
	DIR *d;

	lock = rundir__lock(dir, 5000);
	if (lock == -EBUSY) {
		pr_err("%s is in use by a running mlprobe (record or upload); "
		       "stop it first", dir);
		return -EBUSY;
	}
	if (lock < 0) {
		pr_err("cannot open %s: %s", dir, strerror(-lock));
		return lock;
	}
	d = opendir(dir);
	if (!d) {
		ret = -errno;
		pr_err("cannot open %s: %s", dir, strerror(errno));
		goto cleanup;
	}
	while ((de = readdir(d))) {
		if (depth < PARTITION_DEPTH && partition_folder(de)) {
			struct stat st;

			snprintf(path, sizeof(path), "%.3800s/%.250s", dir,
				 de->d_name);
			/* Never through a link: no loops, nothing outside DIR. */
			if (lstat(path, &st) || !S_ISDIR(st.st_mode))
				continue;
			if (push_name(&subs, &nsub, &subcap, de->d_name))
				break;
			continue;
		}
		if (stale_tmp(de->d_name)) {
			/* A rewrite that never happened (pq_compact): the file
			 * it was to replace is complete. */
			snprintf(path, sizeof(path), "%.3800s/%.250s", dir,
				 de->d_name);
			if (!a->dry_run && !unlinkat(dirfd(d), de->d_name, 0) &&
			    mp_verbosity)
				fprintf(stderr, "mlprobe: removed %s (the temp file "
					"of an unfinished rewrite)\n", path);
			continue;
		}
		if (schema_of(de->d_name, &cols, &ncols))
			continue;
		if (push_name(&names, &n, &cap, de->d_name))
			break;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	t->folder = rel[0] ? rel : NULL;
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%.4000s/%s", dir, names[i]);
		recover_one(a, path, t);
	}
	t->folder = NULL;
	if (!a->dry_run) {
		/* A rename that never happened: the old run.json stands. */
		snprintf(path, sizeof(path), "%.4000s/.run.json.tmp", dir);
		unlink(path);
		if (t->repaired)
			fsync_dir(dir);
		/* Files that were being written were never queued for upload. */
		ret = spool__adopt(dir, ours);
		if (ret > 0 && !a->quiet)
			fprintf(stderr, "mlprobe: %d files queued for upload: run "
				"'mlprobe upload %s'\n", ret, dir);
		if (ret < 0)
			pr_err("cannot queue files for upload in %s: %s", dir,
			       strerror(-ret));
		ret = ret < 0 ? ret : 0;
	}
	if (nsub)
		qsort(subs, nsub, sizeof(*subs), cmp_str);
	for (int i = 0; i < nsub; i++) {
		char sub[PATH_MAX], subrel[PATH_MAX];
		int r;

		snprintf(sub, sizeof(sub), "%.3800s/%.250s", dir, subs[i]);
		snprintf(subrel, sizeof(subrel), "%.3800s%s%.250s", rel,
			 rel[0] ? "/" : "", subs[i]);
		/* Each host= folder has its own lock: one recording in use
		 * fails alone, the others are still repaired. */
		if ((r = recover_dir(a, sub, subrel, depth + 1, t)) && !ret)
			ret = r;
	}
	if (!depth && t->files == files_before && !a->quiet)
		fprintf(stderr, "mlprobe: no Parquet files in %s (nothing was "
			"flushed)\n", dir);
cleanup:
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	for (int i = 0; i < nsub; i++)
		free(subs[i]);
	free(subs);
	close(lock);
	return ret;
}

int cmd_recover(int argc, char **argv)
{
	struct argp argp = { opts, parse_opt, "DIR|FILE.parquet...", doc, 0, 0, 0 };
	struct args a = { 0 };
	struct tally t = { 0 };
	int rc = 0;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return 2;
	for (int i = 0; i < a.npaths; i++) {
		struct stat st;

		if (stat(a.paths[i], &st)) {
			pr_err("%s: %s", a.paths[i], strerror(errno));
			rc = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if (recover_dir(&a, a.paths[i], "", 0, &t))
				rc = 1;
		} else {
			recover_one(&a, a.paths[i], &t);
		}
	}
	if (!a.quiet && t.files) {
		char kept[64] = "";

		if (t.rebuilt_rows)
			snprintf(kept, sizeof(kept), " (%lld rows of torn row "
				 "groups kept)", t.rebuilt_rows);
		fprintf(stderr, "mlprobe: %d files: %d intact, %d %s%s%s\n",
			t.files, t.intact, t.repaired,
			a.dry_run ? "to repair" : "repaired", kept,
			t.failed ? "; some could not be repaired (see above)" : "");
	}
	return rc || t.failed ? 1 : 0;
}
