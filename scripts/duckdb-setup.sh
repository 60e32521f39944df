#!/bin/sh
# Installs the DuckDB read-back tool (tests/duckdb) once; quiet and
# idempotent.  Needs Node.js/npm and the npm registry on first run.
set -eu
dir=$(cd "$(dirname "$0")/../tests/duckdb" && pwd)
[ -d "$dir/node_modules/@duckdb/node-api" ] && exit 0
cd "$dir"
if ! npm install --no-audit --no-fund --loglevel=error >/dev/null 2>npm-err.log; then
	cat npm-err.log >&2
	rm -f npm-err.log
	echo "duckdb-setup: npm install failed in $dir" >&2
	exit 1
fi
rm -f npm-err.log
