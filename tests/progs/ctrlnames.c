/* ctrlnames: names and messages that hold control bytes, as a buggy or
 * careless trainer may log them (a name built from a file's line, a
 * message with a colour code).
 *   ctrlnames STEPS STEP_US
 * Each step: a span and a metric under each of the names below, and a
 * log message with an escape sequence, a CR and a newline.  The names:
 * one with ESC [2J (clear the screen) and ESC ]0; (set the title), one
 * with CR, LF and TAB, one with the other C0 bytes and DEL, one with the
 * C1 control U+009B (CSI), "plain", and "long" followed by 196 'x' (200
 * bytes: the probe cuts it at 127 and marks the cut with "…").  Prints
 * "done" at the end. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mlprobe.h"

static const char *names[] = {
	"esc\x1b[2J\x1b]0;owned\x07tail",
	"cr\rlf\ntab\tend",
	"c0\x01\x02\x03\x08\x0b\x0c\x0e\x1f\x7f",
	"csi\xc2\x9b" "31mred",
	"plain",
	NULL,	/* the long name, made in main */
};
#define NNAMES (sizeof(names) / sizeof(names[0]))

int main(int argc, char **argv)
{
	long steps = argc > 1 ? atol(argv[1]) : 100;
	long us = argc > 2 ? atol(argv[2]) : 1000;
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	static char longname[201] = "long";

	memset(longname + 4, 'x', 196);
	names[NNAMES - 1] = longname;

	for (long s = 0; s < steps; s++) {
		MLPROBE_STEP(s);
		for (size_t i = 0; i < NNAMES; i++) {
			MLPROBE_SPAN_BEGIN(names[i]);
			nanosleep(&ts, NULL);
			MLPROBE_SPAN_END(names[i]);
			MLPROBE_METRIC(names[i], s, (double)s + (double)i);
		}
		if (s % 10 == 0)
			MLPROBE_LOG(MLPROBE_WARN,
				    "\x1b[31mred\x1b[0m\rover\nnext line");
	}
	puts("done");
	return 0;
}
