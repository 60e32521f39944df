#!/usr/bin/env bash
# Alerts: a NaN at a known step fires exactly one alert naming that step, on
# stderr, in DIR/alerts-0000.parquet (read by DuckDB) and through
# --on-alert (the fields in the environment, the arguments split without a
# shell); a stall fires after its timeout; "for N steps" counts steps; a
# flapping rule is rate-limited; drops fire; a broken rule, a missing
# command and a bad rule file are each refused before anything attaches.
. "$(dirname "$0")/lib.sh"

T=$PROGS/trainer
cat >"$TMP/hook.sh" <<'EOF'
#!/bin/sh
# $1: a path prefix (with a space in it: one argument, no shell split it)
{ date +%s%N; env | grep '^MLPROBE_ALERT_' | sort; } >"$1.$$.tmp"
mv "$1.$$.tmp" "$1.$$"
EOF
chmod +x "$TMP/hook.sh"
host=$(hostname)

# --- NaN at step 42 ---
"$MLPROBE" record -o "$TMP/nan" --alert 'nan(loss)' \
	--on-alert "$TMP/hook.sh '$TMP/hook out'" -- "$T" 100 3000 nan 42 \
	>"$TMP/nan.out" 2>"$TMP/nan.err"
expect_eq "record with an alert exits 0" "$?" 0
tpid=$(awk '/^pid/ { print $2 }' "$TMP/nan.out")
expect_eq "exactly one ALERT line on stderr" "$(grep -c 'ALERT' "$TMP/nan.err")" 1
check "the line names the rule, the metric and step 42" \
	grep -q "ALERT \[nan(loss)\] loss = nan at step 42 (pid $tpid)" "$TMP/nan.err"
check "the summary counts it" grep -q 'alerts: 1 fired, in alerts-0000.parquet' "$TMP/nan.err"
check "the summary lists the alerts file with its row" \
	grep -Eq '^  alerts-0000.parquet +1 rows +[0-9]+ bytes$' "$TMP/nan.err"
expect_eq "the summary's files line counts every file listed, bytes too" \
	"$(awk '/ rows +[0-9]+ bytes$/ { n++; b += $(NF-1) } END { print n " files, " b " bytes" }' "$TMP/nan.err")" \
	"$(sed -n 's/^  \([0-9]* files, [0-9]* bytes\)$/\1/p' "$TMP/nan.err")"
A="'$TMP/nan/alerts-*.parquet'"
expect_eq "DuckDB: one row in alerts-0000.parquet" "$(duck1 "SELECT count(*) FROM $A")" 1
expect_eq "DuckDB: rule, kind, name, step, NaN value, pid, host" \
	"$(duck1 "SELECT concat_ws('|', rule, kind, name, step, isnan(value), pid, host) FROM $A")" \
	"\"nan(loss)|nan|loss|42|true|$tpid|$host\""
expect_eq "DuckDB: the alert's ts is the NaN row's ts" \
	"$(duck1 "SELECT count(*) FROM $A a JOIN '$TMP/nan/metrics-*.parquet' m ON a.ts = m.ts AND m.step = 42 AND m.name = 'loss' AND isnan(m.value)")" 1
expect_eq "run.json lists the alerts file with its row" \
	"$(jsq "$TMP/nan/run.json" 'd.files.filter(f => f.file === "alerts-0000.parquet").map(f => f.rows).join()')" 1
expect_eq "run.json counts the firing" "$(jsq "$TMP/nan/run.json" 'd.alerts.fired + "/" + d.alerts.written')" 1/1
# recover knows alerts files: a torn footer is rebuilt from the schema
cp "$TMP/nan/alerts-0000.parquet" "$TMP/alerts.bak"
truncate -s -12 "$TMP/nan/alerts-0000.parquet"
"$MLPROBE" recover "$TMP/nan" >"$TMP/rec.out" 2>&1
expect_eq "recover of a torn alerts file exits 0" "$?" 0
check "recover rebuilt alerts-0000.parquet" grep -Eq 'alerts-0000.parquet +rebuilt +1 ' "$TMP/rec.out"
expect_eq "DuckDB reads the recovered alerts file: the row is back" \
	"$(duck1 "SELECT concat_ws('|', rule, step) FROM $A")" '"nan(loss)|42"'
