/* strings: the hard cases for names and messages.
 * - names built with snprintf in one reused stack buffer must stay distinct
 * - a heap name freed and its memory reused for another name
 * - Unicode names and messages, 200-byte names and messages (truncated)
 * - invalid UTF-8, an unreadable pointer, NaN and infinities
 * - spans that nest, and an end without a begin */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mlprobe.h"

static void emit_buf(int i)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "layer%d.grad", i);
	MLPROBE_METRIC(buf, i, i * 1.0);
}

int main(void)
{
	char long_name[201], long_msg[201];
	char *heap;

	MLPROBE_STEP(7);
	for (int i = 0; i < 4; i++)
		emit_buf(i);
	/* Same buffer, same text again: must reuse the name. */
	emit_buf(0);

	heap = strdup("heap.alpha");
	MLPROBE_METRIC(heap, 1, 1.0);
	strcpy(heap, "heap.beta!");	/* same address, new text */
	MLPROBE_METRIC(heap, 2, 2.0);
	free(heap);

	MLPROBE_METRIC("损失/λ", 3, 0.5);
	MLPROBE_LOG(MLPROBE_WARN, "température élevée ☀");

	memset(long_name, 'n', 200);
	long_name[200] = 0;
	memcpy(long_name, "long.", 5);
	MLPROBE_METRIC(long_name, 4, 4.0);
	memset(long_msg, 'm', 200);
	long_msg[200] = 0;
	MLPROBE_LOG(MLPROBE_ERROR, long_msg);
	{
		/* 300-byte message of 2-byte characters: cut mid-character. */
		char big[301];

		for (int i = 0; i < 300; i += 2)
			memcpy(big + i, "\xc3\xa9", 2);
		big[300] = 0;
		MLPROBE_LOG(MLPROBE_INFO, big);
	}

	MLPROBE_METRIC("bad\xff\xfeutf8", 5, 5.0);
	MLPROBE_METRIC((const char *)8, 6, 6.0);	/* unreadable */
	MLPROBE_LOG(MLPROBE_INFO, (const char *)8);
	MLPROBE_METRIC("nan", 7, NAN);
	MLPROBE_METRIC("inf", 8, INFINITY);
	MLPROBE_METRIC("ninf", 9, -INFINITY);

	MLPROBE_SPAN_END("never_begun");
	MLPROBE_SPAN_BEGIN("outer");
	MLPROBE_SPAN_BEGIN("inner");
	MLPROBE_SPAN_END("inner");
	MLPROBE_SPAN_END("outer");
	return 0;
}
