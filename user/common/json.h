/* SPDX-License-Identifier: MIT */
/* json.h - the one piece of JSON output that needs care: string escaping. */
#ifndef MLPROBE_JSON_H
#define MLPROBE_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Writes s[0..len) as a quoted JSON string (RFC 8259 escapes). */
void json_str(FILE *f, const char *s, size_t len);
/* Writes a double; NaN and infinities (not JSON numbers) become strings. */
void json_double(FILE *f, double v);

#endif
