#!/usr/bin/env bash
# Why was a step slow (issue 16).  tests/progs/slowsteps, whose steps are
# slow for known reasons, gets each cause in its column of the spans table
# (wait for a sleep, io for an fsync, runq beside a spinner on its CPU,
# page faults for fresh memory), every span's parts add up to its
# duration, and `explain` names each cause for the right steps, in text
# and JSON.  A DataLoader-style worker that feeds a pipe slowly shows as
# wait in the main thread's data span, not cpu.  Debian's python3 gets
# python.gc.genN spans with no change to the script, by launch and by -p,
# and explain names gc for the steps that collect generation 2 (with the
# module's steps).  compare judges a span's own time, so two CPU hogs do
# not fail the build, but 10% more work beside them does.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3	# Debian's, with CPython's gc probes (a pyenv shim has none)
GC=$ROOT/tests/python/gcsteps.py

# --- slowsteps: each cause in its column ---
"$MLPROBE" record -q -o "$TMP/ss" -- "$PROGS/slowsteps" 40 "$TMP" >"$TMP/ss.out" 2>"$TMP/ss.err"
expect_eq "record slowsteps exits 0" "$?" 0
S="'$TMP/ss/spans-*.parquet'"
expect_eq "40 steps, with their data, save and alloc spans" \
	"$(duck1 "SELECT string_agg(name || ':' || n, ' ' ORDER BY name) FROM (SELECT name, count(*) n FROM $S GROUP BY name)")" \
	'"alloc:4 compute:40 data:4 mlprobe.step:40 save:4"'
expect_eq "every span: cpu_ns + runq_ns + io_ns + wait_ns = duration_ns" \
	"$(duck1 "SELECT count(*) FROM $S WHERE cpu_ns + runq_ns + io_ns + wait_ns <> duration_ns OR least(cpu_ns, runq_ns, io_ns, wait_ns) < 0")" 0
# Known open problem (issue 16 note): rarely (seen 1 run in ~50 here, with
# drop_caches and a busy core beside it, and once in CI) one sleep's span
# gets no off-CPU time at all although the scheduler hooks saw the thread
# leave and return (checked with bpf_printk).  Until it is found, one of
# the four may miss; the rows are printed so the next one can be read.
duck "SELECT step, duration_ns, cpu_ns, runq_ns, io_ns, wait_ns FROM $S WHERE name = 'data' ORDER BY step" | sed 's/^/# data: /'
# Off its CPU, not always blocked: a thread preempted after it armed its
# timer is runnable for that part of its sleep (seen in test_ubatch).
expect_eq "data (a 40 ms sleep): off its CPU, 90% of the span or more, in 3 of 4 or more" \
	"$(duck1 "SELECT count(*) >= 3 FROM $S WHERE name = 'data' AND runq_ns + io_ns + wait_ns >= 0.9 * duration_ns AND wait_ns > 0")" true
expect_eq "save (16 MiB fsynced): each span has I/O wait, and no other span has any" \
	"$(duck1 "SELECT count(*) FILTER (WHERE name = 'save' AND io_ns = 0) || ' ' || count(*) FILTER (WHERE name NOT IN ('save', 'mlprobe.step') AND io_ns > 0) FROM $S")" \
	'"0 0"'
# The spinner wakes during compute and takes about half the CPU from it;
# other jobs on the machine add runnable time to every compute alike.  The
# scheduler may also let a compute (2.5 ms, less than a tick and a time
# slice) run to its end before the spinner gets the CPU: measured, 1 step
# in 8.  So most, not all, of the spinner's steps have runnable time.
runqsteps=$(duck1 "SELECT string_agg(step, ' ' ORDER BY step) FROM $S WHERE name = 'compute' AND step % 10 = 7 AND runq_ns >= 0.2 * duration_ns" | tr -d '"')
echo "# computes beside the spinner with 20% or more runnable: $runqsteps"
check "compute beside the spinner (step % 10 == 7): runnable, 20% of the span or more, in most" \
	test "$(wc -w <<<"$runqsteps")" -ge 2
expect_eq "  ... more of it than the other computes (medians)" \
	"$(duck1 "SELECT median(runq_ns / duration_ns) FILTER (WHERE step % 10 = 7) > median(runq_ns / duration_ns) FILTER (WHERE step % 10 <> 7) FROM $S WHERE name = 'compute'")" true
# 64 MiB touched: 16384 faults in 4 KiB pages, 32 at the least in 2 MiB ones
expect_eq "alloc (64 MiB touched): the page faults, 10 times what any compute took" \
	"$(duck1 "SELECT min(minflt) FILTER (WHERE name = 'alloc') >= greatest(32, 10 * (max(minflt) FILTER (WHERE name = 'compute') + 1)) FROM $S")" true

