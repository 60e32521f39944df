#!/usr/bin/env bash
# The Python package on real PyTorch (Debian's python3-torch): scripts that
# log through TensorBoard's SummaryWriter, wandb or logging, changed only
# in their imports, record every value exact; mlprobe.torch.watch gives
# nested per-module spans whose counts match the forward calls, and puts
# its hooks in only while a tracer is attached; DataLoader workers under
# --children and torch.multiprocessing spawn under --all have every row;
# bad input to each gets one clear error.
. "$(dirname "$0")/lib.sh"

PY=${PYTHON:-/usr/bin/python3}
export PYTHONPATH=$ROOT/build/python
T=$ROOT/tests/python
"$PY" -c 'import torch' 2>/dev/null || { not_ok "no torch for $PY: run make deps"; done_testing; }
[ -f "$ROOT/build/python/mlprobe/torch.py" ] || { not_ok "build/python/mlprobe/ missing: run make python"; done_testing; }
# The spans a script made, not mlprobe's own.
OWN="name <> 'mlprobe.step' AND name NOT LIKE 'python.gc.gen_'"
# want FILE: DuckDB's view of the expected rows spy.py wrote
want() {
	echo "read_json('$1', format = 'newline_delimited', columns = {t: 'VARCHAR', name: 'VARCHAR', step: 'BIGINT', value: 'DOUBLE', level: 'VARCHAR', message: 'VARCHAR'})"
}

# --- adoption: each script recorded by launch, under spy.py, which writes
# down what each of its calls must record ---
for s in tb wandb logging; do
	"$MLPROBE" record -q -o "$TMP/$s" -- "$PY" "$T/adopt/spy.py" "$TMP/$s.jsonl" \
		"$T/adopt/${s}_style.py" >"$TMP/$s.out" 2>"$TMP/$s.err"
	expect_eq "$s: record -- python3 ${s}_style.py exits 0" "$?" 0
	check "$s: the script ran to its end" grep -q "^${s}_style: " "$TMP/$s.out"
	W=$(want "$TMP/$s.jsonl")
	M="'$TMP/$s/metrics-*.parquet'"
	n=$(duck1 "SELECT count(*) FROM $W WHERE t = 'metrics'")
	if [ "$s" != logging ]; then
		check "$s: the script logged metrics ($n)" test "${n:-0}" -gt 100
		expect_eq "$s: as many metric rows as the calls make ($n)" \
			"$(duck1 "SELECT count(*) FROM $M")" "$n"
		expect_eq "$s: each one exact (name, step and value bits)" \
			"$(duck1 "SELECT count(*) FROM $M m JOIN (SELECT DISTINCT * FROM $W WHERE t = 'metrics') w ON m.name = w.name AND m.step = w.step AND m.value = w.value")" "$n"
	fi
	# A message over 255 bytes is cut there and ends in ... (README,
	# Output), as a traceback is.
	n=$(duck1 "SELECT count(*) FROM $W WHERE t = 'logs'")
	expect_eq "$s: each log the calls make, exact, at its level" \
		"$(duck1 "SELECT count(*) FROM (SELECT DISTINCT w.* FROM '$TMP/$s/logs-*.parquet' l JOIN $W w ON w.t = 'logs' AND l.level = w.level AND (l.message = w.message OR (strlen(w.message) > 255 AND l.message LIKE '%…' AND starts_with(w.message, rtrim(l.message, '…')))))")" \
		"$(duck1 "SELECT count(*) FROM (SELECT DISTINCT * FROM $W WHERE t = 'logs')")"
	[ "$s" = wandb ] && n=$((n + 3))	# init, config, alert: below
	expect_eq "$s: no other log" \
		"$(duck1 "SELECT count(*) FROM '$TMP/$s/logs-*.parquet'")" "$n"
	check "$s: accounting ok" grep -q '"accounting_ok": true' "$TMP/$s/run.json"
done

for s in tb wandb logging; do
	"$PY" "$T/adopt/${s}_style.py" >"$TMP/$s.un.out" 2>&1
	expect_eq "$s: ${s}_style.py runs as well with no tracer (exit 0)" "$?" 0
