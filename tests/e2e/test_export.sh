#!/usr/bin/env bash
# mlprobe export: the Chrome trace of a real recording (two threads with
# nested spans, metrics, logs) parses, holds every row once, in time order
# per thread; csv and jsonl hold every row; bad input gets one line.
. "$(dirname "$0")/lib.sh"

run=$TMP/run
"$MLPROBE" record -q -o "$run" -- "$PROGS/phases" -t 2 100 >/dev/null 2>"$TMP/rec.err"
expect_eq "record phases -t 2 exits 0" "$?" 0
"$MLPROBE" record -q -o "$TMP/train" -- "$ROOT/build/examples/train" --quiet --steps 300 >/dev/null 2>&1
expect_eq "record the example trainer exits 0" "$?" 0

"$MLPROBE" export --format chrome-trace "$run" >"$TMP/trace.json" 2>"$TMP/err"
expect_eq "export --format chrome-trace exits 0" "$?" 0
check "no messages on stderr" test ! -s "$TMP/err"
node "$ROOT/tests/e2e/trace_check.mjs" "$TMP/trace.json" >"$TMP/sum.json"
expect_eq "the trace is valid JSON in the Trace Event Format" "$?" 0
S="'$run/spans-*.parquet'"
expect_eq "one X event per span" "$(jsq "$TMP/sum.json" d.X)" "$(duck1 "SELECT count(*) FROM $S")"
expect_eq "one C event per metric" "$(jsq "$TMP/sum.json" d.C)" "$(duck1 "SELECT count(*) FROM '$run/metrics-*.parquet'")"
expect_eq "three threads, each named once, one process" "$(jsq "$TMP/sum.json" 'd.threads + "/" + d.M')" "3/4"
expect_eq "begin times ordered per thread" "$(jsq "$TMP/sum.json" d.unordered)" 0
expect_eq "spans of a thread nest (no partial overlap)" "$(jsq "$TMP/sum.json" d.overlaps)" 0
expect_eq "every event has its fields, after its thread's name" "$(jsq "$TMP/sum.json" d.badFields)" 0
expect_eq "durations exact to the ns (sum equals DuckDB's)" \
	"$(jsq "$TMP/sum.json" d.durSum)" "$(duck1 "SELECT sum(duration_ns)::VARCHAR FROM $S" | tr -d '"')"