# --- explain names each cause for its steps ---
"$MLPROBE" explain "$TMP/ss" --top 40 --format json >"$TMP/ss.json" 2>"$TMP/err"
expect_eq "explain --format json exits 0" "$?" 0
expect_eq "  ... one object a line, for every step" "$(wc -l <"$TMP/ss.json")" 40
# jl EXPR: EXPR over the JSON lines of $TMP/ss.json as the array d
jl() {
	node -e 'const d = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
		const v = eval(process.argv[2]); console.log(typeof v === "string" ? v : JSON.stringify(v))' "${JL:-$TMP/ss.json}" "$1"
}
# causes K: "step:cause:span" of the steps with step % 10 == K
causes() { jl "d.filter(o => o.step % 10 === $1).sort((a, b) => a.step - b.step).map(o => o.step + ':' + o.cause + ':' + o.span).join(' ')"; }
sleeps=$(causes 3)
echo "# sleep steps: $sleeps"
check "json: the sleeps are wait in data (3 of 4 or more; see the data rows above)" \
	test "$(tr ' ' '\n' <<<"$sleeps" | grep -c ':wait:data$')" -ge 3
# On a busy machine another part of a short step can come out ahead (a
# page of its code faulted back in is I/O): runq in compute is named for
# each step whose compute the spinner slowed, and the cause of most.
expect_eq "json: the spinner's steps (those it slowed) name runq in compute" \
	"$(jl "d.filter(o => ' $runqsteps '.includes(' ' + o.step + ' ')).sort((a, b) => a.step - b.step).map(o => o.step + ':' + (o.causes.includes('runq') && o.spans.runq === 'compute')).join(' ')")" \
	"$(for st in $runqsteps; do printf '%s:true ' "$st"; done | sed 's/ $//')"
expect_eq "json: runq in compute is the cause of most of them" \
	"$(jl "d.filter(o => ' $runqsteps '.includes(' ' + o.step + ' ') && o.cause === 'runq' && o.span === 'compute').length * 2 > $(wc -w <<<"$runqsteps")")" true
# A long step on a busy machine can wait for a CPU longer than it faulted:
# then runq is its cause, and the faults come second.
expect_eq "json: fresh memory is fault in alloc (the cause, or second to runq)" \
	"$(jl "d.filter(o => o.step % 10 === 9).map(o => o.causes.includes('fault') && o.spans.fault === 'alloc' && (o.cause === 'fault' || o.causes.join() === 'runq,fault')).join(' ')")" \
	"true true true true"
# fault is the cause of an alloc step unless the step waited for a CPU
# longer than it faulted (beside a busy core on a guest where a fault is
# slow, all four did: 0 of 4 had fault first, each with more runq).
expect_eq "json: alloc steps have fault as their cause, or runq beyond their faulting" \
	"$(jl "d.filter(o => o.step % 10 === 9).map(o => o.cause === 'fault' || (o.cause === 'runq' && o.excess_ns.runq > o.excess_ns.fault)).join(' ')")" \
	"true true true true"
# Writing 16 MiB into the page cache costs CPU too (on this VM often more
# than fsync's I/O wait): the save steps' cause is io or cpu (or runq on a
# busy machine), and their I/O wait beyond the median is in save.
expect_eq "json: the saves have io beyond the median, in save" \
	"$(jl "d.filter(o => o.step % 10 === 5).map(o => o.excess_ns.io > 0 && o.spans.io === 'save' && o.spans[o.cause] === 'save').join(' ')")" \
	"true true true true"
expect_eq "json: every object has the fields (parts add up to duration_ns)" \
	"$(jl "d.filter(o => !(Number.isInteger(o.step) && o.rank === null && o.pid > 0 && o.duration_ns === o.cpu_ns + o.runq_ns + o.io_ns + o.wait_ns + o.gc_ns && o.median_ns > 0 && 'fault' in o.excess_ns)).length")" 0
expect_eq "json: the faults are counted (at least 32 for 64 MiB)" \
	"$(jl "d.filter(o => o.cause === 'fault').every(o => o.minflt >= 32 && o.faults_excess >= 32)")" true

