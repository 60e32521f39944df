#!/usr/bin/env node
// Bytes on disk against live bytes of Parquet files, as hyparquet reads
// their footers: the live bytes of a file are what its footer uses (the
// magic, every column chunk it lists, the footer, its length and the
// closing magic); the rest are dead (earlier footers a writer left behind).
//
// Usage: node tests/duckdb/live_bytes.mjs FILE.parquet...
// Prints "ON_DISK LIVE ROWS ROW_GROUPS", the sums over the files.
import { statSync } from 'node:fs';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';

let disk = 0n, live = 0n, rows = 0n, groups = 0;
for (const f of process.argv.slice(2)) {
	const meta = await parquetMetadataAsync(await asyncBufferFromFile(f));
	disk += BigInt(statSync(f).size);
	live += 12n + BigInt(meta.metadata_length);
	for (const rg of meta.row_groups) {
		for (const c of rg.columns)
			live += BigInt(c.meta_data.total_compressed_size);
		groups++;
	}
	rows += BigInt(meta.num_rows);
}
process.stdout.write(`${disk} ${live} ${rows} ${groups}\n`);
