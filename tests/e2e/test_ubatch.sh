#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_ubatch.sh - record --batch: the trainer batches its records and traps
# once a batch (include/mlprobe.h, bpf/ubatch.bpf.h).  Every record a thread
# wrote arrives exactly once, or is counted as held: threads that end with a
# partial batch, a process that exits while another thread holds records, a
# trainer killed or exec'ing mid-batch, a fork (the child holds a copy of
# the parent's records), a recording stopped while the trainer holds some.
# Batched spans keep their split of time.  tests/progs/ubatch.c.
. "$(dirname "$0")/lib.sh"

U=$PROGS/ubatch
# tab DIR TABLE FIELD: a field of run.json's tables.TABLE
tab() { jsq "$1/run.json" "d.tables.$2.$3"; }
rec() { # rec DIR ARGS...: record --batch, the trainer's exit status in RC
	local dir=$1
	shift
	"$MLPROBE" record -q --batch -o "$dir" "$@" 2>"$dir.err"
	RC=$?
}

# Threads that end with a partial batch: 4 threads x 1001 metrics and 1001
# spans (3003 records: 46 batches and 59 sent by the thread's exit hook).
rec "$TMP/th" -- "$U" threads 4 1001 >/dev/null
expect_eq "threads: exit 0" "$RC" 0
expect_eq "threads: every metric once (4 x 1001)" \
	"$(duck1 "SELECT count(DISTINCT step) || '/' || count(*) FROM '$TMP/th/metrics-*.parquet'")" '"4004/4004"'
expect_eq "threads: every span (4 x 1001)" \
	"$(duck1 "SELECT count(*) FROM '$TMP/th/spans-*.parquet' WHERE name = 's'")" 4004
expect_eq "threads: nothing held, books balanced" \
	"$(tab "$TMP/th" metrics dropped_held) $(tab "$TMP/th" spans dropped_held) $(jsq "$TMP/th/run.json" d.accounting_ok)" "0 0 true"
expect_eq "threads: each row's value is its index (steps and values kept together)" \
	"$(duck1 "SELECT count(*) FROM '$TMP/th/metrics-*.parquet' WHERE value <> (step & 4294967295)")" 0

# exit() from main while another thread holds 10 records: main's 10 go
# (the exit hook), the thread's 10 die with it and are counted.
rec "$TMP/ex" -- "$U" exit 10
expect_eq "exit: exit 0" "$RC" 0
expect_eq "exit: main's records written, the blocked thread's none" \
	"$(duck1 "SELECT string_agg(name || '=' || n, ' ' ORDER BY name) FROM (SELECT name, count(*) n FROM '$TMP/ex/metrics-*.parquet' GROUP BY name)")" '"main=10"'
expect_eq "exit: the thread's 10 counted as held (hits 20)" \
	"$(tab "$TMP/ex" metrics hits) $(tab "$TMP/ex" metrics dropped_held)" "20 10"
check "exit: books balanced" grep -q '"accounting_ok": true' "$TMP/ex/run.json"

# kill -9 mid-batch: 100 records, 64 sent in a full batch, 36 held.
rec "$TMP/k" -- "$U" kill 100
expect_eq "kill: the trainer died of SIGKILL" "$RC" 137
expect_eq "kill: the full batch written, the rest counted as held" \
	"$(tab "$TMP/k" metrics hits) $(tab "$TMP/k" metrics written) $(tab "$TMP/k" metrics dropped_held)" "100 64 36"
expect_eq "kill: the first 64 steps, in order" \
	"$(duck1 "SELECT min(step) || '-' || max(step) FROM '$TMP/k/metrics-*.parquet'")" '"0-63"'
check "kill: books balanced" grep -q '"accounting_ok": true' "$TMP/k/run.json"

# exec mid-batch: the same, counted before the memory is replaced.
rec "$TMP/x" -- "$U" exec 100
expect_eq "exec: exit 0 (of /bin/true)" "$RC" 0
expect_eq "exec: the full batch written, the rest counted as held" \
	"$(tab "$TMP/x" metrics hits) $(tab "$TMP/x" metrics written) $(tab "$TMP/x" metrics dropped_held)" "100 64 36"