done

# --- what each script's rows mean, by hand ---
sq() { duck1 "SELECT string_agg(CAST($2 AS VARCHAR), ' ' ORDER BY $2) FROM '$TMP/$1/metrics-*.parquet' WHERE $3"; }
expect_eq "tb: a scalar without a step is at step 0" "$(sq tb step "name = 'final/loss'")" '"0"'
expect_eq "tb: numpy value and step (eval/mae every 10 steps)" \
	"$(sq tb step "name = 'eval/mae'")" "\"$(seq -s ' ' 0 10 190)\""
expect_eq "tb: add_histogram's summary metrics" \
	"$(duck1 "SELECT string_agg(DISTINCT name, ' ' ORDER BY name) FROM '$TMP/tb/metrics-*.parquet' WHERE name LIKE 'weights/0.weight/%'")" \
	'"weights/0.weight/count weights/0.weight/max weights/0.weight/mean weights/0.weight/min weights/0.weight/std"'
expect_eq "tb: add_histogram count is the tensor's size (16 x 8)" \
	"$(sq tb value "name = 'weights/0.weight/count' AND step = 0")" '"128.0"'
re='^status \(step ([0-9]+)\): step ([0-9]+): loss [0-9.]+$'
expect_eq "tb: add_text is an info log with its step, each 10 steps" \
	"$(duck1 "SELECT count(*) FROM '$TMP/tb/logs-*.parquet' WHERE level = 'info' AND regexp_extract(message, '$re', 1) = regexp_extract(message, '$re', 2) AND regexp_extract(message, '$re', 1) <> ''")" 20
expect_eq "tb: one warning for add_image (20 calls) and one for add_hparams" \
	"$(grep -o 'SummaryWriter.add_[a-z]*() is not recorded' "$TMP/tb.err" | tr '\n' ' ')" \
	"SummaryWriter.add_image() is not recorded SummaryWriter.add_hparams() is not recorded "

expect_eq "wandb: train/loss at steps 0..95, one commit each" \
	"$(duck1 "SELECT count(*) || ' ' || min(step) || ' ' || max(step) FROM '$TMP/wandb/metrics-*.parquet' WHERE name = 'train/loss'")" '"96 0 95"'
expect_eq "wandb: val/acc (commit=False) at the step of the next train/loss" \
	"$(sq wandb step "name = 'val/acc'")" '"16 32 48 64 80 96"'
expect_eq "wandb: below the current step kept there; a step ahead, then the next" \
	"$(duck1 "SELECT string_agg(name || '@' || step, ' ' ORDER BY step, name) FROM '$TMP/wandb/metrics-*.parquet' WHERE name IN ('late', 'jump', 'after_jump', 'best_acc')")" \
	'"late@3 after_jump@106 jump@106 best_acc@107"'
expect_eq "wandb: a bool is 1 or 0; a Histogram's summary (1 2 2 5)" \
	"$(duck1 "SELECT (SELECT bool_and(value IN (0, 1)) FROM '$TMP/wandb/metrics-*.parquet' WHERE name = 'improved') || ' ' || string_agg(name || '=' || value, ' ' ORDER BY name) FROM '$TMP/wandb/metrics-*.parquet' WHERE name LIKE 'hist/%' AND step = 96")" \
	'"true hist/count=4.0 hist/max=5.0 hist/mean=2.5 hist/min=1.0 hist/std=1.5"'
expect_eq "wandb: init, config change and alert are logs, with wandb's step" \
	"$(duck "SELECT level, message, step FROM '$TMP/wandb/logs-*.parquet' ORDER BY ts" | tr -d '\n')" \
	'{"level":"info","message":"wandb.init: project=tiny name=run-1 group=tests config={\"batch\": 32, \"hidden\": 16, \"lr\": 0.1}","step":0}{"level":"info","message":"wandb.config: epochs_done = 6","step":107}{"level":"warn","message":"done: best acc '"$(sed -n 's/.*best acc \([0-9.]*\),.*/\1/p' "$TMP/wandb.out")"'","step":107}'
