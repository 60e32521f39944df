// The value mapping of the DuckDB read-back (see query.mjs), shared by
// query.mjs and readers.mjs.
import { DuckDBTimestampNanosecondsValue, DuckDBTimestampValue,
	 DuckDBTimestampTZValue, DuckDBTimestampMillisecondsValue,
	 DuckDBTimestampSecondsValue } from '@duckdb/node-api';

function big(v) {
	const n = Number(v);
	return Number.isSafeInteger(n) && BigInt(n) === v ? n : v.toString();
}

export function conv(v) {
	if (v === null || v === undefined)
		return null;
	switch (typeof v) {
	case 'bigint':
		return big(v);
	case 'number':
		if (Number.isNaN(v)) return 'NaN';
		if (v === Infinity) return 'Infinity';
		if (v === -Infinity) return '-Infinity';
		if (Object.is(v, -0)) return '-0';
		return v;
	case 'string':
	case 'boolean':
		return v;
	}
	if (v instanceof DuckDBTimestampNanosecondsValue) return big(v.nanos);
	if (v instanceof DuckDBTimestampValue ||
	    v instanceof DuckDBTimestampTZValue) return big(v.micros * 1000n);
	if (v instanceof DuckDBTimestampMillisecondsValue)
		return big(v.millis * 1000000n);
	if (v instanceof DuckDBTimestampSecondsValue)
		return big(v.seconds * 1000000000n);
	return String(v);
}