expect_eq "time zero is the first event, in UTC" "$(jsq "$TMP/sum.json" d.start | cut -c1-23)" \
	"$(duck1 "SELECT strftime(min(ts) AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%g') FROM (SELECT ts FROM $S UNION ALL SELECT ts FROM '$run/metrics-*.parquet')" | tr -d '"')"
expect_eq "every span has cpu_ns, runq_ns, io_ns and wait_ns as args" \
	"$(jsq "$TMP/sum.json" d.timeArgs)" "$(jsq "$TMP/sum.json" d.X)"
expect_eq "  ... and they add up to its duration" "$(jsq "$TMP/sum.json" d.timeBad)" 0
expect_eq "  ... each as the spans table says (DuckDB's sums)" \
	"$(jsq "$TMP/sum.json" '["cpu_ns", "runq_ns", "io_ns", "wait_ns"].map(p => d.partSum[p]).join(" ")')" \
	"$(duck1 "SELECT sum(cpu_ns) || ' ' || sum(runq_ns) || ' ' || sum(io_ns) || ' ' || sum(wait_ns) FROM $S" | tr -d '"')"
expect_eq "  ... and the page faults (minflt, majflt)" \
	"$(jsq "$TMP/trace.json" 'd.traceEvents.filter(e => e.ph === "X").reduce((a, e) => a + e.args.minflt + e.args.majflt, 0)')" \
	"$(duck1 "SELECT sum(minflt + majflt) FROM $S")"
expect_eq "nested decode spans carry depth 1 and a step" \
	"$(jsq "$TMP/trace.json" 'd.traceEvents.filter(e => e.name === "decode" && (e.args.depth !== 1 || typeof e.args.step !== "number")).length')" 0

# The checker itself catches disorder: swap two events of one thread.
node -e 'const fs = require("fs"); const d = JSON.parse(fs.readFileSync(process.argv[1]));
	const x = d.traceEvents.findIndex(e => e.ph === "X");
	const y = d.traceEvents.findIndex((e, i) => i > x && e.ph === "X" && e.tid === d.traceEvents[x].tid && e.ts > d.traceEvents[x].ts);
	[d.traceEvents[x], d.traceEvents[y]] = [d.traceEvents[y], d.traceEvents[x]];
	fs.writeFileSync(process.argv[2], JSON.stringify(d))' "$TMP/trace.json" "$TMP/bad.json"
expect_eq "the checker sees a swapped pair" "$(node "$ROOT/tests/e2e/trace_check.mjs" "$TMP/bad.json" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).unordered > 0)')" true

"$MLPROBE" export "$TMP/train" >"$TMP/train.json"
expect_eq "the trainer's trace (the default format) exits 0" "$?" 0
node "$ROOT/tests/e2e/trace_check.mjs" "$TMP/train.json" >"$TMP/tsum.json"
expect_eq "trainer: spans, metrics and logs all there" "$(jsq "$TMP/tsum.json" 'd.X + "/" + d.C + "/" + d.i')" \
	"$(duck1 "SELECT (SELECT count(*) FROM '$TMP/train/spans-*.parquet') || '/' || (SELECT count(*) FROM '$TMP/train/metrics-*.parquet') || '/' || (SELECT count(*) FROM '$TMP/train/logs-*.parquet')" | tr -d '"')"
expect_eq "trainer: ordered and nested" "$(jsq "$TMP/tsum.json" 'd.unordered + d.overlaps + d.badFields')" 0
expect_eq "trainer: the step span comes before the data span it encloses" \
	"$(jsq "$TMP/train.json" 'const x = d.traceEvents.filter(e => e.ph === "X" && e.name !== "mlprobe.step"); x[0].name + ">" + x[1].name')" "step>data"

# csv and jsonl: every row.
"$MLPROBE" export --format csv --table spans "$run" >"$TMP/spans.csv"
expect_eq "csv: a header and one line per span" "$(($(wc -l <"$TMP/spans.csv") - 1))" "$(duck1 "SELECT count(*) FROM $S")"
expect_eq "csv: the header has the span columns" "$(head -1 "$TMP/spans.csv" | cut -d, -f1-7)" "ts,pid,tid,duration_ns,name,step,depth"
expect_eq "csv: DuckDB reads it back with the same durations" \
	"$(duck1 "SELECT sum(duration_ns) FROM read_csv('$TMP/spans.csv')")" "$(duck1 "SELECT sum(duration_ns) FROM $S")"
"$MLPROBE" export --format jsonl "$TMP/train" >"$TMP/all.jsonl"
expect_eq "jsonl: every row of every table, tagged" \
	"$(grep -c '^{"table":"metrics"' "$TMP/all.jsonl")/$(grep -c '^{"table":"spans"' "$TMP/all.jsonl")/$(grep -c '^{"table":"logs"' "$TMP/all.jsonl")" \
	"$(jsq "$TMP/tsum.json" 'd.C + "/" + d.X + "/" + d.i')"
"$MLPROBE" export --format jsonl --table logs "$TMP/train" >"$TMP/logs.jsonl"
expect_eq "jsonl --table logs: logs only, untagged" "$(grep -c '"table"' "$TMP/logs.jsonl")/$(wc -l <"$TMP/logs.jsonl")" \
	"0/$(jsq "$TMP/tsum.json" d.i)"
"$MLPROBE" export --format csv "$run/metrics-0000.parquet" >"$TMP/m.csv"
expect_eq "csv of one Parquet file" "$(($(wc -l <"$TMP/m.csv") - 1))" 100

# Bad input: one line, non-zero, no crash.
mkdir "$TMP/empty"
expect_fail "an empty directory" "$TMP/empty: no metrics, spans or logs Parquet files here" \
	"$MLPROBE" export "$TMP/empty"
expect_fail "csv of a directory needs --table" "csv holds one table" \
	"$MLPROBE" export --format csv "$run"
expect_fail "a trace takes no --table" "--table is for csv and jsonl" \
	"$MLPROBE" export --table spans "$run"
expect_fail "an unknown format" "unknown format 'perfetto'" \
	"$MLPROBE" export --format perfetto "$run"
cp -r "$run" "$TMP/corrupt"
f=$TMP/corrupt/spans-0000.parquet
printf 'garbage!' | dd of="$f" bs=1 seek=300 conv=notrunc 2>/dev/null
expect_fail "a corrupt Parquet file (trace)" "$f: " "$MLPROBE" export "$TMP/corrupt"
expect_fail "a corrupt Parquet file (csv)" "$f: " "$MLPROBE" export --format csv --table spans "$TMP/corrupt"
expect_fail "not Parquet" "not a Parquet file" "$MLPROBE" export "$run/run.json"
expect_fail "no such run" "No such file or directory" "$MLPROBE" export "$TMP/nope"
done_testing
