/* SPDX-License-Identifier: MIT */
/* cmds.h - the subcommands.  Each parses its own arguments (argv[0] is its
 * name) and returns the process exit code. */
#ifndef MLPROBE_CMDS_H
#define MLPROBE_CMDS_H

int cmd_record(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_recover(int argc, char **argv);
int cmd_upload(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_top(int argc, char **argv);

#endif
