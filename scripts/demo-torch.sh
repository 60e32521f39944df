#!/usr/bin/env bash
# demo-torch.sh - record examples/train_torch.py (a PyTorch transformer with
# 2 DataLoader workers, under mlprobe.torch.watch) with --children, then
# print what the Parquet holds, read back with DuckDB: the processes, the
# loss curve, the time per span of the step, the modules that took the most
# time, and the logs.  Run by `make demo-torch`.
set -euo pipefail
. "$(dirname "$0")/demo-lib.sh"
out=runs/demo-torch
"$PY" -c 'import torch' 2>/dev/null || {
	echo "mlprobe demo-torch: no PyTorch for $PY: run 'make deps' (python3-torch)" >&2
	exit 1
}
echo "== build/mlprobe record --children -- $(basename "$PY") examples/train_torch.py --watch"
build/mlprobe record --force -o "$out" --children -- "$PY" examples/train_torch.py \
	--watch --steps 200 --quiet
echo
# q SQL JS: run SQL with DuckDB; JS prints the rows (an array r of objects)
q() {
	node tests/duckdb/query.mjs "$1" | node -e '
		const r = require("fs").readFileSync(0, "utf8").trim().split("\n")
			.filter(Boolean).map(JSON.parse);
		const pad = (s, n) => String(s).padEnd(n).slice(0, n);
		const num = (s, n) => String(s).padStart(n);
		'"$2"
}
M="'$out/metrics-*.parquet'" S="'$out/spans-*.parquet'" L="'$out/logs-*.parquet'"
echo "== DuckDB: the processes (pid, ppid) and what each recorded"
q "SELECT pid, ppid, (SELECT count(*) FROM $M m WHERE m.pid = s.pid) AS metrics,
	count(*) AS spans, string_agg(DISTINCT name, ' ' ORDER BY name)
	FILTER (WHERE depth = 0 AND name NOT LIKE 'python.gc.%') AS names
   FROM $S s GROUP BY pid, ppid ORDER BY metrics DESC, pid" '
	console.log("    pid    ppid  metrics   spans  outermost spans");
	for (const x of r)
		console.log(num(x.pid, 7) + num(x.ppid, 8) + num(x.metrics, 9) + num(x.spans, 8)
			+ "  " + (x.names || "").slice(0, 46));'
echo
echo "== DuckDB: loss and accuracy, every 25 steps"
q "SELECT step, max(value) FILTER (WHERE name = 'loss') AS loss,
	max(value) FILTER (WHERE name = 'accuracy') AS acc
   FROM $M WHERE step % 25 = 0 OR step = (SELECT max(step) FROM $M)
   GROUP BY step ORDER BY step" '
	console.log("   step    loss  accuracy");
	for (const x of r)
		console.log(num(x.step, 7) + num(x.loss.toFixed(4), 8) + num(x.acc.toFixed(3), 10)
			+ "  " + "#".repeat(Math.round(x.acc * 40)));'
echo
echo "== DuckDB: a step's spans (median over the steps after the first 10)"
q "SELECT name, depth, count(*) AS n, median(duration_ns) / 1e6 AS ms
   FROM $S WHERE name IN ('mlprobe.step', 'data', 'forward', 'backward', 'optimizer',
	'Model', 'Model.backward', 'collate') AND coalesce(step, 0) >= 10
   GROUP BY name, depth ORDER BY depth, ms DESC" '
	console.log("  span                  depth      n   median ms");
	for (const x of r)
		console.log("  " + pad(x.name, 20) + num(x.depth, 7) + num(x.n, 7) + num(x.ms.toFixed(3), 12));'
echo
echo "== DuckDB: the modules with the most time (forward and backward)"
q "SELECT name, count(*) AS n, sum(duration_ns) / 1e6 AS total_ms,
	median(duration_ns) / 1e3 AS median_us
   FROM $S WHERE depth >= 2 AND (name LIKE 'encoder.%' OR name LIKE 'head%'
	OR name LIKE 'embed%')
   GROUP BY name ORDER BY total_ms DESC LIMIT 8" '
	console.log("  module                                      n   total ms   median us");
	for (const x of r)
		console.log("  " + pad(x.name, 40) + num(x.n, 6) + num(x.total_ms.toFixed(1), 11)
			+ num(x.median_us.toFixed(1), 12));'
echo
echo "== DuckDB: the logs (logging, through mlprobe.LogHandler)"
q "SELECT step, level, message FROM $L ORDER BY ts" '
	for (const x of r)
		console.log(num(x.step ?? "-", 7) + "  " + pad(x.level, 6) + x.message.slice(0, 63));'
echo
echo "Explore it yourself:  build/mlprobe show $out"
