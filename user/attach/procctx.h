/* SPDX-License-Identifier: MIT */
/*
 * procctx.h - who a traced process is in a distributed job: its parent,
 * and its rank, local rank and world size as the launcher set them in its
 * environment (torchrun, Slurm, Open MPI).  Every row carries this context,
 * so that the ranks of a job can be queried as one table.
 *
 * Read from /proc/PID/environ, which holds the environment the process was
 * exec'd with (what launchers set); a forked child inherits its parent's
 * context, and an exec reads it again.
 */
#ifndef MLPROBE_PROCCTX_H
#define MLPROBE_PROCCTX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "consume/rows.h"

/* Parses a NUL-separated environment block (as in /proc/PID/environ).
 * rank: RANK, else SLURM_PROCID, else OMPI_COMM_WORLD_RANK, else PMI_RANK;
 * local rank: LOCAL_RANK, SLURM_LOCALID, OMPI_COMM_WORLD_LOCAL_RANK;
 * world size: WORLD_SIZE, SLURM_NTASKS, OMPI_COMM_WORLD_SIZE, PMI_SIZE.
 * A value that is not a decimal integer in [0, 2^31) counts as unset (-1).
 * The ppid field is left as it is. */
void procctx_parse_env(const char *env, size_t len, struct row_proc *out);

/* The job's run id from an environment block: MLPROBE_RUN_ID, else
 * TORCHELASTIC_RUN_ID (unless "none"), else "slurm-" SLURM_JOB_ID.
 * Returns 0 and writes it, or -ENOENT. */
int procctx_env_run_id(const char *env, size_t len, char *out, size_t outlen);

/* The run id of a recording: given (--run-id) if not NULL, else from the
 * environment of envpid (procctx_env_run_id), else the UTC start time and
 * the host, "20261124T185824Z-host" (unique, but not shared by the agents
 * of other hosts: set MLPROBE_RUN_ID for that). */
void procctx_run_id(const char *given, pid_t envpid, const char *host,
		    char *out, size_t outlen);

/* Reads /proc/PID/stat: the state letter (R, S, Z...) and the parent.
 * Either pointer may be NULL.  0 or -errno (-ENOENT: no such process). */
int procctx_stat(pid_t pid, char *state, int32_t *ppid);

/* Reads /proc/PID/environ into a malloc'ed buffer (*len bytes), or NULL with
 * errno set. */
char *procctx_read_environ(pid_t pid, size_t *len);

/* Replaces every byte that is not [A-Za-z0-9._-] by '_' (so a value can name
 * a directory in a Hive-style partition path); "" and "."/".." become "_"
 * (as far as size, the buffer's, allows). */
void procctx_path_safe(char *s, size_t size);

struct procctx;

struct procctx *procctx__new(void);
void procctx__free(struct procctx *c);

/* Context of pid: read from /proc on first use (ppid from /proc/PID/stat),
 * remembered after.  A process that is gone gets an unknown context (every
 * field -1).  Never NULL. */
const struct row_proc *procctx__get(struct procctx *c, pid_t pid);
/* pid was forked by parent: it inherits the parent's context. */
void procctx__fork(struct procctx *c, pid_t pid, pid_t parent);
/* pid exec'd: its environment is read again; its parent stays. */
void procctx__exec(struct procctx *c, pid_t pid);
/* pid exited: forget it. */
void procctx__exit(struct procctx *c, pid_t pid);

#endif
