#!/usr/bin/env bash
# demo.sh - record the example trainer to Parquet, then query the loss curve
# back with DuckDB, an independent reader.  Run by `make demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=runs/demo

if [ "$(id -u)" != 0 ]; then
	echo "mlprobe demo: recording needs root (BPF, uprobes): run 'sudo make demo'" >&2
	exit 1
fi
echo "== build/mlprobe list build/examples/train"
build/mlprobe list build/examples/train
echo
echo "== build/mlprobe record -o $out -- build/examples/train"
build/mlprobe record --force -o "$out" -- build/examples/train
echo
scripts/demo-summary.sh "$out" 200
