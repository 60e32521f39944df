#!/usr/bin/env bash
# demo-summary.sh RUN_DIR EVERY - the demos' read-back: the loss curve
# (every EVERY-th step, plus the first and the last) and the time per span,
# queried from the Parquet files with DuckDB, an independent reader.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1 every=$2
echo "== DuckDB: the loss curve from $out/metrics-*.parquet"
node tests/duckdb/query.mjs "
  SELECT step, round(value, 4) AS loss
  FROM '$out/metrics-*.parquet'
  WHERE name = 'loss' AND (step % $every = 0 OR step IN (
      SELECT min(step) FROM '$out/metrics-*.parquet' UNION ALL
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