# ... in a partitioned recording too: recover DIR descends into its
# run=/host= folder (run.json, alerts) and rank= folders (the tables)
"$MLPROBE" record -q -o "$TMP/part" --partition --alert 'nan(loss)' -- "$T" 50 0 nan 7 \
	>/dev/null 2>"$TMP/part.err"
expect_eq "record --partition --alert exits 0" "$?" 0
PH=$(ls -d "$TMP"/part/run=*/host=* | head -1)
truncate -s -12 "$PH/alerts-0000.parquet" "$PH/rank=-1/metrics-0000.parquet"
"$MLPROBE" recover "$TMP/part" >"$TMP/prec.out" 2>"$TMP/prec.err"
expect_eq "recover of a partitioned recording exits 0" "$?" 0
check "recover names the host= folder, then rebuilds its alerts file" \
	sh -c "grep -A1 -E '^  run=[^/]*/host=[^/]*/\$' '$TMP/prec.out' | grep -Eq 'alerts-0000.parquet +rebuilt +1 '"
check "... and the rank=-1 folder's metrics file" \
	grep -Eq 'metrics-0000.parquet +rebuilt +100 ' "$TMP/prec.out"
check "recover counts both" grep -q '3 files: 1 intact, 2 repaired' "$TMP/prec.err"
expect_eq "DuckDB reads them (hive partitions): the alert and 100 rows" \
	"$(duck1 "SELECT (SELECT step FROM '$PH/alerts-*.parquet') || '|' || (SELECT count(*) FROM read_parquet('$TMP/part/**/metrics-*.parquet', hive_partitioning = true))")" '"7|100"'
for i in $(seq 50); do ls "$TMP"/hook\ out.* >/dev/null 2>&1 && break; sleep 0.1; done
hooks=$(ls "$TMP"/hook\ out.[0-9]* 2>/dev/null | wc -l)
expect_eq "--on-alert ran once, with its argument (a space in it) intact" "$hooks" 1
H=$(ls "$TMP"/hook\ out.[0-9]* 2>/dev/null | head -1)
for kv in "RULE=nan(loss)" KIND=nan NAME=loss STEP=42 VALUE=nan "PID=$tpid" \
	  RANK=-1 "HOST=$host" "DIR=$TMP/nan" "MESSAGE=loss = nan at step 42 (pid $tpid)"; do
	check "--on-alert got MLPROBE_ALERT_$kv" grep -qx "MLPROBE_ALERT_$kv" "$H"
done
# The alert's latency: from the NaN row (its ts) to the hook's first line.
hook_ns=$(head -1 "$H")
row_ns=$(sed -n 's/^MLPROBE_ALERT_TIME_NS=//p' "$H")
lat_ms=$(( (hook_ns - row_ns) / 1000000 ))
echo "# alert latency, NaN emitted to --on-alert running: ${lat_ms} ms"
# Tolerance: the rule fires when the row is decoded (a drain every 100 ms
# at most) and the hook is a fork and exec (~65 ms here); 2 s leaves a busy
# machine room, and a hook run only at the end of the run (10 s) fails.
check "the hook ran within 2 s of the NaN (${lat_ms} ms)" test "$lat_ms" -ge 0 -a "$lat_ms" -lt 2000
check "the trainer ran to the end" grep -q '^done' "$TMP/nan.out"

# --force replaces a recording that has alerts files
"$MLPROBE" record -q -f -o "$TMP/nan" --alert 'nan(loss)' -- "$T" 50 0 nan 7 >/dev/null 2>"$TMP/f.err"
expect_eq "record -f over a recording with alerts exits 0" "$?" 0
expect_eq "... and the new alerts file has the new step" "$(duck1 "SELECT step FROM $A")" 7

