#!/usr/bin/env bash
# Uprobe programs can be preempted in the middle (they run under
# migrate_disable(), and the sleepable ones may wait on a page fault).
# Kernels 6.13+ put a kprobe-type program whose frame reaches 64 bytes on a
# per-CPU "private stack", which two threads then share: a thread that runs
# the program while another is preempted inside it overwrites that one's
# saved registers, and one record comes out as a copy of another while the
# other is lost (seen here: about 1 run in 10 of `threads 8 50000`, always
# when a new thread made its first probe hit).  bpf/mlprobe.bpf.c keeps every
# uprobe program on the kernel stack; this test checks the JIT images of a
# live recording, then records threads that start while others are inside
# probes and checks that every event arrived exactly once.
. "$(dirname "$0")/lib.sh"
TOOLS=$ROOT/build/tools

# --- every program of a live recording runs on the task's stack ---
"$MLPROBE" record -o "$TMP/live" -- "$PROGS/churn" 100000 2 1000 \
	>/dev/null 2>"$TMP/live.err" &
mpid=$!
# Every program is loaded (and attached) once it says it is recording.
wait_for "$TMP/live.err" 'recording PID' 30 || not_ok "record did not start"
"$TOOLS/bpf_stack" "$mpid" >"$TMP/stack.txt" 2>"$TMP/stack.err"
expect_eq "bpf_stack read every program of the recording" "$?" 0
for p in mp_metric mp_span_begin mp_span_end mp_log mp_step mp_func_entry \
	 mp_func_exit mp_dl_state; do
	expect_eq "$p runs on the kernel stack, not a per-CPU one" \
		"$(awk -v p="$p" '$1 == p { print $2; exit }' "$TMP/stack.txt")" kernel
done
kill -TERM "$mpid"	# passed on to churn, which ends the recording
wait "$mpid"
rc=$?
# 143: churn's status (SIGTERM passed on); 0: it came while churn was
# still starting, and record stopped it there.
check "record stops on SIGTERM (exit $rc)" test "$rc" = 0 -o "$rc" = 143

# --- waves of threads that preempt each other inside the probes ---
# A 64 MiB ring holds all of it (about 42 MB of batches and logs), so a
# consumer slowed by the sanitizers and a busy neighbour drops nothing:
# a drop here would be counted, but this test is about copies and losses.
"$MLPROBE" record -q -r 64M -o "$TMP/ch" -- "$PROGS/churn" 20 8 2000 \
	>"$TMP/ch.out" 2>"$TMP/ch.err"
expect_eq "record -- churn exits 0" "$?" 0
emitted=$(sed -n 's/^emitted //p' "$TMP/ch.out")
expect_eq "churn emitted 320000 metrics" "$emitted" 320000
M="'$TMP/ch/metrics-*.parquet'"
S="'$TMP/ch/spans-*.parquet'"
L="'$TMP/ch/logs-*.parquet'"
expect_eq "every metric arrived exactly once" \
	"$(duck1 "SELECT count(*) = $emitted AND count(DISTINCT step) = $emitted AND min(step) = 0 AND max(step) = $((emitted - 1)) FROM $M")" true
expect_eq "every metric has its own thread's value" \
	"$(duck1 "SELECT count(*) FROM $M WHERE value <> step % 2000")" 0
expect_eq "every span arrived exactly once, 2000 per thread" \
	"$(duck1 "SELECT count(*) FROM (SELECT tid, count(*) n, count(DISTINCT ts) d FROM $S GROUP BY tid) WHERE n <> 2000 OR d <> 2000")" 0
expect_eq "160 threads' spans" "$(duck1 "SELECT count(DISTINCT tid) FROM $S")" 160
expect_eq "every log arrived exactly once, 32 per thread" \
	"$(duck1 "SELECT count(*) = 5120 AND count(DISTINCT (tid, ts)) = 5120 FROM $L")" true
check "run.json accounting ok" grep -q '"accounting_ok": true' "$TMP/ch/run.json"
echo "# drops (metrics, spans, logs): $(jsq "$TMP/ch/run.json" '["metrics", "spans", "logs"].map(t => d.tables[t].dropped).join(" ")')"
done_testing
