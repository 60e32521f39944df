#!/usr/bin/env bash
# test_parquet_duckdb.sh - files from the Parquet writer, read back by
# DuckDB (an independent reader) and compared value by value: every type,
# nulls, unicode and escapes, NaN/Inf/-0, INT extremes, several flushes
# (row groups), many pages, dictionary fallback, gzip and uncompressed,
# DELTA and BYTE_STREAM_SPLIT; plus statistics and metadata checks.
# The files and the expected rows (X.jsonl) come from
# `test_pq_writer gen DIR`; see tests/unit/test_pq_writer.c.
source "$(dirname "$0")/lib.sh"

"$ROOT/scripts/duckdb-setup.sh" || { not_ok "duckdb setup"; done_testing; }

GEN=$BUILD/tests/test_pq_writer
if [ ! -x "$GEN" ]; then	# build just the Parquet module if needed
	GEN=$TMP/test_pq_writer
	(cd "$ROOT" && ${CC:-cc} -std=gnu11 -O1 -Iuser/parquet \
		tests/unit/test_pq_writer.c user/parquet/*.c \
		-lcmocka -lz -lsnappy -lm -o "$GEN") || { not_ok "build generator"; done_testing; }
fi
OUT=$TMP/pq
check "generate files" "$GEN" gen "$OUT"

# compare GOT WANT: JSON lines, value by value (numbers with Object.is,
# so -0 and NaN conventions of query.mjs matter)
compare() {
	node -e '
const fs = require("fs");
const got = fs.readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean);
const want = fs.readFileSync(process.argv[2], "utf8").split("\n").filter(Boolean);
let bad = 0;
if (got.length !== want.length) { console.log(`rows: got ${got.length}, want ${want.length}`); bad++; }
for (let i = 0; i < Math.min(got.length, want.length) && bad < 5; i++) {
	const g = JSON.parse(got[i]), w = JSON.parse(want[i]);
	const keys = Object.keys(w);
	if (Object.keys(g).join() !== keys.join()) { console.log(`row ${i}: columns ${Object.keys(g)} vs ${keys}`); bad++; continue; }
	for (const k of keys)
		if (!Object.is(g[k], w[k])) { console.log(`row ${i} ${k}: got ${JSON.stringify(g[k])}, want ${JSON.stringify(w[k])}`); bad++; }
}
process.exit(bad ? 1 : 0);' "$1" "$2"
}

for name in all plain fallback stats compacted; do
	f=$OUT/$name.parquet
	if duck "SELECT * FROM '$f' ORDER BY id" >"$TMP/$name.got" 2>"$TMP/err" &&
	   compare "$TMP/$name.got" "$OUT/$name.jsonl" >"$TMP/diff"; then
		ok "duckdb reads $name.parquet: $(wc -l <"$OUT/$name.jsonl") rows match"
	else
		not_ok "duckdb reads $name.parquet: $(head -c 600 "$TMP/err" "$TMP/diff")"
	fi
done

expect_eq "row groups = flushes" \
	"$(duck1 "SELECT num_row_groups FROM parquet_file_metadata('$OUT/all.parquet')")" 4
expect_eq "created_by" \
	"$(duck1 "SELECT created_by FROM parquet_file_metadata('$OUT/all.parquet')")" \
	'"mlprobe version test (build unit)"'
expect_eq "codecs" \
	"$(duck1 "SELECT string_agg(DISTINCT compression, ',') FROM parquet_metadata('$OUT/all.parquet')")$(duck1 "SELECT string_agg(DISTINCT compression, ',') FROM parquet_metadata('$OUT/plain.parquet')")" \
	'"GZIP""UNCOMPRESSED"'
expect_eq "timestamps are TIMESTAMP(NANOS, UTC)" \
	"$(duck1 "SELECT logical_type FROM parquet_schema('$OUT/all.parquet') WHERE name = 'ts'")" \
	'"TimestampType(isAdjustedToUTC=1, unit=TimeUnit(MILLIS=<null>, MICROS=<null>, NANOS=NanoSeconds()))"'
expect_eq "strings are STRING + UTF8" \
	"$(duck1 "SELECT converted_type || ' ' || logical_type FROM parquet_schema('$OUT/all.parquet') WHERE name = 's'")" \
	'"UTF8 StringType()"'
expect_eq "encodings per column" \
	"$(duck1 "SELECT string_agg(path_in_schema || '=' || encodings, ';' ORDER BY column_id) FROM parquet_metadata('$OUT/all.parquet') WHERE row_group_id = 0")" \
	'"id=PLAIN;b=PLAIN, RLE;i32=PLAIN, RLE;i64=PLAIN;d=PLAIN, RLE;s=PLAIN, RLE, RLE_DICTIONARY;ts=PLAIN;dl=RLE, DELTA_BINARY_PACKED;dts=RLE, DELTA_BINARY_PACKED;di32=DELTA_BINARY_PACKED;dbss=RLE, BYTE_STREAM_SPLIT;sp=PLAIN, RLE"'
# Row group 0 passes the dictionary's cap: its first pages keep the
# dictionary (RLE_DICTIONARY), the rest are PLAIN; row group 1 fits one.
# The rows themselves are compared with the generator's above.
expect_eq "dictionary falls back to PLAIN when too large" \
	"$(duck1 "SELECT string_agg(encodings, ' | ' ORDER BY row_group_id) FROM parquet_metadata('$OUT/fallback.parquet') WHERE path_in_schema = 'u'")" \
	'"PLAIN, RLE, RLE_DICTIONARY | PLAIN, RLE, RLE_DICTIONARY"'
expect_eq "dictionary page before data pages" \
	"$(duck1 "SELECT bool_and(dictionary_page_offset < data_page_offset) FROM parquet_metadata('$OUT/all.parquet') WHERE path_in_schema = 's'")" \
	true
expect_eq "statistics (NaN skipped, -0/+0, all-NaN, strings, nulls)" \
	"$(duck1 "SELECT string_agg(path_in_schema || ':' || coalesce(stats_min_value, '-') || ':' || coalesce(stats_max_value, '-') || ':' || stats_null_count, ' ' ORDER BY column_id) FROM parquet_metadata('$OUT/stats.parquet')")" \
	'"id:0:2:0 z:-0.0:2.0:0 n:-3.0:0.0:0 nan:-:-:0 s:a:c:0 b:false:false:1"'
expect_eq "statistics used for filtering" \
	"$(duck1 "SELECT count(*) FROM '$OUT/all.parquet' WHERE i64 > 9223372036854775806")" \
	"$(grep -c '"i64":"9223372036854775807"' "$OUT/all.jsonl")"

# A third reader: mlprobe's own, DuckDB and hyparquet agree on every value
# of every generated file (the compacted one, rewritten without its dead
# footers and with its row groups merged, included).
for name in all plain fallback stats compacted; do
	"$MLPROBE" show "$OUT/$name.parquet" --format jsonl --limit 0 >"$TMP/$name.mine" 2>"$TMP/err"
	if out=$(node "$ROOT/tests/duckdb/readers.mjs" "$TMP/$name.mine" "$OUT/$name.parquet"); then
		ok "$name.parquet: $out"
	else
		not_ok "$name.parquet: three readers: $out $(head -c 200 "$TMP/err")"
	fi
done

# Every table of a recording, alerts included, through the three readers.
"$MLPROBE" record -q -o "$TMP/rec" --alert 'nan(loss)' --alert 'loss > 50' \
	-- "$PROGS/trainer" 100 500 nan 60 >/dev/null 2>&1
"$MLPROBE" record -q -o "$TMP/rec2" -- "$PROGS/ctrlnames" 20 100 >/dev/null 2>&1
check_readers3 "$TMP/rec" metrics spans alerts
check_readers3 "$TMP/rec2" metrics spans logs

# Files DuckDB writes: SNAPPY (its default codec) reads; a codec we do not
# read (ZSTD) is one line, said before anything is printed.
duck "COPY (SELECT i::BIGINT id, 'v' || (i % 7) s, (i * 0.5)::DOUBLE d FROM range(5000) t(i)) TO '$TMP/snappy.parquet' (FORMAT parquet)" >/dev/null
duck "COPY (SELECT i::BIGINT id FROM range(10) t(i)) TO '$TMP/zstd.parquet' (FORMAT parquet, CODEC 'zstd')" >/dev/null
expect_eq "DuckDB's default codec is SNAPPY" \
	"$(duck1 "SELECT DISTINCT compression FROM parquet_metadata('$TMP/snappy.parquet')")" '"SNAPPY"'
"$MLPROBE" show "$TMP/snappy.parquet" --format jsonl --limit 0 >"$TMP/snappy.mine" 2>"$TMP/err"
if out=$(node "$ROOT/tests/duckdb/readers.mjs" "$TMP/snappy.mine" "$TMP/snappy.parquet"); then
	ok "SNAPPY: $out"
else
	not_ok "SNAPPY: $out $(head -c 200 "$TMP/err")"
fi
expect_fail "ZSTD: one line" "unsupported codec ZSTD in column id" \
	"$MLPROBE" show "$TMP/zstd.parquet"
expect_eq "  ... and nothing printed before it" "$(wc -c <"$TMP/out")" 0

done_testing
