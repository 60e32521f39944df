#!/usr/bin/env bash
# test_dead_bytes.sh - a slow trainer recorded with a short flush interval:
# every flush leaves its footer behind, and a file of a slow table used to
# be mostly old footers (dead bytes that grew with the square of the
# flushes).  Now no file holds more than twice its live bytes, every file
# is valid Parquet after every flush of the recording (a reader polls it
# while files are rewritten), three independent readers agree on every
# row, and a kill -9 at any moment, a rewrite included, leaves files that
# `recover` makes whole, with no temp file behind.
. "$(dirname "$0")/lib.sh"

"$ROOT/scripts/duckdb-setup.sh" || { not_ok "duckdb setup"; done_testing; }
TRAIN=$BUILD/examples/train

# 1. About 200 flushes of a trainer of ~400 steps a second: a few rows of
# each table per flush, and the logs table one row in hundreds of flushes.
d=$TMP/slow
"$MLPROBE" record -q -o "$d" -F 0.02 -- "$TRAIN" --quiet --sleep-us 2000 \
	--steps 2000 >/dev/null 2>"$TMP/rec.err" &
rpid=$!
# A poll can land inside a flush's append (the file is valid after every
# flush, not during one; a writer preempted mid-append on a busy machine
# widens that window), so a poll that fails is read again: failing three
# reads 20 ms apart means the file stayed invalid.  A rewrite (temp file,
# rename) must never fail one.
polls=0 bad=0 retried=0
while kill -0 "$rpid" 2>/dev/null; do
	if compgen -G "$d/metrics-*.parquet" >/dev/null; then
		polls=$((polls + 1))
		for try in 1 2 3; do
			"$MLPROBE" show "$d" --table metrics --format csv --limit 0 \
				>/dev/null 2>"$TMP/poll1.err" && break
			[ $try = 3 ] && { bad=$((bad + 1)); cat "$TMP/poll1.err" >>"$TMP/poll.err"; }
			retried=$((retried + 1))
			sleep 0.02
		done
	fi
	sleep 0.05
done
echo "# polls read again after landing inside an append: $retried"
wait "$rpid"
expect_eq "record exits 0" "$?" 0
[ "$polls" -gt 5 ] || not_ok "only $polls polls during the recording"
expect_eq "every file valid at every one of $polls polls while recording" \
	"$bad $(head -c 300 "$TMP/poll.err" 2>/dev/null)" "0 "

for t in metrics spans logs; do
	read -r disk live rows groups <<<"$(live_bytes "$d"/$t-*.parquet)"
	written=$(jsq "$d/run.json" "d.tables.$t.written")
	expect_eq "$t: every row written is on disk" "$rows" "$written"
	if [ $((disk)) -le $((2 * live)) ]; then
		ok "$t: $disk bytes on disk for $live live ($rows rows, $groups row groups)"
	else
		not_ok "$t: $disk bytes on disk for $live live: more than twice ($rows rows, $groups row groups)"
	fi
done
leftover=$(ls -A "$d" | grep '\.tmp$')
expect_eq "no temp file left" "$leftover" ""
check_readers3 "$d" metrics spans logs

# 2. kill -9 at random moments of such a recording (-p), rewrites
# included: recover leaves every file valid and no temp file, and no row
# is there twice.
"$TRAIN" --quiet --sleep-us 2000 --steps 10000000 >/dev/null &
tpid=$!
bad_rec=0 dup=0
for i in 1 2 3 4 5 6; do
	k=$TMP/k$i
	"$MLPROBE" record -q -o "$k" -F 0.01 -p "$tpid" >/dev/null 2>&1 &
	rpid=$!
	for ((w = 0; w < 200; w++)); do
		compgen -G "$k/metrics-*.parquet" >/dev/null && break
		sleep 0.05
	done
	sleep "$(printf '1.%03d' $((RANDOM % 1000)))"
	kill -9 "$rpid"
	wait "$rpid" 2>/dev/null
	"$MLPROBE" recover "$k" >/dev/null 2>"$TMP/recover.err" ||
		{ bad_rec=$((bad_rec + 1)); cat "$TMP/recover.err"; }
	[ -z "$(ls -A "$k" | grep '\.tmp$')" ] || bad_rec=$((bad_rec + 1))
	# step is unique per metric name: a row twice would repeat a pair
	n=$(duck1 "SELECT count(*) - count(DISTINCT (name, step)) FROM '$k/metrics-*.parquet'")
	[ "$n" = 0 ] || dup=$((dup + 1))
done
check "the trainer survived the kills" kill -0 "$tpid"
kill "$tpid"
wait "$tpid" 2>/dev/null
expect_eq "recover after 6 kill -9s: every file valid, no temp file" "$bad_rec" 0
expect_eq "no row twice after a kill" "$dup" 0

done_testing
