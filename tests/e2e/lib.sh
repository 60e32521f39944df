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
# not_grep ARGS...: grep finds nothing
not_grep() { ! grep -q "$@"; }
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
# readers3 DIR TABLE: mlprobe's own reader, DuckDB and hyparquet read
# every file of TABLE in the recording DIR (flat layout) and agree on every
# value of every row (tests/duckdb/readers.mjs); prints what they found.
readers3() {
	local files
	files=$(compgen -G "$1/$2-*.parquet" | sort)
	[ -n "$files" ] || { echo "no $2-*.parquet in $1"; return 1; }
	"$MLPROBE" show "$1" --table "$2" --format jsonl --limit 0 \
		>"$TMP/readers3.jsonl" 2>"$TMP/readers3.err" ||
		{ head -c 300 "$TMP/readers3.err"; return 1; }
	# shellcheck disable=SC2086
	node "$ROOT/tests/duckdb/readers.mjs" "$TMP/readers3.jsonl" $files
}
# check_readers3 DIR TABLE...: one ok/not ok line per table
check_readers3() {
	local dir=$1 t out
	shift
	for t in "$@"; do
		if out=$(readers3 "$dir" "$t"); then
			ok "$t: $out"
		else
			not_ok "$t: three readers: $out"
		fi
	done
}
# live_bytes FILE...: "ON_DISK LIVE ROWS ROW_GROUPS" summed over the
# files, from their footers as hyparquet reads them
live_bytes() { node "$ROOT/tests/duckdb/live_bytes.mjs" "$@"; }
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
# leaked_fds LISTING: the descriptors above 2 in LISTING (what
# `ls -l /proc/self/fd/` printed in a command that mlprobe started) that this
# shell did not hand to mlprobe itself.  Empty: the command got stdin,
# stdout and stderr, and nothing of mlprobe's.
leaked_fds() {
	local pick='/ -> / && $(NF-2) > 2 && $NF !~ /^\/proc\/[0-9]+\/fd$/ { print $(NF-2) " -> " $NF }'
	comm -23 <(awk "$pick" "$1" | sort -u) <(ls -l /proc/self/fd/ | awk "$pick" | sort -u)
}
# busy PORT: something listens on 127.0.0.1:PORT
busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# free_port: a loopback port nothing listens on
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		busy "$p" || { echo "$p"; return; }
	done
}

# load_base PID BIN: start address of BIN's first mapping in PID (the base
# that link-time addresses of a PIE are relative to), in hex without 0x
load_base() {
	awk -v p="$2" '$6 == p { split($1, a, "-"); print a[1]; exit }' /proc/"$1"/maps
}
# sema_of PID BIN: the value of BIN's mlprobe semaphore in process PID
sema_of() {
	local addr base
	# The five probes' semaphore (mlprobe:batch has its own, raised by
	# record --batch only).
	addr=$(readelf -n "$2" | awk '/Name:/ { n = $2 }
		/Semaphore:/ && n != "batch" { print $NF; exit }')
	base=$(load_base "$1" "$2")
	dd if=/proc/"$1"/mem iflag=skip_bytes,count_bytes bs=2 count=2 \
		skip=$((0x$base + addr)) 2>/dev/null | od -An -tu2 | tr -d ' '
}
# site_bytes PID BIN: the first byte of every probe site of BIN in PID, as
# hex: 90 is the nop (0f the five-byte nop of an MLPROBE_NOP5 site); cc is
# a breakpoint, e8 the call to the kernel's uprobe trampoline that 6.18
# puts on a nop5 after its first hit: a uprobe is installed there.
# attached_sites below matches either.
site_bytes() {
	local base loc
	base=$(load_base "$1" "$2")
	for loc in $(readelf -n "$2" | awk '/Location:/ { sub(",", "", $2); print $2 }'); do
		dd if=/proc/"$1"/mem iflag=skip_bytes,count_bytes bs=1 count=1 \
			skip=$((0x$base + loc)) 2>/dev/null | od -An -tx1 | tr -d ' \n'
		echo
	done | sort | uniq -c | awk '{ printf "%s%s*%s", (NR > 1 ? " " : ""), $2, $1 } END { print "" }'
}
# wait_attached PID BIN [SECONDS]: until BIN's semaphore in PID is raised,
# that is until mlprobe has attached (each site raises it; a busy machine
# may take seconds where a quiet one takes a fraction): instead of a sleep
# that guesses.  False after SECONDS (default 20).
wait_attached() {
	local i
	for ((i = 0; i < ${3:-20} * 10; i++)); do
		[ "$(sema_of "$1" "$2")" -gt 0 ] 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# wait_file GLOB [SECONDS]: until a file matches GLOB (a recording's first
# flush, say).  False after SECONDS (default 20).
wait_file() {
	local i
	for ((i = 0; i < ${2:-20} * 10; i++)); do
		compgen -G "$1" >/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# attached_sites PID BIN: true if a uprobe sits on any site of BIN in PID
attached_sites() { site_bytes "$1" "$2" | grep -qE '(cc|e8)\*'; }
# clean_within PID BIN SECONDS: semaphore 0 and no breakpoint at any site
# (uprobes are removed with a grace period each, so allow some time)
clean_within() {
	local i
	for ((i = 0; i < ${3:-10} * 10; i++)); do
		if [ "$(sema_of "$1" "$2")" = 0 ] && ! attached_sites "$1" "$2"; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}
