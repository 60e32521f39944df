#!/usr/bin/env bash
# Attach mode: -p PID on a process that has run for a while gives a gapless
# step sequence from attach on; Ctrl-C detaches and the process goes on;
# kill -9 of mlprobe leaves the trainer running with its output unchanged
# and its probes disabled again; finished flushes are valid Parquet.
. "$(dirname "$0")/lib.sh"

# The probes' semaphore in process PID (lib.sh).
sema() { sema_of "$1" "$PROGS/counter"; }
# sema_drops_to_0 PID: the semaphore is 0 within 5 s (the kernel takes a
# grace period per probe site to remove uprobes)
sema_drops_to_0() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(sema "$1")" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

# --- attach, detach with SIGINT ---
"$PROGS/counter" 100000000 200 >"$TMP/c1.out" &
cpid=$!
wait_for "$TMP/c1.out" '^step 1000' 20 || not_ok "counter did not start"
"$MLPROBE" record -q -o "$TMP/a1" -p "$cpid" --flush-interval 0.2 2>"$TMP/a1.err" &
mpid=$!
wait_file "$TMP/a1/metrics-*.parquet" || not_ok "record -p: no flush in 20 s"
sleep 1
kill -INT "$mpid"
wait "$mpid"
expect_eq "record -p exits 0 after Ctrl-C" "$?" 0
check "trainer still running after detach" kill -0 "$cpid"
check "semaphore back to 0 after Ctrl-C" sema_drops_to_0 "$cpid"
M="'$TMP/a1/metrics-*.parquet'"
n=$(duck1 "SELECT count(*) FROM $M")
check "events recorded while attached ($n)" test "${n:-0}" -gt 100
expect_eq "gapless step sequence from attach on" \
	"$(duck1 "SELECT max(step) - min(step) + 1 = count(*) AND count(DISTINCT step) = count(*) FROM $M")" true
expect_eq "first recorded step is after attach, not 0" \
	"$(duck1 "SELECT min(step) > 0 FROM $M")" true
expect_eq "spans gapless too" \
	"$(duck1 "SELECT max(step) - min(step) + 1 = count(*) AND count(DISTINCT step) = count(*) FROM '$TMP/a1/spans-*.parquet' WHERE step IS NOT NULL AND name = 'step'")" true
expect_eq "only spans begun before the first step probe lack a step" \
	"$(duck1 "SELECT count(*) FROM '$TMP/a1/spans-*.parquet' WHERE step IS NULL AND ts > (SELECT min(ts) FROM '$TMP/a1/spans-*.parquet' WHERE step IS NOT NULL)")" 0
check "run.json: attach mode, accounting ok" grep -q '"accounting_ok": true' "$TMP/a1/run.json"
before=$(grep -c '^step' "$TMP/c1.out")
sleep 0.6
after=$(grep -c '^step' "$TMP/c1.out")
check "trainer keeps making progress after detach" test "$after" -gt "$before"
kill "$cpid"; wait "$cpid" 2>/dev/null

# --- SIGTERM detaches like Ctrl-C ---
"$PROGS/counter" 100000000 200 >"$TMP/ct.out" &
cpid=$!
wait_for "$TMP/ct.out" '^pid' 10
"$MLPROBE" record -q -o "$TMP/at" -p "$cpid" 2>"$TMP/at.err" &
mpid=$!
wait_file "$TMP/at/metrics-*.parquet" || not_ok "record -p: no flush in 20 s"
kill -TERM "$mpid"
wait "$mpid"
expect_eq "record -p exits 0 after SIGTERM" "$?" 0
check "trainer still running after SIGTERM detach" kill -0 "$cpid"
check "SIGTERM: files finished, accounting ok" grep -q '"accounting_ok": true' "$TMP/at/run.json"
kill "$cpid"; wait "$cpid" 2>/dev/null

# --- kill -9 of mlprobe mid-recording ---
# Reference run without mlprobe.
"$PROGS/counter" 100000 40 | grep -v '^pid' >"$TMP/ref.out"
"$PROGS/counter" 100000 40 >"$TMP/c2.out" &
cpid=$!
wait_for "$TMP/c2.out" '^pid' 10
"$MLPROBE" record -q -o "$TMP/a2" -p "$cpid" --flush-interval 0.2 2>/dev/null &
mpid=$!
# Killed once a flush is on disk (attaching can take a while on a busy
# machine), while the trainer still runs.
wait_file "$TMP/a2/metrics-*.parquet" || not_ok "record -p: no flush in 20 s"
sleep 0.3
kill -9 "$mpid"
wait "$mpid" 2>/dev/null
check "trainer alive after kill -9 of mlprobe" kill -0 "$cpid"
wait "$cpid"
expect_eq "trainer exits 0" "$?" 0
check "trainer output unchanged by attach + kill -9" \
	cmp -s "$TMP/ref.out" <(grep -v '^pid' "$TMP/c2.out")
n=$(duck1 "SELECT count(*) FROM '$TMP/a2/metrics-*.parquet'")
check "files flushed before kill -9 are valid Parquet ($n rows)" test "${n:-0}" -gt 0

# --- fork() under attached probes: workers unharmed, output unchanged ---
"$PROGS/forker" 4 20000 | sort >"$TMP/fork.ref"
"$MLPROBE" record -q -o "$TMP/fk" -- "$PROGS/forker" 4 20000 2>"$TMP/fk.err" | sort >"$TMP/fork.out"
expect_eq "forked workers under mlprobe: all exit 0" "$(grep 'workers failed' "$TMP/fork.out")" "workers failed 0"
check "forked workers: output identical to an unattached run" cmp -s "$TMP/fork.ref" "$TMP/fork.out"
expect_eq "the launched process itself is recorded in full" \
	"$(duck1 "SELECT count(*) FROM '$TMP/fk/metrics-*.parquet' WHERE value = 0")" 20000

# --- after detach the probes are off again (semaphore back to 0) ---
"$PROGS/counter" 100000000 200 >"$TMP/c3.out" &
cpid=$!
wait_for "$TMP/c3.out" '^pid' 10
"$MLPROBE" record -q -o "$TMP/a3" -p "$cpid" 2>/dev/null &
mpid=$!
# Raised as each site is attached (a busy machine may take seconds).
for ((i = 0; i < 100; i++)); do
	[ "$(sema "$cpid")" -gt 0 ] 2>/dev/null && break
	sleep 0.1
done
check "semaphore raised while attached" test "$(sema "$cpid")" -gt 0
kill -9 "$mpid"; wait "$mpid" 2>/dev/null
check "semaphore back to 0 after kill -9" sema_drops_to_0 "$cpid"
kill "$cpid"; wait "$cpid" 2>/dev/null
done_testing
