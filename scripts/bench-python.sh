#!/usr/bin/env bash
# bench-python.sh - `make bench`, the Python module's part: ns per call of
# mlprobe.metric() not attached and attached, next to a no-op C function
# called with the same arguments (mlprobe._noop) and to the stdlib logging
# module writing to a file, all measured in this run.  Prints a Markdown
# table; writes build/bench-python.json.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-/usr/bin/python3}
export PYTHONPATH=$PWD/build/python
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$PY" scripts/bench_python.py >"$tmp/off.json"
build/mlprobe record -q --force -o "$tmp/r" -- "$PY" scripts/bench_python.py >"$tmp/on.json"

node - "$tmp/off.json" "$tmp/on.json" <<'EOF2'
const fs = require("fs");
const off = JSON.parse(fs.readFileSync(process.argv[2]));
const on = JSON.parse(fs.readFileSync(process.argv[3]));
if (off.attached || !on.attached) {
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
| with mlprobe.span(): not attached / attached | ${f(off.span_ns)} / ${f(on.span_ns)} | | |
| logging.info() to a file (stdlib) | ${f(off.logging_ns)} | | for comparison |`);
fs.writeFileSync("build/bench-python.json", JSON.stringify({
  noop_ns: off.noop_ns, metric_unattached_ns: off.metric_ns,
  metric_over_noop_net: ratio, metric_over_noop: raw, metric_attached_ns: on.metric_ns,
  noop_ns_attached_run: on.noop_ns, span_unattached_ns: off.span_ns,
  span_attached_ns: on.span_ns, logging_file_ns: off.logging_ns,
  empty_loop_ns: off.empty_loop_ns }) + "\n");
if (ratio > 1.5) process.exitCode = 1;
EOF2
