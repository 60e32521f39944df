// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: pq_reader on arbitrary bytes.  Opens the buffer and
 * decodes every column of every row group; any crash, sanitizer report,
 * leak or oversized allocation is a bug.  Seeds: tests/fuzz/corpus/pq_reader.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pq_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct pq_reader *r;
	struct pq_values v;
	volatile uint64_t sink = 0;

	r = pq_reader__open_mem(data, size, err, sizeof(err));
	if (!r)
		return 0;
	(void)pq_reader__created_by(r);
	for (int g = 0; g < pq_reader__nrowgroups(r) && g < 64; g++) {
		for (int c = 0; c < pq_reader__ncols(r) && c < 64; c++) {
			if (pq_reader__read(r, g, c, &v, err, sizeof(err)))
				continue;
			/* touch what was handed out */
			for (size_t i = 0; i < v.n; i++) {
				if (v.isnull)
					sink += v.isnull[i];
				if (v.i64)
					sink += (uint64_t)v.i64[i];
				if (v.str)
					sink += strlen(v.str[i]) + v.str_len[i];
			}
		}
	}
	pq_reader__close(r);
	(void)sink;
	return 0;
}
