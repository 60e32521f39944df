#!/usr/bin/env bash
# A target in another mount namespace (a container): its binary is at a
# path that does not exist in ours, and is reached through /proc/PID/root.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/src"
cp "$PROGS/counter" "$TMP/src/trainer"
# The trainer runs from a tmpfs mounted only in its own namespace.
unshare -m --propagation private sh -c '
	mkdir -p /run/mlprobe-ctr && mount -t tmpfs none /run/mlprobe-ctr &&
	cp "$1/trainer" /run/mlprobe-ctr/trainer &&
	exec /run/mlprobe-ctr/trainer 100000000 300' sh "$TMP/src" >"$TMP/c.out" &
wait_for "$TMP/c.out" '^step 1000' 20 || not_ok "containerised trainer did not start"
pid=$(awk '/^pid/ { print $2 }' "$TMP/c.out")
check "its binary is not visible from here" test ! -e /run/mlprobe-ctr/trainer
expect_eq "list -p finds its probes (the five and mlprobe:batch)" \
	"$("$MLPROBE" list -p "$pid" 2>&1 | grep -c 'mlprobe:')" 6
"$MLPROBE" record -q -o "$TMP/r" -p "$pid" --func main 2>"$TMP/r.err" &
mpid=$!
wait_file "$TMP/r/metrics-*.parquet" || not_ok "record -p: no flush in 20 s"
sleep 0.5
kill -INT "$mpid"
wait "$mpid"
expect_eq "record -p of a containerised process: exit 0" "$?" 0
n=$(duck1 "SELECT count(*) FROM '$TMP/r/metrics-*.parquet'")
check "its events recorded ($n)" test "${n:-0}" -gt 100
expect_eq "gapless steps" \
	"$(duck1 "SELECT max(step) - min(step) + 1 = count(*) FROM '$TMP/r/metrics-*.parquet'")" true
check "still running after detach" kill -0 "$pid"
kill "$pid"
rmdir /run/mlprobe-ctr 2>/dev/null

done_testing