expect_eq "wandb: one warning per kind of value left out (Image, str)" \
	"$(grep -o 'mlprobe.wandb: [A-Za-z]* values are not recorded' "$TMP/wandb.err" | tr '\n' ' ')" \
	"mlprobe.wandb: Image values are not recorded mlprobe.wandb: str values are not recorded "

expect_eq "logging: levels (NOTICE 25 is info, CRITICAL error, exception error)" \
	"$(duck1 "SELECT string_agg(level || ':' || n, ' ' ORDER BY level) FROM (SELECT level, count(*) n FROM '$TMP/logging/logs-*.parquet' GROUP BY level)")" \
	'"debug:100 error:3 info:6 warn:1"'
check "logging: basicConfig's console handler prints as before" \
	grep -q '^INFO trainer: start: 100 steps' "$TMP/logging.err"

# --- watch: a span per module call, nested like the modules, forward and
# backward; the same numbers as without watch ---
"$MLPROBE" record -q -o "$TMP/w" -- "$PY" "$T/watch.py" run 20 "$TMP/w.jsonl" >"$TMP/w.out" 2>&1
expect_eq "watch: record -- python3 watch.py exits 0" "$?" 0
check "watch: losses and gradients bit-identical to an unwatched twin" \
	grep -q 'watched and unwatched the same: True' "$TMP/w.out"
W="read_json('$TMP/w.jsonl', format = 'newline_delimited', columns = {name: 'VARCHAR', fwd: 'BIGINT', bwd: 'BIGINT', parent: 'VARCHAR', bparent: 'VARCHAR'})"
S="'$TMP/w/spans-*.parquet'"
n=$(duck1 "SELECT sum(fwd) + sum(bwd) FROM $W")
check "watch: the model ran ($n module calls)" test "${n:-0}" -gt 1000
expect_eq "watch: each module's forward spans, as many as torch's hooks counted calls" \
	"$(duck1 "SELECT string_agg(name, ' ') FROM $W w WHERE fwd <> (SELECT count(*) FROM $S s WHERE s.name = w.name)")" null
expect_eq "watch: its backward spans, one per call with grad to pass back" \
	"$(duck1 "SELECT string_agg(name, ' ') FROM $W w WHERE bwd <> (SELECT count(*) FROM $S s WHERE s.name = w.name || '.backward')")" null
expect_eq "watch: no other span ($n in all)" \
	"$(duck1 "SELECT count(*) FROM $S WHERE $OWN AND name NOT IN ('forward', 'backward')")" "$n"
expect_eq "watch: a module that never ran (out_proj: attention uses its weight) has none" \
	"$(duck1 "SELECT count(*) FROM $S WHERE name LIKE '%out_proj%'")" 0
expect_eq "watch: every span inside its parent's, one deeper, same thread" \
	"$(duck1 "SELECT count(*) FROM $S s JOIN (SELECT name, parent p FROM $W UNION ALL SELECT name || '.backward', bparent FROM $W WHERE bparent IS NOT NULL) w ON s.name = w.name WHERE NOT EXISTS (SELECT 1 FROM $S r WHERE r.name = w.p AND r.tid = s.tid AND r.depth = s.depth - 1 AND r.ts <= s.ts AND epoch_us(r.ts) * 1000 + r.duration_ns + 1000 >= epoch_us(s.ts) * 1000 + s.duration_ns)")" 0
expect_eq "watch: depth from the model's span (forward > Net > encoder > layers.0 > self_attn)" \
	"$(duck1 "SELECT string_agg(DISTINCT name || ':' || depth, ' ' ORDER BY name || ':' || depth) FROM $S WHERE name IN ('forward', 'Net', 'encoder', 'encoder.layers.0', 'encoder.layers.0.self_attn', 'encoder.layers.0.self_attn.backward', 'head.backward')")" \
	'"Net:1 encoder.layers.0.self_attn.backward:3 encoder.layers.0.self_attn:4 encoder.layers.0:3 encoder:2 forward:0 head.backward:1"'
expect_eq "watch: no unmatched span" \
	"$(jsq "$TMP/w/run.json" "d.events.span_end.unmatched + '/' + d.events.span_begin.unmatched")" 0/0

