#!/usr/bin/env bash
# A trainer that writes faster than the recorder reads: the recorder still
# flushes on its timer and still stops when asked.  (Its drain used to run
# until the ring was empty, which a fast enough producer never lets
# happen: no flush and no Ctrl-C, seen as a hang of record -p under the
# sanitizers beside a busy core.)  Two threads write at full speed while
# the recorder is held to a tenth of the time (SIGSTOP 90 ms, SIGCONT
# 10 ms, as a container's CPU quota would), so the ring stays full; what
# does not fit is dropped and counted, and the books balance.  With
# --batch: a trap costs 5 us on some machines, and two threads trapping per
# event do not outpace even a throttled recorder there (nothing dropped,
# nothing tested); batched, they write tens of times faster everywhere.
. "$(dirname "$0")/lib.sh"

"$PROGS/threads" 2 600s >"$TMP/t.out" &
tpid=$!
d=$TMP/rec
"$MLPROBE" record --batch -F 0.2 -o "$d" -p "$tpid" >/dev/null 2>"$TMP/r.err" &
mpid=$!
wait_for "$TMP/r.err" 'recording PID' 60 || not_ok "record did not start: $(cat "$TMP/r.err")"

# The quota, until told to end (a file, so no signal races the cycle).
: >"$TMP/throttle"
(
	while [ -e "$TMP/throttle" ]; do
		kill -STOP "$mpid" 2>/dev/null || break
		sleep 0.09
		kill -CONT "$mpid" 2>/dev/null || break
		sleep 0.01
	done
	kill -CONT "$mpid" 2>/dev/null
) &
cycler=$!

# Flushed while overloaded: a metrics file with rows appears.
rows=0
for ((i = 0; i < 300; i++)); do
	rows=$(duck1 "SELECT count(*) FROM read_parquet('$d/metrics-*.parquet')" 2>/dev/null)
	[ "${rows:-0}" -gt 0 ] 2>/dev/null && break
	sleep 0.1
done
check "rows are flushed while the producers outpace the recorder" test "${rows:-0}" -gt 0 2>/dev/null

# Ctrl-C is taken while still held to its quota: the trainer's probes are
# detached (which a recorder stuck in its drain never gets to).
kill -INT "$mpid"
check "Ctrl-C taken while overloaded: the trainer is detached" clean_within "$tpid" "$PROGS/threads" 60
rm -f "$TMP/throttle"
wait "$cycler"
wait "$mpid"
expect_eq "record -p exits 0" "$?" 0
check "the trainer runs on" kill -0 "$tpid"
kill "$tpid"
wait "$tpid" 2>/dev/null
check "run.json accounting ok (what was dropped is counted)" grep -q '"accounting_ok": true' "$d/run.json"
dropped=$(jsq "$d/run.json" 'd.tables.metrics.dropped_ring_full')
echo "# metrics delivered $(jsq "$d/run.json" 'd.tables.metrics.delivered'), dropped $dropped"
check "the ring did overflow (else this tests nothing)" test "${dropped:-0}" -gt 0
done_testing
