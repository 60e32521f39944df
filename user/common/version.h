/* SPDX-License-Identifier: MIT */
/*
 * version.h - what this build calls itself.  One object holds the strings,
 * rebuilt when the commit changes (Makefile: build_id.h), so every file,
 * run.json and --version of one binary name the same build.
 */
#ifndef MLPROBE_VERSION_H
#define MLPROBE_VERSION_H

/* "0.1.0" */
extern const char mlprobe_version[];
/* "mlprobe version 0.1.0 (build 0123456789ab)": Parquet's created_by,
 * run.json, --version. */
extern const char mlprobe_created_by[];
/* The same, for a file that `recover` rewrote. */
extern const char mlprobe_created_by_recovered[];

#endif
