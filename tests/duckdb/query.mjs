#!/usr/bin/env node
// Independent Parquet read-back for mlprobe's tests: runs SQL in an
// in-memory DuckDB and prints each result row as one JSON object per line.
//
// Usage: node tests/duckdb/query.mjs "SELECT * FROM 'x.parquet'"
//
// Value mapping (stable, the tests depend on it):
//   NULL                  -> null
//   BIGINT/HUGEINT etc.   -> number if it is a safe integer, else a decimal
//                            string
//   DOUBLE/FLOAT          -> number; NaN, Infinity, -Infinity and -0 as the
//                            strings "NaN", "Infinity", "-Infinity", "-0"
//   TIMESTAMP (any unit)  -> integer nanoseconds since the Unix epoch (UTC),
//                            under the same number/string rule as BIGINT
//   VARCHAR, BOOLEAN      -> string, boolean
//   anything else         -> DuckDB's text form (String(value))
// On failure: the DuckDB error message on stderr, exit status 1.
import { DuckDBInstance } from '@duckdb/node-api';
import { conv } from './values.mjs';

async function main() {
	const sql = process.argv[2];
	if (!sql) {
		process.stderr.write('usage: query.mjs "SQL"\n');
		return 2;
	}
	let conn;
	try {
		const db = await DuckDBInstance.create(':memory:');
		conn = await db.connect();
		const reader = await conn.runAndReadAll(sql);
		const out = [];
		for (const row of reader.getRowObjects()) {
			const o = {};
			for (const [k, v] of Object.entries(row))
				o[k] = conv(v);
			out.push(JSON.stringify(o));
		}
		if (out.length)
			process.stdout.write(out.join('\n') + '\n');
		return 0;
	} catch (e) {
		process.stderr.write(String(e && e.message ? e.message : e) + '\n');
		return 1;
	} finally {
		if (conn) conn.closeSync();
	}
}

process.exitCode = await main();