# --upload-cmd sends the alerts files with the rest
mkdir -p "$TMP/dest"
"$MLPROBE" record -q -o "$TMP/up" --alert 'nan(loss)' --upload-cmd "cp {} '$TMP/dest/'" \
	-- "$T" 50 0 nan 9 >/dev/null 2>"$TMP/up.err"
expect_eq "record --alert --upload-cmd exits 0" "$?" 0
check "the alerts file is uploaded, identical" cmp "$TMP/up/alerts-0000.parquet" "$TMP/dest/alerts-0000.parquet"

# --- stall: no step for 4 s after step 19; rule 'stall 2s' ---
"$MLPROBE" record -o "$TMP/st" --alert 'stall 2s' -- "$T" 40 5000 stall 20 4 \
	>"$TMP/st.out" 2>"$TMP/st.err"
expect_eq "stall: record exits 0" "$?" 0
expect_eq "stall: exactly one stall alert" "$(grep -c 'ALERT \[stall 2s\]' "$TMP/st.err")" 1
check "stall: it names the last step (19)" grep -q 'no step progress for 2\.[0-9] s (last step 19)' "$TMP/st.err"
S="'$TMP/st/alerts-*.parquet'"
gap=$(duck1 "SELECT round((epoch_ns(a.ts) - max(epoch_ns(m.ts))) / 1e9, 1) FROM $S a, '$TMP/st/metrics-*.parquet' m WHERE m.step = 19 GROUP BY a.ts")
echo "# stall alert fired ${gap} s after the last step"
# Never before the 2 s of the rule; after it, within a tick (100 ms) of the
# consumer, plus 1.4 s for a busy machine to schedule it (the trainer
# stalls 4 s: a stall noticed later is not noticed at all).
check "stall: fired 2 to 3.5 s after the last step (${gap} s)" \
	node -e 'const g = +process.argv[1]; process.exit(g >= 2 && g <= 3.5 ? 0 : 1)' "$gap"
expect_eq "stall: DuckDB row (kind, step, no pid)" \
	"$(duck1 "SELECT concat_ws('|', kind, step, pid IS NULL, value >= 2) FROM $S")" '"stall|19|true|true"'

# --- thresholds: for N steps, edge-triggered ---
"$MLPROBE" record -o "$TMP/th" --alert 'grad_norm > 100 for 3 steps' \
	--alert 'loss > 5' --alert 'loss > 5000' -- "$T" 100 1000 grad 70 5 \
	>/dev/null 2>"$TMP/th.err"
expect_eq "threshold: record exits 0" "$?" 0
check "for 3 steps: fires at the third step of the run (72)" \
	grep -q 'ALERT \[grad_norm > 100 for 3 steps\] grad_norm = 500 at step 72, 3 steps in a row' "$TMP/th.err"
expect_eq "loss > 5 holds for 199 steps but fires once (edge)" \
	"$(grep -c 'ALERT \[loss > 5\]' "$TMP/th.err")" 1
expect_eq "loss > 5000 never holds: no firing" "$(grep -c 'ALERT \[loss > 5000\]' "$TMP/th.err")" 0
expect_eq "DuckDB: two alert rows" "$(duck1 "SELECT count(*) FROM '$TMP/th/alerts-*.parquet'")" 2

# --- a flapping rule: every firing in the file, stderr and the hook limited ---
"$MLPROBE" record -o "$TMP/fl" --alert 'grad_norm > 100' \
	--on-alert "$TMP/hook.sh $TMP/flap" -- "$T" 100 1000 flap >/dev/null 2>"$TMP/fl.err"
expect_eq "flap: record exits 0" "$?" 0
expect_eq "flap: 50 firings in the alerts file" \
	"$(duck1 "SELECT count(*) FROM '$TMP/fl/alerts-*.parquet'")" 50
