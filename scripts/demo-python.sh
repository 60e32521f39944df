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
scripts/demo-summary.sh "$out" 100
