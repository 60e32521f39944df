#!/usr/bin/env bash
# Batching (docs/bpf.md): a thread's metric and span records wait in its
# batch and cross the ring together.  Nothing may wait for long, and
# nothing may be lost: a thread that goes to sleep sends its batch as it
# leaves the CPU, a thread that ends sends it as it exits, and one that
# spins without a system call is sent when recording stops.
. "$(dirname "$0")/lib.sh"

rows() { # DIR: "metrics spans" named by burst, from the flushed files
	echo "$(duck1 "SELECT count(*) FROM read_parquet('$1/metrics-*.parquet') WHERE name = 'burst'" 2>/dev/null || echo 0)" \
	     "$(duck1 "SELECT count(*) FROM read_parquet('$1/spans-*.parquet') WHERE name = 'quiet'" 2>/dev/null || echo 0)"
}

# 1. Five metrics and a span back to back, then the thread sleeps for 8 s:
# its records are in a flushed file long before it wakes.
d=$TMP/sleep
"$MLPROBE" record -q -F 0.2 -o "$d" -- "$PROGS/burst" sleep 5 8 >"$TMP/s.out" 2>"$TMP/s.err" &
rpid=$!
wait_for "$TMP/s.out" 'burst done' 20 || not_ok "burst did not start: $(cat "$TMP/s.err")"
got= alive=
for ((i = 0; i < 200; i++)); do
	got=$(rows "$d")
	alive=$(pgrep -f "^$PROGS/burst sleep 5 8" >/dev/null && echo yes || echo no)
	[ "$got" = "5 1" ] || [ $alive = no ] && break
	sleep 0.05
done
expect_eq "a sleeping thread's batch is on disk while it sleeps" "$got $alive" "5 1 yes"
wait $rpid
expect_eq "record exits 0" "$?" 0
check "run.json accounting ok" grep -q '"accounting_ok": true' "$d/run.json"

# 2. The same records, then the thread spins (no system call) and, right
# after its records, sends the recorder (-p) SIGINT: they are still in the
# thread's batch when recording stops, and arrive; the process runs on.
d=$TMP/spin
# Each on its own CPU, so that the recorder waking up does not preempt the
# spinner (which would send its batch as it leaves the CPU).
taskset -c 1 "$PROGS/burst" spin 5 60 "$TMP/rpid" >"$TMP/p.out" &
bpid=$!
# -p needs burst, not the taskset that execs it (slow beside a busy core).
for ((i = 0; i < 200; i++)); do
	[ "$(readlink /proc/$bpid/exe)" = "$PROGS/burst" ] && break
	sleep 0.05
done
taskset -c 0 "$MLPROBE" record -F 0.2 -o "$d" -p $bpid >/dev/null 2>"$TMP/p.err" &
rpid=$!
wait_for "$TMP/p.err" 'recording PID' 20 || not_ok "record did not start: $(cat "$TMP/p.err")"
echo $rpid >"$TMP/rpid"
wait $rpid
rc=$?
expect_eq "record -p exits 0 at the SIGINT" "$rc" 0
[ $rc = 0 ] || sed 's/^/# /' "$TMP/p.err"
expect_eq "a spinning thread's batch arrives when recording stops" "$(rows "$d")" "5 1"
check "run.json accounting ok" grep -q '"accounting_ok": true' "$d/run.json"
check "the process runs on" kill -0 $bpid
kill -9 $bpid; wait $bpid 2>/dev/null

# 3. The spinning thread is killed (SIGKILL): the exit hook sends its batch.
d=$TMP/kill
"$MLPROBE" record -q -F 0.2 -o "$d" -- "$PROGS/burst" spin 5 60 >"$TMP/k.out" 2>"$TMP/k.err" &
rpid=$!
wait_for "$TMP/k.out" 'burst done' 20 || not_ok "burst did not start: $(cat "$TMP/k.err")"
pkill -9 -f "^$PROGS/burst spin 5 60"
wait $rpid
expect_eq "record exits 137 (the command's SIGKILL) after its command was killed" "$?" 137
expect_eq "a killed thread's batch arrives" "$(rows "$d")" "5 1"
check "run.json accounting ok" grep -q '"accounting_ok": true' "$d/run.json"

# 4. Batches are full records: 16 per batch, no duplicates, in order.
d=$TMP/many
"$MLPROBE" record -q -o "$d" -- "$PROGS/burst" sleep 1000 0 >/dev/null 2>&1
expect_eq "1000 metrics in one burst, each once" \
	"$(duck1 "SELECT count(DISTINCT step) FROM read_parquet('$d/metrics-*.parquet') WHERE name = 'burst'")" 1000
expect_eq "in the thread's order" \
	"$(duck1 "SELECT count(*) FROM (SELECT step, lag(step) OVER (ORDER BY ts) AS p FROM read_parquet('$d/metrics-*.parquet') WHERE name = 'burst') WHERE p IS NOT NULL AND step <> p + 1")" 0
done_testing