# exec into an image that batches too: the old image's held records are
# counted, the new one's buffer is a new one.
rec "$TMP/rx" -- "$U" reexec 100
expect_eq "reexec: exit 0" "$RC" 0
expect_eq "reexec: old image 64 written (36 counted), new image all 100" \
	"$(duck1 "SELECT string_agg(name || '=' || n, ' ' ORDER BY name) FROM (SELECT name, count(*) n FROM '$TMP/rx/metrics-*.parquet' GROUP BY name)") $(tab "$TMP/rx" metrics dropped_held)" '"x=64 y=100" 36'

# fork with 10 records held: the parent sends them; the child sends its 3
# and not the parent's copies.
rec "$TMP/f" --children -- "$U" fork 10
expect_eq "fork: exit 0" "$RC" 0
expect_eq "fork: the parent's 10 once, from the parent; the child's 3 from the child" \
	"$(duck1 "SELECT string_agg(name || '=' || n || '@' || procs, ' ' ORDER BY name) FROM (SELECT name, count(*) n, count(DISTINCT pid) procs FROM '$TMP/f/metrics-*.parquet' GROUP BY name)")" '"c=3@1 p=10@1"'
expect_eq "fork: two processes" \
	"$(duck1 "SELECT count(DISTINCT pid) FROM '$TMP/f/metrics-*.parquet'")" 2
expect_eq "fork: nothing held" "$(tab "$TMP/f" metrics dropped_held)" 0

# The split of time survives batching: a 50 ms sleep is waiting, 50 ms of
# spinning is not (it may be runnable beside a busy core, never blocked).
rec "$TMP/n" -- "$U" nap 4
expect_eq "nap: exit 0" "$RC" 0
expect_eq "nap: 4 naps, 4 spins, 4 steps" \
	"$(duck1 "SELECT string_agg(name || '=' || n, ' ' ORDER BY name) FROM (SELECT name, count(*) n FROM '$TMP/n/spans-*.parquet' GROUP BY name)")" '"mlprobe.step=4 nap=4 spin=4"'
# Off its CPU, not always blocked: a thread preempted after it armed its
# timer and before it blocked is runnable for that part of its sleep (seen
# beside a busy core: 50 ms as 3 ms runq + 46 ms wait).  The rows (ms) are in
# the message.
naps=$(duck1 "SELECT string_agg(cpu_ns//1000000 || '/' || runq_ns//1000000 || '/' || io_ns//1000000 || '/' || wait_ns//1000000, ' ' ORDER BY ts) FROM '$TMP/n/spans-*.parquet' WHERE name = 'nap'")
expect_eq "nap: every nap was off its CPU 45 ms or more (cpu/runq/io/wait ms: $naps)" \
	"$(duck1 "SELECT count(*) FROM '$TMP/n/spans-*.parquet' WHERE name = 'nap' AND runq_ns + io_ns + wait_ns >= 45000000 AND cpu_ns < 5000000")" 4
expect_eq "nap: no spin waited more than 5 ms" \
	"$(duck1 "SELECT count(*) FROM '$TMP/n/spans-*.parquet' WHERE name = 'spin' AND wait_ns + io_ns < 5000000")" 4
expect_eq "nap: every span's parts add up to its duration" \
	"$(duck1 "SELECT count(*) FROM '$TMP/n/spans-*.parquet' WHERE cpu_ns >= 0 AND cpu_ns + runq_ns + io_ns + wait_ns = duration_ns")" 12
duck "SELECT name, step, duration_ns, cpu_ns, runq_ns, wait_ns FROM '$TMP/n/spans-*.parquet' WHERE name <> 'mlprobe.step' ORDER BY ts" | sed 's/^/# /'

# Recording stops while the trainer holds 10 records: counted, and the
# trainer goes on unharmed.
"$U" hold 10 "$TMP/held" &
hp=$!
"$MLPROBE" record -q --batch -o "$TMP/h" -p $hp 2>"$TMP/h.err" &
mp=$!
if wait_for "$TMP/held" 10 30; then
	kill -INT $mp
	wait $mp
	expect_eq "stop: record exits 0" "$?" 0
	expect_eq "stop: the 10 held records counted, none written" \
		"$(tab "$TMP/h" metrics hits) $(tab "$TMP/h" metrics written) $(tab "$TMP/h" metrics dropped_held)" "10 0 10"
	check "stop: books balanced" grep -q '"accounting_ok": true' "$TMP/h/run.json"
	check "stop: the trainer still runs" kill -0 $hp
