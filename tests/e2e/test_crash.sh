#!/usr/bin/env bash
# kill -9 of the consumer at random moments, TRIALS times (default 100):
# after `mlprobe recover`, every file of every trial opens in DuckDB, the
# rows are a gapless prefix of what the trainer emitted, and at most one
# flush interval (plus scheduling slack) is missing at the end.  The
# trainer runs on through all of it.
. "$(dirname "$0")/lib.sh"

TRIALS=${TRIALS:-100}
FLUSH=0.1		# seconds
FLUSH_MS=100
SLACK_MS=400		# scheduling on a loaded 2-core machine
"$PROGS/counter" 1000000000 50 >"$TMP/c.out" &
cpid=$!
wait_for "$TMP/c.out" '^step 1000' 20 || not_ok "counter did not start"
mkdir -p "$TMP/k"
: >"$TMP/kills"
repaired=0
bad_recover=0
for ((i = 0; i < TRIALS; i++)); do
	d=$TMP/k/t$i
	"$MLPROBE" record -o "$d" -p "$cpid" -F $FLUSH -s 24K >/dev/null 2>"$TMP/r.err" &
	mpid=$!
	wait_for "$TMP/r.err" 'recording PID' 20 || { not_ok "trial $i: record did not start"; cat "$TMP/r.err"; }
	# A random moment after the first flush (a loaded machine can delay
	# it well past its interval; the check below is about the end).
	for ((w = 0; w < 200; w++)); do
		compgen -G "$d/metrics-*.parquet" >/dev/null && break
		sleep 0.05
	done
	sleep "$(printf '0.%03d' $((RANDOM % 700)))"
	echo "t$i $(date +%s%N)" >>"$TMP/kills"
	kill -9 "$mpid"
	wait "$mpid" 2>/dev/null
	"$MLPROBE" recover "$d" >"$TMP/rec.out" 2>"$TMP/rec.err"
	rc=$?
	if [ $rc -ne 0 ]; then
		bad_recover=$((bad_recover + 1))
		echo "# trial $i: recover exited $rc: $(cat "$TMP/rec.err")"
	fi
	if grep -qE 'truncated|rebuilt|emptied' "$TMP/rec.out"; then
		repaired=$((repaired + 1))
		sed 's/^/# trial '"$i"': /' "$TMP/rec.out"
		# Only the file being written can need repair, never a
		# finished one (a lower number of the same table).
		while read -r f _; do
			case $f in *.parquet) ;; *) continue ;; esac
			t=${f%-*}
			last=$(ls "$d"/"$t"-*.parquet | tail -1)
			[ "$(basename "$last")" = "$f" ] || not_ok "trial $i: finished file $f needed repair"
		done <"$TMP/rec.out"
	fi
done
expect_eq "recover succeeded in all $TRIALS trials" "$bad_recover" 0
echo "# $repaired of $TRIALS trials had a file to repair"
check "the trainer survived $TRIALS kill -9s of mlprobe" kill -0 "$cpid"

# One DuckDB pass over every file of every trial: if any file did not
# open, this query fails.
duck "SELECT split_part(filename, '/', -2) AS trial, count(*) AS n,
	min(step) AS lo, max(step) AS hi, count(DISTINCT step) AS nd,
	epoch_us(max(ts)) AS last_us
	FROM read_parquet('$TMP/k/*/metrics-*.parquet', filename = true)
	GROUP BY 1 ORDER BY 1" >"$TMP/m.jsonl" 2>"$TMP/duck.err"
check "DuckDB opens every metrics file of every trial" test -s "$TMP/m.jsonl"
[ -s "$TMP/duck.err" ] && sed 's/^/# /' "$TMP/duck.err"
check "DuckDB opens every spans and logs file of every trial" \
	test -n "$(duck1 "SELECT count(*) FROM read_parquet(['$TMP/k/*/spans-*.parquet', '$TMP/k/*/logs-*.parquet'], union_by_name = true)")"
expect_eq "every trial has rows" "$(wc -l <"$TMP/m.jsonl")" "$TRIALS"
# Gapless prefix, and how much is missing at the end.
node -e '
const fs = require("fs");
const kills = Object.fromEntries(fs.readFileSync(process.argv[1], "utf8").trim().split("\n").map(l => l.split(" ")));
const limit = Number(process.argv[3]);
let gaps = 0, late = 0, worst = 0, miss = [];
for (const l of fs.readFileSync(process.argv[2], "utf8").trim().split("\n")) {
	const r = JSON.parse(l);
	if (!(r.n === r.hi - r.lo + 1 && r.nd === r.n)) { gaps++; console.log("# " + r.trial + ": not a gapless run of steps " + l); }
	const m = Number(BigInt(kills[r.trial]) / 1000000n) - Math.floor(r.last_us / 1000);
	miss.push(m); worst = Math.max(worst, m);
	if (m > limit) { late++; console.log("# " + r.trial + ": " + m + " ms missing before the kill"); }
}
miss.sort((a, b) => a - b);
console.log("gaps " + gaps);
console.log("late " + late);
console.log("# missing before the kill: median " + miss[miss.length >> 1] + " ms, worst " + worst + " ms (flush interval " + (limit - Number(process.argv[4])) + " ms)");
' "$TMP/kills" "$TMP/m.jsonl" $((FLUSH_MS + SLACK_MS)) $SLACK_MS >"$TMP/verdict"
grep '^#' "$TMP/verdict"
expect_eq "rows are a gapless prefix of the steps emitted, in every trial" "$(sed -n 's/^gaps //p' "$TMP/verdict")" 0
expect_eq "at most one flush interval (+${SLACK_MS} ms slack) missing, in every trial" "$(sed -n 's/^late //p' "$TMP/verdict")" 0
kill "$cpid"
done_testing
