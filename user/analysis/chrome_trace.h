/* SPDX-License-Identifier: MIT */
/*
 * chrome_trace - a loaded run as Trace Event Format JSON, which
 * ui.perfetto.dev and chrome://tracing open: spans are complete ("X")
 * events (with depth, step and where their time went as args: cpu_ns,
 * runq_ns, io_ns, wait_ns, minflt, majflt), metrics counter ("C") events,
 * logs instant ("i") events, plus a name ("M") for each process and
 * thread.
 */
#ifndef MLPROBE_CHROME_TRACE_H
#define MLPROBE_CHROME_TRACE_H

#include <stdio.h>
#include "runload.h"

/*
 * Writes r to f.  Times are microseconds (with ns decimals) from the
 * earliest event, whose UTC time is in otherData.start_utc; events are in
 * time order, an enclosing span before the spans it contains.  Returns the
 * number of events written (metadata included), or -ENOMEM.
 */
long chrome_trace__write(FILE *f, const struct runload *r);

#endif