# what explain said of the steps that have a cause, for the log
jl "d.filter(o => [3, 5, 7, 9].includes(o.step % 10)).sort((a, b) => a.step - b.step).map(o => '# step ' + o.step + ': ' + o.causes.join(',') + ' ' + JSON.stringify(o.spans) + ' minflt ' + o.minflt + ' majflt ' + o.majflt + ' excess ' + JSON.stringify(o.excess_ns)).join('\\n')"
"$MLPROBE" explain "$TMP/ss" --top 40 >"$TMP/ss.txt" 2>"$TMP/err"
expect_eq "explain (table) exits 0, nothing on stderr" "$?:$(wc -c <"$TMP/err")" "0:0"
# one line per step, continuation lines joined
joined=$(sed -e ':a' -e 'N' -e '$!ba' -e 's/,\n    /, /g' "$TMP/ss.txt")
line() { grep -E "^step $1: " <<<"$joined"; }
check "table: step 3 is wait in data" grep -Eq '^step 3: [0-9.]+ ms, \+[0-9.]+ ms wait in data' <<<"$(line 3)"
st=${runqsteps%% *}
check "table: step ${st:-7} names runq in compute" grep -Eq "^step ${st:-7}: [0-9.]+ ms, .*\\+[0-9.]+ ms runq in compute" <<<"$(line "${st:-7}")"
check "table: step 9 is fault in alloc, with the count" \
	grep -Eq '^step 9: [0-9.]+ ms, .*\+[0-9.]+ ms fault \([0-9]+ faults\) in alloc' <<<"$(line 9)"
check "table: a save step names io in save" \
	grep -Eq '^step [0-9]*5: .*\+[0-9.]+ ms io in save' <<<"$joined"
check "table: the header names the run, its steps and the median" \
	grep -Eq "^$TMP/ss: 40 steps of one thread \(pid [0-9]+\), median [0-9.]+ ms$" "$TMP/ss.txt"
check "table: no line over 80 columns" test "$(wc -L <"$TMP/ss.txt")" -le 80
"$MLPROBE" explain "$TMP/ss" --steps 20:29 --top 2 -f json >"$TMP/w.json"
expect_eq "--steps 20:29 --top 2: the two slowest of those steps" \
	"$(JL=$TMP/w.json jl "d.map(o => o.step % 10).sort().join(' ')")" "3 9"

# --- several ranks (--partition --all): a step is as slow as its slowest
# rank, which each line names ---
"$MLPROBE" record -o "$TMP/part" --partition --all "$PROGS/slowsteps" -F 0.2 \
	>/dev/null 2>"$TMP/part.err" &
mpid=$!
wait_for "$TMP/part.err" 'recording every process' 20 || not_ok "record --all did not start"
# (mlprobe reads a process's rank from its environment when its first
# rows arrive: a rank must still be running then, so not too short a run)
for r in 0 1; do
	RANK=$r WORLD_SIZE=2 "$PROGS/slowsteps" 30 "$TMP" >"$TMP/rank$r.out" &
done
wait_for "$TMP/rank0.out" '^done' 30 && wait_for "$TMP/rank1.out" '^done' 30
kill -INT "$mpid"
wait "$mpid"
expect_eq "record --partition --all of two ranks exits 0" "$?" 0
"$MLPROBE" explain "$TMP/part" --top 30 -f json >"$TMP/part.json" 2>"$TMP/err"
expect_eq "ranks: explain lists each step number once, from 2 ranks" \
	"$(JL=$TMP/part.json jl "d.length + ' ' + new Set(d.map(o => o.step)).size + ' ' + d.every(o => o.ranks === 2 && (o.rank === 0 || o.rank === 1))")" \
	"30 30 true"
# the straggler is the rank whose step span is the longest (DuckDB reads
# the rank from the rank=R folders)
expect_eq "ranks: each line is its step's longest rank" \
	"$(duck1 "SELECT string_agg(step || ':' || r || ':' || d, ' ') FROM (SELECT step, arg_max(rank, duration_ns) r, max(duration_ns) d FROM read_parquet('$TMP/part/**/spans-*.parquet', hive_partitioning = true) WHERE name = 'mlprobe.step' GROUP BY step)" | tr -d '"' | tr ' ' '\n' | sort)" \
	"$(JL=$TMP/part.json jl "d.map(o => o.step + ':' + o.rank + ':' + o.duration_ns).join('\\n')" | sort)"
"$MLPROBE" explain "$TMP/part" --steps 3 >"$TMP/part.txt"
check "ranks: the table names the straggler, and the cause" \
	grep -Eq '^step 3: [0-9.]+ ms on rank [01] of 2 \(median [0-9.]+ ms\), \+[0-9.]+ ms wait in data' "$TMP/part.txt"
check "ranks: the header counts them" grep -q ": 60 steps of 2 ranks" "$TMP/part.txt"

