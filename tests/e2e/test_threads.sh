#!/usr/bin/env bash
# 8 threads x N events: every event arrives exactly once, or
# delivered + counted drops == emitted, exactly.
. "$(dirname "$0")/lib.sh"

count_of() { # KIND STAT from run.json
	node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(j.events[process.argv[2]][process.argv[3]])' "$1" "$2" "$3"
}

for ring in 16M 64K; do
	out=$TMP/t$ring
	"$MLPROBE" record -q -o "$out" --ring-size $ring -- "$PROGS/threads" 8 50000 >"$TMP/t.out" 2>"$TMP/err"
	expect_eq "[$ring ring] record exits 0" "$?" 0
	emitted=$(sed -n 's/^emitted //p' "$TMP/t.out")
	rows=$(duck1 "SELECT count(*) FROM '$out/metrics-*.parquet'")
	hits=$(count_of "$out/run.json" metric hits)
	dropped=$(( $(count_of "$out/run.json" metric dropped_ring_full) + $(count_of "$out/run.json" metric dropped_name) ))
	expect_eq "[$ring ring] kernel counted every probe hit" "$hits" "$emitted"
	expect_eq "[$ring ring] delivered + dropped == emitted ($rows + $dropped)" "$((rows + dropped))" "$emitted"
	expect_eq "[$ring ring] no event delivered twice" \
		"$(duck1 "SELECT count(DISTINCT step) FROM '$out/metrics-*.parquet'")" "$rows"
	expect_eq "[$ring ring] 8 threads seen" \
		"$(duck1 "SELECT count(DISTINCT tid) FROM '$out/metrics-*.parquet'")" 8
	check "[$ring ring] run.json accounting ok" grep -q '"accounting_ok": true' "$out/run.json"
	[ "$ring" = 64K ] && echo "# 64K ring: $dropped of $emitted dropped"
done
# No per-event wakeups: the consumer wakes on the timer and on the ring's
# fill mark, not per record.  Count its epoll_wait calls for 3 M events.
strace -c -e trace=epoll_wait -o "$TMP/strace.txt" \
	"$MLPROBE" record -q -o "$TMP/wake" -- "$PROGS/threads" 1 3000000 >/dev/null 2>&1
waits=$(awk '$NF == "epoll_wait" { print $4 }' "$TMP/strace.txt")
check "consumer woke ${waits:-?} times for 3 M events (< 1000)" test "${waits:-999999}" -lt 1000
done_testing
