#!/usr/bin/env bash
# demo-python.sh - record examples/train.py (numpy) through the mlprobe
# Python module, then print its loss curve and span times from the Parquet
# with DuckDB.  Run by `make demo-python`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=runs/demo-python
PY=${PYTHON:-/usr/bin/python3}
export PYTHONPATH=$PWD/build/python

if [ "$(id -u)" != 0 ]; then
	echo "mlprobe demo-python: recording needs root (BPF, uprobes): run 'sudo make demo-python'" >&2
	exit 1
fi
echo "== build/mlprobe record -o $out -- $PY examples/train.py"
build/mlprobe record --force -o "$out" -- "$PY" examples/train.py --quiet
echo
echo "== DuckDB: the loss curve from $out/metrics-*.parquet"
node tests/duckdb/query.mjs "
  SELECT step, round(value, 4) AS loss FROM '$out/metrics-*.parquet'
  WHERE name = 'loss' AND (step % 100 = 0 OR step = (
      SELECT max(step) FROM '$out/metrics-*.parquet'))
  ORDER BY step" | node -e '
    const rows = require("fs").readFileSync(0, "utf8").trim().split("\n").map(JSON.parse);
    console.log("   step      loss");
    for (const r of rows) {
      const bar = "#".repeat(Math.max(1, Math.round(r.loss * 40)));
      console.log(String(r.step).padStart(7) + r.loss.toFixed(4).padStart(10) + "  " + bar);
    }'
echo
echo "== DuckDB: time per span"
node tests/duckdb/query.mjs "
  SELECT name, count(*) AS n, round(median(duration_ns) / 1e3, 1) AS median_us
  FROM '$out/spans-*.parquet' GROUP BY name ORDER BY median_us DESC" | node -e '
    const rows = require("fs").readFileSync(0, "utf8").trim().split("\n").map(JSON.parse);
    console.log("  span            n   median_us");
    for (const r of rows)
      console.log("  " + r.name.padEnd(12) + String(r.n).padStart(6) + String(r.median_us).padStart(12));'
echo
echo "Explore it yourself:  build/mlprobe show $out"