# --- a DataLoader's shape: the main thread waits for the worker's batches ---
"$MLPROBE" record -q -o "$TMP/ld" -- "$PROGS/slowsteps" loader 20 >/dev/null 2>"$TMP/ld.err"
expect_eq "record slowsteps loader exits 0" "$?" 0
L="'$TMP/ld/spans-*.parquet'"
expect_eq "loader: the main thread's data spans are wait (80% or more), not cpu (under 10%)" \
	"$(duck1 "SELECT sum(wait_ns) >= 0.8 * sum(duration_ns) AND sum(cpu_ns) < 0.1 * sum(duration_ns) AND count(*) = 20 FROM $L WHERE name = 'data' AND pid = tid")" true
"$MLPROBE" explain "$TMP/ld" --top 1 -f json >"$TMP/ld.json"
expect_eq "loader: explain's median step is more wait than cpu" \
	"$(JL=$TMP/ld.json jl "d[0].median.wait > d[0].median.cpu")" true

# --- CPython's collections, without import mlprobe ---
"$MLPROBE" record -q -o "$TMP/gc" -- "$PY" "$GC" 20 >"$TMP/gc.out" 2>"$TMP/gc.err"
expect_eq "launch: record -- python3 gcsteps.py exits 0" "$?" 0
G="'$TMP/gc/spans-*.parquet'"
# gc.collect() at steps 9 and 19 at least; generation 0 many times a step
expect_eq "launch: python.gc.gen0 and gen2 spans" \
	"$(duck1 "SELECT count(*) FILTER (WHERE name = 'python.gc.gen0') > 20 AND count(*) FILTER (WHERE name = 'python.gc.gen2') >= 2 FROM $G")" true
expect_eq "launch: nothing but collections (the script has no probes)" \
	"$(duck1 "SELECT count(*) FROM $G WHERE name NOT LIKE 'python.gc.gen_'")" 0

mkfifo "$TMP/go"
"$PY" "$GC" 20 --gate <"$TMP/go" >"$TMP/gcp.out" 2>&1 &
exec 7>"$TMP/go"
wait_for "$TMP/gcp.out" '^ready' 20
gpid=$(awk '/^ready/ { print $2 }' "$TMP/gcp.out")
"$MLPROBE" record -o "$TMP/gcp" -p "$gpid" >/dev/null 2>"$TMP/gcp.err" &
rpid=$!
wait_for "$TMP/gcp.err" 'recording PID' 20
echo go >&7	# the steps begin only once the probes are attached
exec 7>&-
wait "$rpid"
expect_eq "-p: record ends with the interpreter, exit 0" "$?" 0
check "-p: the script finished" grep -q '^done' "$TMP/gcp.out"
expect_eq "-p: python.gc.gen0 and gen2 spans" \
	"$(duck1 "SELECT count(*) FILTER (WHERE name = 'python.gc.gen0') > 20 AND count(*) FILTER (WHERE name = 'python.gc.gen2') >= 2 FROM '$TMP/gcp/spans-*.parquet'")" true

# With the module's steps and spans, the collections nest in forward and
# the steps that collect generation 2 are slow because of gc.
PYTHONPATH=$ROOT/build/python "$MLPROBE" record -q -o "$TMP/gcm" -- "$PY" "$GC" 30 --module \
	>/dev/null 2>"$TMP/gcm.err"
expect_eq "launch with the module exits 0" "$?" 0
# (DuckDB reads ts at microseconds: 1 us of slack at the end)
GM="'$TMP/gcm/spans-*.parquet'"
expect_eq "module: the collections inside forward spans nest in them (depth 1)" \
	"$(duck1 "SELECT count(*) FILTER (WHERE g.depth <> 1) || ' ' || (count(*) > 20) FROM $GM g JOIN $GM f
		ON g.tid = f.tid AND g.ts >= f.ts AND epoch_us(g.ts) * 1000 + g.duration_ns <= epoch_us(f.ts) * 1000 + f.duration_ns + 1000
		WHERE g.name LIKE 'python.gc.%' AND f.name = 'forward'")" '"0 true"'
"$MLPROBE" explain "$TMP/gcm" --top 30 -f json >"$TMP/gcm.json"
# (a busy machine can add more runnable time to a step, after its sleep,
# than the collection took: gc is named for each, and the cause of most)
expect_eq "explain: steps 9, 19, 29 name gc (python.gc.gen2) in forward" \
	"$(JL=$TMP/gcm.json jl "d.filter(o => o.step % 10 === 9).sort((a, b) => a.step - b.step).map(o => o.step + ':' + o.causes.includes('gc') + ':' + o.gc_span + ':' + o.spans.gc).join(' ')")" \
	"9:true:python.gc.gen2:forward 19:true:python.gc.gen2:forward 29:true:python.gc.gen2:forward"
