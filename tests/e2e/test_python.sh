#!/usr/bin/env bash
# The Python package (python/, `make python`): its probes are found
# in the .so and in a running interpreter; examples/train.py recorded by
# launch and by attach, every metric exact in DuckDB; multiprocessing
# workers under --children; 4 threads at once; spans balanced when the body
# raises; TypeError for bad values attached or not; names passed through
# reused str memory stay distinct; `pip install ./python` offline.
. "$(dirname "$0")/lib.sh"

PY=${PYTHON:-/usr/bin/python3}
export PYTHONPATH=$ROOT/build/python
# The script's own spans: not the steps' and collections' that mlprobe
# makes (mlprobe.step, python.gc.genN; test_whyslow checks those).
OWN="name <> 'mlprobe.step' AND name NOT LIKE 'python.gc.%'"
EMIT=$ROOT/tests/python/emit.py
MOD=$(ls "$ROOT"/build/python/mlprobe/_core*.so 2>/dev/null | head -1)
[ -n "$MOD" ] || { not_ok "build/python/mlprobe/_core*.so missing: run make python"; done_testing; }
count_of() { # FILE KIND STAT from run.json
	jsq "$1" "d.events['$2']['$3']"
}

# --- the module's probes ---
out=$("$MLPROBE" list "$MOD")
sites=$(grep -o '([0-9]* probes, [0-9]* sites)' <<<"$out")
# The five probes, one site each, and the batch probe (one site in each of
# the two files that include the header).
expect_eq "mlprobe list finds the 5 probes and batch in the extension" "$sites" "(6 probes, 7 sites)"
expect_eq "MODULE_SITES (the import wait's count) matches the sites" \
	"$(sed -n 's/^#define MODULE_SITES \([0-9]*\)/\1/p' "$ROOT/python/mlprobe.c")" 5
check "same provider and argument ABI as the C header (metric: 8@ -8@ 8@)" \
	grep -Eq 'mlprobe:metric +1 +8@%[a-z0-9]+ -8@%[a-z0-9]+ 8@%[a-z0-9]+' <<<"$out"

# --- launch: record -- python3 examples/train.py ---
"$MLPROBE" record -q -o "$TMP/tr" -- "$PY" "$ROOT/examples/train.py" --steps 500 \
	--dump "$TMP/tr.csv" --quiet 2>"$TMP/tr.err"
expect_eq "record -- python3 train.py exits 0" "$?" 0
M="'$TMP/tr/metrics-*.parquet'"
CSV="read_csv('$TMP/tr.csv', header = false, columns = {'name': 'VARCHAR', 'step': 'BIGINT', 'value': 'DOUBLE'})"
n=$(wc -l <"$TMP/tr.csv")
expect_eq "launch: every metric the script emitted is recorded ($n)" \
	"$(duck1 "SELECT count(*) FROM $M")" "$n"
expect_eq "launch: each one exact (name, step and value bits)" \
	"$(duck1 "SELECT count(*) FROM $M m JOIN $CSV d ON m.name = d.name AND m.step = d.step AND m.value = d.value")" "$n"
expect_eq "launch: loss, accuracy, lr and grad_norm for all 500 steps from step 0" \
	"$(duck1 "SELECT string_agg(name || ':' || c, ' ' ORDER BY name) FROM (SELECT name, count(DISTINCT step) || '/' || min(step) c FROM $M GROUP BY name)")" \
	'"accuracy:500/0 grad_norm:500/0 loss:500/0 lr:500/0"'
expect_eq "launch: the loss falls (first > 0.5, last < 0.1)" \
	"$(duck1 "SELECT (SELECT value FROM $M WHERE name = 'loss' AND step = 0) > 0.5 AND (SELECT value FROM $M WHERE name = 'loss' AND step = 499) < 0.1")" true
expect_eq "launch: spans data, forward, backward, update in step, 500 each" \
	"$(duck1 "SELECT string_agg(name || ':' || depth || ':' || n, ' ' ORDER BY name) FROM (SELECT name, depth, count(*) n FROM '$TMP/tr/spans-*.parquet' WHERE $OWN GROUP BY ALL)")" \
	'"backward:1:500 data:1:500 forward:1:500 step:0:500 update:1:500"'
expect_eq "launch: logs (start, 4 evaluations, finished)" \
	"$(duck1 "SELECT count(*) FROM '$TMP/tr/logs-*.parquet' WHERE message LIKE 'start:%' OR message LIKE 'eval at step %' OR message = 'finished'")" 6
check "launch: accounting ok" grep -q '"accounting_ok": true' "$TMP/tr/run.json"

# --- launch with --prometheus (its HTTP thread runs while the command is
# forked): the command's environment is mlprobe's, plus MLPROBE_ATTACH_WAIT
# set once, to its own PID; and it holds no descriptor of mlprobe's ---
port=$(free_port)
FORKEXEC_MARK=kept "$MLPROBE" record -q -o "$TMP/penv" --prometheus "127.0.0.1:$port" \
	-- "$PY" -c 'import os, mlprobe
