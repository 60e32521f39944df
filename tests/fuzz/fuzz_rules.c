// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the alert rule parser on arbitrary text.  Rules come
 * from the command line and from files, so any crash or sanitizer report is
 * a bug.  Oracles: an error points inside the text (or just past its end);
 * a rule that parses is reparsed from its own trimmed text to the same rule.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sinks/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rule r, r2;
	struct rule_error e;
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	if (rule_parse(s, &r, &e)) {
		if (e.col < 1 || (size_t)e.col > strlen(s) + 1 || !e.msg[0])
			abort();
	} else {
		if (!r.text[0] || rule_parse(r.text, &r2, &e) ||
		    r2.kind != r.kind || strcmp(r2.name, r.name) ||
		    r2.for_steps != r.for_steps || r2.stall_ns != r.stall_ns ||
		    (r.kind == RULE_THRESHOLD && (r2.op != r.op ||
						  r2.threshold != r.threshold)))
			abort();
	}
	free(s);
	return 0;
}
