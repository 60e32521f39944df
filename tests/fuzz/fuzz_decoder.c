// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the record decoder on arbitrary bytes, split into
 * records of fuzzer-chosen sizes.  The ring is written by our BPF programs,
 * but a decoder that trusts its input is one kernel bug away from a crash:
 * any crash, sanitizer report or leak is a bug.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "consume/decoder.h"

static size_t total;

static int on_metric(void *ctx, const struct row_metric *r)
{
	(void)ctx;
	total += r->name_len + (size_t)r->step;
	return 0;
}

static int on_span(void *ctx, const struct row_span *r)
{
	(void)ctx;
	total += r->name_len + r->depth;
	return 0;
}

static int on_log(void *ctx, const struct row_log *r)
{
	(void)ctx;
	/* every byte handed out must be readable, and valid UTF-8 is the
	 * decoder's promise; touch them all */
	for (size_t i = 0; i < r->msg_len; i++)
		total += (unsigned char)r->msg[i];
	return r->msg_len & 1 ? -1 : 0;
}

static const struct sink sinks[] = { {
	.name = "fuzz", .metric = on_metric, .span = on_span, .log = on_log,
} };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decoder_opts o = { .sz = sizeof(o) };
	struct decoder *d = decoder__new(&o, sinks, 1);
	uint8_t rec[1024] __attribute__((aligned(8)));

	if (!d)
		return 0;
	while (size >= 2) {
		/* first two bytes: the record's length (as the ring reports it) */
		size_t n = (data[0] | data[1] << 8) % sizeof(rec);

		data += 2;
		size -= 2;
		if (n > size)
			n = size;
		memcpy(rec, data, n);
		decoder__feed(d, rec, n);
		data += n;
		size -= n;
	}
	decoder__free(d);
	return 0;
}