print(os.environ["MLPROBE_ATTACH_WAIT"] == str(os.getpid()),
      sum(k == "MLPROBE_ATTACH_WAIT" for k in os.environ), os.environ["FORKEXEC_MARK"])
os.system("ls -l /proc/%d/fd/ >&2" % os.getpid())' >"$TMP/penv.out" 2>"$TMP/penv.err"
expect_eq "launch, --prometheus: exits 0" "$?" 0
expect_eq "launch, --prometheus: MLPROBE_ATTACH_WAIT is the command's PID, once; the rest of the environment kept" \
	"$(cat "$TMP/penv.out")" "True 1 kept"
check "launch, --prometheus: the command listed its descriptors" grep -q ' 0 -> ' "$TMP/penv.err"
expect_eq "launch, --prometheus: no descriptor of mlprobe's leaks into the command" \
	"$(leaked_fds "$TMP/penv.err" | tr '\n' ' ')" ""

# --- attach: -p PID on an interpreter that is already training ---
"$PY" "$ROOT/examples/train.py" --steps 2500 --sleep 0.002 --dump "$TMP/at.csv" >"$TMP/at.out" &
tpid=$!
wait_for "$TMP/at.out" '^step 200 ' 30 || not_ok "train.py did not start"
check "mlprobe list -p finds the module in the running interpreter" \
	eval '"$MLPROBE" list -p "$tpid" | grep -q "mlprobe/_core.cpython.*(6 probes"'
"$MLPROBE" record -q -o "$TMP/at" -p "$tpid" --flush-interval 0.2 2>"$TMP/at.err"
expect_eq "record -p ends when the trainer exits, exit 0" "$?" 0
wait "$tpid"
expect_eq "the trainer finished fine" "$?" 0
M="'$TMP/at/metrics-*.parquet'"
CSV="read_csv('$TMP/at.csv', header = false, columns = {'name': 'VARCHAR', 'step': 'BIGINT', 'value': 'DOUBLE'})"
n=$(duck1 "SELECT count(*) FROM $M")
check "attach: metrics recorded ($n)" test "${n:-0}" -gt 100
expect_eq "attach: each one exact (found in the script's own dump)" \
	"$(duck1 "SELECT count(*) FROM $M m JOIN $CSV d ON m.name = d.name AND m.step = d.step AND m.value = d.value")" "$n"
expect_eq "attach: loss gapless from attach to the last step, not from 0" \
	"$(duck1 "SELECT min(step) > 0 AND max(step) = 2499 AND count(*) = max(step) - min(step) + 1 AND count(DISTINCT step) = count(*) FROM $M WHERE name = 'loss'")" true
check "attach: accounting ok" grep -q '"accounting_ok": true' "$TMP/at/run.json"

# --- multiprocessing: forked workers' spans under --children ---
"$MLPROBE" record -q -o "$TMP/fk" --children -- "$PY" "$EMIT" fork 4 2000 >"$TMP/fk.out" 2>&1
expect_eq "record --children -- python3 (Pool of 4, fork) exits 0" "$?" 0
check "the workers ran fine" grep -q 'workers ok' "$TMP/fk.out"
parent=$(sed -n 's/^parent //p' "$TMP/fk.out")
S="'$TMP/fk/spans-*.parquet'"
expect_eq "4 workers, each 2000 'work' spans, ppid = the parent" \
	"$(duck1 "SELECT count(*) FROM (SELECT pid FROM $S WHERE name = 'work' AND ppid = ${parent:-0} GROUP BY pid HAVING count(*) = 2000)")" 4
expect_eq "each worker's metrics: 2000, gapless, its own index as value" \
	"$(duck1 "SELECT count(DISTINCT v) FROM (SELECT pid, min(value) v FROM '$TMP/fk/metrics-*.parquet' GROUP BY pid HAVING count(DISTINCT step) = 2000 AND min(step) = 0 AND max(step) = 1999 AND min(value) = max(value))")" 4
expect_eq "no unmatched span in any worker" \
	"$(count_of "$TMP/fk/run.json" span_end unmatched)/$(count_of "$TMP/fk/run.json" span_begin unmatched)" 0/0

# --- 4 threads at once: every event delivered or counted ---
"$MLPROBE" record -q -o "$TMP/th" -- "$PY" "$EMIT" threads 4 50000 >"$TMP/th.out" 2>&1
expect_eq "record -- python3 (4 threads) exits 0" "$?" 0
emitted=$(sed -n 's/^emitted //p' "$TMP/th.out")
rows=$(duck1 "SELECT count(*) FROM '$TMP/th/metrics-*.parquet'")
dropped=$(( $(count_of "$TMP/th/run.json" metric dropped_ring_full) + $(count_of "$TMP/th/run.json" metric dropped_name) ))
expect_eq "threads: the kernel counted every call" "$(count_of "$TMP/th/run.json" metric hits)" "${emitted:-?}"
expect_eq "threads: delivered + dropped == emitted ($rows + $dropped)" "$((rows + dropped))" "${emitted:-?}"
expect_eq "threads: no event twice" \
	"$(duck1 "SELECT count(DISTINCT step) FROM '$TMP/th/metrics-*.parquet'")" "$rows"
