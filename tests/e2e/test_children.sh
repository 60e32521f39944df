#!/usr/bin/env bash
# --children: processes forked after attach (and their children) are
# recorded with the right pid and ppid, and the recording ends when the last
# of them exits.  Detaching leaves no breakpoint and no raised semaphore in
# any of them.
. "$(dirname "$0")/lib.sh"

# --- -p PID --children on a parent that forks 3 workers, each of which forks
# one more, all after attach ---
mkfifo "$TMP/go"
"$PROGS/spawner" 3 2000 2 <"$TMP/go" >"$TMP/sp.out" &
exec 7>"$TMP/go"
wait_for "$TMP/sp.out" '^pid' 10 || not_ok "spawner did not start"
ppid=$(awk '/^pid/ { print $2 }' "$TMP/sp.out")
"$MLPROBE" record -o "$TMP/ch" -p "$ppid" --children --flush-interval 0.2 \
	2>"$TMP/ch.err" &
mpid=$!
wait_for "$TMP/ch.err" 'recording PID' 20 || not_ok "record did not start"
echo go >&7
exec 7>&-
wait "$mpid"
expect_eq "record -p --children ends by itself when the last child exits, exit 0" "$?" 0
check "the program and its workers ran fine" grep -q 'workers failed 0' "$TMP/sp.out"
M="'$TMP/ch/metrics-*.parquet'"
expect_eq "7 processes recorded (parent, 3 workers, 3 grandchildren)" \
	"$(duck1 "SELECT count(DISTINCT pid) FROM $M")" 7
expect_eq "every process: all 2000 events, gapless steps" \
	"$(duck1 "SELECT count(*) FROM (SELECT pid, count(*) n, count(DISTINCT step) d, min(step) lo, max(step) hi FROM $M GROUP BY pid) WHERE n = 2000 AND d = 2000 AND lo = 0 AND hi = 1999")" 7
expect_eq "workers' ppid is the parent" \
	"$(duck1 "SELECT count(DISTINCT pid) FROM $M WHERE name = 'w' AND value < 100 AND ppid = $ppid")" 3
expect_eq "grandchildren's ppid is their worker (value = worker + 100)" \
	"$(duck1 "SELECT count(*) FROM (SELECT DISTINCT g.pid FROM $M g JOIN $M w ON g.ppid = w.pid WHERE g.value = w.value + 100 AND w.ppid = $ppid)")" 3
expect_eq "spans of every process too" \
	"$(duck1 "SELECT count(*) FROM '$TMP/ch/spans-*.parquet' WHERE name <> 'mlprobe.step'")" 14000
check "run.json lists the 7 pids" \
	test "$(tr -d ' \n' <"$TMP/ch/run.json" | grep -o '"pids":\[[0-9,]*\]' | tr ',' '\n' | wc -l)" = 7
check "accounting ok" grep -q '"accounting_ok": true' "$TMP/ch/run.json"
check "summary says 7 processes" grep -q 'from 7 processes' "$TMP/ch.err"

# --- launch mode: record --children -- forker (workers forked at once) ---
"$MLPROBE" record -q -o "$TMP/lf" --children -- "$PROGS/forker" 4 3000 >"$TMP/lf.out" 2>&1
expect_eq "launch --children exits with the command's status" "$?" 0
expect_eq "launch --children: parent + 4 workers, 3000 events each" \
	"$(duck1 "SELECT count(*) FROM (SELECT pid FROM '$TMP/lf/metrics-*.parquet' GROUP BY pid HAVING count(*) = 3000)")" 5

# --- detach: Ctrl-C (and kill -9) of mlprobe while the workers run leaves
# every process of the tree clean ---
mkfifo "$TMP/go2"
"$PROGS/spawner" 2 100000000 1 <"$TMP/go2" >"$TMP/sp2.out" &
exec 8>"$TMP/go2"
wait_for "$TMP/sp2.out" '^pid' 10
p2=$(awk '/^pid/ { print $2 }' "$TMP/sp2.out")
"$MLPROBE" record -q -o "$TMP/d1" -p "$p2" --children 2>"$TMP/d1.err" &
mpid=$!
wait_attached "$p2" "$PROGS/spawner" || not_ok "record -p --children: not attached in 20 s"
echo go >&8
sleep 1.5
kids=$(pgrep -P "$p2" | tr '\n' ' ')
check "workers running under --children (${kids})" test -n "$kids"
bin=$PROGS/spawner
for k in $kids; do
	check "worker $k: breakpoints while attached" attached_sites "$k" "$bin"
done
kill -INT "$mpid"
wait "$mpid"
expect_eq "Ctrl-C detaches, exit 0" "$?" 0
for p in "$p2" $kids; do
	check "PID $p: no breakpoint and semaphore 0 after Ctrl-C" clean_within "$p" "$bin" 15
done
"$MLPROBE" record -q -o "$TMP/d2" -p "$p2" --children 2>/dev/null &
mpid=$!
wait_attached "$p2" "$PROGS/spawner" || not_ok "record -p --children again: not attached in 20 s"
for k in $kids; do wait_attached "$k" "$PROGS/spawner" 10; done
for k in $kids; do
	check "worker $k: attached again" attached_sites "$k" "$bin"
done
kill -9 "$mpid"
wait "$mpid" 2>/dev/null
for p in "$p2" $kids; do
	check "PID $p: no breakpoint and semaphore 0 after kill -9 of mlprobe" clean_within "$p" "$bin" 15
done
check "the tree is still running" kill -0 "$p2" $kids
exec 8>&-
kill $kids "$p2" 2>/dev/null

# --- bad input ---
out=$("$MLPROBE" record -o "$TMP/k" -p 2 --children 2>&1)
expect_eq "--children on a kernel thread: exit 1" "$?" 1
expect_eq "... one line" "$(echo "$out" | wc -l)" 1
check "... that says why ($out)" grep -q 'kernel thread' <<<"$out"

# A process that exits while mlprobe loads and attaches (about 0.3 s).
"$PROGS/counter" 300 1000 >/dev/null &
out=$("$MLPROBE" record -o "$TMP/gone" -p $! --children 2>&1)
rc=$?
if grep -q 'recording PID' <<<"$out"; then
	ok "target exited during attach: it lived long enough to be recorded (exit $rc)"
else
	expect_eq "target exited during attach: exit 1, one line ($out)" \
		"$rc/$(echo "$out" | wc -l)" 1/1
	check "... saying so" grep -Eq 'exited while mlprobe was attaching|no process with PID' <<<"$out"
fi

done_testing
