#!/usr/bin/env bash
# --func: a span per call from uprobe + uretprobe, on binaries without
# probes too, with nesting, recursion and the current step; symbols in the
# executable (PIE and not) and in libraries (LIB:SYM); clear errors.
. "$(dirname "$0")/lib.sh"

# funcs N: each step i calls fx_mid (which calls fx_leaf twice) and
# fx_rec(3) (3 nested calls); it prints its own call counts.
"$MLPROBE" record -q -o "$TMP/l" --func fx_leaf,fx_mid,fx_rec -- "$PROGS/funcs" 100 >"$TMP/l.out" 2>&1
expect_eq "launch with --func: exit 0" "$?" 0
check "program's own counts" grep -q 'calls fx_leaf=200 fx_mid=100 fx_rec=300' "$TMP/l.out"
# --func's spans: the steps' own spans (mlprobe.step) left out
S="(SELECT * FROM '$TMP/l/spans-*.parquet' WHERE name <> 'mlprobe.step')"
expect_eq "one span per call" \
	"$(duck1 "SELECT string_agg(name || '=' || n, ',' ORDER BY name) FROM (SELECT name, count(*) n FROM $S GROUP BY name)")" \
	'"fx_leaf=200,fx_mid=100,fx_rec=300"'
expect_eq "nesting: fx_leaf inside fx_mid (depth 1), fx_mid at depth 0" \
	"$(duck1 "SELECT string_agg(DISTINCT name || '@' || depth, ',' ORDER BY name || '@' || depth) FROM $S WHERE name <> 'fx_rec'")" \
	'"fx_leaf@1,fx_mid@0"'
expect_eq "recursion: fx_rec at depths 0, 1, 2, 100 each" \
	"$(duck1 "SELECT string_agg(depth || ':' || n, ',' ORDER BY depth) FROM (SELECT depth, count(*) n FROM $S WHERE name = 'fx_rec' GROUP BY depth)")" \
	'"0:100,1:100,2:100"'
expect_eq "an outer call lasts at least as long as the calls inside it" \
	"$(duck1 "WITH s AS (SELECT tid, depth, epoch_us(ts) b, epoch_us(ts) + duration_ns / 1000 e FROM $S) SELECT count(*) FROM s o JOIN s i ON o.tid = i.tid AND i.b >= o.b AND i.b < o.e AND i.depth = o.depth + 1 WHERE i.e > o.e + 1")" 0
expect_eq "every span carries the step it ran in (0..99, 6 calls each)" \
	"$(duck1 "SELECT count(*) FROM (SELECT step FROM $S GROUP BY step HAVING count(*) = 6)")" 100

# non-PIE
"$MLPROBE" record -q -o "$TMP/np" --func fx_rec -- "$PROGS/funcs_nopie" 50 >/dev/null 2>&1
expect_eq "non-PIE binary: fx_rec 150 spans" \
	"$(duck1 "SELECT count(*) FROM '$TMP/np/spans-*.parquet' WHERE name = 'fx_rec'")" 150

# attach with -p, to a function in a library: LIB:SYM
mkfifo "$TMP/go"
"$PROGS/funcs_lib" 70 wait <"$TMP/go" >"$TMP/fl.out" &
fpid=$!
exec 7>"$TMP/go"
wait_for "$TMP/fl.out" '^ready' 10
"$MLPROBE" record -o "$TMP/p" -p "$fpid" --func libfxlib.so:fxlib_work 2>"$TMP/p.err" &
mpid=$!
wait_for "$TMP/p.err" 'recording PID' 20 || not_ok "record -p --func did not start"
echo go >&7
exec 7>&-
wait "$mpid"
expect_eq "-p with --func LIB:SYM: exit 0" "$?" 0
expect_eq "-p: libfxlib.so:fxlib_work 70 spans" \
	"$(duck1 "SELECT count(*) FROM '$TMP/p/spans-*.parquet' WHERE name = 'libfxlib.so:fxlib_work'")" 70
check "run.json names the function, its file and offset" grep -q '"libfxlib.so:fxlib_work=.*libfxlib.so+0x' "$TMP/p/run.json"

# bad input: one line each, exit 1, nothing recorded
bad() { # DESC PATTERN ARGS...
	local desc=$1 pat=$2 out rc
	shift 2
	out=$("$MLPROBE" record -q -o "$TMP/bad" "$@" 2>&1)
	rc=$?
	expect_eq "$desc: exit 1, one line ($out)" "$rc/$(echo "$out" | wc -l)" 1/1
	check "$desc: says '$pat'" grep -q -- "$pat" <<<"$out"
}
bad "missing symbol" "no function 'nosuch'" --func nosuch -- "$PROGS/funcs" 1
bad "close name suggested" "did you mean fx_leaf" --func fx_lea -- "$PROGS/funcs" 1
bad "ambiguous symbol" "ambiguous" --func fx_dup -- "$PROGS/funcs_dup" 1
bad "library not mapped" "libnotthere" --func libnotthere.so:f -p $$
bad "empty symbol" "^mlprobe: --func 'libfxlib.so:': no function name after ':'$" \
	--func 'libfxlib.so:' -- "$PROGS/funcs" 1
bad "no library" "^mlprobe: --func ':fx_leaf': no library before ':'$" \
	--func ':fx_leaf' -- "$PROGS/funcs" 1
check "no recording left by the failures" test ! -e "$TMP/bad/run.json"

done_testing