expect_eq "flap: 5 ALERT lines on stderr, then a count of the rest" \
	"$(grep -c 'ALERT \[grad_norm > 100\] grad_norm = 500' "$TMP/fl.err")" 5
check "flap: '45 more firings not shown'" grep -q '45 more firings not shown' "$TMP/fl.err"
check "flap: --on-alert ran once, 49 skipped" grep -q -- '--on-alert: 1 started, 49 skipped' "$TMP/fl.err"

# --- drops: a 4K ring against 2 threads ---
"$MLPROBE" record -o "$TMP/dr" --ring-size 4K --alert drops -- "$PROGS/threads" 2 200000 \
	>/dev/null 2>"$TMP/dr.err"
expect_eq "drops: record exits 0" "$?" 0
check "drops: an alert with the count" grep -Eq 'ALERT \[drops\] [0-9]+ records lost so far' "$TMP/dr.err"

# --- bad input: one message line (the rule and a caret follow), nothing attached ---
"$MLPROBE" record -o "$TMP/bad1" --alert 'loss >> 5' -- "$T" 5 0 >/dev/null 2>"$TMP/b1.err"
expect_eq "broken rule: exit 2" "$?" 2
expect_eq "broken rule: the message line" "$(head -1 "$TMP/b1.err")" \
	"mlprobe: --alert: bad alert rule at column 7: expected a number"
expect_eq "broken rule: the rule, then a caret under column 7" \
	"$(sed -n 2,3p "$TMP/b1.err" | tr ' ' '.')" "$(printf '..loss.>>.5\n........^')"
expect_eq "broken rule: three lines in all" "$(wc -l <"$TMP/b1.err")" 3
check "broken rule: no recording left behind" test ! -e "$TMP/bad1"
printf '# rules\nloss > 5\n\nstall 60 s\n' >"$TMP/rules.txt"
"$MLPROBE" record -o "$TMP/bad2" --alert-file "$TMP/rules.txt" -- "$T" 5 0 >/dev/null 2>"$TMP/b2.err"
expect_eq "bad rule file: exit 2" "$?" 2
expect_eq "bad rule file: file, line and column" "$(head -1 "$TMP/b2.err")" \
	"mlprobe: $TMP/rules.txt:4: bad alert rule at column 9: expected a unit after the duration (ms, s, m or h)"
expect_fail "--on-alert with a command that does not exist: one line" \
	'--on-alert: no-such-hook-xyz: command not found' \
	"$MLPROBE" record -o "$TMP/bad3" --alert drops --on-alert 'no-such-hook-xyz --x' -- "$T" 5 0
expect_fail "--on-alert without a rule: one line" '--on-alert needs a rule' \
	"$MLPROBE" record -o "$TMP/bad4" --on-alert true -- "$T" 5 0
expect_fail "--alert-file that does not exist: one line" 'No such file' \
	"$MLPROBE" record -o "$TMP/bad5" --alert-file "$TMP/nope" -- "$T" 5 0
check "no recording for any of them" test ! -e "$TMP/bad2" -a ! -e "$TMP/bad3" -a ! -e "$TMP/bad5"

# --- the hook gets stdin (/dev/null), stdout and stderr, no other fd ---
"$MLPROBE" record -q -o "$TMP/fds" --alert 'nan(loss)' \
	--on-alert "sh -c 'exec ls -l /proc/self/fd/ >$TMP/hook.fds'" -- "$T" 20 0 nan 5 \
	>/dev/null 2>"$TMP/fds.err"
expect_eq "fds: record exits 0" "$?" 0
for i in $(seq 50); do grep -q ' 0 -> ' "$TMP/hook.fds" 2>/dev/null && break; sleep 0.1; done
check "fds: the hook listed its descriptors" grep -q ' 0 -> /dev/null$' "$TMP/hook.fds"
expect_eq "fds: no descriptor of mlprobe's leaks into --on-alert" \
	"$(leaked_fds "$TMP/hook.fds" | tr '\n' ' ')" ""

done_testing
