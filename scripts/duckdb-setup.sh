#!/bin/sh
# Installs the read-back tools of tests/duckdb once: DuckDB
# (@duckdb/node-api) and hyparquet (with hyparquet-compressors for gzip),
# two Parquet readers independent of mlprobe's and of each other.  Quiet
# and idempotent.  Needs Node.js/npm and the npm registry on first run.
set -eu
dir=$(cd "$(dirname "$0")/../tests/duckdb" && pwd)
[ -d "$dir/node_modules/@duckdb/node-api" ] &&
	[ -d "$dir/node_modules/hyparquet" ] &&
	[ -d "$dir/node_modules/hyparquet-compressors" ] && exit 0
cd "$dir"
if ! npm install --no-audit --no-fund --loglevel=error >/dev/null 2>npm-err.log; then
	cat npm-err.log >&2
	rm -f npm-err.log
	echo "duckdb-setup: npm install failed in $dir" >&2
	exit 1
fi
rm -f npm-err.log
