#!/usr/bin/env bash
# What `record` says at the end: the consumer's CPU time per million
# events (metric, span and log events, as the table above it counts them),
# not per ring record (a batch of up to 16 events, or a name), and only for
# a run long enough for the number to mean something.
. "$(dirname "$0")/lib.sh"

"$MLPROBE" record -o "$TMP/small" -- "$PROGS/counter" 10 >/dev/null 2>"$TMP/small.err"
check "a tiny run: the CPU time alone" grep -Eq '^  consumer CPU [0-9.]+ s$' "$TMP/small.err"
check "  ... no figure per million" not_grep 'per million' "$TMP/small.err"

"$MLPROBE" record -o "$TMP/big" -- "$PROGS/bench_loop" metric 300000 >/dev/null 2>"$TMP/big.err"
line=$(grep 'consumer CPU' "$TMP/big.err")
check "300000 events: per million events ($line)" \
	grep -Eq '^  consumer CPU [0-9.]+ s, [0-9.]+ s per million events$' "$TMP/big.err"
events=$(awk '$1 == "metric" || $1 == "span" || $1 == "log" { n += $2 } END { print n }' "$TMP/big.err")
expect_eq "  ... the events the table counts" "$events" 300000
read -r cpu per <<<"$(sed -n 's/^  consumer CPU \([0-9.]*\) s, \([0-9.]*\) s per million events$/\1 \2/p' "$TMP/big.err")"
check "  ... is the CPU time over the events ($cpu s, $per s/M)" \
	awk -v c="$cpu" -v p="$per" -v n="$events" 'BEGIN { d = c * 1e6 / n - p; exit !(d < 0.005 && d > -0.005) }'

done_testing
