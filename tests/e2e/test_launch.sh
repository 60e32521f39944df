#!/usr/bin/env bash
# Launch mode: record -- CMD sees the first event of main, every event after
# it, and DuckDB reads the files back value by value.
. "$(dirname "$0")/lib.sh"

out=$TMP/first
"$MLPROBE" record -q -o "$out" -- "$PROGS/first_event" 2>"$TMP/err"
expect_eq "record -- first_event exits 0" "$?" 0
expect_eq "first event of main recorded" \
	"$(duck1 "SELECT value FROM '$out/metrics-*.parquet' WHERE name='first'")" 42
expect_eq "every metric of first_event recorded" \
	"$(duck1 "SELECT count(*) FROM '$out/metrics-*.parquet'")" 11
expect_eq "values exact" \
	"$(duck1 "SELECT sum(CASE WHEN value = step * 0.25 THEN 1 ELSE 0 END) FROM '$out/metrics-*.parquet' WHERE name='after'")" 10
expect_eq "log recorded" \
	"$(duck1 "SELECT message || '/' || level FROM '$out/logs-*.parquet'")" '"first log/info"'

out=$TMP/counter
"$MLPROBE" record -q -o "$out" -- "$PROGS/counter" 3000 >"$TMP/counter.out" 2>"$TMP/err"
expect_eq "record -- counter exits 0" "$?" 0
M="'$out/metrics-*.parquet'"
expect_eq "3000 metrics" "$(duck1 "SELECT count(*) FROM $M")" 3000
expect_eq "steps 0..2999 each once" \
	"$(duck1 "SELECT count(DISTINCT step) = 3000 AND min(step) = 0 AND max(step) = 2999 FROM $M")" true
expect_eq "metric values exact (i * 0.5)" \
	"$(duck1 "SELECT count(*) FROM $M WHERE value <> step * 0.5")" 0
expect_eq "metric pid is the command's" \
	"$(duck1 "SELECT DISTINCT pid FROM $M")" "$(sed -n 's/^pid //p' "$TMP/counter.out")"
expect_eq "timestamps are UTC now (within 10 min)" \
	"$(duck1 "SELECT count(*) FROM $M WHERE abs(epoch_ns(ts) - epoch_ns(now()::TIMESTAMP)) > 600e9")" 0
expect_eq "timestamps ordered per thread" \
	"$(duck1 "SELECT count(*) FROM (SELECT ts, lag(ts) OVER (ORDER BY step) p FROM $M) WHERE ts < p")" 0
S="'$out/spans-*.parquet'"
expect_eq "3000 spans named step, depth 0" \
	"$(duck1 "SELECT count(*) FROM $S WHERE name = 'step' AND depth = 0")" 3000
expect_eq "span steps match MLPROBE_STEP" \
	"$(duck1 "SELECT count(DISTINCT step) = 3000 AND min(step) = 0 FROM $S")" true
expect_eq "span durations positive and small" \
	"$(duck1 "SELECT count(*) FROM $S WHERE duration_ns <= 0 OR duration_ns > 1e9")" 0
expect_eq "30 logs carry their step" \
	"$(duck1 "SELECT count(*) FROM '$out/logs-*.parquet' WHERE step % 100 = 0 AND message = 'hundred'")" 30
check "run.json says accounting ok" grep -q '"accounting_ok": true' "$out/run.json"
check "run.json names the command" grep -q "\"$PROGS/counter\", \"3000\"" "$out/run.json"
check "created_by is set" test "$(duck1 "SELECT DISTINCT created_by FROM parquet_file_metadata($M)")" = \
	"\"$("$MLPROBE" --version)\""

# rotation: small files, frequent flushes; every file valid, no row lost
rout=$TMP/rot
"$MLPROBE" record -q -o "$rout" --file-size 8K --flush-interval 0.02 -- "$PROGS/counter" 20000 5 >/dev/null 2>&1
expect_eq "record with rotation exits 0" "$?" 0
nf=$(ls "$rout"/metrics-*.parquet | wc -l)
check "rotation made several metrics files ($nf)" test "$nf" -gt 2
expect_eq "rotated files hold every row exactly once" \
	"$(duck1 "SELECT count(*) = 20000 AND count(DISTINCT step) = 20000 FROM '$rout/metrics-*.parquet'")" true
expect_eq "run.json lists every file" \
	"$(grep -c '"file": "metrics-' "$rout/run.json")" "$nf"

# show, in its three formats
"$MLPROBE" show "$out" >"$TMP/show.txt" 2>&1
expect_eq "show exits 0" "$?" 0
check "show prints the three tables" grep -q '== logs ==' "$TMP/show.txt"
check "show fits 80 columns" test "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$TMP/show.txt")" -le 80
"$MLPROBE" show "$out" --table metrics --format csv >"$TMP/m.csv"
expect_eq "show csv: header + every row" "$(wc -l <"$TMP/m.csv")" 3001
expect_eq "show csv header" "$(head -1 "$TMP/m.csv")" "ts,pid,tid,step,name,value,ppid,rank,local_rank,world_size,host,run"
"$MLPROBE" show "$out" --table spans --format jsonl >"$TMP/s.jsonl"
expect_eq "show jsonl parses, every row" \
	"$(node -e 'const l=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n");let n=0;for(const x of l){if(JSON.parse(x).name==="step")n++}console.log(n)' "$TMP/s.jsonl")" 3000
done_testing
