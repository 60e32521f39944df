// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: pq_recover on arbitrary bytes, with and without a
 * schema to stand in for a lost footer.  Besides crashes and sanitizer
 * reports, it checks recover's promise: whatever repair it plans opens in
 * pq_reader with the row count it reports, and every row group decodes.
 * Seeds: tests/fuzz/corpus/pq_recover (valid files, files cut inside a
 * flush, a file with garbage appended).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pq_reader.h"
#include "pq_recover.h"

static const struct pq_column cols[] = {
	{ "ts", PQ_TIMESTAMP_NS, false, PQ_ENC_DELTA },
	{ "pid", PQ_INT32, false, PQ_ENC_DELTA },
	{ "tid", PQ_INT32, false, PQ_ENC_DELTA },
	{ "step", PQ_INT64, false, PQ_ENC_DELTA },
	{ "name", PQ_STRING, false, PQ_ENC_DEFAULT },
	{ "value", PQ_DOUBLE, false, PQ_ENC_BYTE_STREAM_SPLIT },
};

static void check(const uint8_t *data, size_t size, bool schema)
{
	struct pq_recover_opts o = { .sz = sizeof(o) };
	struct pq_recover_plan p;
	struct pq_reader *r;
	struct pq_values v;
	uint8_t *out;
	char err[256];

	if (schema) {
		o.cols = cols;
		o.ncols = 6;
	}
	if (pq_recover__plan(data, size, &o, &p, err, sizeof(err)))
		return;
	if (p.keep > size || p.keep + p.tail_len < 12)
		abort();
	out = malloc(p.keep + p.tail_len);
	if (!out)
		abort();
	memcpy(out, data, p.keep);
	if (p.tail_len)
		memcpy(out + p.keep, p.tail, p.tail_len);
	r = pq_reader__open_mem(out, p.keep + p.tail_len, err, sizeof(err));
	if (!r || pq_reader__nrows(r) != p.res.rows ||
	    pq_reader__nrowgroups(r) != p.res.row_groups)
		abort();	/* a repair that does not open */
	for (int g = 0; g < pq_reader__nrowgroups(r); g++)
		for (int c = 0; c < pq_reader__ncols(r); c++)
			if (pq_reader__read(r, g, c, &v, err, sizeof(err)))
				abort();	/* a kept row group that does not decode */
	pq_reader__close(r);
	free(out);
	free(p.tail);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size, false);
	check(data, size, true);
	return 0;
}
