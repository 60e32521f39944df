#!/usr/bin/env bash
# Robustness: dynamic names under ring pressure, a full disk, an exec
# failure, Ctrl-C in launch mode, --force next to foreign files.
. "$(dirname "$0")/lib.sh"

jq_() { node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(eval("j."+process.argv[2]))' "$1" "$2"; }

# --- names built at run time, 4 threads, under a 4K ring and a 16M ring ---
for ring in 4K 16M; do
	out=$TMP/dyn$ring
	"$MLPROBE" record -q -o "$out" --ring-size $ring -- "$PROGS/dynnames" 4 20000 500 >/dev/null 2>"$TMP/err"
	expect_eq "[$ring] dynamic names: record exits 0 (books balance)" "$?" 0
	check "[$ring] dynamic names: accounting ok" grep -q '"accounting_ok": true' "$out/run.json"
	rows=$(duck1 "SELECT count(*) FROM '$out/metrics-*.parquet'")
	expect_eq "[$ring] delivered + dropped == emitted" \
		"$((rows + $(jq_ "$out/run.json" 'tables.metrics.lost_kernel')))" 80000
	expect_eq "[$ring] every row has its own name (name n<j> carries j)" \
		"$(duck1 "SELECT count(*) FROM '$out/metrics-*.parquet' WHERE name <> 'n' || CAST(value AS BIGINT)")" 0
done
check "4K ring really dropped records" test "$(jq_ "$TMP/dyn4K/run.json" 'tables.metrics.lost_kernel')" -gt 0
expect_eq "16M ring dropped nothing" "$(jq_ "$TMP/dyn16M/run.json" 'tables.metrics.lost_kernel')" 0

# --- a full disk: bounded time, one line per failing table, exact books ---
mkdir -p "$TMP/small"
mount -t tmpfs -o size=256K none "$TMP/small"
start=$(date +%s)
timeout 60 "$MLPROBE" record -o "$TMP/small/r" --flush-interval 0.1 -- "$PROGS/counter" 200000 >/dev/null 2>"$TMP/full.err"
rc=$?
check "full disk: record ends by itself (rc=$rc, not killed)" test $rc -ne 124
check "full disk: non-zero exit" test $rc -ne 0
check "full disk: the error names the cause" grep -q "No space left on device" "$TMP/full.err"
n=$(grep -c "cannot write .*\.parquet" "$TMP/full.err")
check "full disk: reported once per table, not per retry ($n lines)" test "$n" -le 3
# Tolerance: the trainer's 200,000 steps take ~2 s; the retries back off
# to 5 s at most, so a run stuck retrying (or waiting for space) would take
# the 60 s of timeout; 30 s leaves a busy machine room.
check "full disk: took under 30 s" test $(( $(date +%s) - start )) -lt 30
for f in "$TMP"/small/r/*.parquet; do
	[ -e "$f" ] || continue
	check "full disk: $(basename "$f") is valid Parquet" \
		test -n "$(duck1 "SELECT count(*) FROM '$f'")"
done
umount "$TMP/small"

# --- exec failure: 127, no recording left behind ---
# A binary with probes whose ELF interpreter does not exist: it passes every
# check, and execve fails in the child.
sed 's|/lib64/ld-linux-x86-64.so.2|/lib64/ld-linux-x86-64.so.X|' "$PROGS/counter" >"$TMP/badinterp"
chmod +x "$TMP/badinterp"
"$MLPROBE" record -q -o "$TMP/x1" -- "$TMP/badinterp" 10 >/dev/null 2>"$TMP/x1.err"
expect_eq "exec failure exits 127" "$?" 127
check "exec failure says why in one line" test "$(grep -c "cannot run .*No such file" "$TMP/x1.err")" = 1
check "exec failure leaves no run.json" test ! -e "$TMP/x1/run.json"
cp "$PROGS/counter" "$TMP/noexec"
chmod -x "$TMP/noexec"
"$MLPROBE" record -q -o "$TMP/x2" -- "$TMP/noexec" 10 >/dev/null 2>"$TMP/x2.err"
expect_eq "a command that is not executable exits 126" "$?" 126

# --- Ctrl-C in launch mode reaches the command exactly once ---
# As a terminal does: SIGINT to the whole foreground process group.  The
# shell ignores it itself; mlprobe starts with SIGINT at its default.
setsid bash -c '
	trap "" INT
	env --default-signal=INT "$0" record -q -o "$1" -- "$2" >"$3" 2>/dev/null &
	for i in $(seq 100); do grep -q ready "$3" && break; sleep 0.05; done
	kill -INT -$$
	wait' "$MLPROBE" "$TMP/sg" "$PROGS/sigcount" "$TMP/sg.out"
expect_eq "terminal Ctrl-C reaches the command once" "$(grep sigints "$TMP/sg.out")" "sigints 1"
check "Ctrl-C: recording finished" grep -q '"accounting_ok": true' "$TMP/sg/run.json"

# --- --force keeps everything when the directory holds a foreign file ---
"$MLPROBE" record -q -o "$TMP/f1" -- "$PROGS/counter" 10 >/dev/null 2>&1
echo notes >"$TMP/f1/notes.txt"
"$MLPROBE" record -q --force -o "$TMP/f1" -- "$PROGS/counter" 20 >/dev/null 2>"$TMP/f1.err"
check "--force next to a foreign file refuses" test $? -ne 0
expect_eq "... and the earlier recording is intact" \
	"$(duck1 "SELECT count(*) FROM '$TMP/f1/metrics-*.parquet'")" 10
done_testing