gcstep=$(JL=$TMP/gcm.json jl "d.filter(o => o.step % 10 === 9 && o.cause === 'gc').map(o => o.step).sort((a, b) => a - b).join(' ')")
check "explain: gc is the cause of most of them ($gcstep)" test "$(wc -w <<<"$gcstep")" -ge 2
"$MLPROBE" explain "$TMP/gcm" --steps "${gcstep%% *}" >"$TMP/gcm.txt"
check "table: step ${gcstep%% *} names gc, the generation and the span" \
	grep -Eq "^step ${gcstep%% *}: [0-9.]+ ms, \\+[0-9.]+ ms gc \\(python\\.gc\\.gen2\\) in forward" "$TMP/gcm.txt"

# --- compare beside two CPU hogs ---
# These assert compare's verdicts, not durations: that the verdict stays
# right when the wall time is not is the point of judging own time.
"$MLPROBE" record -q -o "$TMP/quiet" -- "$PROGS/fixedwork" 100 >/dev/null 2>&1
taskset -c 0 sh -c 'while :; do :; done' &
hog0=$!
taskset -c 1 sh -c 'while :; do :; done' &
hog1=$!
"$MLPROBE" record -q -o "$TMP/hogs" -- "$PROGS/fixedwork" 100 >/dev/null 2>&1
"$MLPROBE" record -q -o "$TMP/hogs10" -- "$PROGS/fixedwork" 100 10 >/dev/null 2>&1
kill "$hog0" "$hog1"
wait "$hog0" "$hog1" 2>/dev/null
"$MLPROBE" compare --fail-on 5% -f json "$TMP/quiet" "$TMP/hogs" >"$TMP/c1.json" 2>"$TMP/c1.err"
expect_eq "same work beside two hogs: compare --fail-on 5% passes" "$?" 0
expect_eq "  ... compute is contention, not slower" \
	"$(jsq "$TMP/c1.json" 'd.rows.find(r => r.name === "compute").verdict')" contention
"$MLPROBE" compare --fail-on 5% --time wall "$TMP/quiet" "$TMP/hogs" >"$TMP/c1w.txt" 2>&1
expect_eq "  ... the hogs did slow its wall time: --time wall fails" "$?" 1
"$MLPROBE" compare --fail-on 5% -f json "$TMP/quiet" "$TMP/hogs10" >"$TMP/c2.json" 2>"$TMP/c2.err"
expect_eq "10% more work beside the same hogs: compare --fail-on 5% fails" "$?" 1
expect_eq "  ... and names compute" \
	"$(jsq "$TMP/c2.json" 'd.rows.filter(r => r.fails && r.name === "compute").map(r => r.verdict).join()')" slower

# --- bad input: one line, exit 2 ---
mkdir "$TMP/empty"
expect_fail "explain: an empty directory" "$TMP/empty: no metrics, spans or logs Parquet files here" \
	"$MLPROBE" explain "$TMP/empty"
expect_eq "  ... exit 2" "$LAST_RC" 2
expect_fail "explain: a run without steps" "$TMP/gc: holds no steps (no mlprobe.step spans" \
	"$MLPROBE" explain "$TMP/gc"
expect_eq "  ... exit 2" "$LAST_RC" 2
expect_fail "explain: no step in the window" "no step in --steps 500:600 (its steps are 0 to 39)" \
	"$MLPROBE" explain "$TMP/ss" --steps 500:600
cp -r "$TMP/ss" "$TMP/corrupt"
printf 'garbage!' | dd of="$TMP/corrupt/spans-0000.parquet" bs=1 seek=200 conv=notrunc 2>/dev/null
expect_fail "explain: a corrupt file" "$TMP/corrupt/spans-0000.parquet: " "$MLPROBE" explain "$TMP/corrupt"
expect_fail "explain: a bad --top" "invalid --top '0'" "$MLPROBE" explain "$TMP/ss" --top 0
expect_eq "  ... exit 2" "$LAST_RC" 2
expect_fail "explain: a bad --steps" "invalid --steps '9:3'" "$MLPROBE" explain "$TMP/ss" --steps 9:3
expect_fail "explain: a bad format" "unknown format 'md'" "$MLPROBE" explain "$TMP/ss" -f md
expect_fail "explain: no recording" "give a recording" "$MLPROBE" explain
done_testing
