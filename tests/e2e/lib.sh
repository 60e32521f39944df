# lib.sh - helpers for the end-to-end tests.  Source it; each test prints
# "ok - ..." or "not ok - ..." lines that scripts/run-tests.sh counts.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${MLPROBE_BUILD:-$ROOT/build}
MLPROBE=${MLPROBE:-$BUILD/mlprobe}
PROGS=$ROOT/build/progs
TMP=$(mktemp -d /tmp/mlprobe-test.XXXXXX)
trap 'rm -rf "$TMP"; jobs -p | xargs -r kill -9 2>/dev/null' EXIT
FAILS=0

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; FAILS=$((FAILS + 1)); }
# check DESC CMD...: ok if CMD succeeds
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
# expect_eq DESC GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: got '$2', want '$3'"; fi
}
# expect_fail DESC PATTERN CMD...: a non-zero exit that is not a crash, and
# exactly one stderr line, matching PATTERN.  The exit status is left in
# LAST_RC.
expect_fail() {
	local d=$1 pat=$2; shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$? lines
	LAST_RC=$rc
	lines=$(wc -l <"$TMP/err")
	if [ $rc -ne 0 ] && [ $rc -lt 128 ] && [ "$lines" -eq 1 ] &&
	   grep -q -- "$pat" "$TMP/err"; then
		ok "$d"
	else
		not_ok "$d (rc=$rc, $lines lines: $(head -c 300 "$TMP/err"))"
	fi
}
# duck SQL: rows as JSON lines (see tests/duckdb/query.mjs)
duck() { node "$ROOT/tests/duckdb/query.mjs" "$1"; }
# duck1 SQL: the single value of a one-row, one-column result
duck1() { duck "$1" | node -e 'for (const l of require("fs").readFileSync(0, "utf8").split("\n")) if (l) console.log(JSON.stringify(Object.values(JSON.parse(l))[0]))'; }
# jsq FILE EXPR: EXPR (JavaScript over the parsed JSON document `d`) printed
jsq() {
	node -e 'const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		const v = eval(process.argv[2]);
		console.log(typeof v === "string" ? v : JSON.stringify(v))' "$1" "$2"
}
# wait_for FILE PATTERN [SECONDS]
wait_for() {
	local i
	for ((i = 0; i < ${3:-10} * 20; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
done_testing() { exit $((FAILS > 0)); }
