#!/usr/bin/env bash
# mlprobe compare on real recordings of tests/progs/phases: a phase made 20%
# slower is flagged with the steps that hold it, and fails --fail-on 5%; two
# runs of the same binary never flag a regression at the defaults; bad input
# gets one line.
. "$(dirname "$0")/lib.sh"

rec() { # DIR ARGS...: record phases
	local dir=$1; shift
	"$MLPROBE" record -q -o "$dir" -- "$PROGS/phases" "$@" >/dev/null 2>"$TMP/rec.err" ||
		not_ok "record phases $* (see $(cat "$TMP/rec.err"))"
}

rec "$TMP/base" 200
rec "$TMP/slow" 200 data 20

# The regression: the data span, and the steps that hold it (data's +0.6 ms
# is about +10% of a 6.1 ms step; at +10% data, the step's +5% sat on the
# 5% line and was flagged on one machine and not on another), exit 1 with
# --fail-on 5%.
"$MLPROBE" compare --fail-on 5% -f json "$TMP/base" "$TMP/slow" >"$TMP/c.json" 2>"$TMP/c.err"
expect_eq "compare --fail-on 5% exits 1 on a 20% slower phase" "$?" 1
expect_eq "exactly data and its step flagged slower" \
	"$(jsq "$TMP/c.json" 'd.rows.filter(r => r.verdict === "slower").map(r => r.name).sort().join(",")')" data,mlprobe.step
expect_eq "no other row flagged either way" \
	"$(jsq "$TMP/c.json" 'd.rows.filter(r => r.verdict === "faster" || r.fails && r.name !== "data" && r.name !== "mlprobe.step").length')" 0
expect_eq "only data and its step fail" \
	"$(jsq "$TMP/c.json" 'd.rows.filter(r => r.fails).map(r => r.name).sort().join(",")')" data,mlprobe.step
# The sleep itself is 20% longer; its own time (wall less runnable) keeps
# the timer's slack (~60 us both sides) but not a busy neighbour's share.
expect_eq "the change of data is about +20% (sleep 3 ms -> 3.6 ms plus wakeup latency)" \
	"$(jsq "$TMP/c.json" 'const r = d.rows.find(r => r.name === "data"); r.change_pct > 15 && r.change_pct < 21 && r.ci_low_pct > 10 && r.ci_low_pct <= r.change_pct && r.change_pct <= r.ci_high_pct')" true
# The step's shift in time is data's (within 20%: the other phases move by
# their timer slack, tens of microseconds).
expect_eq "the step is slower by what data is slower" \
	"$(jsq "$TMP/c.json" 'const s = x => { const r = d.rows.find(r => r.name === x); return r.change_pct * r.median_base / 100; }; Math.abs(s("mlprobe.step") - s("data")) < 0.2 * s("data")')" true
expect_eq "four spans and the step compared, 200 samples each" \
	"$(jsq "$TMP/c.json" 'd.rows.map(r => r.name + ":" + r.n_base + "/" + r.n_new).sort().join(" ")')" \
	"backward:200/200 data:200/200 forward:200/200 mlprobe.step:200/200 optimizer:200/200"
expect_eq "wall medians are the recorded ones (DuckDB agrees)" \
	"$(jsq "$TMP/c.json" 'Math.round(d.rows.find(r => r.name === "data").wall_median_base)')" \
	"$(duck1 "SELECT round(quantile_cont(duration_ns, 0.5)) FROM '$TMP/base/spans-*.parquet' WHERE name = 'data'" | sed 's/\.0$//')"
expect_eq "judged medians are of the own time, wall less runnable (DuckDB agrees)" \
	"$(jsq "$TMP/c.json" 'Math.round(d.rows.find(r => r.name === "data").median_base)')" \
	"$(duck1 "SELECT round(quantile_cont(duration_ns - runq_ns, 0.5)) FROM '$TMP/base/spans-*.parquet' WHERE name = 'data'" | sed 's/\.0$//')"

"$MLPROBE" compare --fail-on 5% "$TMP/base" "$TMP/slow" >"$TMP/c.txt" 2>&1
expect_eq "table output exits 1 too" "$?" 1
check "table says FAIL" grep -q "^FAIL: 2 regressions beyond --fail-on 5%" "$TMP/c.txt"
check "table row: data ... slower" grep -Eq '^data +200 +200 .*\+[0-9.]+%\* +\[\+[0-9.]+,\+[0-9.]+\] +slower$' "$TMP/c.txt"
check "table fits 80 columns (but for the paths)" \
	test "$(grep -v '^base: \|^new: ' "$TMP/c.txt" | awk '{ print length($0) }' | sort -n | tail -1)" -le 80
"$MLPROBE" compare "$TMP/base" "$TMP/slow" >/dev/null 2>&1
expect_eq "without --fail-on the exit is 0" "$?" 0
"$MLPROBE" compare --fail-on 30% "$TMP/base" "$TMP/slow" >/dev/null 2>&1
expect_eq "--fail-on 30% does not fail a 20% regression" "$?" 0

"$MLPROBE" compare --fail-on 5% -f md "$TMP/base" "$TMP/slow" >"$TMP/c.md" 2>&1
expect_eq "md output exits 1" "$?" 1
check "md: bold regression row for data" grep -Eq '^\| `data` \| 200 \| 200 \| .* \| \*\*\+[0-9.]+%\*\* \| .* \| \*\*slower\*\* \|$' "$TMP/c.md"
check "md: FAIL line" grep -q '^\*\*FAIL\*\*: 2 regressions beyond --fail-on 5%' "$TMP/c.md"
expect_eq "md: one table row per span (and the step), after the header" "$(grep -c '^| `' "$TMP/c.md")" 5

