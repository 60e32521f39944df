/* SPDX-License-Identifier: MIT */
/*
 * spawn.h - what starting a command of the user's takes, shared by the
 * launched trainer, the upload command and the --on-alert command: a
 * command line split into words (no shell), the PATH search execvp does,
 * and the state a forked child is put in before exec.
 */
#ifndef MLPROBE_SPAWN_H
#define MLPROBE_SPAWN_H

#include <stddef.h>

/* Splits a command line into words: blanks separate, '...' and "..."
 * quote, backslash escapes.  No shell, no expansion.  *argv (NULL-ended)
 * and its words are one malloc'd block.  0, or -EINVAL with a reason that
 * names the command as what ("the upload command"), or -ENOMEM. */
int spawn_split(const char *line, const char *what, char ***argv, char *err,
		size_t errlen);
/*
 * Resolves a command name the way execvp() does: a name with a '/' is
 * used as it is, any other is searched in $PATH (an empty entry means the
 * current directory; unset PATH means "/bin:/usr/bin").  Writes the path
 * found to out.  Returns 0, -ENOENT (not found, or does not fit in out) or
 * -EACCES (found, but not an executable regular file).
 */
int spawn_resolve(const char *cmd, char *out, size_t outlen);
/* What spawn_resolve's ret means for cmd, in a few words: "command not
 * found" for a name searched in PATH, the errno's text for a path. */
const char *spawn_resolve_why(const char *cmd, int ret);
/* In a forked child, before exec (async-signal-safe calls only): its own
 * process group, no blocked signals, SIGPIPE default, stdin /dev/null
 * (no other descriptor is left open for it). */
void spawn_child_reset(void);

#endif
