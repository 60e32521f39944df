#!/usr/bin/env bash
# A stop is a stop: coreutils `timeout` signals the command and then its
# process group, so mlprobe gets the same signal twice at once.  That is
# one request to stop (engine.h), never the abort a real second Ctrl-C is:
# every trial exits 0 with run.json finished, the books balanced and the
# trainer running on.  The same burst sent by hand, SIGINT too; and a
# launched command under timeout is still recorded to its end.
# TIMEOUT_TRIALS (default 6) trials per trainer; TIMEOUT_SECS (default 2)
# is the timeout.  Before the fix, 2 of 8 trials against train.py aborted.
. "$(dirname "$0")/lib.sh"

PY=${PYTHON:-/usr/bin/python3}
export PYTHONPATH=$ROOT/build/python
N=${TIMEOUT_TRIALS:-6}
SECS=${TIMEOUT_SECS:-2}

# trials NAME PID: N recordings of PID, each ended by `timeout`
trials() {
	local name=$1 pid=$2 i rc bad=0 why=""
	for ((i = 0; i < N; i++)); do
		timeout --preserve-status "$SECS" "$MLPROBE" record -q \
			-o "$TMP/$name$i" -p "$pid" -F 0.2 2>"$TMP/$name$i.err"
		rc=$?
		if [ "$rc" != 0 ]; then
			why="trial $i: exit $rc: $(head -c 200 "$TMP/$name$i.err")"
		elif grep -q aborted "$TMP/$name$i.err"; then
			why="trial $i: $(head -c 200 "$TMP/$name$i.err")"
		elif ! grep -q '"accounting_ok": true' "$TMP/$name$i/run.json" 2>/dev/null; then
			why="trial $i: run.json not finished or books off"
		elif ! kill -0 "$pid" 2>/dev/null; then
			why="trial $i: the trainer died"
		else
			continue
		fi
		bad=$((bad + 1))
		echo "# $why"
	done
	expect_eq "$name: timeout $SECS mlprobe record -p, $N trials: none aborted, books balanced, trainer runs on" "$bad" 0
	n=$(duck1 "SELECT count(*) FROM '$TMP/${name}0/metrics-*.parquet'")
	check "$name: a trial recorded rows (${n:-0})" test "${n:-0}" -gt 0
}

# --- a C trainer ---
"$PROGS/counter" 1000000000 500 >"$TMP/c.out" &
cpid=$!
wait_for "$TMP/c.out" '^step 100' 20 || not_ok "counter did not start"
trials counter "$cpid"

# --- the same burst by hand: two SIGTERMs, then two SIGINTs, back to back ---
for sig in TERM INT; do
	"$MLPROBE" record -q -o "$TMP/b$sig" -p "$cpid" 2>"$TMP/b$sig.err" &
	mpid=$!
	for ((i = 0; i < 50; i++)); do	# recording: a flush is on disk
		[ -n "$(ls "$TMP/b$sig"/metrics-*.parquet 2>/dev/null)" ] && break
		sleep 0.1
	done
	kill -"$sig" "$mpid"; kill -"$sig" "$mpid"
	wait "$mpid"
	rc=$?
	expect_eq "SIG$sig twice at once: one stop, exit 0" "$rc" 0
	[ "$rc" = 0 ] || sed 's/^/# /' "$TMP/b$sig.err"
	check "SIG$sig twice: run.json finished, books balanced" \
		grep -q '"accounting_ok": true' "$TMP/b$sig/run.json"
done
check "the C trainer runs on after every stop" kill -0 "$cpid"
kill "$cpid"; wait "$cpid" 2>/dev/null

# --- a Python trainer (Debian's interpreter: it has the module's probes) ---
"$PY" "$ROOT/examples/train.py" --steps 100000000 --sleep 0.001 --quiet \
	>"$TMP/py.out" 2>&1 &
ppid=$!
for ((i = 0; i < 100; i++)); do
	[ -d /proc/$ppid ] && grep -q mlprobe /proc/$ppid/maps 2>/dev/null && break
	sleep 0.1
done
sleep 0.5
trials python "$ppid"
check "the Python trainer runs on" kill -0 "$ppid"
kill "$ppid"; wait "$ppid" 2>/dev/null

# --- launch mode: timeout signals mlprobe and, through the group, the
# command; mlprobe records until the command has exited ---
timeout --preserve-status "$SECS" "$MLPROBE" record -q -o "$TMP/l" -- \
	"$PROGS/counter" 1000000000 500 >"$TMP/l.out" 2>"$TMP/l.err"
rc=$?
check "launch under timeout: not aborted" bash -c "! grep -q aborted '$TMP/l.err'"
check "launch under timeout: run.json finished, books balanced" \
	grep -q '"accounting_ok": true' "$TMP/l/run.json"
echo "# launch under timeout: exit $rc"
last=$(grep '^step' "$TMP/l.out" | tail -1 | awk '{ print $2 }')
expect_eq "launch under timeout: the command's last printed step is recorded" \
	"$(duck1 "SELECT max(step) >= ${last:-1} - 1 FROM '$TMP/l/metrics-*.parquet'")" true

done_testing
