#!/usr/bin/env node
// Three Parquet readers that share no code read the same files and must
// agree on every value of every row: mlprobe's own reader (its rows as
// `mlprobe show -f jsonl` prints them), DuckDB (@duckdb/node-api) and
// hyparquet (pure JavaScript, gzip through hyparquet-compressors).
//
// Usage: node tests/duckdb/readers.mjs MLPROBE.jsonl FILE.parquet...
//   MLPROBE.jsonl: the rows of the FILEs, in the order given, as mlprobe
//   printed them.  Prints "N rows, M columns: mlprobe, DuckDB and
//   hyparquet agree" (exit 0), or the first differences (exit 1).
//
// Values compare exactly: integers as integers (64-bit ones too), doubles
// bit for bit (NaN, infinities and -0 included), strings byte for byte,
// timestamps in nanoseconds between mlprobe and hyparquet; DuckDB reads a
// UTC NANOS timestamp as TIMESTAMPTZ, which has microseconds, so its
// timestamps are compared with the others truncated toward zero to µs.
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects }
	from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { conv } from './values.mjs';

// One flat JSON object per line, keeping number tokens as their text
// (JSON.parse would round 64-bit integers).
function parseRow(line) {
	const row = {};
	let i = 0;
	const ws = () => { while (' \t'.includes(line[i])) i++; };
	const str = () => {
		const s = i;
		for (i++; line[i] !== '"'; i++)
			if (line[i] === '\\') i++;
		i++;
		return JSON.parse(line.slice(s, i));
	};
	ws();
	if (line[i++] !== '{') throw new Error(`not an object: ${line}`);
	for (;;) {
		ws();
		if (line[i] === '}') break;
		const k = str();
		ws();
		i++;	// ':'
		ws();
		let v;
		if (line[i] === '"') {
			v = { s: str() };
		} else {
			const m = /^(null|true|false|-?[0-9][0-9.eE+-]*)/.exec(line.slice(i));
			if (!m) throw new Error(`bad value at ${i}: ${line}`);
			i += m[0].length;
			v = m[0] === 'null' ? null : m[0] === 'true' ? true :
			    m[0] === 'false' ? false : { n: m[0] };
		}
		row[k] = v;
		ws();
		if (line[i] === ',') i++;
	}
	return row;
}

function isoToNs(s) {
	const m = /^(.*T\d\d:\d\d:\d\d)\.(\d{9})Z$/.exec(s);
	if (!m) throw new Error(`bad timestamp ${s}`);
	return BigInt(Date.parse(m[1] + 'Z')) / 1000n * 1000000000n + BigInt(m[2]);
}

function dbl(x) {
	if (Number.isNaN(x)) return 'NaN';
	if (Object.is(x, -0)) return '-0';
	return String(x);
}

// The canonical text of a value of kind k from each reader; for 'ts' the
// nanoseconds.  null stays null.
const canon = {
	mlprobe(k, v) {
		if (v === null) return null;
		if (k === 'ts') return isoToNs(v.s);
		if (k === 'string') return v.s;
		if (k === 'bool') return String(v);
		if (k === 'double')
			return v.s !== undefined ? dbl(Number(v.s)) : dbl(Number(v.n));
		return BigInt(v.n).toString();
	},
	duckdb(k, v) {
		v = conv(v);
		if (v === null) return null;
		if (k === 'ts') return BigInt(v);
		if (k === 'double')
			return typeof v === 'string' ? dbl(Number(v)) : dbl(v);
		if (k === 'int') return BigInt(v).toString();
		return String(v);
	},
	hyparquet(k, v) {
		if (v === null || v === undefined) return null;
		if (k === 'ts') return BigInt(v);
		if (k === 'double') return dbl(v);
		if (k === 'int') return BigInt(v).toString();
		return String(v);
	},
};

function kindOf(el) {
	if (el.logical_type?.type === 'TIMESTAMP' ||
	    /^TIMESTAMP/.test(el.converted_type ?? '')) return 'ts';
	switch (el.type) {
	case 'BOOLEAN': return 'bool';
	case 'INT32': case 'INT64': return 'int';
	case 'FLOAT': case 'DOUBLE': return 'double';
	default: return 'string';
	}
}

async function main() {
	const [jsonl, ...files] = process.argv.slice(2);
	if (!jsonl || !files.length) {
		process.stderr.write('usage: readers.mjs MLPROBE.jsonl FILE.parquet...\n');
		return 2;
	}
	const mine = readFileSync(jsonl, 'utf8').split('\n').filter(Boolean)
		.map(parseRow);
	const db = await DuckDBInstance.create(':memory:');
	const conn = await db.connect();
	const duck = [], hy = [];
	let cols = null;
	const parsers = {
		timestampFromNanoseconds: n => n,
		timestampFromMicroseconds: u => u * 1000n,
		timestampFromMilliseconds: m => BigInt(m) * 1000000n,
	};
	for (const f of files) {
		const file = await asyncBufferFromFile(f);
		const meta = await parquetMetadataAsync(file);
		const c = meta.schema.slice(1).map(el => [el.name, kindOf(el)]);
		if (!cols) cols = c;
		else if (JSON.stringify(c) !== JSON.stringify(cols))
			throw new Error(`${f}: another schema than ${files[0]}`);
		hy.push(...await parquetReadObjects({ file, compressors, parsers }));
		const sql = `SELECT * EXCLUDE (file_row_number) FROM read_parquet('${f.replaceAll("'", "''")}', file_row_number = true) ORDER BY file_row_number`;
		duck.push(...(await conn.runAndReadAll(sql)).getRowObjects());
	}
	conn.closeSync();
	const bad = [];
	const say = m => { if (bad.length < 8) bad.push(m); };
	if (mine.length !== duck.length || mine.length !== hy.length)
		say(`rows: mlprobe ${mine.length}, DuckDB ${duck.length}, hyparquet ${hy.length}`);
	const n = Math.min(mine.length, duck.length, hy.length);
	for (let i = 0; i < n && bad.length < 8; i++) {
		const keys = Object.keys(mine[i]);
		if (keys.join() !== cols.map(c => c[0]).join()) {
			say(`row ${i}: mlprobe has columns ${keys}`);
			continue;
		}
		for (const [name, k] of cols) {
			const a = canon.mlprobe(k, mine[i][name]);
			const b = canon.duckdb(k, duck[i][name]);
			const c = canon.hyparquet(k, hy[i][name]);
			const bUs = k === 'ts' && a !== null ? a / 1000n * 1000n : a;
			if (a !== c || (k === 'ts' ? bUs !== b : a !== b) ||
			    (a === null) !== (b === null))
				say(`row ${i} ${name}: mlprobe ${a}, DuckDB ${b}, hyparquet ${c}`);
		}
	}
	if (bad.length) {
		process.stdout.write(bad.join('\n') + '\n');
		return 1;
	}
	process.stdout.write(`${n} rows, ${cols.length} columns: mlprobe, DuckDB and hyparquet agree\n`);
	return 0;
}

try {
	process.exitCode = await main();
} catch (e) {
	process.stdout.write(`readers.mjs: ${e && e.message ? e.message : e}\n`);
	process.exitCode = 1;
}
