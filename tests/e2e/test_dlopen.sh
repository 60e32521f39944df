#!/usr/bin/env bash
# A library with probes that the target dlopen()s after mlprobe attached is
# found (the loader's _dl_debug_state hook, not a poll) and recorded.
. "$(dirname "$0")/lib.sh"

lib=$PROGS/libprobed.so
mkfifo "$TMP/go"
"$PROGS/dlopener" "$lib" 500 2000 <"$TMP/go" >"$TMP/dl.out" &
exec 7>"$TMP/go"
wait_for "$TMP/dl.out" '^pid' 10
pid=$(awk '/^pid/ { print $2 }' "$TMP/dl.out")
check "library not loaded before the test says so" eval '! grep -q libprobed /proc/$pid/maps'
"$MLPROBE" record -o "$TMP/r" -p "$pid" -v --flush-interval 0.2 2>"$TMP/r.err" &
mpid=$!
wait_for "$TMP/r.err" 'recording PID' 20 || not_ok "record did not start"
echo go >&7
exec 7>&-
wait "$mpid"
expect_eq "record ends with the process, exit 0" "$?" 0
check "the library's probes were attached after dlopen" grep -q 'attached 2 probe sites in .*libprobed.so' "$TMP/r.err"
M="'$TMP/r/metrics-*.parquet'"
n=$(duck1 "SELECT count(*) FROM $M WHERE name = 'lib'")
# How soon after the dlopen depends on how busy the machine is (the rescan
# is asynchronous); what matters is that they come, and all of them from
# then on.
check "events from the dlopen'ed library recorded ($n of 500)" test "${n:-0}" -ge 1
expect_eq "from the first one seen on, none missing (steps gapless to the end)" \
	"$(duck1 "SELECT max(step) = 499 AND max(step) - min(step) + 1 = count(*) FROM $M WHERE name = 'lib'")" true
check "events of the executable before the dlopen too" \
	test "$(duck1 "SELECT count(*) FROM $M WHERE name = 'main'")" -gt 0
check "accounting ok" grep -q '"accounting_ok": true' "$TMP/r/run.json"

done_testing
