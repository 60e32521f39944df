#!/usr/bin/env bash
# Every command that reads a recording reads every layout and table of it:
# show, export, compare and report on a --partition recording (they
# descend into its run=/host=/rank= folders, as recover does); the alerts
# table in show and export, flat and partitioned (--table alerts too); and
# a recording that flushed no row but has its run.json is a recording,
# not "is it an mlprobe recording?".
. "$(dirname "$0")/lib.sh"

T=$PROGS/trainer
# A partitioned recording with an alert, and a flat one of the same.
"$MLPROBE" record -q -o "$TMP/p" --partition --alert 'nan(loss)' \
	-- "$T" 50 1000 nan 10 >/dev/null 2>&1
"$MLPROBE" record -q -o "$TMP/f" --alert 'nan(loss)' \
	-- "$T" 50 1000 nan 10 >/dev/null 2>&1
check "the partitioned recording has its alerts file" \
	test -n "$(compgen -G "$TMP/p/run=*/host=*/alerts-0000.parquet")"

for d in p f; do
	lay=$([ $d = p ] && echo partitioned || echo flat)
	"$MLPROBE" show "$TMP/$d" >"$TMP/show" 2>"$TMP/err"
	expect_eq "$lay: show exits 0" "$? $(head -c 200 "$TMP/err")" "0 "
	expect_eq "$lay: show has metrics, spans and alerts (no log)" \
		"$(grep -c '^== \(metrics\|spans\|logs\|alerts\) ==' "$TMP/show")" 3
	check "$lay: show lists the alert" grep -q 'nan(loss) .* loss = nan at step 10' "$TMP/show"
	expect_eq "$lay: show --table alerts --format csv: header and the alert" \
		"$("$MLPROBE" show "$TMP/$d" --table alerts --format csv | wc -l)" 2
	expect_eq "$lay: export --format jsonl: every row of every table" \
		"$("$MLPROBE" export --format jsonl "$TMP/$d" | grep -o '"table":"[a-z]*"' | sort | uniq -c | awk '{ printf "%s%s", $1, $2 }')" \
		'1"table":"alerts"100"table":"metrics"149"table":"spans"'	# 100, and 49 mlprobe.step
	expect_eq "$lay: export --table alerts --format csv" \
		"$("$MLPROBE" export --format csv --table alerts "$TMP/$d" | sed -n 2p | cut -d, -f2,3)" \
		"nan(loss),nan"
	"$MLPROBE" export "$TMP/$d" >"$TMP/trace.json" 2>"$TMP/err"
	expect_eq "$lay: export (trace): every span (the trainer's 100, 49 steps)" \
		"$(jsq "$TMP/trace.json" 'd.traceEvents.filter(e => e.ph === "X").length')" 149
	"$MLPROBE" compare "$TMP/$d" "$TMP/f" >"$TMP/cmp" 2>"$TMP/err"
	expect_eq "$lay: compare exits 0" "$? $(head -c 200 "$TMP/err")" "0 "
	check "$lay: compare has both spans" grep -qE '^forward +50 +50 ' "$TMP/cmp"
	"$MLPROBE" report "$TMP/$d" -o "$TMP/r.html" 2>"$TMP/err"
	expect_eq "$lay: report exits 0" "$? $(head -c 200 "$TMP/err")" "0 "
done
expect_eq "show --table alerts" \
	"$("$MLPROBE" show "$TMP/p" --table alerts | sed -n 1p)" "== alerts =="

# Another user (nobody) reads root's recordings, world-readable as record
# leaves them: recover needs no write access for intact files, in either
# layout, and says so in one line for a torn one it cannot repair.
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
chmod 755 "$TMP"
for d in p f; do
	as_nobody "$MLPROBE" recover "$TMP/$d" >"$TMP/out" 2>"$TMP/err"
	expect_eq "recover as another user, $d: exit 0, every file intact" \
		"$? $(grep -o '[0-9]* files: [0-9]* intact, 0 repaired' "$TMP/err")" \
		"0 $(ls -R "$TMP/$d" | grep -c '\.parquet$') files: $(ls -R "$TMP/$d" | grep -c '\.parquet$') intact, 0 repaired"
done
cp -r "$TMP/f" "$TMP/torn"
f=$TMP/torn/metrics-0000.parquet
printf 'torn tail' >>"$f"
chmod -R a+rX "$TMP/torn"
expect_fail "recover as another user: a torn file it cannot write" \
	"metrics-0000.parquet: torn, and cannot be opened to repair it: Permission denied (run recover as the owner of the files)" \
	as_nobody "$MLPROBE" recover -q "$TMP/torn"
expect_eq "  ... exit 1, the file untouched" "$LAST_RC $(tail -c 9 "$f")" "1 torn tail"

# A recording with no row: run.json only.
"$MLPROBE" record -q -o "$TMP/z" -- "$T" 0 1000 >/dev/null 2>&1
expect_eq "the empty recording has only run.json" "$(ls "$TMP/z")" run.json
"$MLPROBE" show "$TMP/z" >"$TMP/out" 2>"$TMP/err"
expect_eq "show of an empty recording: exit 0, says so" \
	"$? $(cat "$TMP/out" "$TMP/err")" "0 (no rows in $TMP/z: nothing was recorded)"
"$MLPROBE" export --format jsonl "$TMP/z" >"$TMP/out" 2>"$TMP/err"
expect_eq "export of an empty recording: exit 0, no rows" \
	"$? $(cat "$TMP/out" "$TMP/err")" "0 "
expect_fail "compare with an empty recording" "$TMP/z: holds no spans" \
	"$MLPROBE" compare "$TMP/z" "$TMP/f"
expect_fail "report of an empty recording" "$TMP/z: holds no rows" \
	"$MLPROBE" report "$TMP/z" -o "$TMP/z.html"
# ... while a directory that is no recording stays one
mkdir "$TMP/none"
expect_fail "show of a directory without a recording" \
	"no Parquet files here (is it an mlprobe recording?)" "$MLPROBE" show "$TMP/none"

done_testing
