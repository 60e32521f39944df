/* SPDX-License-Identifier: MIT */
/*
 * usdt_notes.h - find USDT probe sites (.note.stapsdt) in ELF files and in
 * the executable and libraries of a running process.
 *
 * Only reads: nothing here attaches.  libbpf attaches by provider and name;
 * this module answers "which probes are there, and where" for `list`, and
 * lets `record` fail early with a clear message when there are none.
 */
#ifndef MLPROBE_USDT_NOTES_H
#define MLPROBE_USDT_NOTES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct usdt_site {
	char provider[32];
	char name[32];		/* metric, span_begin, ... */
	uint64_t pc;		/* note's location (link-time address) */
	uint64_t sema_addr;	/* 0 if none */
	char args[128];		/* e.g. "8@%rdi -8@%rax 8@%rdx" */
};

struct usdt_file {		/* probes of one ELF file */
	char path[4096];	/* as opened, e.g. /proc/PID/root/usr/lib/x.so */
	char display[4096];	/* as the user knows it (/proc/PID/maps, argv) */
	int nsites;
	struct usdt_site *sites;	/* in note order */
};

/*
 * Reads the .note.stapsdt notes of provider `provider` (NULL: every
 * provider) in the ELF file at `path`.  Returns 0 and fills *out (free it
 * with usdt_file__free; out->display is set to path), 0 with nsites == 0
 * when the file has no such probes, -ENOENT when there is no such file,
 * -ENOEXEC when it is not a (well-formed) ELF file, or another -errno.
 * On error *out is left empty and err gets a one-line reason without the
 * path ("no such file", "not an ELF file").  Malformed notes are bounds
 * checked: a truncated or corrupt file gives an error or fewer sites.
 * Provider, name and argument strings longer than their fields are cut.
 */
int usdt_file__read(const char *path, const char *provider,
		    struct usdt_file *out, char *err, size_t errlen);

/* Frees what usdt_file__read put in f and empties it; f itself is the
 * caller's.  Safe on a zeroed or already freed usdt_file. */
void usdt_file__free(struct usdt_file *f);

/*
 * Reads the probes of a running process: its executable (opened as
 * /proc/PID/exe, so that a replaced or deleted binary still works) and
 * every file-backed executable mapping in /proc/PID/maps, opened through
 * /proc/PID/root/<path> so that it works across mount namespaces
 * (containers); a deleted library is read through /proc/PID/map_files/.
 * Files are deduplicated by device and inode.  The executable comes first
 * when it has probes.  Files that cannot be read (memfd, vanished) are
 * skipped.  Returns the number of files with at least one site of
 * `provider` (NULL: any) and sets *files to an array of them (free each
 * with usdt_file__free, then the array with free(); NULL when none), or
 * -ESRCH (no such process), -EACCES, -ENOMEM... with a reason in err.
 */
int usdt_proc__scan(pid_t pid, const char *provider, struct usdt_file **files,
		    char *err, size_t errlen);

#endif