"$MLPROBE" compare -f json --skip-steps 10 --metric loss "$TMP/base" "$TMP/slow" >"$TMP/s.json"
expect_eq "--skip-steps 10 drops the first 10 steps" \
	"$(jsq "$TMP/s.json" 'd.rows.find(r => r.name === "data").n_base')" 190
expect_eq "--metric loss: the same values on both sides, not flagged" \
	"$(jsq "$TMP/s.json" 'const r = d.rows.find(r => r.kind === "metric"); r.name + " " + r.verdict + " " + r.change_pct')" "loss ~ 0"
"$MLPROBE" compare -f json "$TMP/base/spans-0000.parquet" "$TMP/slow/spans-0000.parquet" >"$TMP/f.json"
expect_eq "Parquet files as arguments work like run directories" \
	"$(jsq "$TMP/f.json" 'd.rows.filter(r => r.verdict === "slower").map(r => r.name).sort().join(",")')" data,mlprobe.step

# Noise: repeated pairs of recordings of the same binary, at the defaults
# (and with --fail-on 5%, as examples/ci uses it), never flag a regression.
flagged=0
failed=0
for trial in 1 2 3 4 5; do
	rec "$TMP/n$trial.a" 200
	rec "$TMP/n$trial.b" 200
	"$MLPROBE" compare -f json "$TMP/n$trial.a" "$TMP/n$trial.b" >"$TMP/n$trial.json"
	n=$(jsq "$TMP/n$trial.json" 'd.rows.filter(r => r.verdict === "slower" || r.verdict === "faster").length')
	[ "$n" = 0 ] || { flagged=$((flagged + 1)); cat "$TMP/n$trial.json" >&2; }
	"$MLPROBE" compare --fail-on 5% "$TMP/n$trial.a" "$TMP/n$trial.b" >"$TMP/n$trial.txt" ||
		{ failed=$((failed + 1)); cat "$TMP/n$trial.txt" >&2; }
	echo "# trial $trial: $(jsq "$TMP/n$trial.json" 'd.rows.map(r => r.name + " " + r.change_pct.toFixed(1) + "% " + r.verdict).join(", ")')"
done
expect_eq "same binary, 5 trials: no change flagged at the defaults" "$flagged" 0
expect_eq "same binary, 5 trials: --fail-on 5% never fails" "$failed" 0

# Bad input: one line, exit 2, no crash.
"$MLPROBE" record -q -o "$TMP/counter" -- "$PROGS/counter" 100 >/dev/null 2>&1
expect_fail "runs with no span names in common" \
	"no span names in common: $TMP/base has .*data.*; $TMP/counter has step" \
	"$MLPROBE" compare "$TMP/base" "$TMP/counter"
expect_eq "  ... exit 2" "$LAST_RC" 2
"$MLPROBE" record -q -o "$TMP/nospans" -- "$PROGS/first_event" >/dev/null 2>&1
expect_fail "a run without spans" "$TMP/nospans: holds no spans" \
	"$MLPROBE" compare "$TMP/base" "$TMP/nospans"
mkdir "$TMP/empty"
expect_fail "an empty directory" "$TMP/empty: no metrics, spans or logs Parquet files here" \
	"$MLPROBE" compare "$TMP/empty" "$TMP/base"
expect_eq "  ... exit 2" "$LAST_RC" 2
cp -r "$TMP/base" "$TMP/corrupt"
f=$TMP/corrupt/spans-0000.parquet
truncate -s $(($(stat -c %s "$f") - 100)) "$f"
expect_fail "a truncated Parquet file" "$f: " \
	"$MLPROBE" compare "$TMP/base" "$TMP/corrupt"
cp "$TMP/base/spans-0000.parquet" "$f"
printf 'garbage!' | dd of="$f" bs=1 seek=200 conv=notrunc 2>/dev/null
expect_fail "a corrupt Parquet page" "$f: " \
	"$MLPROBE" compare "$TMP/base" "$TMP/corrupt"
expect_fail "a file that is not Parquet" "not a Parquet file" \
	"$MLPROBE" compare "$TMP/base" "$TMP/base/run.json"
expect_fail "a missing run" "$TMP/nope: No such file or directory" \
	"$MLPROBE" compare "$TMP/base" "$TMP/nope"
expect_fail "a metrics file has no spans" "metrics-0000.parquet: holds no spans" \
	"$MLPROBE" compare "$TMP/base" "$TMP/base/metrics-0000.parquet"
expect_fail "bad --fail-on" "invalid --fail-on '5%%'" \
	"$MLPROBE" compare --fail-on 5%% "$TMP/base" "$TMP/slow"
expect_eq "  ... exit 2" "$LAST_RC" 2
expect_fail "bad --metric" "invalid --metric 'x:lower'" \
	"$MLPROBE" compare --metric x:lower "$TMP/base" "$TMP/slow"
expect_fail "a metric in neither run" "metric 'nosuch' is in neither" \
	"$MLPROBE" compare --metric nosuch "$TMP/base" "$TMP/slow"
expect_fail "one run only" "give two recordings" "$MLPROBE" compare "$TMP/base"
done_testing
