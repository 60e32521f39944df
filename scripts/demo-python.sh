#!/usr/bin/env bash
# demo-python.sh - record examples/train.py (numpy) through the mlprobe
# Python module, then print its loss curve and span times from the Parquet
# with DuckDB.  Run by `make demo-python`.
set -euo pipefail
. "$(dirname "$0")/demo-lib.sh"
out=runs/demo-python
echo "== build/mlprobe record -o $out -- $PY examples/train.py"
build/mlprobe record --force -o "$out" -- "$PY" examples/train.py --quiet
echo
scripts/demo-summary.sh "$out" 100