# --- watch puts its hooks in only while a tracer is attached ---
"$PY" "$T/watch.py" hooks >"$TMP/hk.out" 2>&1 &
hp=$!
wait_for "$TMP/hk.out" '^hooks 1 enabled False' 30 || not_ok "watch.py hooks did not start"
"$MLPROBE" record -q -o "$TMP/hk" -p "$hp" 2>"$TMP/hk.err" &
rp=$!
wait_for "$TMP/hk.out" 'enabled True' 30 || not_ok "watch.py hooks saw no tracer"
kill -INT "$rp"
wait "$rp"
expect_eq "hooks: record -p, Ctrl-C, exits 0" "$?" 0
wait_for "$TMP/hk.out" '^done' 30
wait "$hp"
expect_eq "hooks: watch.py hooks exits 0" "$?" 0
mods=$(sed -n 's/^modules //p' "$TMP/hk.out")
expect_eq "hooks: 1 unattached, 2 per module attached ($mods modules), 1 after detach" \
	"$(awk '/^hooks/ { printf "%s ", $2 }' "$TMP/hk.out")" "1 $((2 * ${mods:-0})) 1 "
check "hooks: spans while attached" \
	test "$(duck1 "SELECT count(*) FROM '$TMP/hk/spans-*.parquet' WHERE name = 'encoder.layers.0'")" -gt 0

# --- DataLoader with 2 worker processes (fork) under --children: every
# row of every worker, with its pid and ppid ---
"$MLPROBE" record -q -o "$TMP/dl" --children -- "$PY" "$T/workers.py" loader 1000 10 2 \
	"$TMP/dl.csv" >"$TMP/dl.out" 2>&1
expect_eq "loader: record --children -- python3 workers.py exits 0" "$?" 0
parent=$(sed -n 's/^parent //p' "$TMP/dl.out")
M="'$TMP/dl/metrics-*.parquet'"
expect_eq "loader: every item of both epochs, once each, in a worker whose ppid is the trainer" \
	"$(duck1 "SELECT count(*) FROM (SELECT step FROM $M WHERE name = 'item' AND value = step / 4 AND ppid = ${parent:-0} AND pid <> ${parent:-0} GROUP BY step HAVING count(*) = 2)")" 1000
expect_eq "loader: no other item row" \
	"$(duck1 "SELECT count(*) FROM $M WHERE name = 'item'")" 2000
expect_eq "loader: 2 workers an epoch (4 processes), about half the items each" \
	"$(duck1 "SELECT count(*) || ' ' || (min(n) > 400) FROM (SELECT pid, count(*) n FROM $M WHERE name = 'item' GROUP BY pid)")" '"4 true"'
expect_eq "loader: each worker's item spans, with pid and ppid" \
	"$(duck1 "SELECT count(*) FROM '$TMP/dl/spans-*.parquet' s WHERE name = 'item' AND ppid = ${parent:-0} AND pid IN (SELECT pid FROM $M WHERE name = 'item')")" 2000
CSV="read_csv('$TMP/dl.csv', header = false, columns = {'name': 'VARCHAR', 'step': 'BIGINT', 'value': 'DOUBLE'})"
expect_eq "loader: the trainer's batch sums, all 200 exact" \
	"$(duck1 "SELECT count(*) FROM $M m JOIN $CSV d ON m.name = d.name AND m.step = d.step AND m.value = d.value WHERE m.pid = ${parent:-0}")" 200
expect_eq "loader: a data span per next() in the trainer (100 batches + the end, twice)" \
	"$(duck1 "SELECT count(*) FROM '$TMP/dl/spans-*.parquet' WHERE name = 'data' AND pid = ${parent:-0}")" 202
check "loader: accounting ok" grep -q '"accounting_ok": true' "$TMP/dl/run.json"

# --- torch.multiprocessing spawn under --all PYTHON: each spawned process
# from its first event.  The interpreter is a copy of $PY, so that --all
# traces this test's processes and no others on a shared machine ---
cp "$(readlink -f "$PY")" "$TMP/python3"
"$MLPROBE" record -q -o "$TMP/sp" --all "$TMP/python3" -- "$TMP/python3" "$T/workers.py" \
	spawn 2 500 >"$TMP/sp.out" 2>&1
