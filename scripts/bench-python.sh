#!/usr/bin/env bash
# bench-python.sh - `make bench`, the Python package's part: ns per call of
# mlprobe.metric() not attached and attached, next to a no-op C function
# called with the same arguments (mlprobe._noop) and to the stdlib logging
# module writing to a file, all measured in this run; then the step time of
# examples/train_torch.py recorded and not, without and with
# mlprobe.torch.watch, and what watch costs a module call
# (scripts/bench_torch.py; BENCH_TORCH=0 leaves that part out).  Prints a
# Markdown table; writes build/bench-python.json.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-/usr/bin/python3}
export PYTHONPATH=$PWD/build/python
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$PY" scripts/bench_python.py >"$tmp/off.json"
build/mlprobe record -q --force -o "$tmp/r" -- "$PY" scripts/bench_python.py >"$tmp/on.json"
build/mlprobe record -q --batch --force -o "$tmp/rb" -- "$PY" scripts/bench_python.py >"$tmp/batch.json"
echo "{}" >"$tmp/torch.json"
if [ "${BENCH_TORCH:-1}" != 0 ]; then
	"$PY" scripts/bench_torch.py >"$tmp/torch.json"
fi

node - "$tmp/off.json" "$tmp/on.json" "$tmp/torch.json" "$tmp/batch.json" <<'EOF2'
const fs = require("fs");
const off = JSON.parse(fs.readFileSync(process.argv[2]));
const on = JSON.parse(fs.readFileSync(process.argv[3]));
const tr = JSON.parse(fs.readFileSync(process.argv[4]));
const bt = JSON.parse(fs.readFileSync(process.argv[5]));
if (off.attached || !on.attached || !bt.attached) {
  console.error("bench-python: the attached run was not attached (or the other was)");
  process.exit(1);
}
const f = (x) => x.toFixed(1);
const net = (j, k) => j[k] - j.empty_loop_ns;
const ratio = net(off, "metric_ns") / net(off, "noop_ns");
const raw = off.metric_ns / off.noop_ns;
console.log(`| Python figure (timeit, ns per call; net: less timeit's empty loop, ${f(off.empty_loop_ns)} ns) | measured | baseline (same run) | target |
|---|---|---|---|
| mlprobe.metric() not attached, net | ${f(net(off, "metric_ns"))} | no-op C call, net ${f(net(off, "noop_ns"))} ns | ratio ${ratio.toFixed(2)} (<= 1.5) |
| mlprobe.metric() not attached, as timeit gives it | ${f(off.metric_ns)} | no-op C call ${f(off.noop_ns)} ns | ratio ${raw.toFixed(2)} |
| mlprobe.metric() attached | ${f(on.metric_ns)} | no-op C call ${f(on.noop_ns)} ns | the C probe's cost + the call |
| mlprobe.metric() attached, record --batch | ${f(bt.metric_ns)} | attached per event ${f(on.metric_ns)} ns | ratio ${(bt.metric_ns / on.metric_ns).toFixed(3)} |
| with mlprobe.span(): not attached / attached / --batch | ${f(off.span_ns)} / ${f(on.span_ns)} / ${f(bt.span_ns)} | | |
| logging.info() to a file (stdlib) | ${f(off.logging_ns)} | | for comparison |`);
if (tr.rounds) {
  const ms = (x) => x.toFixed(2) + " ms";
  const r3 = (k) => `${tr[k + "_ratio"].toFixed(3)} (${tr[k + "_ratio_lo"].toFixed(3)} to ` +
    `${tr[k + "_ratio_hi"].toFixed(3)} over ${tr[k + "_stretches"]} stretches)`;
  const us = (x) => (x / 1e3).toFixed(1) + " µs";
  console.log(`| examples/train_torch.py step, recorded (record -p --children; ${tr.rounds} x ${tr.cycles} stretches of ${tr.phase_s} s) | ${ms(tr.plain_recorded_ms)} | unrecorded stretches of the same process ${ms(tr.plain_unrecorded_ms)} | ratio ${r3("plain")} (< 1.01) |
| the same step with --watch (${tr.module_calls_per_step.toFixed(0)} module calls, ${tr.backward_spans_per_step.toFixed(0)} backward spans a step), recorded | ${ms(tr.watch_recorded_ms)} | its unrecorded stretches ${ms(tr.watch_unrecorded_ms)} | ratio ${r3("watch")} |
| --watch, unrecorded, against no watch (separate processes, interleaved) | ${ms(tr.watch_unrecorded_ms)} | ${ms(tr.plain_unrecorded_ms)} | ratio ${tr.watch_unrecorded_over_plain.toFixed(3)} (1: only the model's own hook while unattached) |
| recorded with --watch, against not recorded without it | ${ms(tr.watch_recorded_ms)} | ${ms(tr.plain_unrecorded_ms)} | ratio ${(tr.watch_ratio * tr.watch_unrecorded_over_plain).toFixed(3)} |
| watch: one module call, recorded (the model watched and a copy not, turn by turn: ${ms(tr.twin_attached_watched_ms)} / ${ms(tr.twin_attached_unwatched_ms)} a step) | ${us(tr.twin_attached_ns_per_call)} | | figure |
| watch: one module call, unattached (${ms(tr.twin_unattached_watched_ms)} / ${ms(tr.twin_unattached_unwatched_ms)}) | ${us(tr.twin_unattached_ns_per_call)} | | 0 (nothing measurable) |`);
}
fs.writeFileSync("build/bench-python.json", JSON.stringify({
  noop_ns: off.noop_ns, metric_unattached_ns: off.metric_ns,
  metric_over_noop_net: ratio, metric_over_noop: raw, metric_attached_ns: on.metric_ns,
  noop_ns_attached_run: on.noop_ns, span_unattached_ns: off.span_ns,
  span_attached_ns: on.span_ns, logging_file_ns: off.logging_ns,
  metric_batch_ns: bt.metric_ns, span_batch_ns: bt.span_ns,
  empty_loop_ns: off.empty_loop_ns, torch: tr }) + "\n");
if (ratio > 1.5 || (tr.rounds && tr.plain_ratio >= 1.01)) process.exitCode = 1;
EOF2
