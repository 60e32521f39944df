#!/usr/bin/env bash
# Hostile input from the trainer: 100,000 distinct names, each longer than
# the limit; steps that go backwards and hit INT64_MIN/MAX; a name and a
# message on an unmapped page; NaN payloads, -0.0, a denormal.  Each is
# recorded or counted, nothing crashes, and under a 4K ring with 2 threads
# written + dropped == emitted holds exactly.
. "$(dirname "$0")/lib.sh"

jq_() { node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(eval("j."+process.argv[2]))' "$1" "$2"; }

out=$TMP/h
# The burst (100,000 names of ~170 bytes and their metrics) is more than
# the default 16 MiB ring holds: a 64 MiB ring keeps it whole however late
# a busy machine lets the consumer drain (drops are tested below).
"$MLPROBE" record -q -r 64M -o "$out" -- "$PROGS/hostile" 50000 2 >"$TMP/h.out" 2>"$TMP/h.err"
expect_eq "hostile: record exits 0 (books balance)" "$?" 0
M="'$out/metrics-*.parquet'"
emitted=$(sed -n 's/^emitted //p' "$TMP/h.out")
expect_eq "hostile: every metric event is a row" "$(duck1 "SELECT count(*) FROM $M")" "$emitted"
expect_eq "hostile: 100,000 distinct names, all kept apart" \
	"$(duck1 "SELECT count(DISTINCT name) FROM $M WHERE name LIKE 'n0%'")" 100000
expect_eq "hostile: each long name cut at 127 bytes and marked" \
	"$(duck1 "SELECT count(*) FROM $M WHERE name LIKE 'n0%' AND length(name) = 128 AND name LIKE '%…'")" 100000
expect_eq "hostile: every row carries its own name" \
	"$(duck1 "SELECT count(*) FROM $M WHERE name LIKE 'n0%' AND substr(name, 2, 7)::BIGINT <> step")" 0
expect_eq "hostile: cut names counted" "$(jq_ "$out/run.json" events.name.truncated)" 100000
expect_eq "hostile: steps backwards, repeated, INT64 extremes, as given" \
	"$(duck1 "SELECT string_agg(step::VARCHAR, ' ' ORDER BY ts) FROM $M WHERE name = 'back'")" \
	'"10 5 5 -3 -9223372036854775808 9223372036854775807 0"'
expect_eq "hostile: ... in spans" \
	"$(duck1 "SELECT string_agg(step::VARCHAR, ' ' ORDER BY ts) FROM '$out/spans-*.parquet' WHERE name <> 'mlprobe.step'")" \
	'"10 5 5 -3 -9223372036854775808 9223372036854775807 0"'
expect_eq "hostile: ... and logs" \
	"$(duck1 "SELECT string_agg(step::VARCHAR, ' ' ORDER BY ts) FROM '$out/logs-*.parquet' WHERE level = 'info'")" \
	'"10 5 5 -3 -9223372036854775808 9223372036854775807 0"'
expect_eq "hostile: a name on an unmapped page recorded as <unreadable>" \
	"$(duck1 "SELECT name FROM $M WHERE step = 100 AND name NOT LIKE 'n0%'")" '"<unreadable>"'
expect_eq "hostile: a message on an unmapped page recorded empty" \
	"$(duck1 "SELECT message FROM '$out/logs-*.parquet' WHERE level = 'error'")" '""'
expect_eq "hostile: unreadable strings counted" \
	"$(( $(jq_ "$out/run.json" events.metric.unreadable) + $(jq_ "$out/run.json" events.log.unreadable) ))" 2
expect_eq "hostile: NaN payloads, -0.0, a denormal" \
	"$(duck1 "SELECT string_agg(value::VARCHAR, ' ' ORDER BY step) FROM $M WHERE step BETWEEN 101 AND 104 AND name NOT LIKE 'n0%'")" \
	'"nan -nan -0.0 5e-324"'
expect_eq "hostile: NaN payload bits kept (our reader)" \
	"$("$MLPROBE" show "$out" --table metrics --format csv --limit 0 | grep -c ',nan\.payload,')" 2

# 2 threads against a deliberately tiny ring: drops, counted exactly.
out=$TMP/h4k
"$MLPROBE" record -o "$out" --ring-size 4K -- "$PROGS/hostile" 100000 2 >"$TMP/h4k.out" 2>"$TMP/h4k.err"
expect_eq "4K ring, 2 threads: record exits 0 (books balance)" "$?" 0
emitted=$(sed -n 's/^emitted //p' "$TMP/h4k.out")
rows=$(duck1 "SELECT count(*) FROM '$out/metrics-*.parquet'")
dropped=$(jq_ "$out/run.json" tables.metrics.lost_kernel)
check "4K ring, 2 threads: the ring really overflowed ($dropped dropped)" test "${dropped:-0}" -gt 0
expect_eq "4K ring, 2 threads: written + dropped == emitted ($rows + $dropped)" "$((rows + dropped))" "$emitted"
expect_eq "4K ring, 2 threads: every surviving row has its own name" \
	"$(duck1 "SELECT count(*) FROM '$out/metrics-*.parquet' WHERE name LIKE 'n0%' AND substr(name, 2, 7)::BIGINT <> step")" 0
expect_eq "4K ring, 2 threads: run.json gives each drop its reason" \
	"$(( $(jq_ "$out/run.json" tables.metrics.dropped_ring_full) + $(jq_ "$out/run.json" tables.metrics.dropped_name) ))" "$dropped"
check "4K ring, 2 threads: the summary gives the reasons" \
	grep -q "metric: dropped [0-9]* ring full, [0-9]* name not sent, 0 held by the trainer, 0 disk" "$TMP/h4k.err"
done_testing