expect_eq "threads: 4 threads seen" \
	"$(duck1 "SELECT count(DISTINCT tid) FROM '$TMP/th/metrics-*.parquet'")" 4

# --- spans stay balanced when the body raises ---
"$MLPROBE" record -q -o "$TMP/rs" -- "$PY" "$EMIT" raise 1000 >"$TMP/rs.out" 2>&1
expect_eq "record -- python3 (raising bodies) exits 0" "$?" 0
check "every exception reached the caller" grep -q 'caught 2000' "$TMP/rs.out"
expect_eq "outer, inner (depth 1) and decorated spans: 1000 each" \
	"$(duck1 "SELECT string_agg(name || ':' || depth || ':' || n, ' ' ORDER BY name) FROM (SELECT name, depth, count(*) n FROM '$TMP/rs/spans-*.parquet' WHERE $OWN GROUP BY ALL)")" \
	'"deco:0:1000 inner:1:1000 outer:0:1000"'
expect_eq "no unmatched span_begin or span_end" \
	"$(count_of "$TMP/rs/run.json" span_end unmatched)/$(count_of "$TMP/rs/run.json" span_begin unmatched)" 0/0
expect_eq "each span carries its step" \
	"$(duck1 "SELECT count(*) FROM '$TMP/rs/spans-*.parquet' WHERE step IS NULL AND $OWN")" 0

# --- bad values raise TypeError, attached or not ---
"$PY" "$EMIT" errors >"$TMP/er1.out" 2>&1
"$MLPROBE" record -q -o "$TMP/er" -- "$PY" "$EMIT" errors >"$TMP/er2.out" 2>&1
for f in er1 er2; do
	cat "$TMP/$f.out"
	check "$f: the checks ran ($(grep -c '^ok' "$TMP/$f.out") ok)" test "$(grep -c '^ok' "$TMP/$f.out")" -ge 20
done
check "the attached run was attached" grep -q '^ok - \[attached\]' "$TMP/er2.out"
expect_eq "steps of every int size recorded exact" \
	"$(duck1 "SELECT string_agg(CAST(step AS VARCHAR), ' ' ORDER BY step) FROM '$TMP/er/metrics-*.parquet' WHERE name = 'big'")" \
	'"-9223372036854775808 -1073741824 -1 0 1073741823 1073741824 1099511627776 9223372036854775807"'
expect_eq "the surrogate name was recorded escaped, not raised" \
	"$(duck1 "SELECT name FROM '$TMP/er/metrics-*.parquet' WHERE step = 7")" '"bad\\udcff"'

# --- names through reused memory stay distinct: with the stable-address
# table (default) and without it (every name at the caller's own str) ---
for max in 65536 0; do
	MLPROBE_NAMES_MAX=$max "$MLPROBE" record -q -o "$TMP/nm$max" -- "$PY" "$EMIT" names 7000 >"$TMP/nm.out" 2>&1
	expect_eq "[table $max] record exits 0" "$?" 0
	reused=$(sed -n 's/^reused //p' "$TMP/nm.out")
	check "[table $max] str memory was reused for another name ($reused times)" test "${reused:-0}" -gt 1000
	expect_eq "[table $max] 7 names, 1000 rows each, each with its own value" \
		"$(duck1 "SELECT count(*) FROM (SELECT name FROM '$TMP/nm$max/metrics-*.parquet' GROUP BY name HAVING count(*) = 1000 AND min(value) = max(value) AND name = 'n' || CAST(min(value) AS INT))")" 7
done

# --- pip install ./python, offline, with Debian's setuptools ---
rm -rf "$ROOT/python/build"
if "$PY" -m pip install --no-index --no-build-isolation --target "$TMP/site" "$ROOT/python" >"$TMP/pip.out" 2>&1; then
	ok "pip install --no-index --no-build-isolation ./python"
else
	not_ok "pip install ./python: $(tail -3 "$TMP/pip.out")"
fi
rm -rf "$ROOT/python/build" "$ROOT"/python/*.egg-info
expect_eq "pip installed the C extension and every file of the package" \
	"$(cd "$TMP/site" && ls mlprobe/_core.*.so mlprobe/*.py | sed 's/\.cpython.*//' | sort | tr '\n' ' ')" \
	"$(cd "$ROOT/python" && { echo mlprobe/_core; ls mlprobe/*.py; } | sort | tr '\n' ' ')"
PYTHONPATH=$TMP/site "$MLPROBE" record -q -o "$TMP/pip" -- "$PY" -c \
	'import mlprobe, sys; assert mlprobe.__file__.startswith(sys.argv[1]); mlprobe.metric("pip", 1, 2.5)' "$TMP/site"
expect_eq "the pip-installed package is recorded" \
	"$(duck1 "SELECT name || ' ' || value FROM '$TMP/pip/metrics-*.parquet'")" '"pip 2.5"'

done_testing
