// SPDX-License-Identifier: MIT
/* main.c - `mlprobe COMMAND ...`: dispatch to a subcommand. */
#include <argp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "cmds.h"
#include "common/version.h"

const char *argp_program_version = mlprobe_created_by;

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} cmds[] = {
	{ "record", cmd_record, "record a trainer's probes to Parquet" },
	{ "list", cmd_list, "list the probes of a binary or a process" },
	{ "show", cmd_show, "print a recording (table, csv or jsonl)" },
	{ "recover", cmd_recover, "repair the files of a recording after a crash" },
	{ "upload", cmd_upload, "send the files that wait in a recording's spool" },
	{ "compare", cmd_compare, "compare two recordings with statistics" },
	{ "export", cmd_export, "write a recording as a Chrome trace, CSV or JSON lines" },
	{ "report", cmd_report, "write an HTML report with plots" },
	{ "explain", cmd_explain, "why the slowest steps were slow" },
	{ "top", cmd_top, "show a running trainer's metrics and spans live" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: mlprobe COMMAND [ARGS...]\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\n'mlprobe COMMAND --help' describes a command.  Bad arguments "
		"exit with\nstatus 2 in every command.\n");
}

int main(int argc, char **argv)
{
	/* Bad arguments exit with 2 in every command, argp's own errors (an
	 * unknown option) included: its default is 64. */
	argp_err_exit_status = 2;
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		puts(argp_program_version);
		return 0;
	}
	/* A closed pipe (mlprobe show | head) ends us quietly. */
	signal(SIGPIPE, SIG_DFL);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char name[32];

		if (strcmp(argv[1], cmds[i].name))
			continue;
		/* argp prefixes its messages with argv[0]. */
		snprintf(name, sizeof(name), "mlprobe %s", cmds[i].name);
		argv[1] = name;
		return cmds[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "mlprobe: unknown command '%s' ('mlprobe --help' lists "
		"them)\n", argv[1]);
	return 2;
}