else
	not_ok "stop: the trainer did not see the batch probe attached ($(head -c 300 "$TMP/h.err"))"
	kill -INT $mp
fi
kill $hp 2>/dev/null
wait 2>/dev/null

# Two recordings of one running trainer, one after the other: each has its
# books balanced, and no record is in both (what the first left held in
# the trainer's buffer is counted there, and not sent again in the second).
"$U" loop "$TMP/looping" &
lp=$!
for k in 1 2; do
	"$MLPROBE" record -q --batch -o "$TMP/l$k" -p $lp 2>"$TMP/l$k.err" &
	mp=$!
	wait_for "$TMP/l$k.err" 'recording PID' 30 || true
	[ $k = 1 ] && { wait_for "$TMP/looping" . 30 || true; }
	sleep 1.5
	kill -INT $mp
	wait $mp
	expect_eq "loop, recording $k: exit 0, books balanced" "$? $(jsq "$TMP/l$k/run.json" d.accounting_ok)" "0 true"
	expect_eq "loop, recording $k: hits = written + held" \
		"$(tab "$TMP/l$k" metrics hits)" "$(( $(tab "$TMP/l$k" metrics written) + $(tab "$TMP/l$k" metrics dropped_held) ))"
done
kill $lp 2>/dev/null
wait $lp 2>/dev/null
expect_eq "loop: the second recording holds only its own records" \
	"$(duck1 "SELECT (SELECT max(step) FROM '$TMP/l1/metrics-*.parquet') < (SELECT min(step) FROM '$TMP/l2/metrics-*.parquet')")" true
expect_eq "loop: each recording wrote rows, none twice" \
	"$(duck1 "SELECT count(*) > 100 AND count(*) = count(DISTINCT step) FROM '$TMP/l2/metrics-*.parquet'")" true

# Names from a reused buffer (snprintf): not literals, so each record sends
# its batch while its text is there.  (Batched, 98% of the rows came out
# with another row's name.)
rec "$TMP/dn" -- "$PROGS/dynnames" 4 2000 16 >/dev/null
expect_eq "dynamic names: every row has its own name" \
	"$(duck1 "SELECT count(*) || '/' || count(*) FILTER (WHERE name = 'n' || CAST(value AS BIGINT)) FROM '$TMP/dn/metrics-*.parquet'")" '"8000/8000"'

# Python (Debian's, with the module): names from the module's table batch.
PY=/usr/bin/python3
cat > "$TMP/t.py" <<'PYEOF'
import mlprobe, threading
def work(t):
    for i in range(1000):
        with mlprobe.span("py.s"):
            mlprobe.metric("py.m", t * 1000 + i, float(i))
ts = [threading.Thread(target=work, args=(t,)) for t in range(3)]
for t in ts: t.start()
for t in ts: t.join()
PYEOF
PYTHONPATH=$ROOT/build/python rec "$TMP/py" -- "$PY" "$TMP/t.py"
expect_eq "python: exit 0" "$RC" 0
expect_eq "python: 3000 metrics and 3000 spans, nothing held, books balanced" \
	"$(tab "$TMP/py" metrics written) $(duck1 "SELECT count(*) FROM '$TMP/py/spans-*.parquet' WHERE name = 'py.s'") $(tab "$TMP/py" metrics dropped_held) $(jsq "$TMP/py/run.json" d.accounting_ok)" "3000 3000 0 true"
expect_eq "python: every metric once" \
	"$(duck1 "SELECT count(DISTINCT step) FROM '$TMP/py/metrics-*.parquet' WHERE name = 'py.m'")" 3000

# Without --batch the same binary traps per event, and records the same;
# a trainer killed then has lost nothing it emitted.
UBATCH_PER_EVENT=1 "$MLPROBE" record -q -o "$TMP/k1" -- "$U" kill 100 2>/dev/null
expect_eq "without --batch: kill -9 of the trainer loses nothing" \
	"$(tab "$TMP/k1" metrics hits) $(tab "$TMP/k1" metrics written) $(tab "$TMP/k1" metrics dropped_held)" "100 100 0"

"$MLPROBE" record -q -o "$TMP/pe" -- "$PROGS/threads" 2 1000 >/dev/null 2>&1
expect_eq "without --batch: per event, every record" \
	"$(tab "$TMP/pe" metrics written) $(tab "$TMP/pe" metrics dropped_held)" "2000 0"
done_testing