expect_eq "spawn: record --all PYTHON -- PYTHON workers.py spawn exits 0" "$?" 0
check "spawn: the processes ran" grep -q 'spawned ok' "$TMP/sp.out"
parent=$(sed -n 's/^parent //p' "$TMP/sp.out")
expect_eq "spawn: 2 processes, 500 rows each from step 0, ppid the trainer, value its rank" \
	"$(duck1 "SELECT string_agg(CAST(v AS VARCHAR), ' ' ORDER BY v) FROM (SELECT min(value) v FROM '$TMP/sp/metrics-*.parquet' WHERE name = 'rank_item' AND ppid = ${parent:-0} AND pid <> ${parent:-0} GROUP BY pid HAVING count(*) = 500 AND count(DISTINCT step) = 500 AND min(step) = 0 AND max(value) = min(value))")" '"0.0 1.0"'
expect_eq "spawn: their spans" \
	"$(duck1 "SELECT count(*) FROM '$TMP/sp/spans-*.parquet' WHERE name = 'rank_work' AND ppid = ${parent:-0}")" 1000

# --- examples/train_torch.py (make demo-torch, make bench), briefly ---
"$MLPROBE" record -q -o "$TMP/ex" --children -- "$PY" "$ROOT/examples/train_torch.py" \
	--steps 30 --watch --quiet --dump "$TMP/ex.csv" >"$TMP/ex.out" 2>&1
expect_eq "example: record --children -- python3 train_torch.py --watch exits 0" "$?" 0
M="'$TMP/ex/metrics-*.parquet'"
CSV="read_csv('$TMP/ex.csv', header = false, columns = {'name': 'VARCHAR', 'step': 'BIGINT', 'value': 'DOUBLE'})"
expect_eq "example: loss, accuracy, grad_norm, lr for 30 steps, each exact" \
	"$(duck1 "SELECT count(*) FROM $M m JOIN $CSV d ON m.name = d.name AND m.step = d.step AND m.value = d.value")/$(duck1 "SELECT count(*) FROM $M")" 120/120
S="'$TMP/ex/spans-*.parquet'"
expect_eq "example: collate spans in 2 worker processes, 30 batches" \
	"$(duck1 "SELECT count(DISTINCT pid) || ' ' || count(*) FROM $S WHERE name = 'collate' AND ppid = (SELECT min(pid) FROM $M)")" '"2 30"'
expect_eq "example: a data, forward, Model and encoder.layers.1.self_attn span per step" \
	"$(duck1 "SELECT string_agg(name || ':' || depth || ':' || n, ' ' ORDER BY name) FROM (SELECT name, depth, count(*) n FROM $S WHERE name IN ('data', 'forward', 'Model', 'encoder.layers.1.self_attn', 'encoder.layers.1.self_attn.backward') AND step IS NOT NULL GROUP BY ALL)")" \
	'"Model:1:30 data:0:30 encoder.layers.1.self_attn:4:30 encoder.layers.1.self_attn.backward:3:30 forward:0:30"'
expect_eq "example: its logs, through mlprobe.LogHandler" \
	"$(duck1 "SELECT count(*) FROM '$TMP/ex/logs-*.parquet' WHERE message LIKE 'start: 30 steps%' OR message LIKE 'step 0: loss %' OR message LIKE 'finished: accuracy %'")" 3

# --- bad input: one error each, naming the call, attached or not ---
"$PY" "$T/bad_input.py" >"$TMP/er1.out" 2>&1
"$MLPROBE" record -q -o "$TMP/er" -- "$PY" "$T/bad_input.py" >"$TMP/er2.out" 2>&1
for f in er1 er2; do
	grep '^not ok' "$TMP/$f.out"
	expect_eq "$f: every bad call raised its error ($(grep -c '^ok' "$TMP/$f.out") ok)" \
		"$(grep -c '^ok' "$TMP/$f.out") $(grep -c '^not ok' "$TMP/$f.out")" "21 0"
done

done_testing
